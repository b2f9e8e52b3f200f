"""``ReplayFeed``: a stored data set replayed bar by bar at a chosen speed (offline; default)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.feeds.base import BarEvent, BarFeed, FeedError, bar_interval

__all__ = ["ReplayConfig", "ReplayFeed"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplayConfig:
    """How to replay bars.

    Attributes
    ----------
    start : int
        Timestamps given as history before the first replayed bar (at least 1; a server needs
        the model's ``warmup_bars``). Negative counts from the end: ``-200`` replays the last
        200 timestamps.
    bars_per_second : float
        Replay speed, bar timestamps per second of wall time; 0 replays as fast as the consumer
        takes them.
    loop : bool
        Start again after the last bar (bars are re-stamped forward so time keeps increasing).
    """

    start: int = -200
    bars_per_second: float = 1.0
    loop: bool = False

    def __post_init__(self) -> None:
        if not np.isfinite(self.bars_per_second) or self.bars_per_second < 0:
            raise FeedError(
                f"replay bars_per_second must be >= 0 (0 = as fast as consumed); "
                f"got {self.bars_per_second}."
            )
        if self.start == 0:
            raise FeedError("replay start must leave at least one timestamp of history.")


class ReplayFeed(BarFeed):
    """Replay ``bars`` (a ``(timestamp, symbol)`` panel): history first, then one bar at a time.

    Bars follow a fixed schedule from the first :meth:`next_event` call (the k-th replayed bar
    is due ``k / bars_per_second`` seconds later), so a slow consumer does not slow the replay
    clock: it falls behind it, which :meth:`lag` reports.
    """

    def __init__(self, bars: pd.DataFrame, config: ReplayConfig | None = None) -> None:
        self.config = config or ReplayConfig()
        if not isinstance(bars.index, pd.MultiIndex):
            raise FeedError("ReplayFeed needs a (timestamp, symbol) panel of bars.")
        self._bars = bars.sort_index()
        level = pd.DatetimeIndex(self._bars.index.get_level_values(0))
        self._stamps = pd.DatetimeIndex(level.unique())
        n = len(self._stamps)
        first = self.config.start if self.config.start > 0 else n + self.config.start
        if not 1 <= first < n:
            raise FeedError(
                f"replay start {self.config.start} leaves no bars to replay or no history "
                f"({n} timestamps in the data)."
            )
        self._first = first
        self._bounds = np.searchsorted(
            level.as_unit("ns").asi8, self._stamps.as_unit("ns").asi8, side="left")
        self._bounds = np.append(self._bounds, len(level))
        self._interval = bar_interval(self._bars)
        self._next = first  # position in the (possibly looped) sequence
        self._t0: float | None = None

    @property
    def interval(self) -> pd.Timedelta:
        return self._interval

    def history(self) -> pd.DataFrame:
        return self._bars.iloc[: self._bounds[self._first]]

    def _due(self, k: int) -> float:
        assert self._t0 is not None
        rate = self.config.bars_per_second
        return self._t0 + (k - self._first) / rate if rate > 0 else 0.0

    async def next_event(self) -> BarEvent | None:
        n = len(self._stamps)
        if self._next >= n and not self.config.loop:
            return None
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._due(self._next) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        # the bar arrived when it was due: a consumer that is behind sees its backlog as latency
        received = time.time() - max(0.0, -wait) if self.config.bars_per_second > 0 else time.time()
        lap, pos = divmod(self._next, n)
        lo, hi = self._bounds[pos], self._bounds[pos + 1]
        rows = self._bars.iloc[lo:hi]
        stamp = self._stamps[pos]
        if lap:  # a looped replay: shift forward by whole spans so time keeps increasing
            shift = (self._stamps[-1] - self._stamps[0] + self._interval) * lap
            stamp = stamp + shift
            rows = rows.set_axis(
                rows.index.set_levels(rows.index.levels[0] + shift, level=0), axis=0
            )
        self._next += 1
        return BarEvent(timestamp=stamp, bars=rows, received_at=received)

    def lag(self, last: pd.Timestamp | None) -> float:
        if last is None:
            return float("inf")
        rate = self.config.bars_per_second
        if self._t0 is None or rate == 0:
            return 0.0
        n = len(self._stamps)
        clock = self._first + (time.monotonic() - self._t0) * rate  # position now due
        if not self.config.loop:
            clock = min(clock, n - 1)  # the replay clock stops at the last bar
        if last < self._stamps[0]:
            return float("inf")
        span = self._stamps[-1] - self._stamps[0] + self._interval
        lap = int((last - self._stamps[0]) // span) if self.config.loop else 0
        pos = int(self._stamps.searchsorted(last - span * lap, side="right")) - 1
        return max(0.0, clock - (pos + lap * n))
