"""Corporate actions: the table, its CSV file, and adjust_bars against yfinance's convention."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.data.corporate_actions import (
    CorporateActions,
    adjust_bars,
    adjustment_factors,
    read_corporate_actions,
    write_corporate_actions,
)
from alphafactory.data.download import ADJUSTMENT
from alphafactory.errors import DataError, SourceNotFoundError

PRICES = ["open", "high", "low", "close"]


def panel(closes: dict[str, list[float]], dates: list[str] | pd.DatetimeIndex) -> pd.DataFrame:
    """Raw bars of several symbols on ``dates`` (NaN close = no bar that day)."""
    frames = []
    for k, (symbol, close) in enumerate(closes.items()):
        close = np.asarray(close, dtype=float)
        stamps = pd.DatetimeIndex(dates, tz="UTC")
        frame = pd.DataFrame(
            {"open": close * 0.99, "high": close * 1.02, "low": close * 0.97, "close": close,
             "volume": 1000.0 + 10 * k + np.arange(len(close))},
            index=pd.MultiIndex.from_arrays([stamps, [symbol] * len(close)],
                                            names=["timestamp", "symbol"]),
        )  # fmt: skip
        frames.append(frame[frame["close"].notna()])
    return pd.concat(frames).sort_index()


def actions(rows: list[tuple[str, str, float, float]]) -> CorporateActions:
    frame = pd.DataFrame(rows, columns=["symbol", "ex_date", "split", "dividend"])
    return CorporateActions(table=frame)


def reference_adjusted(raw: pd.DataFrame, rows: list[tuple[str, str, float, float]]):
    """yfinance's adjustment written plainly: Yahoo's split-adjusted OHLCV and dividends, then
    ``Adj Close / Close`` (the product of ``1 - D / C_prev`` over later ex-dates) on OHLC."""
    out = raw.copy()
    for symbol in raw.index.get_level_values("symbol").unique():
        mine = [(pd.Timestamp(d, tz="UTC"), r, div) for s, d, r, div in rows if s == symbol]
        where = raw.index.get_level_values("symbol") == symbol
        bars = raw[where]
        days = list(bars.index.get_level_values("timestamp").normalize())
        split_factor = [math.prod(r for ex, r, _ in mine if ex > day) for day in days]
        yahoo_close = [c / s for c, s in zip(bars["close"], split_factor, strict=True)]
        ratio = [1.0] * len(days)
        for ex, _, dividend in mine:
            before = [i for i, day in enumerate(days) if day < ex]
            if dividend == 0 or not before:
                continue
            yahoo_dividend = dividend / math.prod(r for ex2, r, _ in mine if ex2 > ex)
            step = 1.0 - yahoo_dividend / yahoo_close[before[-1]]
            for i in before:
                ratio[i] *= step
        for column in PRICES:
            values = zip(bars[column], split_factor, ratio, strict=True)
            out.loc[where, column] = [p / s * a for p, s, a in values]
        volumes = zip(bars["volume"], split_factor, strict=True)
        out.loc[where, "volume"] = [v * s for v, s in volumes]
    return out


# -- the convention, by hand ----------------------------------------------------------------
DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09",
         "2024-01-10"]  # fmt: skip
RAW_CLOSE = [100.0, 102.0, 104.0, 52.0, 53.0, 52.6, 53.0]  # 2-for-1 on the 5th, $0.5 on the 9th
SPLIT_AND_DIVIDEND = [("AAA", "2024-01-05", 2.0, 0.0), ("AAA", "2024-01-09", 1.0, 0.5)]


def test_adjust_bars_split_and_dividend_match_the_yfinance_convention():
    raw = panel({"AAA": RAW_CLOSE, "BBB": [10.0] * 7}, DATES)
    adjusted = adjust_bars(raw, actions([*SPLIT_AND_DIVIDEND, ("ZZZ", "2024-01-03", 3.0, 0.0)]))
    step = 1 - 0.5 / 53.0  # the dividend over the close before its ex-date
    expected = [50 * step, 51 * step, 52 * step, 52 * step, 53 * step, 52.6, 53.0]
    aaa = adjusted.xs("AAA", level="symbol")
    np.testing.assert_allclose(aaa["close"], expected, rtol=1e-14)
    np.testing.assert_allclose(aaa["volume"], raw.xs("AAA", level="symbol")["volume"]
                               * [2, 2, 2, 1, 1, 1, 1], rtol=0)  # fmt: skip
    pd.testing.assert_frame_equal(adjusted.xs("BBB", level="symbol"),
                                  raw.xs("BBB", level="symbol"))  # fmt: skip
    pd.testing.assert_frame_equal(adjusted, reference_adjusted(raw, SPLIT_AND_DIVIDEND),
                                  rtol=1e-13)  # fmt: skip
    assert adjusted.attrs["adjustment"] == ADJUSTMENT


def test_adjustment_factors_give_one_price_factor_and_a_split_volume_factor():
    raw = panel({"AAA": RAW_CLOSE}, DATES)
    factors = adjustment_factors(raw, actions(SPLIT_AND_DIVIDEND), as_of="2024-01-08")
    assert factors.index.equals(raw.index)
    np.testing.assert_allclose(factors["price"], [0.5, 0.5, 0.5, 1, 1, 1, 1], rtol=0)
    np.testing.assert_allclose(factors["volume"], [2, 2, 2, 1, 1, 1, 1], rtol=0)


def test_recorded_yfinance_row_is_the_raw_row_times_one_price_factor():
    # AAPL 2024-01-02: raw (README's CSV example) and yf.download(auto_adjust=True) as recorded
    # in tests/data/test_yfinance_source.py: one factor (later dividends) on all four prices,
    # volume untouched, which is what adjust_bars does with dividends.
    raw = {"open": 187.15, "high": 188.44, "low": 183.89, "close": 185.64, "volume": 82488700}
    recorded = {"open": 186.033072, "high": 187.315382, "low": 182.792533,
                "close": 184.532089, "volume": 82488700}  # fmt: skip
    ratios = [recorded[c] / raw[c] for c in PRICES]
    assert max(ratios) - min(ratios) < 1e-7 and recorded["volume"] == raw["volume"]
    bars = pd.DataFrame([raw, {**raw, "close": 186.0}], dtype=float, index=pd.MultiIndex
                        .from_product([pd.DatetimeIndex(["2024-01-02", "2024-01-03"], tz="UTC"),
                                       ["AAPL"]], names=["timestamp", "symbol"]))  # fmt: skip
    dividend = (1 - ratios[3]) * raw["close"]
    adjusted = adjust_bars(bars, actions([("AAPL", "2024-01-03", 1.0, dividend)])).iloc[0]
    for column in PRICES:
        assert adjusted[column] == pytest.approx(recorded[column], rel=1e-7)
    assert adjusted["volume"] == raw["volume"]


def test_adjust_bars_refuses_bars_already_adjusted():
    raw = panel({"AAA": RAW_CLOSE}, DATES)
    with pytest.raises(DataError, match="already adjusted"):
        adjust_bars(adjust_bars(raw, actions(SPLIT_AND_DIVIDEND)), actions(SPLIT_AND_DIVIDEND))


def test_adjust_bars_dividend_above_the_previous_close_is_one_line():
    raw = panel({"AAA": RAW_CLOSE}, DATES)
    with pytest.raises(DataError, match=r"AAA ex_date 2024-01-09: field dividend") as info:
        adjust_bars(raw, actions([("AAA", "2024-01-09", 1.0, 60.0)]))
    assert "\n" not in str(info.value)


def test_adjust_bars_needs_a_panel():
    single = panel({"AAA": RAW_CLOSE}, DATES).droplevel("symbol")
    with pytest.raises(DataError, match=r"\(timestamp, symbol\) panel"):
        adjust_bars(single, actions(SPLIT_AND_DIVIDEND))


# -- the CSV file --------------------------------------------------------------------------
def test_csv_round_trip_keeps_every_value(tmp_path):
    table = actions([("MSFT", "2003-02-18", 2.0, 0.0), ("AAPL", "2020-08-31", 4.0, 0.0),
                     ("AAPL", "2020-08-07", 1.0, 0.82), ("AAPL", "2024-02-09", 1.0, 0.24)])
    path = write_corporate_actions(table, tmp_path / "actions.csv")
    assert path.read_text().splitlines()[:2] == ["symbol,ex_date,split,dividend",
                                                 "AAPL,2020-08-07,1.0,0.82"]  # fmt: skip
    again = read_corporate_actions(path)
    pd.testing.assert_frame_equal(again.table, table.table)
    assert again.symbols == ("AAPL", "MSFT") and len(again) == 4


def test_csv_empty_fields_mean_no_split_and_no_dividend(tmp_path):
    path = tmp_path / "actions.csv"
    path.write_text("symbol,ex_date,split,dividend\nAAPL,2020-08-31,4,\n\nAAPL,2020-11-06,,0.205\n")
    table = read_corporate_actions(path).table
    assert table["split"].tolist() == [4.0, 1.0] and table["dividend"].tolist() == [0.0, 0.205]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("AAPL,2020-08-31,0,", "line 3: field split (rule: a number > 0"),
        ("AAPL,2020-08-31,2:1,", "line 3: field split (rule: a number > 0"),
        ("AAPL,2020-08-31,,-0.2", "line 3: field dividend (rule: a number >= 0"),
        ("AAPL,2020-08-31,,nan", "line 3: field dividend (rule: a number >= 0"),
        ("AAPL,08/31/2020,4,", "line 3: field ex_date (rule: a date YYYY-MM-DD); got '08/31"),
        ("AAPL,2020-08-31 10:00,4,", "line 3: field ex_date (rule: a date YYYY-MM-DD)"),
        (" ,2020-08-31,4,", "line 3: field symbol (rule: not empty)"),
        ("AAPL,2020-08-07,,0.2", "line 3: field ex_date (rule: one row per symbol and ex_date"),
    ],
)
def test_csv_bad_row_is_one_line_naming_line_field_rule_and_value(tmp_path, body, message):
    path = tmp_path / "actions.csv"
    path.write_text(f"symbol,ex_date,split,dividend\nAAPL,2020-08-07,1,0.82\n{body}\n")
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_corporate_actions(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_csv_header_and_missing_file_are_one_line(tmp_path):
    path = tmp_path / "actions.csv"
    path.write_text("symbol,date,split,dividend\nAAPL,2020-08-31,4,0\n")
    with pytest.raises(DataError, match=r"line 1 \(header\).*missing \['ex_date'\], unknown "
                       r"\['date'\]"):  # fmt: skip
        read_corporate_actions(path)
    with pytest.raises(SourceNotFoundError, match="No corporate actions file"):
        read_corporate_actions(tmp_path / "nope.csv")


def test_table_from_frame_names_the_row_and_selects_by_symbol_and_date():
    with pytest.raises(DataError, match=r"corporate actions row 1: field split"):
        actions([("A", "2024-01-02", 2.0, 0.0), ("A", "2024-01-03", -2.0, 0.0)])
    table = actions([("B", "2024-01-05", 1.0, 0.1), ("A", "2024-01-02", 2.0, 0.0),
                     ("A", pd.Timestamp("2024-01-09", tz="America/New_York"), 1.0, 0.3)])
    assert table.table["ex_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-02", "2024-01-09", "2024-01-05"]  # fmt: skip
    assert len(table.for_symbols(["A"])) == 2
    assert len(table.between("2024-01-03", "2024-01-09")) == 1
    assert len(table.known_at("2024-01-05")) == 2 and len(CorporateActions.empty()) == 0
    events = pd.DataFrame({"symbol": ["A", "A"], "ex_date": ["2024-01-02"] * 2,
                           "split": [2.0, None], "dividend": [0.1, 0.05]})  # fmt: skip
    merged = CorporateActions.from_events(events, source="test").table
    assert merged[["split", "dividend"]].values.tolist() == [[2.0, pytest.approx(0.15)]]


# -- properties ----------------------------------------------------------------------------
SPLITS = [1.0, 1.0, 2.0, 3.0, 4.0, 1.5, 0.5, 0.1]


@st.composite
def raw_bars(draw, max_symbols: int = 3):
    """Random raw bars on business days; a symbol may miss days (gaps between its bars)."""
    n_days = draw(st.integers(3, 20))
    days = pd.bdate_range("2024-01-01", periods=n_days)
    closes = {}
    for k in range(draw(st.integers(1, max_symbols))):
        steps = draw(st.lists(st.floats(-0.2, 0.2), min_size=n_days, max_size=n_days))
        close = draw(st.floats(1.0, 1000.0)) * np.exp(np.cumsum(steps))
        missing = draw(st.lists(st.booleans(), min_size=n_days, max_size=n_days))
        missing[0] = False
        closes[f"S{k}"] = np.where(missing, np.nan, close)
    return panel(closes, days)


@st.composite
def anywhere_actions(draw, raw: pd.DataFrame):
    """Actions on any calendar day around the bars (weekends, gaps, before and after them)."""
    stamps = raw.index.get_level_values("timestamp")
    days = pd.date_range(stamps.min() - pd.Timedelta(days=4), stamps.max() + pd.Timedelta(days=4))
    rows = []
    for symbol in raw.index.get_level_values("symbol").unique():
        when = draw(st.lists(st.sampled_from(list(days)), unique=True, max_size=5))
        splits = [draw(st.sampled_from(SPLITS)) for _ in when]
        # below the smallest close in the units of any ex-date, so every dividend is valid
        cap = raw.xs(symbol, level="symbol")["close"].min() / math.prod(max(r, 1) for r in splits)
        rows += [(symbol, f"{day:%Y-%m-%d}", r, draw(st.sampled_from([0.0, 0.3, 0.9])) * cap)
                 for day, r in zip(when, splits, strict=True)]  # fmt: skip
    return rows


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_adjust_bars_equals_the_plain_reference_for_actions_anywhere(data):
    raw = data.draw(raw_bars())
    rows = data.draw(anywhere_actions(raw))
    adjusted = adjust_bars(raw, actions(rows))
    pd.testing.assert_frame_equal(adjusted, reference_adjusted(raw, rows), rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_adjusted_returns_are_total_returns_across_ex_dates(data):
    raw = data.draw(raw_bars(max_symbols=2))
    rows, expected = [], {}
    for symbol in raw.index.get_level_values("symbol").unique():
        bars = raw.xs(symbol, level="symbol")
        close = bars["close"].to_numpy()
        ratio = close[1:] / close[:-1]
        positions = data.draw(st.sets(st.integers(1, max(1, len(close) - 1)), max_size=3))
        for i in sorted(p for p in positions if p < len(close)):
            split = data.draw(st.sampled_from(SPLITS))
            dividend = data.draw(st.floats(0.0, 0.5)) * close[i - 1] / split
            rows.append((symbol, f"{bars.index[i]:%Y-%m-%d}", split, dividend))
            # a holder of one share reinvests the dividend at the previous close less it
            ratio[i - 1] = close[i] / (close[i - 1] / split - dividend)
        expected[symbol] = ratio
    adjusted = adjust_bars(raw, actions(rows))
    for symbol, ratio in expected.items():
        close = adjusted.xs(symbol, level="symbol")["close"].to_numpy()
        np.testing.assert_allclose(close[1:] / close[:-1], ratio, rtol=1e-9)


def test_adjusted_return_is_the_cash_total_return_when_the_price_drops_by_the_dividend():
    raw = panel({"AAA": [50.0, 49.0, 49.49]}, ["2024-01-02", "2024-01-03", "2024-01-04"])
    close = adjust_bars(raw, actions([("AAA", "2024-01-03", 1.0, 1.0)]))["close"].to_numpy()
    assert close[1] / close[0] == pytest.approx((49.0 + 1.0) / 50.0, rel=1e-15)
    assert close[2] / close[1] == pytest.approx(49.49 / 49.0, rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_adjusting_with_no_action_is_the_identity(data):
    raw = data.draw(raw_bars())
    rows = data.draw(anywhere_actions(raw))
    elsewhere = [(f"OTHER{s}", day, r, d) for s, day, r, d in rows]
    before_all = raw.index.get_level_values("timestamp").min() - pd.Timedelta(days=5)
    for table, as_of in ((CorporateActions.empty(), None), (actions(elsewhere), None),
                         (actions([r for r in rows if pd.Timestamp(r[1], tz="UTC") > before_all]),
                          before_all)):  # fmt: skip
        adjusted = adjust_bars(raw, table, as_of=as_of)
        pd.testing.assert_frame_equal(adjusted, raw, check_exact=True)
        assert adjusted is not raw


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_as_of_ignores_the_actions_after_it(data):
    raw = data.draw(raw_bars())
    rows = data.draw(anywhere_actions(raw))
    stamps = raw.index.get_level_values("timestamp")
    as_of = data.draw(st.sampled_from(list(stamps.unique())))
    known = [r for r in rows if pd.Timestamp(r[1], tz="UTC") <= as_of]
    pd.testing.assert_frame_equal(adjust_bars(raw, actions(rows), as_of=as_of),
                                  adjust_bars(raw, actions(known)), check_exact=True,
                                  check_like=False, check_flags=False)  # fmt: skip


# -- features see one price series -----------------------------------------------------------
SCALE_FREE = ["ret_1", "ret_5", "sma_ratio_20", "rsi_14", "rel_volume_20", "volume_z_20",
              "cc_vol_20"]  # fmt: skip
FEATURE_ACTIONS = [("S0", "2020-02-10", 2.0, 0.0), ("S0", "2020-03-31", 1.0, 1.2),
                   ("S1", "2020-01-31", 1.0, 0.9), ("S1", "2020-03-11", 0.25, 0.0),
                   ("S1", "2020-04-30", 1.0, 2.5)]  # fmt: skip


@pytest.fixture(scope="module")
def feature_bars(bars_factory):
    return bars_factory(n_symbols=3, n_bars=150, seed=3, ragged=False)


def test_features_of_adjusted_bars_equal_features_of_the_adjusted_series(feature_bars):
    from alphafactory.features import build_features

    ours = build_features(adjust_bars(feature_bars, actions(FEATURE_ACTIONS)), SCALE_FREE)
    reference = build_features(reference_adjusted(feature_bars, FEATURE_ACTIONS), SCALE_FREE)
    pd.testing.assert_frame_equal(ours, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("t", ["2020-02-05", "2020-03-20", "2020-05-29"])
def test_live_tail_adjusted_as_of_t_has_the_features_of_the_research_history(feature_bars, t):
    # The bot adjusts its last 60 raw bars with the actions in effect at t; research adjusted
    # the whole history with every action, later ones too: scale-free features agree at t.
    from alphafactory.features import build_features

    t = pd.Timestamp(t, tz="UTC")
    stamps = feature_bars.index.get_level_values("timestamp")
    tail = feature_bars[(stamps <= t) & (stamps > t - pd.Timedelta(days=60))]
    live = build_features(adjust_bars(tail, actions(FEATURE_ACTIONS), as_of=t), SCALE_FREE)
    research = adjust_bars(feature_bars, actions(FEATURE_ACTIONS)).loc[tail.index]
    batch = build_features(research, SCALE_FREE)
    assert live.xs(t, level="timestamp").notna().all().all()
    pd.testing.assert_frame_equal(live.xs(t, level="timestamp"), batch.xs(t, level="timestamp"),
                                  rtol=1e-5, atol=1e-6)  # fmt: skip
    # ... while a price-level feature does see the later actions
    level = [build_features(frame, ["atr_14"]).xs(t, level="timestamp").loc["S1", "atr_14"]
             for frame in (adjust_bars(tail, actions(FEATURE_ACTIONS), as_of=t), research)]
    later = [r for r in FEATURE_ACTIONS if r[0] == "S1" and pd.Timestamp(r[1], tz="UTC") > t]
    assert (level[0] == pytest.approx(level[1], rel=1e-5)) == (not later)
