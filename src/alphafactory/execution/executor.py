"""Execute a parent order as child orders against the simulated book and report the costs.

Each slice of the horizon sends one child: ``style="passive"`` posts a LIMIT at the near touch
(best bid for a buy) at the start of the slice and, at its end, cancels what is left and sends
a MARKET order for it; ``style="aggressive"`` sends a MARKET order at the start of the slice. The
background flow runs between the strategy's actions, so children meet (and move) a living book.

Costs, in bps of the arrival mid (the mid when the parent arrives), signed so that a cost is
positive for buys and sells alike (``side`` = +1 buy, -1 sell):

* shortfall   = side * (average fill - arrival) / arrival, on the filled quantity
* spread      = side * (fill - mid when its child was sent) / arrival, averaged over fills
* impact      = shortfall - spread (the mid's move from arrival to each child, ours and drift)
* opportunity = side * (final mid - arrival) / arrival * unfilled fraction (cost of not trading)
* total       = shortfall * fill ratio + opportunity (implementation shortfall of the whole parent)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.engine import MatchingEngine
from alphafactory.execution.book import NS, BookConfig
from alphafactory.execution.schedule import pov_child_quantity, twap_schedule, vwap_schedule

ACCOUNT = 1
_FIRST_CHILD_ID = 1 << 20


@dataclass(frozen=True, kw_only=True, slots=True)
class ParentOrder:
    """A parent order: ``quantity`` lots bought (``side=+1``) or sold (``-1``) over a horizon.

    ``algo`` is ``"twap"``, ``"vwap"`` (needs ``profile``, one weight per slice) or ``"pov"``
    (``participation`` of the volume seen in the previous slice; the first slice uses the
    TWAP size). ``horizon_seconds`` of simulated time are split into ``n_slices``.
    """

    side: int
    quantity: int
    horizon_seconds: float = 600.0
    n_slices: int = 10
    algo: Literal["twap", "vwap", "pov"] = "twap"
    profile: tuple[float, ...] | None = None
    participation: float = 0.1
    style: Literal["passive", "aggressive"] = "passive"

    def __post_init__(self) -> None:
        if self.side not in (1, -1):
            raise ValueError(f"side must be +1 (buy) or -1 (sell), got {self.side}.")
        if self.quantity < 0 or self.n_slices < 1 or self.horizon_seconds <= 0:
            raise ValueError("need quantity >= 0, n_slices >= 1 and horizon_seconds > 0.")
        if self.algo not in ("twap", "vwap", "pov"):
            raise ValueError(f"algo must be 'twap', 'vwap' or 'pov', got {self.algo!r}.")
        if self.algo == "vwap" and (self.profile is None or len(self.profile) != self.n_slices):
            raise ValueError("a VWAP parent needs a volume profile with one weight per slice.")
        if self.style not in ("passive", "aggressive"):
            raise ValueError(f"style must be 'passive' or 'aggressive', got {self.style!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionReport:
    """Fills and costs of one parent order (prices in currency, costs in bps of arrival)."""

    parent: ParentOrder
    fills: pd.DataFrame  # ts (ns), slice, child_id, price, lots, liquidity ("maker"|"taker")
    slices: pd.DataFrame  # slice, start (ns), planned, filled, market_volume
    arrival_price: float
    final_mid: float
    filled: int
    average_price: float
    n_child_orders: int
    shortfall_bps: float
    spread_bps: float
    impact_bps: float
    opportunity_bps: float
    market_volume: int

    @property
    def fill_ratio(self) -> float:
        """Filled lots / parent lots (1 for an empty parent)."""
        return self.filled / self.parent.quantity if self.parent.quantity else 1.0

    @property
    def total_bps(self) -> float:
        """Implementation shortfall of the whole parent: filled part plus opportunity cost."""
        return self.shortfall_bps * self.fill_ratio + self.opportunity_bps

    def summary(self) -> dict[str, float]:
        """The report's numbers as a flat dict."""
        return {
            "quantity": float(self.parent.quantity),
            "filled": float(self.filled),
            "fill_ratio": self.fill_ratio,
            "arrival_price": self.arrival_price,
            "average_price": self.average_price,
            "shortfall_bps": self.shortfall_bps,
            "spread_bps": self.spread_bps,
            "impact_bps": self.impact_bps,
            "opportunity_bps": self.opportunity_bps,
            "total_bps": self.total_bps,
            "child_orders": float(self.n_child_orders),
            "participation": self.filled / max(self.market_volume, 1),
        }


