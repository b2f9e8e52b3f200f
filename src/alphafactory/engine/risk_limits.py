"""``RiskLimits``: pre-trade risk limits of the matching engine, each checked when it is set.

A limit that is NaN used to switch its check off silently (``collar_fraction=nan`` let a buy 5x
away from the last trade through); now every value is finite and in range or the constructor
raises an ``ExecutionError`` naming it. The compiled engine checks the same again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alphafactory.engine.arguments import INT64, check_int, check_number

__all__ = ["RiskLimits"]

_INTEGER_LIMITS = ("max_order_qty", "max_position", "max_open_orders", "collar_ticks")


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskLimits:
    """Pre-trade risk limits applied per account to new orders and modifies (None: off).

    Attributes
    ----------
    max_order_qty : int or None
        Largest order quantity, in lots (>= 0).
    max_order_notional : float or None
        Largest price * quantity in currency units, finite and >= 0 (MARKET orders: at the
        opposite best).
    max_position : int or None
        Largest absolute position per instrument, in lots (>= 0), if the order filled completely.
    max_open_orders : int or None
        Most resting orders per account (>= 0; checked for LIMIT and POST_ONLY).
    collar_ticks, collar_fraction : int, float or None
        Largest distance of a limit price from the reference price (last trade, else mid; no
        check without one): in ticks (>= 0), or as a fraction of the reference (finite, > 0).

    Raises
    ------
    ExecutionError
        A value that is not an integer or number in its range, NaN or infinite, naming it:
        ``RiskLimits.collar_fraction: must be a finite number > 0, got nan``.
    """

    max_order_qty: int | None = None
    max_order_notional: float | None = None
    max_position: int | None = None
    max_open_orders: int | None = None
    collar_ticks: int | None = None
    collar_fraction: float | None = None

    def __post_init__(self) -> None:
        for name in _INTEGER_LIMITS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_int(f"RiskLimits.{name}", value, low=0,
                                                         high=INT64[1]))
        if self.max_order_notional is not None:
            object.__setattr__(self, "max_order_notional", check_number(
                "RiskLimits.max_order_notional", self.max_order_notional, low=0))
        if self.collar_fraction is not None:
            object.__setattr__(self, "collar_fraction", check_number(
                "RiskLimits.collar_fraction", self.collar_fraction, low=0, strict_low=True))

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the compiled engine (-1 for an unset limit)."""
        return {name: (-1 if getattr(self, name) is None else getattr(self, name))
                for name in self.__slots__}
