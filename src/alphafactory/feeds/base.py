"""The ``BarFeed`` seam: where new bars come from for the server, the monitor and the trading loop.

A feed has the bars known when it starts (:meth:`BarFeed.history`) and then yields one
:class:`BarEvent` per closed bar timestamp (:meth:`BarFeed.next_event`), each holding every
symbol's bar for that timestamp. A consumer appends the event's bars to its history and scores
the new timestamp; :meth:`BarFeed.lag` tells how far behind the feed's clock a consumer's latest
bar is, in bar intervals (a closed market is not lag), which is what readiness checks read.

Implementations, one file each: :class:`~alphafactory.feeds.replay.ReplayFeed` (a stored data
set at a chosen speed, the default, offline), :class:`~alphafactory.feeds.manual.ManualFeed`
(bars pushed by the caller: tests, benchmarks, a bridge) and
:class:`~alphafactory.feeds.yfinance_poll.YFinancePollFeed` (yfinance polled for daily or
intraday bars). A contract test runs over every implementation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import pandas as pd

from alphafactory.errors import DataError

__all__ = ["BarEvent", "BarFeed", "FeedError", "bar_interval"]


class FeedError(DataError):
    """A feed cannot deliver bars (bad settings, a source that returned nothing usable)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BarEvent:
    """The bars of one newly closed timestamp.

    Attributes
    ----------
    timestamp : Timestamp
        The bar timestamp (UTC), later than every bar the feed gave before.
    bars : DataFrame
        Bars of that timestamp, a ``(timestamp, symbol)`` panel (one row per symbol that has it).
    received_at : float
        Wall-clock time (``time.time()``, seconds) at which the feed had the bar; the start of
        a bar -> score -> push latency measurement.
    """

    timestamp: pd.Timestamp
    bars: pd.DataFrame
    received_at: float


class BarFeed(ABC):
    """A source of closed bars, one timestamp at a time (see the module docstring)."""

    @property
    @abstractmethod
    def interval(self) -> pd.Timedelta:
        """Bar length (one day for daily bars)."""

    @abstractmethod
    def history(self) -> pd.DataFrame:
        """Bars known when the feed starts, a ``(timestamp, symbol)`` panel (may be empty)."""

    @abstractmethod
    async def next_event(self) -> BarEvent | None:
        """Wait for the next closed bar timestamp; None when the feed has no more bars."""

    @abstractmethod
    def lag(self, last: pd.Timestamp | None) -> float:
        """How many bar intervals ``last`` (a consumer's latest bar) is behind the feed's clock.

        0 means up to date; a consumer is fresh while this is at most 1.5. Time when the market
        is closed does not count. ``None`` (no bar yet) is infinitely behind.
        """

    def close(self) -> None:  # noqa: B027 - a feed without resources needs nothing
        """Release what the feed holds (connections, threads)."""


def bar_interval(bars: pd.DataFrame) -> pd.Timedelta:
    """The most common spacing of ``bars``' timestamps (one day for fewer than two stamps)."""
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique()).sort_values()
    if len(stamps) < 2:
        return pd.Timedelta(days=1)
    steps = pd.Series(stamps[1:] - stamps[:-1])
    step = pd.Timedelta(steps.mode().iloc[0])
    if step >= pd.Timedelta(days=1):  # weekends and holidays: still daily bars
        return pd.Timedelta(days=1)
    if step <= pd.Timedelta(0):
        raise FeedError("bars timestamps must increase to infer the bar interval.")
    return step
