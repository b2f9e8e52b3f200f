"""The risk manager: an ordered set of limits and circuit breakers, and its intervention records.

:meth:`RiskManager.check` runs a proposal through the limits in order (each sees the previous
one's output); the first breach of a limit configured to ``"halt"`` flattens the proposal and
asks for a halt. The circuit breakers act on the equity path through a
:class:`~alphafactory.risk.session.RiskSession`. Every change is an :class:`Intervention`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.risk.exposure_limits import VaRLimit
from alphafactory.risk.limit import CircuitBreaker, RiskContext, RiskLimit

#: Columns of the interventions table (run table ``risk/interventions``).
INTERVENTION_COLUMNS: tuple[str, ...] = (
    "timestamp", "limit", "action", "reason", "measure", "threshold",
    "gross_before", "gross_after", "net_before", "net_after",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Intervention:
    """One change the risk manager made: when, which limit, what, why, before and after.

    Attributes
    ----------
    timestamp : Timestamp
        The bar whose close the decision was taken at.
    limit : str
        Registered name of the limit or breaker.
    action : {"scale", "halt", "reset"}
        ``scale``: the proposal was reduced; ``halt``: the book was flattened and trading
        halted (or, for a breaker with ``action="scale"``, scaled down) until the reset;
        ``reset``: the halt or scale-down ended.
    reason : str
        The measure against the threshold, in words.
    measure, threshold : float
        The value that breached and the limit (NaN for a reset).
    gross_before, gross_after, net_before, net_after : float
        ``sum |w|`` and ``sum w`` of the target weights before and after.
    """

    timestamp: pd.Timestamp
    limit: str
    action: str
    reason: str
    measure: float
    threshold: float
    gross_before: float
    gross_after: float
    net_before: float
    net_after: float


def intervention(timestamp: pd.Timestamp, limit: str, action: str, reason: str, *,
                 before: np.ndarray | None, after: np.ndarray | None,
                 measure: float = np.nan, threshold: float = np.nan) -> Intervention:
    """Build an :class:`Intervention` from the weights before and after (None = flat)."""
    b = np.zeros(1) if before is None else np.asarray(before)
    a = np.zeros(1) if after is None else np.asarray(after)
    return Intervention(
        timestamp=pd.Timestamp(timestamp), limit=limit, action=action, reason=reason,
        measure=float(measure), threshold=float(threshold),
        gross_before=float(np.abs(b).sum()), gross_after=float(np.abs(a).sum()),
        net_before=float(b.sum()), net_after=float(a.sum()),
    )


def interventions_frame(items: Iterable[Intervention]) -> pd.DataFrame:
    """The interventions as a table with :data:`INTERVENTION_COLUMNS` (empty when none)."""
    rows = [{c: getattr(item, c) for c in INTERVENTION_COLUMNS} for item in items]
    frame = pd.DataFrame(rows, columns=list(INTERVENTION_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for column in INTERVENTION_COLUMNS[4:]:
        frame[column] = frame[column].astype(np.float64)
    return frame


def _finite(weights: np.ndarray) -> np.ndarray:
    """``weights`` as float64 with NaN as 0 (no copy when there is none)."""
    w = np.asarray(weights, dtype=np.float64)
    return np.where(np.isnan(w), 0.0, w) if np.isnan(w).any() else w


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskManager:
    """Limits applied to every proposed rebalance and circuit breakers on the equity path.

    Parameters
    ----------
    limits : sequence of RiskLimit or CircuitBreaker
        Applied in order; build them directly or by name with
        :func:`~alphafactory.risk.limit_from_config`.

    Examples
    --------
    >>> from alphafactory.risk import DailyLossLimit, MaxPositionWeight, RiskManager
    >>> risk = RiskManager(limits=(MaxPositionWeight(max_weight=0.1),
    ...                            DailyLossLimit(max_loss=0.03)))
    """

    limits: tuple[RiskLimit | CircuitBreaker, ...] = ()

    def __post_init__(self) -> None:
        limits = tuple(self.limits)
        for item in limits:
            if not isinstance(item, RiskLimit | CircuitBreaker):
                raise TypeError(f"RiskManager limits must be risk limits or circuit breakers, "
                                f"got {type(item).__name__}.")
        names = [item.name for item in limits]
        if len(set(names)) != len(names):
            raise ConfigError(f"RiskManager has the same limit twice: {names}.")
        object.__setattr__(self, "limits", limits)

    @property
    def proposal_limits(self) -> tuple[RiskLimit, ...]:
        """The limits on proposals, in order."""
        return tuple(x for x in self.limits if isinstance(x, RiskLimit))

    @property
    def breakers(self) -> tuple[CircuitBreaker, ...]:
        """The circuit breakers, in order."""
        return tuple(x for x in self.limits if isinstance(x, CircuitBreaker))

    @property
    def lookback(self) -> int:
        """Trailing returns a decision's context needs (the longest VaR window; 0 if none)."""
        return max((x.window for x in self.limits if isinstance(x, VaRLimit)), default=0)

    def check(self, weights: np.ndarray, context: RiskContext
              ) -> tuple[np.ndarray, list[Intervention], RiskLimit | None]:
        """Run a proposal through the limits.

        Parameters
        ----------
        weights : ndarray
            ``[N]`` target weights (NaN counts as 0).
        context : RiskContext
            What is known at the decision.

        Returns
        -------
        (ndarray, list of Intervention, RiskLimit or None)
            The weights within every limit, the interventions, and the limit that asked for a
            halt (then the weights are zeros), or None.
        """
        w = _finite(weights)
        records: list[Intervention] = []
        for limit in self.proposal_limits:
            breach = limit.check(w, context)
            if breach is None:
                continue
            after = np.zeros_like(w) if limit.action == "halt" else breach.weights
            records.append(intervention(context.timestamp, limit.name, limit.action,
                                        breach.reason, before=w, after=after,
                                        measure=breach.measure, threshold=breach.threshold))
            if limit.action == "halt":
                return after, records, limit
            w = after
        return w, records, None

    def to_config(self) -> list[dict[str, Any]]:
        """The limits as TOML tables: ``{"name": ..., **parameters}`` each."""
        return [{"name": item.name, **item.parameters()} for item in self.limits]

    @classmethod
    def from_config(cls, tables: Sequence[Mapping[str, Any]], where: str = "[risk]"
                    ) -> RiskManager:
        """Build from TOML tables (see :meth:`to_config`); unknown names and keys raise."""
        from alphafactory.risk.registry import limit_from_config

        return cls(limits=tuple(limit_from_config(t, where) for t in tables))
