"""The two seams of the risk manager: limits on a proposed rebalance, and circuit breakers.

A :class:`RiskLimit` looks at a proposal (target weights, ``[N]``) with what is known at the
decision (:class:`RiskContext`: the trailing returns) and says whether it breaches, and what
the proposal brought within the limit is (:class:`Breach`). A :class:`CircuitBreaker` looks at
the equity path through an :class:`EquityTracker` and gives the loss it watches. Every
implementation is a frozen keyword-only dataclass with two common fields:

``action``
    ``"scale"``: replace the proposal by the one within the limit (for a breaker: multiply
    proposals by its ``scale`` until the reset). ``"halt"``: flatten the book and take no
    position until the reset.
``reset``
    ``"next_session"``: the halt (or scale-down) ends at the first bar of the next session
    (UTC calendar date); ``"manual"``: it ends when an operator resets it.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError

Action = Literal["scale", "halt"]
Reset = Literal["next_session", "manual"]
ACTIONS: tuple[str, ...] = ("scale", "halt")
RESETS: tuple[str, ...] = ("next_session", "manual")


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskContext:
    """What a decision at ``timestamp`` may know.

    Attributes
    ----------
    timestamp : Timestamp
        The decision's bar (its close is known).
    symbols : tuple of str
        The proposal's symbols, in order.
    returns : ndarray
        ``[W, N]`` close-to-close returns of the symbols up to and including ``timestamp``
        (fewer rows at the start of the data; 0 where a symbol had no price at either close).
    session : int
        The bar's session key (:func:`~alphafactory.risk.session_of`).
    """

    timestamp: pd.Timestamp
    symbols: tuple[str, ...]
    returns: np.ndarray
    session: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Breach:
    """A limit's verdict on a proposal it rejects: the measure, the threshold, the fix, why."""

    measure: float
    threshold: float
    weights: np.ndarray
    reason: str


#: Relative slack before a measure counts as over its threshold (a scaled fix lands on it).
TOLERANCE = 1e-9


def within(measure: float, threshold: float) -> bool:
    """``measure <= threshold * (1 + TOLERANCE)``: float noise of a fix is not a breach."""
    return measure <= threshold * (1.0 + TOLERANCE)


def check_common(obj: Any) -> None:
    """Raise :class:`ConfigError` for an unknown ``action`` or ``reset`` of a limit or breaker."""
    name = type(obj).__name__
    if obj.action not in ACTIONS:
        raise ConfigError(f"{name} action must be one of {list(ACTIONS)}, got {obj.action!r}.")
    if obj.reset not in RESETS:
        raise ConfigError(f"{name} reset must be one of {list(RESETS)}, got {obj.reset!r}.")


def check_positive(obj: Any, *names: str) -> None:
    """Raise :class:`ConfigError` unless each named field is a positive finite number."""
    for field in names:
        value = getattr(obj, field)
        if isinstance(value, bool) or not np.isfinite(value) or value <= 0:
            raise ConfigError(f"{type(obj).__name__} {field} must be > 0 and finite, got {value}.")


class _Configured(ABC):
    name: ClassVar[str]

    def parameters(self) -> dict[str, Any]:
        """The config as plain values (what a workflow file's table holds)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return {f.name: getattr(self, f.name) for f in fields if f.init}


class RiskLimit(_Configured):
    """Interface of a limit on a proposed rebalance."""

    @abstractmethod
    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        """Return the breach of ``weights`` (``[N]`` target weights), or None within the limit."""


class EquityTracker:
    """Reference levels of the equity path since a start (a reset), updated bar by bar.

    Attributes
    ----------
    peak : float
        Highest equity since the start (the equity before the start included).
    session_open : float
        Equity at the close of the previous session's last bar (for the first session since
        the start, the equity before the start).
    session_high : float
        Highest equity in the current session, ``session_open`` included.
    equity : float
        The last equity seen.
    """

    __slots__ = ("equity", "peak", "session", "session_high", "session_open")

    def __init__(self, equity_before: float) -> None:
        self.equity = self.peak = self.session_open = self.session_high = float(equity_before)
        self.session: int | None = None

    def copy(self) -> EquityTracker:
        """An independent copy."""
        other = EquityTracker(self.equity)
        other.peak, other.session = self.peak, self.session
        other.session_open, other.session_high = self.session_open, self.session_high
        return other

    def update(self, equity: float, session: int) -> None:
        """Take the close of a bar of ``session`` (key: :func:`~alphafactory.risk.session_of`)."""
        if session != self.session:
            self.session = session
            self.session_open = self.session_high = self.equity
        self.equity = float(equity)
        self.peak = max(self.peak, self.equity)
        self.session_high = max(self.session_high, self.equity)


class CircuitBreaker(_Configured):
    """Interface of a circuit breaker: the loss it watches, tripped at ``max_loss``."""

    max_loss: float
    action: Action
    reset: Reset
    scale: float

    @abstractmethod
    def loss(self, tracker: EquityTracker) -> float:
        """The watched loss as a positive fraction (0 when none) at the tracker's last bar."""

    def describe(self) -> str:
        """One phrase naming the loss, for intervention records."""
        return self.name
