"""YFinancePollFeed on recorded yfinance responses and a fixed clock: only closed bars, each new
timestamp once, in order; lag counts closed sessions, not weekends."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from alphafactory.feeds import FeedError, YFinanceConfig, YFinancePollFeed

from .conftest import Clock, daily, intraday_15m


def test_daily_history_then_new_closed_session_only(fake_yf):
    calls, responses = fake_yf
    responses[("AAPL", "1d")] = daily("AAPL", 4)
    responses[("MSFT", "1d")] = daily("MSFT", 4, scale=2.0)
    clock = Clock("2024-01-05 22:00")  # Friday, after the 16:00 New York close
    feed = YFinancePollFeed(YFinanceConfig(symbols=("AAPL", "MSFT"), start="2024-01-02"),
                            now=clock)  # fmt: skip
    history = feed.history()
    assert history.index.names == ["timestamp", "symbol"]
    assert history.index.get_level_values(0).max() == pd.Timestamp("2024-01-05", tz="UTC")
    assert calls[0]["auto_adjust"] is True and calls[0]["start"] == "2024-01-02"
    # Tuesday 10:00 New York: Monday closed, Tuesday's bar is still forming
    responses[("AAPL", "1d")] = daily("AAPL", 6)
    responses[("MSFT", "1d")] = daily("MSFT", 6, scale=2.0)
    clock.now = pd.Timestamp("2024-01-09 15:00", tz="UTC")
    events = feed.poll()
    assert [e.timestamp for e in events] == [pd.Timestamp("2024-01-08", tz="UTC")]
    assert sorted(events[0].bars.index.get_level_values(1)) == ["AAPL", "MSFT"]
    msft = events[0].bars.xs("MSFT", level=1)["close"].iloc[0]
    assert msft == pytest.approx(2 * 184.730011)
    assert calls[-1]["start"] == "2023-12-31"  # five intervals before the last bar delivered
    assert feed.poll() == []  # nothing new: no event twice
    clock.now = pd.Timestamp("2024-01-09 22:00", tz="UTC")
    assert [e.timestamp for e in feed.poll()] == [pd.Timestamp("2024-01-09", tz="UTC")]


def test_daily_lag_counts_closed_sessions_not_weekends(fake_yf):
    clock = Clock("2024-01-07 12:00")  # Sunday
    feed = YFinancePollFeed(YFinanceConfig(symbols=("AAPL",), start="2024-01-02"), now=clock)
    friday = pd.Timestamp("2024-01-05", tz="UTC")
    assert feed.lag(friday) <= 1.0  # the market was closed since Friday's close
    clock.now = pd.Timestamp("2024-01-09 15:00", tz="UTC")
    assert feed.lag(pd.Timestamp("2024-01-08", tz="UTC")) < 1.5
    assert feed.lag(friday) > 1.5  # Monday closed and was not delivered
    assert feed.lag(None) == float("inf")


def test_intraday_bars_are_emitted_when_their_end_passes(fake_yf):
    _, responses = fake_yf
    responses[("AAPL", "15m")] = intraday_15m("AAPL")
    clock = Clock("2024-01-02 16:00")  # 11:00 New York
    feed = YFinancePollFeed(YFinanceConfig(symbols=("AAPL",), start="2024-01-02", interval="15m",
                                           poll_seconds=0.01), now=clock)  # fmt: skip
    history = feed.history()
    stamps = history.index.get_level_values(0)
    assert stamps.min() == pd.Timestamp("2024-01-02 14:45", tz="UTC")  # end of 09:30-09:45
    assert stamps.max() == pd.Timestamp("2024-01-02 16:00", tz="UTC")
    clock.now = pd.Timestamp("2024-01-02 16:40", tz="UTC")

    async def two_events():
        return [await asyncio.wait_for(feed.next_event(), 10) for _ in range(2)]

    events = asyncio.run(two_events())
    expected = pd.DatetimeIndex(["2024-01-02 16:15", "2024-01-02 16:30"], tz="UTC")
    assert [e.timestamp for e in events] == list(expected)
    assert feed.lag(events[-1].timestamp) < 1.5


def test_offline_history_is_one_clear_error(fake_yf):
    feed = YFinancePollFeed(YFinanceConfig(symbols=("AAPL",), start="2024-01-02"),
                            now=Clock("2024-01-05 22:00"))  # fmt: skip
    with pytest.raises(FeedError, match="no closed bars") as info:
        feed.history()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("bad", [{"symbols": ()}, {"poll_seconds": 0}, {"interval": "soon"}])
def test_bad_settings_are_errors(bad):
    settings = {"symbols": ("AAPL",), "start": "2024-01-02", **bad}
    with pytest.raises(FeedError):
        YFinanceConfig(**settings)
