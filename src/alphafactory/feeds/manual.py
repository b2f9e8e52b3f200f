"""``ManualFeed``: bars pushed by the caller (tests, benchmarks, a bridge from another process)."""

from __future__ import annotations

import asyncio
import time

import pandas as pd

from alphafactory.feeds.base import BarEvent, BarFeed, FeedError

__all__ = ["ManualFeed"]


class ManualFeed(BarFeed):
    """A feed whose bars arrive through :meth:`push`; :meth:`finish` ends it.

    Parameters
    ----------
    history : DataFrame
        Bars known at the start, a ``(timestamp, symbol)`` panel.
    interval : Timedelta
        Bar length.
    """

    def __init__(self, history: pd.DataFrame, interval: pd.Timedelta | str = "1D") -> None:
        self._history = history
        self._interval = pd.Timedelta(interval)
        self._queue: asyncio.Queue[BarEvent | None] = asyncio.Queue()
        stamps = history.index.get_level_values(0)
        self._last: pd.Timestamp | None = stamps.max() if len(stamps) else None
        self._pushed_at = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def interval(self) -> pd.Timedelta:
        return self._interval

    def history(self) -> pd.DataFrame:
        return self._history

    def push(self, bars: pd.DataFrame, received_at: float | None = None) -> BarEvent:
        """Queue the bars of one new timestamp (from any thread).

        Raises
        ------
        FeedError
            When ``bars`` hold several timestamps or one not after the last pushed.
        """
        stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
        if len(stamps) != 1:
            raise FeedError(f"push() takes the bars of one timestamp; got {len(stamps)}.")
        if self._last is not None and stamps[0] <= self._last:
            raise FeedError(f"pushed bar {stamps[0]} is not after the last one ({self._last}).")
        self._last = stamps[0]
        self._pushed_at = time.monotonic()
        event = BarEvent(timestamp=stamps[0], bars=bars,
                         received_at=time.time() if received_at is None else received_at)
        self._put(event)
        return event

    def _put(self, event: BarEvent | None) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            loop.call_soon_threadsafe(self._queue.put_nowait, event)
        else:
            self._queue.put_nowait(event)

    def finish(self) -> None:
        """End the feed: :meth:`next_event` returns None once the queued bars are taken."""
        self._put(None)

    async def next_event(self) -> BarEvent | None:
        self._loop = asyncio.get_running_loop()
        return await self._queue.get()

    def lag(self, last: pd.Timestamp | None) -> float:
        if last is None:
            return float("inf")
        if self._last is None or last >= self._last:
            return 0.0
        return 1.0 + (time.monotonic() - self._pushed_at) / self._interval.total_seconds()
