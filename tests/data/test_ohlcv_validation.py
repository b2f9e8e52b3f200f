from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import (
    DataValidationError,
    load_sample,
    synthetic_market,
    validate_ohlcv,
)
from alphafactory.data.table import to_table
from alphafactory.data.validation import apply_policy, validate_table


@pytest.fixture(scope="module")
def aapl() -> pd.DataFrame:
    """AAPL 2004-06 .. 2005-12 from the bundled sample: clean, adjusted, one symbol."""
    bars = load_sample("us-equities-daily").xs("AAPL", level="symbol")
    return bars.loc["2004-06-01":"2005-12-30"].copy()


def _rules(report) -> list[str]:
    return report.issues["rule"].tolist()


def _unadjust(bars: pd.DataFrame, when: str, k: float) -> pd.DataFrame:
    """Undo a k-for-1 split adjustment before ``when`` (the raw, unadjusted look)."""
    out = bars.copy()
    before = out.index < pd.Timestamp(when, tz="UTC")
    out.loc[before, ["open", "high", "low", "close"]] *= k
    out.loc[before, "volume"] /= k
    return out


def test_validate_clean_sample_has_no_issues():
    report = validate_ohlcv(load_sample("us-equities-daily"))
    assert report.ok
    assert report.issues.empty
    assert report.calendar == "XNYS"
    assert "0 errors, 0 warnings" in str(report)


def test_validate_synthetic_market_on_weekday_calendar_has_no_issues():
    bars = synthetic_market(n_symbols=5, n_bars=300, seed=2, alpha_ic=0.1).bars
    assert validate_ohlcv(bars, asset_class="fx").issues.empty


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("open", np.nan, "nan"),
        ("close", np.inf, "nan"),
        ("low", -1.0, "nonpositive_price"),
        ("volume", -5.0, "negative_volume"),
    ],
)
def test_validate_planted_value_defect_reported(aapl, field, value, rule):
    bars = aapl.copy()
    bars.iloc[10, bars.columns.get_loc(field)] = value
    report = validate_ohlcv(bars)
    assert not report.ok
    hit = report.issues[report.issues["rule"] == rule]
    assert hit["row"].tolist() == [10]
    assert hit["timestamp"].iloc[0] == aapl.index[10]
    assert (hit["severity"] == "error").all()


def test_validate_high_below_low_and_inconsistent_ohlc_reported(aapl):
    bars = aapl.copy()
    bars.iloc[3, bars.columns.get_loc("high")] = bars["low"].iloc[3] * 0.9
    bars.iloc[7, bars.columns.get_loc("high")] = bars[["open", "close"]].iloc[7].min() * 0.999
    bars.iloc[9, bars.columns.get_loc("low")] = bars[["open", "close"]].iloc[9].max() * 1.001
    issues = validate_ohlcv(bars).issues.set_index("row")["rule"]
    assert issues[3] == "high_below_low"
    assert issues[7] == "ohlc_inconsistent"
    assert issues[9] == "ohlc_inconsistent"


def test_validate_unparsable_cells_reported_by_row():
    raw = pd.DataFrame(
        {
            "Date": ["2024-01-02", "not a date", "2024-01-04"],
            "Open": ["1.0", "1.0", "x1"],
            "High": ["1.1", "1.1", "1.1"],
            "Low": ["0.9", "0.9", "0.9"],
            "Close": ["1.0", "1.0", "1.0"],
            "Volume": ["10", "10", "10"],
        }
    )
    report = validate_ohlcv(raw, calendar="weekdays")
    unparsable = report.issues[report.issues["rule"] == "unparsable"]
    assert unparsable["row"].tolist() == [1, 2]
    assert "timestamp" in unparsable["detail"].iloc[0]
    assert "open" in unparsable["detail"].iloc[1]


def test_validate_duplicate_and_unsorted_rows_reported(aapl):
    part = aapl.iloc[:6]
    shuffled = pd.concat([part.iloc[[0, 1, 1, 3, 2, 4, 5]]])
    issues = validate_ohlcv(shuffled).issues
    assert issues.loc[issues["rule"] == "duplicate_timestamp", "row"].tolist() == [2]
    assert issues.loc[issues["rule"] == "unsorted", "row"].tolist() == [4]


def test_validate_missing_session_is_error_and_holiday_is_not(aapl):
    # 2004-07-05 (Independence Day observed) is a holiday: no gap. Remove a real session.
    assert pd.Timestamp("2004-07-05", tz="UTC") not in aapl.index
    gap = aapl.drop(pd.Timestamp("2004-07-07", tz="UTC"))
    report = validate_ohlcv(gap)
    assert _rules(report) == ["missing_session"]
    assert report.issues["timestamp"].iloc[0] == pd.Timestamp("2004-07-07", tz="UTC")
    assert pd.isna(report.issues["row"].iloc[0])
    assert not report.ok


