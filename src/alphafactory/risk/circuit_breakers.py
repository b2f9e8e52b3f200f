"""Circuit breakers on the equity path: daily loss, drawdown from the peak, intraday loss.

Each watches one loss of an :class:`~alphafactory.risk.limit.EquityTracker` at every bar's
close (``E`` the equity):

* :class:`DailyLossLimit`: ``1 - E / session_open`` (loss since the previous session's close),
* :class:`MaxDrawdownStop`: ``1 - E / peak`` (drawdown from the highest equity since the start
  or the last reset; a reset re-bases the peak),
* :class:`IntradayLossLimit`: ``1 - E / session_high`` (fall from the session's high, for
  intraday bars; on daily bars it equals the daily loss).

The breaker trips when the loss reaches ``max_loss``; the decision at that close flattens (or
scales) the book, so the loss realised is at most ``max_loss`` plus that bar's overshoot plus
the gap to the next execution price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from alphafactory.errors import ConfigError
from alphafactory.risk.limit import (
    Action,
    CircuitBreaker,
    EquityTracker,
    Reset,
    check_common,
    check_positive,
)


def _validate(breaker: CircuitBreaker) -> None:
    check_positive(breaker, "max_loss")
    check_common(breaker)
    if not 0 <= breaker.scale < 1:
        raise ConfigError(f"{type(breaker).__name__} scale must be in [0, 1), got "
                         f"{breaker.scale}.")
    if breaker.max_loss >= 1:
        raise ConfigError(f"{type(breaker).__name__} max_loss is a fraction below 1, got "
                         f"{breaker.max_loss}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyLossLimit(CircuitBreaker):
    """Trip when the session's loss reaches ``max_loss`` (0.03 = 3%).

    Parameters
    ----------
    max_loss : float
        Loss since the previous session's close, fraction.
    action : {"halt", "scale"}
        Flatten and halt, or multiply proposals by ``scale`` until the reset.
    reset : {"next_session", "manual"}
        When trading resumes.
    scale : float
        Factor on proposals while tripped with ``action="scale"``.
    """

    name: ClassVar[str] = "daily_loss_limit"
    max_loss: float = 0.03
    action: Action = "halt"
    reset: Reset = "next_session"
    scale: float = 0.5

    def __post_init__(self) -> None:
        _validate(self)

    def loss(self, tracker: EquityTracker) -> float:
        return max(0.0, 1.0 - tracker.equity / tracker.session_open)

    def describe(self) -> str:
        return "loss since the previous session's close"


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxDrawdownStop(CircuitBreaker):
    """Trip when the drawdown from the peak reaches ``max_loss`` (0.15 = 15%).

    Parameters are those of :class:`DailyLossLimit`; the default reset is ``"manual"``.
    """

    name: ClassVar[str] = "max_drawdown_stop"
    max_loss: float = 0.15
    action: Action = "halt"
    reset: Reset = "manual"
    scale: float = 0.5

    def __post_init__(self) -> None:
        _validate(self)

    def loss(self, tracker: EquityTracker) -> float:
        return max(0.0, 1.0 - tracker.equity / tracker.peak)

    def describe(self) -> str:
        return "drawdown from the peak"


@dataclass(frozen=True, kw_only=True, slots=True)
class IntradayLossLimit(CircuitBreaker):
    """Trip when equity falls ``max_loss`` below the session's high, checked on every bar.

    Parameters are those of :class:`DailyLossLimit`.
    """

    name: ClassVar[str] = "intraday_loss_limit"
    max_loss: float = 0.03
    action: Action = "halt"
    reset: Reset = "next_session"
    scale: float = 0.5

    def __post_init__(self) -> None:
        _validate(self)

    def loss(self, tracker: EquityTracker) -> float:
        return max(0.0, 1.0 - tracker.equity / tracker.session_high)

    def describe(self) -> str:
        return "fall from the session's high"
