"""Trades into time bars: an incremental aggregator, the batch function it must agree with, and
a :class:`BarFeed` over a stream of trades.

Rules (the same in :class:`TradeBarAggregator` and :func:`trades_to_bars`):

- Buckets are ``[start, start + interval)`` on the trades' exchange timestamps, aligned to the
  Unix epoch (a 1-minute bar is 14:31:00 to 14:32:00 UTC), never on the local clock. A bar is
  stamped with its END, the time at which it is known.
- The bucket of the first thing observed (a trade, or a watermark) is partial and skipped.
- Once a symbol has traded, every later closed bucket gives it a bar; an interval without
  trades gives a bar with ``gap=True``, NaN prices and volume 0, never a flat bar.
- A bucket closes when a trade from a later bucket arrives (of any symbol: exchange time has
  moved on) or when :meth:`TradeBarAggregator.advance` passes a watermark at or after its end.
- A late trade (its bucket already closed) is dropped and counted (``late="drop"``, the
  default), or (``late="amend"``) folded into its bar, which is emitted again with
  ``revision`` increased, while it is one of the symbol's last ``amend_window`` bars.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.feeds.base import BarEvent, BarFeed, FeedError

__all__ = [
    "LatePolicy",
    "Trade",
    "TradeBar",
    "TradeBarAggregator",
    "TradeBarFeed",
    "bars_to_frame",
    "read_trades",
    "replay_trades",
    "trades_to_bars",
]

LatePolicy = Literal["drop", "amend"]
BAR_COLUMNS = ["open", "high", "low", "close", "volume", "trades", "gap", "revision"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Trade:
    """One print: ``size`` shares of ``symbol`` at ``price``, exchange time ``ts`` (UTC)."""

    ts: pd.Timestamp
    symbol: str
    price: float
    size: float


@dataclass(frozen=True, kw_only=True, slots=True)
class TradeBar:
    """The bar of ``symbol`` for the bucket ending at ``timestamp``; ``gap`` when nothing
    traded (prices NaN), ``revision`` > 0 when a late trade amended it."""

    timestamp: pd.Timestamp
    symbol: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int
    gap: bool = False
    revision: int = 0


@dataclass(slots=True)
class _Acc:
    """A bar being built, with the exchange times of its first and last trade (ns)."""

    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int
    first_ns: int
    last_ns: int

    def add(self, ns: int, price: float, size: float) -> None:
        if ns < self.first_ns:
            self.open, self.first_ns = price, ns
        if ns >= self.last_ns:
            self.close, self.last_ns = price, ns
        self.high, self.low = max(self.high, price), min(self.low, price)
        self.volume += size
        self.trades += 1


def _new_acc(ns: int, price: float, size: float) -> _Acc:
    return _Acc(price, price, price, price, size, 1, ns, ns)


def _ns(ts: pd.Timestamp) -> int:
    ts = pd.Timestamp(ts)
    if ts.tz is None:
        raise FeedError(f"trade timestamps must be timezone-aware (exchange time), got {ts}.")
    return ts.value


class TradeBarAggregator:
    """Build time bars from trades incrementally (see the module doc for the rules).

    Parameters
    ----------
    interval : Timedelta or str
        Bar length, e.g. ``"1min"``.
    late : {"drop", "amend"}
        What a trade of an already closed bucket does.
    amend_window : int
        How many of a symbol's last bars a late trade may still amend.
    """

    def __init__(self, interval: pd.Timedelta | str, *, late: LatePolicy = "drop",
                 amend_window: int = 5) -> None:
        self.interval = pd.Timedelta(interval)
        if self.interval <= pd.Timedelta(0):
            raise FeedError(f"interval must be positive, got {interval}.")
        if late not in ("drop", "amend"):
            raise FeedError(f"late must be 'drop' or 'amend', got {late!r}.")
        self.late, self.amend_window = late, amend_window
        self._step = self.interval.value
        self._origin: int | None = None  # start of the skipped first bucket (ns)
        self._open: int | None = None  # start of the bucket still open (ns)
        self._building: dict[str, _Acc] = {}
        self._known: list[str] = []  # symbols that have traded, in order of first trade
        self._recent: dict[str, deque[tuple[int, _Acc | None, TradeBar]]] = {}
        self.late_dropped = 0
        self.late_amended = 0

    @property
    def watermark(self) -> pd.Timestamp | None:
        """Start of the open bucket: every bar ending at or before it has been emitted."""
        return None if self._open is None else pd.Timestamp(self._open, tz="UTC")

    def add(self, trade: Trade) -> list[TradeBar]:
        """Take one trade; the bars it closes (or the amended bar), oldest first."""
        ns = _ns(trade.ts)
        bucket = ns - ns % self._step
        out = self._close_before(bucket)
        if bucket < self._open:
            return out + self._late(trade.symbol, bucket, ns, trade)
        acc = self._building.get(trade.symbol)
        if acc is None:
            self._building[trade.symbol] = _new_acc(ns, float(trade.price), float(trade.size))
            if trade.symbol not in self._recent:
                self._known.append(trade.symbol)
                self._recent[trade.symbol] = deque(maxlen=max(self.amend_window, 1))
        else:
            acc.add(ns, float(trade.price), float(trade.size))
        return out

    def advance(self, watermark: pd.Timestamp) -> list[TradeBar]:
        """Close every bucket that ends at or before ``watermark`` (exchange time)."""
        ns = _ns(watermark)
        return self._close_before(ns - ns % self._step)

    def _close_before(self, bucket: int) -> list[TradeBar]:
        if self._open is None:
            self._origin = self._open = bucket
            return []
        out: list[TradeBar] = []
        while self._open < bucket:
            start = self._open
            end = pd.Timestamp(start + self._step, tz="UTC")
            for symbol in self._known:
                acc = self._building.pop(symbol, None)
                if start == self._origin:
                    continue  # the first bucket is partial
                bar = _bar(end, symbol, acc)
                self._recent[symbol].append((start, acc, bar))
                out.append(bar)
            self._building.clear()
            # jump over buckets where no symbol is known yet, else one bucket at a time
            self._open = start + self._step if self._known else bucket
        return out

    def _late(self, symbol: str, bucket: int, ns: int, trade: Trade) -> list[TradeBar]:
        recent = self._recent.get(symbol, ())
        slot = next((k for k, (start, _, _) in enumerate(recent) if start == bucket), None)
        if self.late == "drop" or slot is None:
            self.late_dropped += 1
            return []
        _, acc, bar = recent[slot]
        if acc is None:
            acc = _new_acc(ns, float(trade.price), float(trade.size))
        else:
            acc.add(ns, float(trade.price), float(trade.size))
        amended = replace(_bar(bar.timestamp, symbol, acc), revision=bar.revision + 1)
        recent[slot] = (bucket, acc, amended)
        self.late_amended += 1
        return [amended]


def _bar(end: pd.Timestamp, symbol: str, acc: _Acc | None) -> TradeBar:
    if acc is None:
        return TradeBar(timestamp=end, symbol=symbol, open=math.nan, high=math.nan,
                        low=math.nan, close=math.nan, volume=0.0, trades=0, gap=True)
    return TradeBar(timestamp=end, symbol=symbol, open=acc.open, high=acc.high, low=acc.low,
                    close=acc.close, volume=acc.volume, trades=acc.trades)


def bars_to_frame(bars: Iterable[TradeBar]) -> pd.DataFrame:
    """Bars as a ``(timestamp, symbol)`` panel with columns ``open high low close volume
    trades gap revision``, sorted; a later revision of a bar replaces the earlier one."""
    rows = {(b.timestamp, b.symbol): b for b in bars}
    index = pd.MultiIndex.from_tuples(sorted(rows), names=["timestamp", "symbol"])
    frame = pd.DataFrame([[getattr(rows[k], c) for c in BAR_COLUMNS] for k in index],
                         index=index, columns=BAR_COLUMNS)
    return frame.astype({"open": float, "high": float, "low": float, "close": float,
                         "volume": float, "trades": np.int64, "gap": bool,
                         "revision": np.int64})


def trades_to_bars(trades: pd.DataFrame, interval: pd.Timedelta | str, *,
                   until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The bars of ``trades`` in one vectorized pass (the reference for the aggregator).

    Parameters
    ----------
    trades : DataFrame
        Columns ``timestamp`` (tz-aware), ``symbol``, ``price``, ``size``, in arrival order.
    interval : Timedelta or str
        Bar length.
    until : Timestamp, optional
        A watermark: buckets ending at or before it are closed. Without it the bucket of the
        last trade is still open and left out.

    Returns
    -------
    DataFrame
        The panel of :func:`bars_to_frame` (``revision`` 0 everywhere).
    """
    step = pd.Timedelta(interval).value
    ns = pd.DatetimeIndex(trades["timestamp"]).tz_convert("UTC").as_unit("ns").asi8
    start = ns - ns % step
    if len(ns) == 0:
        return bars_to_frame([])
    origin = int(start[0])
    last_open = int(start.max()) if until is None else _ns(until) - _ns(until) % step
    frame = pd.DataFrame({"start": start, "symbol": trades["symbol"].to_numpy(),
                          "price": trades["price"].to_numpy(float),
                          "size": trades["size"].to_numpy(float)})
    first_seen = frame.groupby("symbol", sort=False)["start"].min()
    kept = frame[(frame["start"] > origin) & (frame["start"] < last_open)]
    agg = kept.groupby(["start", "symbol"], sort=False).agg(
        open=("price", "first"), high=("price", "max"), low=("price", "min"),
        close=("price", "last"), volume=("size", "sum"), trades=("price", "size"))
    starts = np.arange(origin + step, last_open, step, dtype=np.int64)
    full = pd.MultiIndex.from_tuples(
        [(s, sym) for s in starts for sym, first in first_seen.items() if first <= s],
        names=["start", "symbol"])
    out = agg.reindex(full)
    out["volume"] = out["volume"].fillna(0.0)
    out["gap"] = out["trades"].isna()
    out["trades"] = out["trades"].fillna(0).astype(np.int64)
    out["revision"] = 0
    stamps = pd.DatetimeIndex(out.index.get_level_values("start") + step, tz="UTC")
    out.index = pd.MultiIndex.from_arrays([stamps, out.index.get_level_values("symbol")],
                                          names=["timestamp", "symbol"])
    return bars_to_frame([]) if out.empty else out[BAR_COLUMNS].sort_index().astype(
        bars_to_frame([]).dtypes.to_dict())


