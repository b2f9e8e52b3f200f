"""Target weights -> share orders: the backtest's sizing rule for one decision, in Python.

The vectorized backtest (:func:`alphafactory.backtest.backtest`, compiled loop in
``cpp/src/backtest.cpp``) sizes every decision the same way; the trading loop uses this module
so that a replay through a :class:`~alphafactory.execution.BarVenue` books the same shares:

* the book's value ``V = cash + sum(held * price)`` at the sizing prices (a symbol without one
  is valued at its last price and not traded);
* each order reaches ``w * V / price`` shares (truncated toward zero with ``whole_shares``);
* the leverage rule: gross exposure after the orders may not exceed ``max_leverage`` times
  equity after costs. When the orders together break it, those that free room execute in full,
  then the others by ascending order value, each shrunk to the largest size that still fits
  with its costs (the compiled loop's ``ration_orders`` and ``affordable_shares``, line for
  line, so rounding matches too).

Costs are one row of :class:`~alphafactory.backtest.costs.CostParameters` (arrays ``[N]`` or
scalars). Participation caps and borrow are not modelled here (a live order is not split).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alphafactory.backtest.costs import CostParameters

__all__ = ["RowCosts", "size_orders"]

_DUST = 1e-9  # currency below which a shrunk order is not traded (kDust in backtest.cpp)


@dataclass(frozen=True, kw_only=True, slots=True)
class RowCosts:
    """The cost parameters of one bar: per-symbol arrays ``[N]`` (or scalars) and the fees."""

    half_spread: np.ndarray | float = 0.0
    impact_coef: np.ndarray | float = 0.0
    impact_exponent: float = 1.0
    commission_per_share: float = 0.0
    commission_bps: float = 0.0
    commission_min: float = 0.0

    @classmethod
    def of(cls, params: CostParameters, row: int) -> RowCosts:
        """Row ``row`` of a panel's parameters (a scalar stays a scalar)."""
        def pick(value: np.ndarray | float) -> np.ndarray | float:
            return np.asarray(value)[row] if np.ndim(value) == 2 else float(value)  # type: ignore[arg-type]

        return cls(half_spread=pick(params.half_spread), impact_coef=pick(params.impact_coef),
                   impact_exponent=params.impact_exponent,
                   commission_per_share=params.commission_per_share,
                   commission_bps=params.commission_bps, commission_min=params.commission_min)

    @property
    def has_commission(self) -> bool:
        return bool(self.commission_per_share or self.commission_bps or self.commission_min)

    @property
    def has_impact(self) -> bool:
        return bool(np.any(np.asarray(self.impact_coef) != 0))

    def cell(self, value: np.ndarray | float, i: int) -> float:
        return float(np.nan_to_num(value[i] if np.ndim(value) == 1 else value))  # type: ignore[index]

    def total(self, i: int, a: float, px: float) -> float:
        """Spread + impact + commission of ``a > 0`` shares of symbol ``i`` at ``px``."""
        notional = a * px
        spread = notional * self.cell(self.half_spread, i)
        coef = self.cell(self.impact_coef, i)
        impact = 0.0
        if coef != 0.0:
            e = self.impact_exponent
            power = a if e == 1.0 else (math.sqrt(a) if e == 0.5 else a**e)
            impact = notional * coef * power
        commission = 0.0
        if self.has_commission:
            commission = max(self.commission_min, self.commission_per_share * a
                             + self.commission_bps * 1e-4 * notional)
        return spread + impact + commission


def size_orders(
    targets: np.ndarray, held: np.ndarray, cash: float, prices: np.ndarray, last: np.ndarray,
    costs: RowCosts, *, max_leverage: float = 1.0, whole_shares: bool = False,
) -> np.ndarray:
    """Signed share orders that move ``held`` toward ``targets`` as the backtest would.

    Parameters
    ----------
    targets : ndarray, shape (N,)
        Target weights of a decision (NaN means 0).
    held : ndarray, shape (N,)
        Shares held now.
    cash : float
        Cash now, currency.
    prices : ndarray, shape (N,)
        Prices the orders are sized (and, in a replay, filled) at; NaN: not traded.
    last : ndarray, shape (N,)
        Last known price of each symbol (NaN: none yet), valuing positions that have no
        sizing price.
    costs : RowCosts
        The cost parameters of the execution bar.
    max_leverage, whole_shares
        As in :func:`alphafactory.backtest.backtest`.

    Returns
    -------
    ndarray, shape (N,)
        Shares to buy (> 0) or sell (< 0); 0 where nothing trades.
    """
    n = len(targets)
    px = np.asarray(prices, dtype=np.float64)
    last = np.nan_to_num(np.asarray(last, dtype=np.float64))  # never priced: 0, as the loop
    tradable = np.isfinite(px)
    value = cash + float(np.sum(held * np.where(tradable, px, last)))
    order = np.zeros(n)
    after = np.array(held, dtype=np.float64)
    total_cost = 0.0
    gross = 0.0
    for i in range(n):
        if tradable[i]:
            w = 0.0 if math.isnan(targets[i]) else float(targets[i])
            goal = w * value / px[i]
            if whole_shares:
                goal = math.trunc(goal)
            q = goal - held[i]
            if q != 0.0:
                total_cost += costs.total(i, abs(q), px[i])
                order[i] = q
                after[i] = held[i] + q
            gross += abs(after[i] * px[i])
        else:
            gross += abs(after[i] * last[i])
    if not np.any(order != 0.0):
        return order
    slack = max_leverage * (value - total_cost) - gross
    if slack < 0.0:
        _ration(order, np.asarray(held, dtype=np.float64), px, slack, costs, max_leverage,
                whole_shares)
    return order


