"""Implementation shortfall of a parent order and its attribution, from the same fills.

For a parent of ``Q`` shares on side ``s`` (+1 buy, -1 sell) arriving at mid ``A``, with fills
``(q_j, p_j)``, fees ``f_j`` and, for taker fills, the venue's quote just before the fill (mid
``m_j`` and touch ``t_j``, the ask for a buy), child orders ``o`` that moved the mid by ``dm_o``
when they arrived with ``R_o`` shares of the parent still to trade after them, and ``U`` shares
left unfilled when the horizon ends at mid ``F`` and touch ``T`` (completed there, across the
spread), in currency:

    total       = sum_j s (p_j - A) q_j + s (T - A) U + sum_j f_j   (implementation shortfall)
    spread      = sum_taker s (t_j - m_j) q_j        crossing the spread               >= 0
    impact      = sum_taker s (p_j - t_j) q_j        walking the book past the touch,  >= 0
                + sum_o max(0, s dm_o) R_o           and moving the mid for the rest
    opportunity = s (T - F) U                        completing the rest late           >= 0
    fees        = sum_j f_j                                                             >= 0
    timing      = total - spread - impact - opportunity - fees

``timing`` is the only signed term: the mid's own move between arrival and each fill (drift and
adverse selection), the book's recovery from our moves (impact is charged undecayed) and the
half spread that resting orders earned. It is the market's, not a cost of trading, so a book
backtest reports it in gross PnL: ``gross - spread - impact - opportunity - fees = net`` with
``gross`` the PnL at the bars' prices minus ``timing``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

from alphafactory.execution.orders import Fill, Liquidity, Side

__all__ = ["CostAttribution", "attribute"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CostAttribution:
    """A parent's implementation shortfall (``total``) and its parts in currency (see the
    module docstring): ``total == spread + impact + opportunity + fees + timing``."""

    total: float
    spread: float
    impact: float
    opportunity: float
    fees: float
    timing: float

    def scaled(self, factor: float) -> CostAttribution:
        """Every term times ``factor`` (e.g. to the shares of a parent the book rounded)."""
        return CostAttribution(**{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def bps(self, notional: float) -> dict[str, float]:
        """Every term in bps of ``notional`` (0 when it is 0)."""
        scale = 1e4 / notional if notional else 0.0
        return {f"{f.name}_bps": getattr(self, f.name) * scale for f in fields(self)}


def attribute(
    *,
    side: Side,
    quantity: float,
    arrival_mid: float,
    fills: Sequence[Fill],
    final_mid: float,
    final_touch: float | None,
    own_impact: float = 0.0,
) -> CostAttribution:
    """Attribute the shortfall of a parent of ``quantity`` shares from its ``fills``.

    ``own_impact`` is ``sum_o max(0, s dm_o) R_o`` in currency, measured by the executor from the
    venue's quotes around each child's submit (0 where nothing was measured).
    """
    if not own_impact >= 0:
        raise ValueError(f"own_impact must be >= 0 (a cost), got {own_impact}.")
    s = side.value
    filled = sum(f.quantity for f in fills)
    unfilled = quantity - filled
    unfilled = 0.0 if unfilled <= 1e-9 * quantity else unfilled  # float dust of summed fills
    completion = final_mid if final_touch is None or not math.isfinite(final_touch) else (
        final_touch)
    fees = sum(f.fee for f in fills)
    spread, impact = 0.0, float(own_impact)
    for f in fills:
        if f.liquidity == Liquidity.TAKER and math.isfinite(f.mid) and math.isfinite(f.touch):
            spread += s * (f.touch - f.mid) * f.quantity
            impact += s * (f.price - f.touch) * f.quantity
    total = (sum(s * (f.price - arrival_mid) * f.quantity for f in fills)
             + s * (completion - arrival_mid) * unfilled + fees)
    opportunity = s * (completion - final_mid) * unfilled
    timing = total - spread - impact - opportunity - fees
    return CostAttribution(total=total, spread=spread, impact=impact,
                           opportunity=opportunity, fees=fees, timing=timing)
