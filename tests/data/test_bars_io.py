from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory.data import (
    DataValidationError,
    check_bars,
    fingerprint,
    list_samples,
    load_ohlcv_csv,
    load_sample,
    read_parquet,
    synthetic_market,
    write_ohlcv_csv,
    write_parquet,
)

CLEAN_CSV = """Date,Open,High,Low,Close,Volume
2024-01-02,10.0,11.0,9.5,10.5,1000
2024-01-03,10.5,10.8,10.1,10.2,1200
2024-01-04,10.2,10.4,9.9,10.0,900
2024-01-05,10.0,10.6,9.8,10.6,1500
"""


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("us-equities-daily")


def _write(tmp_path, text: str, name: str = "bars.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_csv_any_case_iso_dates_gives_contract(tmp_path):
    bars = load_ohlcv_csv(_write(tmp_path, CLEAN_CSV))
    check_bars(bars)
    assert bars.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert bars["close"].tolist() == [10.5, 10.2, 10.0, 10.6]
    assert bars.attrs["adjustment"] == "as in source"
    assert bars.attrs["validation"]["errors"] == {}


@pytest.mark.parametrize("scale", [1, 1000])
def test_load_csv_epoch_seconds_and_milliseconds(tmp_path, scale):
    stamps = pd.date_range("2024-01-02", periods=4, freq="B", tz="UTC")
    epochs = stamps.as_unit("s").asi8 * scale
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{e},1.0,1.0,1.0,1.0,5" for e in epochs]
    bars = load_ohlcv_csv(_write(tmp_path, "\n".join(lines)))
    assert bars.index.equals(stamps.as_unit("ns").rename("timestamp"))


def test_load_csv_adj_close_adjusts_prices_and_volume(tmp_path):
    text = "date,open,high,low,close,adj close,volume\n2024-01-02,10,12,8,10,5,100\n"
    bars = load_ohlcv_csv(_write(tmp_path, text), asset_class="crypto")
    assert bars.iloc[0].tolist() == [5.0, 6.0, 4.0, 5.0, 200.0]
    assert "adj_close" in bars.attrs["adjustment"]


def test_load_csv_raise_policy_names_file_line_and_rule(tmp_path):
    text = CLEAN_CSV.replace("2024-01-03,10.5,10.8", "2024-01-03,-10.5,10.8")
    path = _write(tmp_path, text)
    with pytest.raises(DataValidationError) as info:
        load_ohlcv_csv(path)
    message = str(info.value)
    assert str(path) in message and "line 3" in message and "nonpositive_price" in message


def test_load_csv_drop_policy_reports_and_logs(tmp_path, caplog):
    lines = CLEAN_CSV.splitlines()
    lines[2] = "2024-01-03,10.5,oops,10.1,10.2,1200"
    lines.insert(4, "2024-01-04,1,2")  # wrong number of fields
    path = _write(tmp_path, "\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="alphafactory.data.validation"):
        bars, report = load_ohlcv_csv(path, on_error="drop", return_report=True)
    assert len(bars) == 3
    assert report.actions["row"].tolist() == [3, 5]
    assert set(report.issues.loc[report.issues["row"].notna(), "rule"]) == {"unparsable"}
    assert "expected 6 fields" in report.issues["detail"].iloc[1]
    assert bars.attrs["validation"]["actions"] == {"dropped": 2}
    assert "dropped 2" in caplog.text


def test_load_csv_missing_column_raises(tmp_path):
    path = _write(tmp_path, "timestamp,open,high,low,close\n2024-01-02,1,1,1,1\n")
    with pytest.raises(ValueError, match=r"missing \['volume'\]"):
        load_ohlcv_csv(path)


def test_load_csv_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="No CSV file"):
        load_ohlcv_csv(tmp_path / "nope.csv")


def test_csv_parquet_csv_round_trip_is_exact(tmp_path, sample):
    first = write_ohlcv_csv(sample.xs("AAPL", level="symbol"), tmp_path / "a.csv")
    loaded = load_ohlcv_csv(first)
    write_parquet(loaded, tmp_path / "a.parquet")
    back = read_parquet(tmp_path / "a.parquet")
    second = write_ohlcv_csv(back, tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(back, loaded)
    assert back.attrs["adjustment"] == "as in source"


def test_csv_round_trip_panel_intraday_exact(tmp_path):
    bars = synthetic_market(n_symbols=3, n_bars=40, freq="15min", seed=9, calendar="XNYS").bars
    path = write_ohlcv_csv(bars, tmp_path / "p.csv")
    assert path.read_text().splitlines()[1].startswith("2010-01-04T14:45:00Z,S0,")
    loaded = load_ohlcv_csv(path)
    pd.testing.assert_frame_equal(loaded, bars, check_freq=False)
    write_parquet(loaded, tmp_path / "p.parquet")
    again = write_ohlcv_csv(read_parquet(tmp_path / "p.parquet"), tmp_path / "q.csv")
    assert again.read_bytes() == path.read_bytes()


def test_read_parquet_without_ohlcv_raises(tmp_path):
    pd.DataFrame({"timestamp": [1], "x": [1.0]}).to_parquet(tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="missing"):
        read_parquet(tmp_path / "x.parquet")


def test_load_sample_shape_dates_and_adjustment(sample):
    check_bars(sample)
    assert sample.index.names == ["timestamp", "symbol"]
    counts = sample.groupby(level="symbol").size()
    assert counts.to_dict() == {"AAPL": 3270, "FB": 196, "GOOG": 2148, "IBM": 3270, "MSFT": 3270}
    firsts = sample.reset_index().groupby("symbol")["timestamp"].min().dt.strftime("%Y-%m-%d")
    assert firsts.to_dict()["GOOG"] == "2004-08-19" and firsts.to_dict()["FB"] == "2012-05-18"
    last = sample.index.get_level_values("timestamp").max()
    assert last == pd.Timestamp("2013-03-01", tz="UTC")
    aapl = sample.xs("AAPL", level="symbol")
    # Adjusted: no 2:1 drop across the 2005-02-28 split; the real 2000-09-29 crash stays.
    ratio = aapl["open"] / aapl["close"].shift(1)
    assert ratio.loc[pd.Timestamp("2005-02-28", tz="UTC")] == pytest.approx(1.004, abs=1e-3)
    assert ratio.loc[pd.Timestamp("2000-09-29", tz="UTC")] == pytest.approx(0.527, abs=1e-3)
    assert "split" in sample.attrs["adjustment"]
    assert sample.attrs["asset_class"] == "equities"


def test_list_samples_names_bundled_data():
    table = list_samples()
    assert "us-equities-daily" in table.index
    assert table.loc["us-equities-daily", "symbols"] == "AAPL,FB,GOOG,IBM,MSFT"


def test_load_sample_unknown_name_lists_known():
    with pytest.raises(KeyError, match="us-equities-daily"):
        load_sample("nasdaq-ticks")


def test_fingerprint_stable_across_storage_and_sensitive_to_values(tmp_path, sample):
    base = fingerprint(sample)
    assert base.startswith("sha256:") and len(base) == 7 + 64
    write_parquet(sample, tmp_path / "s.parquet")
    assert fingerprint(read_parquet(tmp_path / "s.parquet")) == base
    coarse = sample.copy()
    coarse.index = coarse.index.set_levels(coarse.index.levels[0].as_unit("s"), level=0)
    coarse.attrs = {}
    assert fingerprint(coarse) == base
    nudged = sample.copy()
    nudged.iloc[100, 3] = np.nextafter(nudged.iloc[100, 3], np.inf)
    assert fingerprint(nudged) != base
    assert fingerprint(sample.iloc[:-1]) != base


def test_check_bars_rejects_wrong_dtype():
    bars = synthetic_market(n_symbols=2, n_bars=5).bars.astype({"volume": "int64"})
    with pytest.raises(ValueError, match="float64"):
        check_bars(bars)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    base=st.floats(min_value=1e-3, max_value=1e6),
    steps=st.lists(st.floats(min_value=0.9, max_value=1.1), min_size=1, max_size=8),
)
def test_csv_round_trip_any_float_bits_exact(tmp_path, base, steps):
    p = base * np.cumprod(steps)  # arbitrary float bits, no rule triggered
    stamps = pd.date_range("2024-01-01", periods=len(p), freq="D", tz="UTC", name="timestamp")
    bars = pd.DataFrame(
        {"open": p, "high": p * 1.01, "low": p * 0.99, "close": p, "volume": p * 3.0},
        index=stamps.as_unit("ns"),
    )
    path = write_ohlcv_csv(bars, tmp_path / "h.csv")
    back = load_ohlcv_csv(path, asset_class="crypto")
    np.testing.assert_array_equal(back.to_numpy(), bars.to_numpy())
    assert back.index.equals(bars.index)
