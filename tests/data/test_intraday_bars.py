"""Intraday bars end to end: the XNYS bar grid (DST, holidays, early closes), synthetic intraday
markets on it, validation of gaps, files in local time, and periods_per_year."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.data import synthetic_market, validate_ohlcv
from alphafactory.data.calendars import bar_stamps, regular_bars_per_session, session_dates
from alphafactory.data.sources import load_bars
from alphafactory.evaluation import infer_periods_per_year

FIFTEEN = pd.Timedelta("15min")


def test_bar_grid_follows_dst_and_early_closes():
    grid = bar_stamps("XNYS", pd.Timestamp("2024-03-08"), pd.Timestamp("2024-03-11"), FIFTEEN)
    by_day = pd.Series(grid, index=session_dates(grid)).groupby(level=0)
    first = by_day.min()
    assert first[pd.Timestamp("2024-03-08", tz="UTC")] == pd.Timestamp("2024-03-08 14:45", tz="UTC")
    assert first[pd.Timestamp("2024-03-11", tz="UTC")] == pd.Timestamp("2024-03-11 13:45", tz="UTC")
    assert by_day.size().tolist() == [26, 26]  # no bars on the weekend
    friday = bar_stamps("XNYS", pd.Timestamp("2024-11-29"), pd.Timestamp("2024-11-29"), FIFTEEN)
    assert len(friday) == 14 and friday[-1] == pd.Timestamp("2024-11-29 18:00", tz="UTC")
    assert len(bar_stamps("XNYS", pd.Timestamp("2024-11-28"), pd.Timestamp("2024-11-28"),
                          FIFTEEN)) == 0  # Thanksgiving  # fmt: skip


@pytest.mark.parametrize(("step", "expected"), [("15min", 26), ("1min", 390), ("1h", 7),
                                                ("5min", 78)])  # fmt: skip
def test_regular_session_bar_counts(step, expected):
    assert regular_bars_per_session("XNYS", pd.Timedelta(step)) == expected


def test_synthetic_15min_market_on_xnys_validates_clean_across_dst_and_early_close():
    market = synthetic_market(3, 26 * 12, freq="15min", calendar="XNYS", start="2024-11-20",
                              seed=1, alpha_ic=0.1)  # fmt: skip
    report = validate_ohlcv(market.bars, calendar="XNYS")
    assert report.ok and len(report.issues) == 0
    stamps = market.bars.index.get_level_values("timestamp").unique()
    days = pd.Series(stamps, index=session_dates(stamps)).groupby(level=0).size()
    assert days[pd.Timestamp("2024-11-29", tz="UTC")] == 14  # 13:00 early close
    assert pd.Timestamp("2024-11-28", tz="UTC") not in days.index
    assert infer_periods_per_year(market.bars.index, calendar="XNYS") == 26 * 252


def test_intraday_validation_names_missing_bars_sessions_and_off_grid_bars():
    bars = synthetic_market(2, 26 * 4, freq="15min", calendar="XNYS", start="2024-03-07").bars
    stamps = bars.index.get_level_values("timestamp")
    day2 = session_dates(stamps) == pd.Timestamp("2024-03-08", tz="UTC")
    missing_bar = stamps == pd.Timestamp("2024-03-11 15:00", tz="UTC")
    broken = bars[~day2 & ~missing_bar]
    moved = {pd.Timestamp("2024-03-12 15:00", tz="UTC"): pd.Timestamp("2024-03-12 15:07", tz="UTC")}
    shifted = broken.rename(index=moved, level=0)
    issues = validate_ohlcv(shifted, calendar="XNYS").issues
    got = issues.groupby("rule")["timestamp"].apply(lambda s: sorted(set(s)))
    assert got["missing_session"] == [pd.Timestamp("2024-03-08", tz="UTC")]
    assert got["missing_bar"] == [pd.Timestamp("2024-03-11 15:00", tz="UTC"),
                                  pd.Timestamp("2024-03-12 15:00", tz="UTC")]  # fmt: skip
    assert got["non_session"] == [pd.Timestamp("2024-03-12 15:07", tz="UTC")]
    assert set(issues["symbol"]) == {"S0", "S1"}


def test_intraday_csv_in_new_york_time_loads_to_the_same_utc_bars(tmp_path):
    bars = synthetic_market(2, 26 * 6, freq="15min", calendar="XNYS", start="2024-03-06").bars
    flat = bars.reset_index()
    local = pd.DatetimeIndex(flat["timestamp"]).tz_convert("America/New_York").tz_localize(None)
    flat["timestamp"] = local.strftime("%m/%d/%Y %H:%M")
    flat.to_csv(tmp_path / "bars.csv", index=False)
    loaded = load_bars(str(tmp_path / "bars.csv"), date_format="%m/%d/%Y %H:%M",
                       tz="America/New_York")  # fmt: skip
    pd.testing.assert_index_equal(loaded.index, bars.index)
    wrong_zone = load_bars(str(tmp_path / "bars.csv"), date_format="%m/%d/%Y %H:%M",
                           on_error="drop")  # fmt: skip
    assert not wrong_zone.index.equals(bars.index)  # naive NY times read as UTC are off-grid


def test_synthetic_spec_with_intraday_freq_defaults_to_xnys():
    bars = load_bars("synthetic:n_symbols=4,n_bars=520,freq=15min,alpha_ic=0.1,seed=0")
    stamps = bars.index.get_level_values("timestamp")
    assert stamps[0] == pd.Timestamp("2010-01-04 14:45", tz="UTC")
    assert pd.Timestamp("2010-01-18", tz="UTC") not in set(session_dates(stamps))  # MLK day
    assert validate_ohlcv(bars, calendar="XNYS").ok
    assert infer_periods_per_year(bars.index, calendar="XNYS") == 6552.0


def test_synthetic_one_minute_bars_validate_and_annualize():
    bars = load_bars("synthetic:n_symbols=3,n_bars=1170,freq=1min,seed=2", start="2010-01-05")
    assert validate_ohlcv(bars, calendar="XNYS").ok
    assert infer_periods_per_year(bars.index, calendar="XNYS") == 390.0 * 252
    assert len(bars.index.get_level_values("timestamp").unique()) == 780  # 2 of the 3 sessions
