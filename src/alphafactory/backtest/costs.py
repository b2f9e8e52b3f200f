"""Cost models: the cost of trading q shares of a symbol at bar t, behind one small interface.

Every model reduces to :class:`CostParameters`, the per-cell numbers the compiled loop reads, so
the loop and any Python evaluation of a cost agree exactly. For an order of ``q`` shares at price
``p`` (notional ``n = |q| p``) in cell ``(t, i)``:

* spread     = ``n * half_spread[t, i]``
* impact     = ``n * impact_coef[t, i] * |q| ** impact_exponent``
* commission = ``max(commission_min, commission_per_share * |q| + commission_bps * 1e-4 * n)``

Models add up with ``+`` (``SquareRootImpact() + Commission(per_share=0.005)``); two impact terms
must share an exponent. :class:`FixedBps` is a flat cost per traded notional, reported as spread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError


@dataclass(frozen=True, kw_only=True, slots=True)
class CostParameters:
    """Per-cell cost parameters; an array is ``[T, N]``, a float applies to every cell."""

    half_spread: np.ndarray | float = 0.0
    impact_coef: np.ndarray | float = 0.0
    impact_exponent: float = 1.0
    commission_per_share: float = 0.0
    commission_bps: float = 0.0
    commission_min: float = 0.0

    def combine(self, other: CostParameters) -> CostParameters:
        """Add two parameter sets term by term."""
        if (
            _nonzero(self.impact_coef)
            and _nonzero(other.impact_coef)
            and self.impact_exponent != other.impact_exponent
        ):
            raise ValueError(
                "Cannot add two impact models with different exponents "
                f"({self.impact_exponent} and {other.impact_exponent}); use one impact model."
            )
        exponent = self.impact_exponent if _nonzero(self.impact_coef) else other.impact_exponent
        mins = (self.commission_min, other.commission_min)
        if all(mins):
            raise ValueError("Cannot add two commission models that both have a minimum fee.")
        return CostParameters(
            half_spread=_add(self.half_spread, other.half_spread),
            impact_coef=_add(self.impact_coef, other.impact_coef),
            impact_exponent=exponent,
            commission_per_share=self.commission_per_share + other.commission_per_share,
            commission_bps=self.commission_bps + other.commission_bps,
            commission_min=max(mins),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CostBreakdown:
    """Costs in currency of orders, same shape as the orders: spread, impact, commission."""

    spread: np.ndarray
    impact: np.ndarray
    commission: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Sum of the three parts."""
        return self.spread + self.impact + self.commission


class CostModel(ABC):
    """Interface of a cost model: reduce to :class:`CostParameters` for a given market."""

    @abstractmethod
    def parameters(self, market: Panel) -> CostParameters:
        """Return the per-cell parameters of this model on ``market``."""

    def cost(self, market: Panel, shares: np.ndarray, price: np.ndarray) -> CostBreakdown:
        """Cost of orders of ``shares`` (signed, ``[T, N]``) at ``price`` (``[T, N]``)."""
        return evaluate_costs(self.parameters(market), shares, price)

    def __add__(self, other: CostModel) -> CostModel:
        if not isinstance(other, CostModel):
            return NotImplemented
        return CompositeCost(models=(self, other))


@dataclass(frozen=True, slots=True)
class CompositeCost(CostModel):
    """The sum of several cost models (what ``a + b`` builds)."""

    models: tuple[CostModel, ...]

    def parameters(self, market: Panel) -> CostParameters:
        total = CostParameters()
        for model in self.models:
            total = total.combine(model.parameters(market))
        return total

    def __add__(self, other: CostModel) -> CostModel:
        if not isinstance(other, CostModel):
            return NotImplemented
        return CompositeCost(models=(*self.models, other))


@dataclass(frozen=True, slots=True)
class NoCost(CostModel):
    """Frictionless trading."""

    def parameters(self, market: Panel) -> CostParameters:
        return CostParameters()


@dataclass(frozen=True, slots=True)
class FixedBps(CostModel):
    """A flat ``bps`` basis points of traded notional on every order (reported as spread)."""

    bps: float

    def __post_init__(self) -> None:
        if not _finite_at_least_zero(self.bps):
            raise ConfigError(f"FixedBps: bps must be a finite number >= 0, got {self.bps!r}.")

    def parameters(self, market: Panel) -> CostParameters:
        return CostParameters(half_spread=self.bps * 1e-4)


@dataclass(frozen=True, kw_only=True, slots=True)
class Commission(CostModel):
    """Broker commission per order: ``max(minimum, per_share * |q| + bps * 1e-4 * notional)``.

    Parameters
    ----------
    per_share : float
        Currency per share.
    bps : float
        Basis points of notional.
    minimum : float
        Currency charged at least on every order with ``q != 0``.
    """

    per_share: float = 0.0
    bps: float = 0.0
    minimum: float = 0.0

    def __post_init__(self) -> None:
        for name in ("per_share", "bps", "minimum"):
            value = getattr(self, name)
            if not _finite_at_least_zero(value):
                raise ConfigError(f"Commission: {name} must be a finite number >= 0, got "
                                  f"{value!r}.")

    def parameters(self, market: Panel) -> CostParameters:
        return CostParameters(
            commission_per_share=self.per_share,
            commission_bps=self.bps,
            commission_min=self.minimum,
        )


def evaluate_costs(params: CostParameters, shares: np.ndarray, price: np.ndarray) -> CostBreakdown:
    """Apply the cost formula cell by cell (vectorized); zero where ``shares == 0``."""
    abs_q = np.abs(np.nan_to_num(shares))
    traded = abs_q > 0
    notional = np.where(traded, abs_q * np.nan_to_num(price), 0.0)
    spread = notional * np.broadcast_to(params.half_spread, notional.shape)
    coef = np.broadcast_to(params.impact_coef, notional.shape)
    impact = np.where(coef != 0, notional * coef * abs_q**params.impact_exponent, 0.0)
    fee = params.commission_per_share * abs_q + params.commission_bps * 1e-4 * notional
    commission = np.where(traded, np.maximum(params.commission_min, fee), 0.0)
    return CostBreakdown(spread=spread, impact=impact, commission=commission)


def _nonzero(value: np.ndarray | float) -> bool:
    return bool(np.any(np.asarray(value) != 0))


def _add(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    if not _nonzero(a):
        return b
    if not _nonzero(b):
        return a
    return np.asarray(a) + np.asarray(b)


def _finite_at_least_zero(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return False
    return bool(np.isfinite(value) and value >= 0)
