"""ReplayFeed: history then bars in order at a chosen speed; ManualFeed's checks."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.feeds import FeedError, ManualFeed, ReplayConfig, ReplayFeed, bar_interval


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_market(n_symbols=3, n_bars=30, seed=2).bars


def drain(feed) -> list:
    async def run():
        out = []
        while (event := await asyncio.wait_for(feed.next_event(), 10)) is not None:
            out.append(event)
        return out

    return asyncio.run(run())


def test_replay_gives_history_then_every_later_bar_once(bars):
    stamps = bars.index.get_level_values(0).unique()
    feed = ReplayFeed(bars, ReplayConfig(start=20, bars_per_second=0))
    history = feed.history()
    assert history.index.get_level_values(0).max() == stamps[19]
    events = drain(feed)
    assert [e.timestamp for e in events] == list(stamps[20:])
    pd.testing.assert_frame_equal(pd.concat([history, *[e.bars for e in events]]), bars)


def test_replay_loop_restamps_forward(bars):
    stamps = bars.index.get_level_values(0).unique()
    feed = ReplayFeed(bars, ReplayConfig(start=-2, bars_per_second=0, loop=True))

    async def take(n):
        return [await feed.next_event() for _ in range(n)]

    events = asyncio.run(take(5))
    times = [e.timestamp for e in events]
    assert times[:2] == list(stamps[-2:]) and times == sorted(times) and len(set(times)) == 5
    assert events[2].bars["close"].tolist() == bars.xs(stamps[0], level=0)["close"].tolist()


def test_replay_lag_follows_the_replay_clock(bars):
    feed = ReplayFeed(bars, ReplayConfig(start=10, bars_per_second=1000.0))
    assert feed.lag(feed.history().index.get_level_values(0).max()) == 0.0  # not started
    events = drain(feed)
    assert feed.lag(events[-1].timestamp) == 0.0  # the clock stops at the last bar
    assert feed.lag(events[0].timestamp) >= len(events) - 1


@pytest.mark.parametrize("config", [dict(start=0), dict(bars_per_second=-1.0),
                                    dict(bars_per_second=float("inf"))])  # fmt: skip
def test_replay_bad_config_is_an_error(config):
    with pytest.raises(FeedError):
        ReplayConfig(**config)


def test_replay_start_beyond_the_data_is_an_error(bars):
    with pytest.raises(FeedError, match="leaves no bars to replay"):
        ReplayFeed(bars, ReplayConfig(start=30))


def test_bar_interval_is_daily_across_weekends(bars):
    assert bar_interval(bars) == pd.Timedelta(days=1)
    intraday = synthetic_market(n_symbols=2, n_bars=60, seed=0, freq="15min").bars
    assert bar_interval(intraday) == pd.Timedelta(minutes=15)


def test_manual_feed_refuses_old_or_mixed_bars(bars):
    stamps = bars.index.get_level_values(0).unique()
    feed = ManualFeed(bars[bars.index.get_level_values(0) < stamps[5]])
    with pytest.raises(FeedError, match="not after"):
        feed.push(bars.xs(stamps[4], level=0, drop_level=False))
    with pytest.raises(FeedError, match="one timestamp"):
        feed.push(bars[bars.index.get_level_values(0).isin(stamps[5:7])])
    feed.push(bars.xs(stamps[5], level=0, drop_level=False))
    assert feed.lag(stamps[5]) == 0.0 and feed.lag(stamps[4]) >= 1.0