def execute_parent(parent: ParentOrder, book: BookConfig | None = None, *, seed: int = 0) -> (
    ExecutionReport
):
    """Run ``parent`` against a fresh simulated book (seeded: same inputs, same report)."""
    book = BookConfig() if book is None else book
    engine, flow = book.open(seed)
    start = flow.now
    arrival = _mid(engine)
    slice_ns = int(parent.horizon_seconds * NS / parent.n_slices)
    plan = _plan(parent)
    fills: list[tuple[int, int, int, int, int, bool, float]] = []
    rows = []
    child_id = _FIRST_CHILD_ID
    remaining = parent.quantity
    last_volume = 0
    n_children = 0
    side = "B" if parent.side > 0 else "S"
    for k in range(parent.n_slices):
        begin, end = start + k * slice_ns, start + (k + 1) * slice_ns
        if parent.algo == "pov":
            want = plan[0] if k == 0 else pov_child_quantity(
                parent.participation, last_volume, remaining
            )
        else:
            want = int(min(remaining, plan[k]))
        filled_here = 0
        posted_mid = _mid(engine)
        if want > 0:
            mid = posted_mid
            child_id += 1
            n_children += 1
            if parent.style == "passive":
                touch = engine.best_bid() if parent.side > 0 else engine.best_ask()
                touch = arrival if touch is None else touch
                trades, _ = engine.submit(child_id, side, want, touch, account=ACCOUNT, ts=begin)
                filled_here += _collect(trades, fills, k, child_id, mid)
            else:
                trades, _ = engine.submit(
                    child_id, side, want, type="MARKET", account=ACCOUNT, ts=begin
                )
                filled_here += _collect(trades, fills, k, child_id, mid)
        step = flow.drive(engine, until=end)
        ours = _ours(step.trades)
        filled_here += _collect(step.trades[ours], fills, k, child_id, posted_mid)
        volume = int(step.trades["qty"].sum())
        if want > 0 and parent.style == "passive" and filled_here < want:
            engine.cancel(child_id, ts=end)
            mid = _mid(engine)
            child_id += 1
            n_children += 1
            trades, _ = engine.submit(
                child_id, side, want - filled_here, type="MARKET", account=ACCOUNT, ts=end
            )
            filled_here += _collect(trades, fills, k, child_id, mid)
        remaining -= filled_here
        last_volume = volume
        rows.append((k, begin, int(plan[k]) if parent.algo != "pov" else want, filled_here,
                     volume))
    return _report(parent, engine, fills, rows, arrival, n_children)


def execution_throughput(*, seed: int = 0, n_parents: int = 20) -> tuple[float, int]:
    """Child orders per second of wall time for passive TWAP parents (flow simulation included).

    Returns ``(child_orders_per_second, n_child_orders)``.
    """
    parent = ParentOrder(side=1, quantity=200, horizon_seconds=300.0, n_slices=20)
    book = BookConfig(warmup_seconds=30.0)
    started = time.perf_counter()
    children = sum(execute_parent(parent, book, seed=seed + k).n_child_orders
                   for k in range(n_parents))
    return children / (time.perf_counter() - started), children


def _plan(parent: ParentOrder) -> np.ndarray:
    if parent.algo == "vwap":
        return vwap_schedule(parent.quantity, np.asarray(parent.profile))
    return twap_schedule(parent.quantity, parent.n_slices)


def _mid(engine: MatchingEngine) -> float:
    mid = engine.mid()
    if mid is None:
        bid, ask = engine.best_bid(), engine.best_ask()
        mid = bid if ask is None else ask
    if mid is None:
        raise RuntimeError("the simulated book is empty on both sides; increase its depth.")
    return float(mid)


def _ours(trades: np.ndarray) -> np.ndarray:
    return (trades["taker_account"] == ACCOUNT) | (trades["maker_account"] == ACCOUNT)


def _collect(trades, fills, k, child_id, mid) -> int:
    """Append our fills; ``mid`` is the mid when their child was sent."""
    if len(trades) == 0:
        return 0
    ours = trades[_ours(trades)]
    for trade in ours:
        maker = int(trade["maker_account"]) == ACCOUNT
        fills.append((int(trade["ts"]), k, child_id, int(trade["price"]), int(trade["qty"]),
                      maker, mid))
    return int(ours["qty"].sum())


def _report(parent, engine, fills, rows, arrival, n_children) -> ExecutionReport:
    tick = engine.tick_size()
    frame = pd.DataFrame(
        fills, columns=["ts", "slice", "child_id", "price", "lots", "maker", "mid_at_send"]
    )
    frame["price"] = frame["price"] * tick
    frame["liquidity"] = np.where(frame["maker"], "maker", "taker")
    frame = frame.drop(columns="maker")
    slices = pd.DataFrame(rows, columns=["slice", "start", "planned", "filled", "market_volume"])
    filled = int(frame["lots"].sum())
    final_mid = _mid(engine)
    side = parent.side
    if filled:
        average = float((frame["price"] * frame["lots"]).sum() / filled)
        shortfall = side * (average - arrival) / arrival * 1e4
        spread = float(
            (side * (frame["price"] - frame["mid_at_send"]) * frame["lots"]).sum()
            / filled / arrival * 1e4
        )
    else:
        average, shortfall, spread = float("nan"), 0.0, 0.0
    unfilled = 1.0 - filled / parent.quantity if parent.quantity else 0.0
    return ExecutionReport(
        parent=parent,
        fills=frame,
        slices=slices,
        arrival_price=arrival,
        final_mid=final_mid,
        filled=filled,
        average_price=average,
        n_child_orders=n_children,
        shortfall_bps=float(shortfall),
        spread_bps=spread,
        impact_bps=float(shortfall - spread),
        opportunity_bps=float(side * (final_mid - arrival) / arrival * 1e4 * unfilled),
        market_volume=int(slices["market_volume"].sum()),
    )