def _ration(order: np.ndarray, before: np.ndarray, px: np.ndarray, slack: float,
            costs: RowCosts, leverage: float, whole: bool) -> None:
    """Shrink, in place, the orders the leverage limit cannot execute (``ration_orders``)."""
    def drain(i: int, q: float) -> float:
        cost = costs.total(i, abs(q), px[i]) if q != 0.0 else 0.0
        return leverage * cost + (abs(before[i] + q) - abs(before[i])) * px[i]

    live = [i for i in range(len(order)) if order[i] != 0.0]
    largest, largest_value = -1, -math.inf
    for i in live:
        if order[i] * px[i] >= largest_value:
            largest, largest_value = i, order[i] * px[i]
    first = drain(largest, order[largest])
    if first > -slack:
        chosen, popped = [(largest_value, largest)], first
    else:
        rising = sorted(((order[i] * px[i], i) for i in live if drain(i, order[i]) > 0.0),
                        reverse=True)
        drains = [drain(i, order[i]) for _, i in rising]
        top = min(4, len(rising))
        k, popped = 0, 0.0
        while k < top and popped <= -slack:
            popped += drains[k]
            k += 1
        if popped > -slack or k == len(rising):
            if k < top:
                popped += drains[k]
                k += 1
        else:
            k, popped, spare = 0, 0.0, True
            while k < len(rising) and (popped <= -slack or spare):
                if popped > -slack:
                    spare = False
                popped += drains[k]
                k += 1
        chosen = rising[:k]
    slack += popped
    for _, i in reversed(chosen):  # ascending order value
        q = order[i]
        d = drain(i, q)
        bound = min(slack, 0.0)
        if slack - d >= bound:
            slack -= d
            continue
        reducible = abs(before[i]) if before[i] * q < 0.0 else 0.0
        a = _affordable(costs, i, px[i], abs(q), reducible, slack, bound, leverage, whole)
        executed = math.copysign(a, q)
        if a > 0.0:
            slack -= drain(i, executed)
        order[i] = executed if a > 0.0 else 0.0


def _affordable(costs: RowCosts, i: int, px: float, wanted: float, reducible: float,
                slack: float, bound: float, leverage: float, whole: bool) -> float:
    """The largest size in [0, wanted] whose slack after it is >= bound (``affordable_shares``)."""
    def after(a: float) -> float:
        gross_change = -a * px if a <= reducible else (a - 2.0 * reducible) * px
        return slack - leverage * costs.total(i, a, px) - gross_change

    if after(wanted) >= bound:
        return wanted
    lo = reducible
    if lo >= wanted:
        return 0.0
    lo_slack = after(lo) if lo > 0.0 else slack - leverage * costs.commission_min
    if lo_slack < bound:
        return 0.0
    a = lo
    if not costs.has_impact:
        half = costs.cell(costs.half_spread, i)
        room = slack - bound + 2.0 * reducible * px
        rate = costs.commission_per_share + costs.commission_bps * 1e-4 * px
        on_minimum = (room - leverage * costs.commission_min) / (px + leverage * px * half)
        if rate > 0.0:
            on_rate = room / (px + leverage * (px * half + rate))
            a = on_rate if on_rate >= costs.commission_min / rate else on_minimum
        else:
            a = on_minimum
    else:
        hi = wanted
        for _ in range(200):
            mid = a + 0.5 * (hi - a)
            if mid <= a or mid >= hi:
                break
            if after(mid) >= bound:
                a = mid
            else:
                hi = mid
    a = min(max(a, lo), wanted)
    if whole:
        a = math.floor(a)
        if a >= 1.0 and after(a) < bound:
            a -= 1.0
    return a if a * px >= _DUST else 0.0