def read_trades(path: str | Path) -> pd.DataFrame:
    """A recorded trade file (CSV or Parquet; columns ``timestamp symbol price size``,
    timestamps ISO 8601 with an offset), in file order."""
    path = Path(path)
    if not path.is_file():
        raise FeedError(f"trade file {path} does not exist.")
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = {"timestamp", "symbol", "price", "size"} - set(frame.columns)
    if missing:
        raise FeedError(f"{path}: missing columns {sorted(missing)}.")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame


async def replay_trades(trades: pd.DataFrame) -> AsyncIterator[Trade]:
    """The rows of a trade frame as :class:`Trade` values (no pacing)."""
    for row in trades.itertuples(index=False):
        yield Trade(ts=row.timestamp, symbol=row.symbol, price=row.price, size=row.size)


class TradeBarFeed(BarFeed):
    """A :class:`BarFeed` of bars built from a trade stream by a :class:`TradeBarAggregator`.

    Each :class:`BarEvent` holds the bars of one closed bucket for the symbols that traded in
    it (gap bars only with ``include_gaps``; they carry the ``gap`` column). Amended bars
    (``late="amend"``) cannot be new events: they are appended to :attr:`revisions`.

    Parameters
    ----------
    trades : async iterable of Trade
        The source: :func:`replay_trades` of a recorded file offline, or
        :func:`alphafactory.feeds.alpaca_stream.alpaca_trades` live.
    aggregator : TradeBarAggregator
        The bar rules (interval, late policy).
    history : DataFrame, optional
        Bars known at the start.
    until : Timestamp, optional
        A final watermark applied when the source ends (closes the last bucket).
    """

    def __init__(self, trades: AsyncIterator[Trade], aggregator: TradeBarAggregator, *,
                 history: pd.DataFrame | None = None, until: pd.Timestamp | None = None,
                 include_gaps: bool = False) -> None:
        self._trades, self.aggregator = trades, aggregator
        self._history = history if history is not None else bars_to_frame([]).iloc[:, :5]
        self._until, self._include_gaps = until, include_gaps
        self._pending: deque[TradeBar] = deque()
        self._done = False
        self.revisions: list[TradeBar] = []

    @property
    def interval(self) -> pd.Timedelta:
        return self.aggregator.interval

    def history(self) -> pd.DataFrame:
        return self._history

    async def next_event(self) -> BarEvent | None:
        while True:
            event = self._pop_event()
            if event is not None:
                return event
            if self._done:
                return None
            try:
                trade = await anext(self._trades)
            except StopAsyncIteration:
                self._done = True
                if self._until is not None:
                    self._take(self.aggregator.advance(self._until))
                continue
            self._take(self.aggregator.add(trade))

    def _take(self, bars: list[TradeBar]) -> None:
        for bar in bars:
            (self.revisions if bar.revision else self._pending).append(bar)

    def _pop_event(self) -> BarEvent | None:
        while self._pending:  # the aggregator emits whole buckets
            stamp = self._pending[0].timestamp
            group = []
            while self._pending and self._pending[0].timestamp == stamp:
                group.append(self._pending.popleft())
            shown = [b for b in group if self._include_gaps or not b.gap]
            if shown:
                frame = bars_to_frame(shown)
                columns = list(frame.columns) if self._include_gaps else BAR_COLUMNS[:6]
                return BarEvent(timestamp=stamp, bars=frame[columns], received_at=time.time())
        return None

    def lag(self, last: pd.Timestamp | None) -> float:
        mark = self.aggregator.watermark
        if last is None:
            return math.inf
        if mark is None:
            return 0.0
        return max((mark - last) / self.interval, 0.0)

    def close(self) -> None:
        """Close the trade source when it can be closed (a live stream's thread)."""
        closer = getattr(self._trades, "close", None)
        if callable(closer):
            closer()
