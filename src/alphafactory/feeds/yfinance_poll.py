"""``YFinancePollFeed``: daily or intraday bars polled from yfinance.

Each poll downloads every symbol again from a few bars before the last one delivered (yfinance
has no push API) and emits, in time order, every timestamp that is new and closed: an intraday
bar is stamped with its end (the Bars contract) and closed at that stamp; a daily bar is closed
at its session's close on the exchange calendar. Today's partial daily bar is never emitted.
Tests replay recorded yfinance responses; offline, a poll that gets nothing is logged and
retried at the next poll.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from alphafactory.data.calendars import bar_stamps, sessions
from alphafactory.data.download import asset_class_of, fetch
from alphafactory.errors import DataError
from alphafactory.feeds.base import BarEvent, BarFeed, FeedError

__all__ = ["YFinanceConfig", "YFinancePollFeed"]

log = logging.getLogger(__name__)
Fetch = Callable[..., pd.DataFrame]


@dataclass(frozen=True, kw_only=True, slots=True)
class YFinanceConfig:
    """What to poll.

    Attributes
    ----------
    symbols : tuple of str
    start : str
        First bar of the history (a date).
    interval : str
        yfinance interval: ``1d`` or an intraday one (``15m``, ``1h``...).
    poll_seconds : float
        Time between polls.
    calendar : str
        Exchange calendar of the sessions (``XNYS``, ``24/7``, ``weekdays``).
    """

    symbols: tuple[str, ...]
    start: str
    interval: str = "1d"
    poll_seconds: float = 60.0
    calendar: str = "XNYS"

    def __post_init__(self) -> None:
        if not self.symbols:
            raise FeedError("a yfinance feed needs at least one symbol.")
        if self.poll_seconds <= 0:
            raise FeedError(f"poll_seconds must be > 0; got {self.poll_seconds}.")
        if self.step <= pd.Timedelta(0):
            raise FeedError(f"yfinance interval {self.interval!r} is not a positive duration.")

    @property
    def step(self) -> pd.Timedelta:
        """The bar length of :attr:`interval` (``15m``, ``1h``, ``1d``, ``1wk``)."""
        match = re.fullmatch(r"(\d+)(m|h|d|wk)", self.interval)
        if match is None:
            raise FeedError(
                f"yfinance interval {self.interval!r} is not one of Nm, Nh, Nd, Nwk (e.g. 15m, 1d)."
            )
        unit = {"m": "min", "h": "h", "d": "D", "wk": "W"}[match.group(2)]
        return pd.Timedelta(int(match.group(1)), unit=unit)


class YFinancePollFeed(BarFeed):
    """Poll yfinance for new closed bars of ``config.symbols``.

    Parameters
    ----------
    config : YFinanceConfig
    fetch_bars : callable, optional
        ``fetch(symbol, start, end, interval, asset_class) -> bars`` of one symbol (default
        :func:`alphafactory.data.download.fetch`, which calls ``yfinance.download``).
    now : callable, optional
        The current UTC time (tests pass a fixed clock).
    """

    def __init__(
        self,
        config: YFinanceConfig,
        *,
        fetch_bars: Fetch = fetch,
        now: Callable[[], pd.Timestamp] | None = None,
    ) -> None:
        self.config = config
        self._fetch = fetch_bars
        self._now = now or (lambda: pd.Timestamp.now(tz="UTC"))
        self._asset_class = asset_class_of(config.calendar)
        self._last: pd.Timestamp | None = None
        self._pending: list[BarEvent] = []
        self._polled = False
        self._history: pd.DataFrame | None = None

    @property
    def interval(self) -> pd.Timedelta:
        return self.config.step

    @property
    def daily(self) -> bool:
        return self.config.step >= pd.Timedelta(days=1)

    def close_time(self, stamp: pd.Timestamp) -> pd.Timestamp:
        """When the bar stamped ``stamp`` is closed (a daily bar: its session's close)."""
        if not self.daily:
            return stamp
        day = stamp.normalize()
        # the last hourly bar of a session ends at its close (early closes and DST included)
        stamps = bar_stamps(self.config.calendar, day, day, pd.Timedelta(hours=1))
        return stamps[-1] if len(stamps) else stamp + pd.Timedelta(days=1)

    def _download(self, start: pd.Timestamp | str) -> pd.DataFrame:
        frames = {}
        for symbol in self.config.symbols:
            try:
                frames[symbol] = self._fetch(symbol, start, None, self.config.interval,
                                             self._asset_class)  # fmt: skip
            except DataError as exc:  # offline or nothing new: logged, retried next poll
                log.warning("yfinance poll of %s got nothing: %s", symbol, exc)
        if not frames:
            return pd.DataFrame()
        bars = pd.concat(frames, names=["symbol", "timestamp"]).swaplevel().sort_index()
        return bars[["open", "high", "low", "close", "volume"]]

    def _closed(self, bars: pd.DataFrame) -> pd.DataFrame:
        if bars.empty:
            return bars
        now = self._now()
        stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
        done = [s for s in stamps if self.close_time(s) <= now]
        return bars[bars.index.get_level_values(0).isin(done)]

    def history(self) -> pd.DataFrame:
        """The closed bars since ``config.start``, downloaded on the first call only."""
        if self._history is not None:
            return self._history
        bars = self._closed(self._download(self.config.start))
        if bars.empty:
            raise FeedError(
                f"yfinance returned no closed bars for {list(self.config.symbols)} since "
                f"{self.config.start} (offline, or symbols Yahoo does not know)."
            )
        self._last = bars.index.get_level_values(0).max()
        self._history = bars
        return bars

    def poll(self) -> list[BarEvent]:
        """Download once and queue every new closed timestamp; return the events queued."""
        start = (self._last or pd.Timestamp(self.config.start, tz="UTC")) - 5 * self.interval
        bars = self._closed(self._download(start.tz_convert(None).strftime("%Y-%m-%d")))
        if self._last is not None and not bars.empty:
            bars = bars[bars.index.get_level_values(0) > self._last]
        events = []
        received = time.time()
        for stamp, rows in bars.groupby(level=0, sort=True):
            events.append(BarEvent(timestamp=stamp, bars=rows, received_at=received))
            self._last = stamp
        self._pending.extend(events)
        return events

    async def next_event(self) -> BarEvent | None:
        while not self._pending:
            if self._polled:
                await asyncio.sleep(self.config.poll_seconds)
            self._polled = True
            await asyncio.to_thread(self.poll)
        return self._pending.pop(0)

    def lag(self, last: pd.Timestamp | None) -> float:
        if last is None:
            return float("inf")
        now = self._now()
        expected = self._expected_after(last, now)
        closed = [self.close_time(s) for s in expected if self.close_time(s) <= now]
        if not closed:
            return min(1.0, (now - self.close_time(last)) / self._span())
        return 1.0 + (len(closed) - 1) + (now - closed[0]) / self._span()

    def _span(self) -> pd.Timedelta:
        return self.interval

    def _expected_after(self, last: pd.Timestamp, now: pd.Timestamp) -> Sequence[pd.Timestamp]:
        if self.daily:
            days = sessions(self.config.calendar, last + pd.Timedelta(days=1), now)
            return list(days)
        stamps = bar_stamps(self.config.calendar, last, now, self.interval)
        return list(stamps[(stamps > last) & (stamps <= now)])
