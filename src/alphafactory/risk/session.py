"""The risk manager's state over time: halts, scale-downs, resets and the equity references.

A :class:`RiskSession` is driven bar by bar, by the risk-managed backtest and by a trading loop
alike, with what is known at each close:

1. :meth:`RiskSession.begin_bar` ends a halt or scale-down whose reset is due (the first bar of
   a later session, or a manual reset at this bar) and re-bases the equity references;
2. :meth:`RiskSession.observe` takes the bar's closing equity; a breaker that trips returns the
   target that must act next (zeros for a halt, the last target scaled for a scale-down);
3. :meth:`RiskSession.decide` turns a proposal into the target: the limits, then any active
   scale-down; zeros while halted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.risk.limit import CircuitBreaker, EquityTracker, RiskContext, RiskLimit
from alphafactory.risk.manager import Intervention, RiskManager, intervention


@dataclass(frozen=True, kw_only=True, slots=True)
class Trip:
    """An active halt or scale-down: which limit, its reset rule, since when, the factor."""

    limit: str
    reset: str
    session: int
    since: pd.Timestamp
    factor: float


class RiskSession:
    """Mutable state of a :class:`RiskManager` over one equity path.

    Parameters
    ----------
    manager : RiskManager
        The limits and breakers.
    equity : float
        Equity before the first bar (the initial cash).
    """

    def __init__(self, manager: RiskManager, equity: float) -> None:
        if isinstance(equity, bool) or not isinstance(equity, (int, float, np.number)) or not (
                np.isfinite(equity) and equity > 0):
            raise ConfigError(f"RiskSession equity must be a finite amount > 0, got {equity!r}.")
        self.manager = manager
        self.equity = float(equity)
        self.halt: Trip | None = None
        self.scales: dict[str, Trip] = {}
        self.trackers = {b.name: EquityTracker(equity) for b in manager.breakers}
        self.last_proposal: np.ndarray | None = None
        self.last_checked: np.ndarray | None = None
        self.target: np.ndarray | None = None
        self.interventions: list[Intervention] = []

    @property
    def halted(self) -> bool:
        """Whether trading is halted (the book flat) now."""
        return self.halt is not None

    def begin_bar(self, timestamp: pd.Timestamp, session: int, *, manual_reset: bool = False
                  ) -> bool:
        """Apply the resets due at this bar; return True when a halt or scale-down ended."""
        ended = False
        if self.halt is not None and self._due(self.halt, session, manual_reset):
            self._record_reset(timestamp, self.halt)
            self.halt = None
            self.scales.clear()
            self.trackers = {name: EquityTracker(self.equity) for name in self.trackers}
            ended = True
        for name, trip in list(self.scales.items()):
            if self._due(trip, session, manual_reset):
                self._record_reset(timestamp, trip)
                del self.scales[name]
                self.trackers[name] = EquityTracker(self.equity)
                ended = True
        return ended

    def observe(self, timestamp: pd.Timestamp, session: int, equity: float
                ) -> np.ndarray | None:
        """Take the bar's closing equity; return the target a tripped breaker imposes, or None."""
        self.equity = float(equity)
        if self.halt is not None:
            return None
        for breaker in self.manager.breakers:
            if breaker.name in self.scales:
                continue
            tracker = self.trackers[breaker.name]
            tracker.update(equity, session)
            loss = breaker.loss(tracker)
            if loss >= breaker.max_loss:
                return self._trip(breaker, timestamp, session, loss)
        return None

    def decide(self, proposal: np.ndarray, context: RiskContext, *,
               checked: tuple[np.ndarray, list[Intervention], RiskLimit | None] | None = None
               ) -> np.ndarray:
        """The target for a proposal (``[N]`` weights, NaN as 0) at ``context.timestamp``.

        ``checked`` is ``manager.check(proposal, context)`` when the caller has it already (the
        limits do not depend on the equity path, so a backtest computes it once per decision).
        """
        proposal = np.asarray(proposal, dtype=np.float64)
        self.last_proposal = np.where(np.isnan(proposal), 0.0, proposal)
        if self.halt is not None:
            self.target = np.zeros_like(self.last_proposal)
            return self.target
        if checked is None:
            checked = self.manager.check(self.last_proposal, context)
        checked, records, halting = checked
        self.interventions.extend(records)
        if halting is not None:
            self.halt = Trip(limit=halting.name, reset=halting.reset,
                             session=context.session,
                             since=context.timestamp, factor=0.0)
            self.target = checked
            return checked
        self.last_checked = checked
        self.target = checked * self._factor()
        return self.target

    def reset_all(self, timestamp: pd.Timestamp) -> bool:
        """A manual reset by an operator now (any reset rule): same as a due reset."""
        return self.begin_bar(timestamp, session_of(timestamp), manual_reset=True)

    @property
    def idle(self) -> bool:
        """No halt and no scale-down active."""
        return self.halt is None and not self.scales

    def copy(self) -> RiskSession:
        """An independent copy of the state (the manager and the records themselves shared)."""
        other = RiskSession.__new__(RiskSession)
        other.manager, other.equity = self.manager, self.equity
        other.halt, other.scales = self.halt, dict(self.scales)
        other.trackers = {name: t.copy() for name, t in self.trackers.items()}
        other.last_proposal, other.last_checked = self.last_proposal, self.last_checked
        other.target, other.interventions = self.target, list(self.interventions)
        return other

    def _trip(self, breaker: CircuitBreaker, timestamp: pd.Timestamp, session: int,
              loss: float) -> np.ndarray:
        before = self.target
        n = len(before) if before is not None else 0
        reason = f"{breaker.describe()} {loss:.4g} >= {breaker.max_loss:.4g}"
        trip = Trip(limit=breaker.name, reset=breaker.reset, session=session,
                    since=pd.Timestamp(timestamp),
                    factor=0.0 if breaker.action == "halt" else breaker.scale)
        if breaker.action == "halt":
            self.halt = trip
            self.target = np.zeros(n)
        else:
            self.scales[breaker.name] = trip
            base = self.last_checked if self.last_checked is not None else np.zeros(n)
            self.target = base * self._factor()
        self.interventions.append(intervention(
            timestamp, breaker.name, breaker.action, reason, before=before, after=self.target,
            measure=loss, threshold=breaker.max_loss))
        return self.target

    def _factor(self) -> float:
        return float(np.prod([t.factor for t in self.scales.values()])) if self.scales else 1.0

    def _record_reset(self, timestamp: pd.Timestamp, trip: Trip) -> None:
        why = "next session" if trip.reset == "next_session" else "manual reset"
        self.interventions.append(intervention(
            timestamp, trip.limit, "reset", f"{why} after the trip at {trip.since}",
            before=self.target, after=self.target))

    @staticmethod
    def _due(trip: Trip, session: int, manual_reset: bool) -> bool:
        if manual_reset:
            return True
        return trip.reset == "next_session" and session != trip.session


def session_of(timestamp: pd.Timestamp | pd.DatetimeIndex) -> int | np.ndarray:
    """The session key of a bar: its calendar day (UTC for the bars contract) as days since 1970.

    A DatetimeIndex gives an int64 array, a Timestamp an int.
    """
    if isinstance(timestamp, pd.DatetimeIndex):
        return timestamp.normalize().as_unit("ns").asi8 // _DAY_NS
    return int(pd.Timestamp(timestamp).normalize().value // _DAY_NS)


_DAY_NS = 86_400_000_000_000
