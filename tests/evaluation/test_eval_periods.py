from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.data.synthetic import synthetic_market
from alphafactory.evaluation import infer_periods_per_year


def _intraday(start: str, end: str, freq: str, days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    first, last = pd.Timedelta(f"{start}:00"), pd.Timedelta(f"{end}:00")
    stamps = [pd.date_range(d + first, d + last, freq=freq) for d in days]
    return pd.DatetimeIndex([t for day in stamps for t in day], name="timestamp")


def test_infer_periods_weekday_daily_is_252():
    index = pd.bdate_range("2021-01-04", periods=300, tz="UTC", name="timestamp")
    assert infer_periods_per_year(index) == 252.0


def test_infer_periods_seven_day_daily_is_365():
    index = pd.date_range("2021-01-01", periods=400, freq="D", tz="UTC")
    assert infer_periods_per_year(index) == 365.0


def test_infer_periods_weekly_and_monthly_snap_to_calendar():
    weekly = pd.date_range("2015-01-02", periods=200, freq="W-FRI", tz="UTC")
    monthly = pd.date_range("2015-01-31", periods=60, freq="ME", tz="UTC")
    assert infer_periods_per_year(weekly) == 52.0
    assert infer_periods_per_year(monthly) == 12.0


def test_infer_periods_equity_five_minute_bars_multiply_session():
    # Bar ends 14:35 .. 21:00 UTC (the 09:30-16:00 New York session in winter): 78 bars a day.
    days = pd.bdate_range("2022-03-01", periods=5, tz="UTC")
    index = _intraday("14:35", "21:00", "5min", days)
    assert infer_periods_per_year(index) == 252.0 * 78


def test_infer_periods_crypto_hourly_bars_is_24_times_365():
    index = pd.date_range("2022-01-01 01:00", periods=24 * 14, freq="h", tz="UTC")
    assert infer_periods_per_year(index) == 365.0 * 24


def test_infer_periods_panel_index_uses_unique_timestamps():
    stamps = pd.bdate_range("2021-01-04", periods=30, tz="UTC")
    index = pd.MultiIndex.from_product([stamps, ["A", "B"]], names=["timestamp", "symbol"])
    assert infer_periods_per_year(pd.Series(0.0, index=index)) == 252.0


@pytest.mark.parametrize(
    "index",
    [pd.RangeIndex(10), pd.DatetimeIndex(["2021-01-04"], tz="UTC")],
)
def test_infer_periods_unusable_index_raises(index):
    with pytest.raises(ValueError, match="periods_per_year"):
        infer_periods_per_year(index)


def test_infer_periods_hourly_bars_with_short_last_bar_count_seven():
    # 15:30 .. 20:30 full hours plus the 21:00 close: 7 bars of a 6.5-hour session
    days = pd.bdate_range("2022-03-01", periods=5, tz="UTC")
    index = _intraday("15:30", "20:30", "h", days).append(
        pd.DatetimeIndex(days + pd.Timedelta(hours=21))
    )
    assert infer_periods_per_year(index.sort_values()) == 252.0 * 7


def test_infer_periods_synthetic_intraday_market_matches_its_session():
    bars = synthetic_market(2, 200, freq="30min").bars
    assert infer_periods_per_year(bars.index) == 252.0 * 13


@pytest.mark.parametrize(
    ("freq", "calendar", "expected"),
    [
        ("15min", "XNYS", 26 * 252),
        ("1min", "XNYS", 390 * 252),
        ("1h", "XNYS", 7 * 252),
        ("1h", "24/7", 24 * 365),
        ("1D", "24/7", 365),
        ("1D", "XNYS", 252),
    ],
)
def test_infer_periods_from_calendar_is_sessions_times_bars_per_session(freq, calendar, expected):
    n = {"15min": 26 * 30, "1min": 390 * 3, "1h": 24 * 20, "1D": 300}[freq]
    bars = synthetic_market(2, n, freq=freq, calendar=calendar, start="2024-06-20").bars
    assert infer_periods_per_year(bars.index, calendar=calendar) == float(expected)


def test_infer_periods_calendar_ignores_early_closes_and_missing_bars():
    # Thanksgiving week 2024: a holiday and a 13:00 close, and a few bars missing
    bars = synthetic_market(2, 26 * 6, freq="15min", calendar="XNYS", start="2024-11-25").bars
    stamps = bars.index.get_level_values("timestamp").unique()
    thinned = stamps.delete([3, 4, 40, 41, 42])
    assert infer_periods_per_year(thinned, calendar="XNYS") == 26.0 * 252
