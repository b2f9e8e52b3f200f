"""Trades into bars: exchange-time buckets stamped at their end, the first partial bar skipped,
gap flags, late trades dropped or amended, incremental == batch for any in-order trades, and
the BarFeed over a replayed trade file."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.feeds import BarFeed, FeedError
from alphafactory.feeds.trade_bars import (
    Trade,
    TradeBarAggregator,
    TradeBarFeed,
    bars_to_frame,
    read_trades,
    replay_trades,
    trades_to_bars,
)

T0 = pd.Timestamp("2024-01-02T14:30:00Z")


def _t(seconds: float, symbol: str = "AAA", price: float = 10.0, size: float = 1.0) -> Trade:
    return Trade(ts=T0 + pd.Timedelta(seconds=seconds), symbol=symbol, price=price, size=size)


def _frame(trades: list[Trade]) -> pd.DataFrame:
    return pd.DataFrame({"timestamp": pd.DatetimeIndex([t.ts for t in trades]),
                         "symbol": [t.symbol for t in trades],
                         "price": [t.price for t in trades], "size": [t.size for t in trades]})


def _run(agg: TradeBarAggregator, trades: list[Trade]) -> list:
    return [bar for trade in trades for bar in agg.add(trade)]


def test_trade_bars_bucket_on_exchange_time_stamped_at_the_end_first_skipped():
    agg = TradeBarAggregator("1min")
    trades = [_t(30, price=9.0), _t(61, price=10.0, size=2), _t(90, price=12.0),
              _t(100, price=11.0, size=3), _t(121, price=11.5)]
    bars = _run(agg, trades)
    (bar,) = bars  # 14:30 bucket (first, partial) skipped; 14:31 closed by the 14:32 trade
    assert bar.timestamp == pd.Timestamp("2024-01-02T14:32:00Z")
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.trades) == (
        10.0, 12.0, 10.0, 11.0, 6.0, 3)
    assert not bar.gap and bar.revision == 0
    assert agg.advance(pd.Timestamp("2024-01-02T14:32:59Z")) == []  # still open
    (last,) = agg.advance(pd.Timestamp("2024-01-02T14:33:00Z"))  # a watermark closes it
    assert last.timestamp == pd.Timestamp("2024-01-02T14:33:00Z") and last.close == 11.5


def test_trade_bars_gap_flag_instead_of_flat_bars():
    agg = TradeBarAggregator("1min")
    bars = _run(agg, [_t(0), _t(60, "AAA", 10.0), _t(61, "BBB", 20.0), _t(200, "AAA", 11.0)])
    frame = bars_to_frame(bars)
    assert list(frame.index.get_level_values("timestamp").unique()) == [
        T0 + pd.Timedelta(minutes=2), T0 + pd.Timedelta(minutes=3)]
    gap = frame.loc[(T0 + pd.Timedelta(minutes=3), "BBB")]
    assert gap["gap"] and np.isnan(gap["close"]) and gap["volume"] == 0 and gap["trades"] == 0
    assert not frame.loc[(T0 + pd.Timedelta(minutes=2), "BBB")]["gap"]


def test_trade_bars_late_trade_dropped_by_default_and_counted():
    agg = TradeBarAggregator("1min")
    _run(agg, [_t(0), _t(60), _t(125)])
    assert agg.add(_t(70, price=99.0)) == [] and agg.late_dropped == 1


def test_trade_bars_late_trade_amends_the_closed_bar_with_a_revision():
    agg = TradeBarAggregator("1min", late="amend")
    (bar,) = _run(agg, [_t(0), _t(65, price=10.0), _t(110, price=10.5), _t(125)])
    (amended,) = agg.add(_t(61, price=9.0, size=4))  # earlier than the bar's first trade
    assert amended.timestamp == bar.timestamp and amended.revision == 1
    assert (amended.open, amended.low, amended.close, amended.volume) == (9.0, 9.0, 10.5, 6.0)
    assert agg.add(_t(5)) == [] and agg.late_dropped == 1  # the skipped first bucket
    assert agg.late_amended == 1


def test_trade_bars_reject_naive_timestamps_and_bad_settings():
    with pytest.raises(FeedError, match="timezone-aware"):
        TradeBarAggregator("1min").add(Trade(ts=pd.Timestamp("2024-01-02 14:30"), symbol="A",
                                             price=1.0, size=1.0))
    with pytest.raises(FeedError, match="late"):
        TradeBarAggregator("1min", late="keep")


trade_lists = st.lists(
    st.tuples(st.integers(0, 40_000), st.sampled_from(["AAA", "BBB", "CCC"]),
              st.integers(1, 5_000), st.integers(1, 500)),
    min_size=1, max_size=80)


@settings(max_examples=100, deadline=None)
@given(raw=trade_lists, interval=st.sampled_from(["1s", "15s", "1min", "7min"]),
       flush=st.booleans())
def test_trade_bars_incremental_equals_batch_for_any_in_order_trades(raw, interval, flush):
    raw = sorted(raw, key=lambda r: r[0])  # in order; ties keep their arrival order
    trades = [Trade(ts=T0 + pd.Timedelta(milliseconds=ms), symbol=s, price=p / 100, size=n)
              for ms, s, p, n in raw]
    agg = TradeBarAggregator(interval)
    bars = _run(agg, trades)
    until = trades[-1].ts + pd.Timedelta(interval) if flush else None
    if until is not None:
        bars += agg.advance(until)
    expected = trades_to_bars(_frame(trades), interval, until=until)
    pd.testing.assert_frame_equal(bars_to_frame(bars), expected)


def test_trade_bar_feed_replays_a_recorded_trade_file(tmp_path):
    rng = np.random.default_rng(0)
    ms = np.sort(rng.integers(0, 10 * 60_000, 400))
    trades = pd.DataFrame({
        "timestamp": (T0 + pd.to_timedelta(ms, unit="ms")).strftime("%Y-%m-%dT%H:%M:%S.%f%z"),
        "symbol": rng.choice(["AAA", "BBB"], 400), "price": 10 + rng.normal(0, 0.1, 400).cumsum(),
        "size": rng.integers(1, 100, 400)})
    path = tmp_path / "trades.csv"
    trades.to_csv(path, index=False)
    recorded = read_trades(path)
    feed = TradeBarFeed(replay_trades(recorded), TradeBarAggregator("1min"),
                        until=T0 + pd.Timedelta(minutes=10))
    assert isinstance(feed, BarFeed) and feed.interval == pd.Timedelta("1min")
    assert feed.lag(None) == float("inf")

    async def drain() -> list:
        events = []
        while (event := await feed.next_event()) is not None:
            events.append(event)
        return events

    events = asyncio.run(drain())
    stamps = [e.timestamp for e in events]
    assert stamps == [T0 + pd.Timedelta(minutes=k) for k in range(2, 11)]  # first skipped
    batch = trades_to_bars(recorded, "1min", until=T0 + pd.Timedelta(minutes=10))
    got = pd.concat([e.bars for e in events])
    pd.testing.assert_frame_equal(got, batch[~batch["gap"]][got.columns])
    assert feed.lag(stamps[-1]) == 0.0
    with pytest.raises(FeedError, match="does not exist"):
        read_trades(tmp_path / "missing.csv")


def test_alpaca_trade_source_turns_stream_trades_into_trades_offline():
    pytest.importorskip("alpaca")
    from alphafactory.feeds import AlpacaTradeSource

    source = AlpacaTradeSource("PKX", "secret", ["AAPL"])  # never started: no connection
    from alpaca.data.models import Trade as AlpacaTrade  # after the source silenced websockets

    raw = AlpacaTrade("AAPL", {"t": "2024-01-02T14:31:00.5Z", "x": "V", "p": 185.5, "s": 40,
                               "c": ["@"], "i": 1, "z": "C"})
    asyncio.run(source._on_trade(raw))
    source.close()
    trade = source._queue.get_nowait()
    assert trade == Trade(ts=pd.Timestamp("2024-01-02T14:31:00.5Z"), symbol="AAPL",
                          price=185.5, size=40.0)
    assert source._queue.get_nowait() is None