def test_validate_bar_on_holiday_is_warning(aapl):
    extra = aapl.iloc[[20]].copy()
    extra.index = pd.DatetimeIndex([pd.Timestamp("2004-07-05", tz="UTC")], name="timestamp")
    report = validate_ohlcv(pd.concat([aapl, extra]).sort_index())
    assert _rules(report) == ["non_session"]
    assert report.ok  # a warning only
    assert report.issues["severity"].iloc[0] == "warning"


def test_validate_crypto_every_day_and_fx_weekdays():
    days = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC", name="timestamp")
    bars = pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=days
    )
    assert validate_ohlcv(bars, asset_class="crypto").issues.empty
    fx = validate_ohlcv(bars, asset_class="fx")
    assert set(fx.issues["rule"]) == {"non_session"} and len(fx.issues) == 2  # a weekend
    missing = validate_ohlcv(bars.drop(days[3]), asset_class="crypto")
    assert _rules(missing) == ["missing_session"]


def test_validate_unadjusted_split_flagged_as_error(aapl):
    raw = _unadjust(aapl, "2005-02-28", 2.0)
    report = validate_ohlcv(raw)
    splits = report.issues[report.issues["rule"] == "split_signature"]
    assert len(splits) == 1
    assert splits["timestamp"].iloc[0] == pd.Timestamp("2005-02-28", tz="UTC")
    assert splits["severity"].iloc[0] == "error"
    assert "2-for-1" in splits["detail"].iloc[0]


def test_validate_real_crash_aapl_2000_09_29_not_flagged():
    bars = load_sample("us-equities-daily").xs("AAPL", level="symbol")
    window = bars.loc["2000-08-01":"2000-11-30"]
    ratio = window["open"] / window["close"].shift(1)
    assert ratio.loc[pd.Timestamp("2000-09-29", tz="UTC")] == pytest.approx(0.527, abs=5e-4)
    assert validate_ohlcv(window).issues.empty


def test_validate_unit_error_flagged_on_the_off_bars(aapl):
    bars = aapl.copy()
    bars.iloc[50:53, :4] *= 100.0
    issues = validate_ohlcv(bars).issues
    unit = issues[issues["rule"] == "unit_error"]
    assert unit["row"].tolist() == [50, 51, 52]
    assert (unit["severity"] == "error").all()


def _policy(bars: pd.DataFrame, on_error: str):
    table, unparsable = to_table(bars)
    report = validate_table(
        table, unparsable, asset_class="equities", calendar=None, source="<frame>"
    )
    return apply_policy(table, report, on_error)


def test_policy_raise_raises_with_report(aapl):
    bars = aapl.copy()
    bars.iloc[4, 0] = -1.0
    with pytest.raises(DataValidationError, match="nonpositive_price") as info:
        _policy(bars, "raise")
    assert not info.value.report.ok


def test_policy_drop_removes_bad_rows_and_lists_them(aapl):
    bars = aapl.copy()
    bars.iloc[4, 0] = -1.0
    bars.iloc[8, 4] = np.nan
    out, report = _policy(bars, "drop")
    assert len(out) == len(aapl) - 2
    assert report.actions["row"].tolist() == [4, 8]
    assert set(report.actions["action"]) == {"dropped"}
    pd.testing.assert_frame_equal(out, aapl.drop(aapl.index[[4, 8]]), check_freq=False)


def test_policy_repair_fixes_split_unit_and_ohlc(aapl):
    bars = _unadjust(aapl, "2005-02-28", 2.0)
    bars.iloc[30:32, :4] *= 100.0
    bars.iloc[12, bars.columns.get_loc("high")] = bars["low"].iloc[12] * 0.5
    out, report = _policy(bars, "repair")
    actions = report.actions.set_index("rule")["action"]
    assert actions["split_signature"].startswith("adjusted")
    assert actions["high_below_low"] == "clamped high/low"
    assert validate_ohlcv(out).issues.empty
    untouched = aapl.drop(aapl.index[12])
    pd.testing.assert_frame_equal(out.drop(aapl.index[12]), untouched, check_freq=False, rtol=1e-12)


def test_policy_unknown_name_raises(aapl):
    with pytest.raises(ValueError, match="on_error must be one of"):
        _policy(aapl, "ignore")


def test_validate_panel_reports_symbol(aapl):
    panel = load_sample("us-equities-daily").loc["2004-01-01":"2004-12-31"].copy()
    where = panel.index.get_loc((pd.Timestamp("2004-03-01", tz="UTC"), "MSFT"))
    panel.iloc[where, 4] = -1.0
    issues = validate_ohlcv(panel).issues
    assert issues[["row", "symbol", "rule"]].values.tolist() == [[where, "MSFT", "negative_volume"]]


def test_validate_unknown_asset_class_raises(aapl):
    with pytest.raises(ValueError, match="asset_class must be one of"):
        validate_ohlcv(aapl, asset_class="bonds")


def test_intraday_step_reads_any_datetime_resolution():
    from alphafactory.data.rules import intraday_step

    stamps = pd.date_range("2024-01-02 14:45", periods=20, freq="15min", tz="UTC")
    for unit in ("s", "ms", "us", "ns"):
        assert intraday_step(stamps.as_unit(unit)) == pd.Timedelta(minutes=15)
