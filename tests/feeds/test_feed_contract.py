"""The BarFeed contract, run over every implementation."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.feeds import (
    BarFeed,
    ManualFeed,
    ReplayConfig,
    ReplayFeed,
    YFinanceConfig,
    YFinancePollFeed,
)

from .conftest import Clock, daily

N_EVENTS = 3


def market_bars() -> pd.DataFrame:
    return synthetic_market(n_symbols=4, n_bars=40, seed=1).bars


def make_replay(request) -> BarFeed:
    return ReplayFeed(market_bars(), ReplayConfig(start=-N_EVENTS, bars_per_second=0))


def make_manual(request) -> BarFeed:
    bars = market_bars()
    stamps = bars.index.get_level_values(0).unique()
    feed = ManualFeed(bars[bars.index.get_level_values(0) < stamps[-N_EVENTS]])
    for stamp in stamps[-N_EVENTS:]:
        feed.push(bars.xs(stamp, level=0, drop_level=False))
    feed.finish()
    return feed


def make_yfinance(request) -> BarFeed:
    _, responses = request.getfixturevalue("fake_yf")
    responses[("AAPL", "1d")] = daily("AAPL", 3)
    clock = Clock("2024-01-04 22:00")
    feed = YFinancePollFeed(YFinanceConfig(symbols=("AAPL",), start="2024-01-02",
                                           poll_seconds=0.01), now=clock)  # fmt: skip
    feed.history()  # downloaded once: the contract test gets these bars again
    responses[("AAPL", "1d")] = daily("AAPL", 6)
    clock.now = pd.Timestamp("2024-01-09 22:00", tz="UTC")
    return feed


@pytest.fixture(params=[make_replay, make_manual, make_yfinance], ids=["replay", "manual",
                                                                        "yfinance"])  # fmt: skip
def feed(request) -> BarFeed:
    return request.param(request)


def test_feed_contract(feed):
    history = feed.history()
    assert isinstance(history.index, pd.MultiIndex) and not history.empty
    assert list(history.index.names) == ["timestamp", "symbol"]
    assert feed.interval > pd.Timedelta(0)
    assert feed.lag(None) == float("inf")
    last = history.index.get_level_values(0).max()

    async def take():
        events = []
        for _ in range(N_EVENTS):
            event = await asyncio.wait_for(feed.next_event(), 10)
            if event is None:
                break
            events.append(event)
        return events

    events = asyncio.run(take())
    assert len(events) == N_EVENTS
    for event in events:
        assert event.timestamp > last
        assert set(event.bars.index.get_level_values(0)) == {event.timestamp}
        assert set(event.bars.columns) >= {"open", "high", "low", "close", "volume"}
        assert isinstance(event.received_at, float)
        last = event.timestamp
    assert feed.lag(last) <= 1.5
    feed.close()
