"""Execute a parent order as child orders through a :class:`Venue` and report what it cost.

Three separate parts: the schedule says how many shares each slice should trade (TWAP and VWAP
fixed in advance, POV from the volume just seen: :mod:`alphafactory.execution.schedule`); the
venue takes the children (:class:`SimulatedVenue`, :class:`BarVenue`, a broker); the venue's
ledger says what happened, and :func:`alphafactory.execution.attribution.attribute` turns the
fills into the shortfall and its parts.

Each slice sends one child: ``style="passive"`` posts a LIMIT at the near touch (the best bid
for a buy) at the start of the slice and, at its end, cancels what is left and sends a MARKET
order for it; ``style="aggressive"`` sends a MARKET order at the start of the slice. The venue's
clock advances between the strategy's actions, so children meet (and move) a living book.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.execution.attribution import CostAttribution, attribute
from alphafactory.execution.orders import Fill, Order, OrderType, Quote, Side
from alphafactory.execution.schedule import pov_child_quantity, twap_schedule, vwap_schedule
from alphafactory.execution.venue import SimulatedClockVenue

__all__ = ["ExecutionReport", "ParentOrder", "execute_parent", "execution_throughput"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ParentOrder:
    """A parent order: ``quantity`` shares of ``symbol`` bought or sold over a horizon.

    ``algo`` is ``"twap"``, ``"vwap"`` (needs ``profile``, one weight per slice) or ``"pov"``
    (``participation`` of the volume seen in the previous slice; the first slice uses the
    TWAP size). ``horizon_seconds`` of venue time are split into ``n_slices``. The quantity is
    traded in whole lots of the venue (:meth:`Venue.lot_size`).
    """

    symbol: str
    side: Side
    quantity: float
    horizon_seconds: float = 600.0
    n_slices: int = 10
    algo: Literal["twap", "vwap", "pov"] = "twap"
    profile: tuple[float, ...] | None = None
    participation: float = 0.1
    style: Literal["passive", "aggressive"] = "passive"

    def __post_init__(self) -> None:
        if not isinstance(self.side, Side):
            raise ValueError(f"side must be Side.BUY or Side.SELL, got {self.side!r}.")
        if not (self.quantity >= 0 and self.n_slices >= 1 and self.horizon_seconds > 0):
            raise ValueError("need quantity >= 0, n_slices >= 1 and horizon_seconds > 0.")
        if self.algo not in ("twap", "vwap", "pov"):
            raise ValueError(f"algo must be 'twap', 'vwap' or 'pov', got {self.algo!r}.")
        if self.algo == "vwap" and (self.profile is None or len(self.profile) != self.n_slices):
            raise ValueError("a VWAP parent needs a volume profile with one weight per slice.")
        if self.style not in ("passive", "aggressive"):
            raise ValueError(f"style must be 'passive' or 'aggressive', got {self.style!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionReport:
    """Fills and costs of one parent order (shares, currency; bps of the arrival notional)."""

    parent: ParentOrder
    fills: pd.DataFrame  # ts, slice, client_order_id, price, quantity, liquidity, fee, mid,
    #                      touch, mid_at_send (the mid when the fill's child was sent)
    slices: pd.DataFrame  # slice, start, planned, filled, market_volume (shares)
    arrival_price: float
    final_mid: float
    final_touch: float | None  # where an unfilled rest is completed (the ask for a buy)
    filled: float
    average_price: float
    n_child_orders: int
    attribution: CostAttribution
    market_volume: float

    @property
    def fill_ratio(self) -> float:
        """Filled shares / parent shares (1 for an empty parent)."""
        return self.filled / self.parent.quantity if self.parent.quantity else 1.0

    @property
    def shortfall_bps(self) -> float:
        """Shortfall of the filled part: side * (average fill - arrival) / arrival, in bps."""
        if not self.filled:
            return 0.0
        return self.parent.side.value * (self.average_price / self.arrival_price - 1.0) * 1e4

    @property
    def total_bps(self) -> float:
        """Implementation shortfall of the whole parent (unfilled rest and fees included)."""
        return self.costs_bps()["total_bps"]

    def costs_bps(self) -> dict[str, float]:
        """The attribution in bps of the arrival notional; the parts add up to the shortfall."""
        return self.attribution.bps(self.arrival_price * self.parent.quantity)

    def summary(self) -> dict[str, float]:
        """The report's numbers as a flat dict."""
        return {
            "quantity": float(self.parent.quantity), "filled": self.filled,
            "fill_ratio": self.fill_ratio, "arrival_price": self.arrival_price,
            "average_price": self.average_price, "filled_shortfall_bps": self.shortfall_bps,
            **self.costs_bps(), "child_orders": float(self.n_child_orders),
            "participation": self.filled / max(self.market_volume, 1e-12),
        }  # fmt: skip


def execute_parent(parent: ParentOrder, venue: SimulatedClockVenue, *, tag: str = "p") -> (
    ExecutionReport
):
    """Run ``parent`` through ``venue`` from its current time; child ids are ``tag-k``."""
    lot = venue.lot_size(parent.symbol)
    lots = round(parent.quantity / lot)
    if not math.isclose(lots * lot, parent.quantity, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(f"parent quantity {parent.quantity} is not a whole number of lots of "
                         f"{lot} shares at this venue.")
    start = venue.now()
    children = _Children(parent, venue, tag)
    arrival = _mid(venue.quote(parent.symbol))
    step = pd.Timedelta(int(parent.horizon_seconds * 1e9 / parent.n_slices), unit="ns")
    plan = (vwap_schedule(lots, np.asarray(parent.profile)) if parent.algo == "vwap"
            else twap_schedule(lots, parent.n_slices))
    slices = []
    remaining, last_volume = lots, 0.0
    for k in range(parent.n_slices):
        begin, end = start + k * step, start + (k + 1) * step
        if parent.algo == "pov":
            want = int(plan[0]) if k == 0 else pov_child_quantity(
                parent.participation, round(last_volume / lot), remaining)
        else:
            want = int(min(remaining, plan[k]))
        volume_before = venue.quote(parent.symbol).volume
        traded_before = children.traded
        resting = None
        if want > 0:
            quote = venue.quote(parent.symbol)
            near = quote.bid if parent.side == Side.BUY else quote.ask
            if parent.style == "passive" and near is not None:
                resting = children.send(k, want * lot, OrderType.LIMIT, near)
            else:
                children.send(k, want * lot, OrderType.MARKET)
        venue.advance(end)
        children.collect()
        if resting is not None:
            left = round(want - children.filled[resting] / lot)
            if left > 0:
                venue.cancel(resting)
                children.send(k, left * lot, OrderType.MARKET)
        filled_here = children.traded - traded_before
        volume = venue.quote(parent.symbol).volume - volume_before
        remaining -= round(filled_here / lot)
        last_volume = volume
        slices.append((k, begin, (int(plan[k]) if parent.algo != "pov" else want) * lot,
                       filled_here, volume))
    return _report(parent, venue, children, slices, arrival)


class _Children:
    """The child orders of one parent: what was sent, what filled, and the mid moves they
    caused (the venue's quote right before and right after each submit)."""

    def __init__(self, parent: ParentOrder, venue: SimulatedClockVenue, tag: str) -> None:
        self.parent, self.venue, self.tag = parent, venue, tag
        self.cursor = len(venue.fills())
        self.first_fill = self.cursor
        self.slice: dict[str, int] = {}
        self.sent_mid: dict[str, float | None] = {}
        self.filled: dict[str, float] = {}
        self.traded = 0.0
        self.own_impact = 0.0  # currency: sum of max(0, s * mid jump) * shares still to trade

    def send(self, k: int, quantity: float, type_: OrderType, price: float | None = None) -> str:
        client_id = f"{self.tag}-{len(self.slice) + 1}"
        self.slice[client_id], self.filled[client_id] = k, 0.0
        before = self.venue.quote(self.parent.symbol)
        self.sent_mid[client_id] = before.mid
        self.venue.submit(Order(symbol=self.parent.symbol, side=self.parent.side,
                                quantity=quantity, client_order_id=client_id, type=type_,
                                limit_price=price))
        self.collect()
        after = self.venue.quote(self.parent.symbol)
        jump = self.parent.side.value * (_mid_or_last(after) - _mid_or_last(before))
        rest = max(self.parent.quantity - self.traded, 0.0)
        self.own_impact += max(jump, 0.0) * rest
        return client_id

    def collect(self) -> None:
        """Book the venue's new fills of these children."""
        for fill in self.venue.fills(since=self.cursor):
            if fill.client_order_id in self.filled:
                self.filled[fill.client_order_id] += fill.quantity
                self.traded += fill.quantity
            self.cursor = fill.sequence


def _mid_or_last(quote: Quote) -> float:
    """The mid, with the last price standing in for a side our order emptied."""
    bid = quote.bid if quote.bid is not None else quote.last
    ask = quote.ask if quote.ask is not None else quote.last
    if bid is None or ask is None:
        return _mid(quote)
    return (bid + ask) / 2


def _mid(quote: Quote) -> float:
    mid = quote.mid
    if mid is None:
        raise RuntimeError(f"the venue has no price for {quote.symbol}: empty book, no trades.")
    return float(mid)


def _report(parent, venue, children: _Children, slices, arrival) -> ExecutionReport:
    child_slice, sent_mid = children.slice, children.sent_mid
    fills: list[Fill] = [f for f in venue.fills(children.first_fill)
                         if f.client_order_id in child_slice]
    frame = pd.DataFrame({
        "ts": pd.to_datetime(np.array([f.ts.value for f in fills], dtype=np.int64), utc=True),
        "slice": [child_slice[f.client_order_id] for f in fills],
        "client_order_id": np.array([f.client_order_id for f in fills], dtype=object),
        "price": np.array([f.price for f in fills], dtype=np.float64),
        "quantity": np.array([f.quantity for f in fills], dtype=np.float64),
        "liquidity": np.array([f.liquidity.value for f in fills], dtype=object),
        "fee": np.array([f.fee for f in fills], dtype=np.float64),
        "mid": np.array([f.mid for f in fills], dtype=np.float64),
        "touch": np.array([f.touch for f in fills], dtype=np.float64),
        "mid_at_send": np.array([sent_mid[f.client_order_id] or np.nan for f in fills],
                                dtype=np.float64),
    })  # fmt: skip
    table = pd.DataFrame(slices, columns=["slice", "start", "planned", "filled",
                                          "market_volume"])
    filled = float(frame["quantity"].sum())
    final = venue.quote(parent.symbol)
    final_mid = _mid(final)
    final_touch = final.touch(parent.side)
    average = float((frame["price"] * frame["quantity"]).sum() / filled) if filled else math.nan
    attribution = attribute(side=parent.side, quantity=parent.quantity, arrival_mid=arrival,
                            fills=fills, final_mid=final_mid, final_touch=final_touch,
                            own_impact=children.own_impact)
    return ExecutionReport(
        parent=parent, fills=frame, slices=table, arrival_price=arrival, final_mid=final_mid,
        final_touch=final_touch, filled=filled, average_price=average,
        n_child_orders=len(child_slice), attribution=attribution,
        market_volume=float(table["market_volume"].sum()),
    )  # fmt: skip


def execution_throughput(*, seed: int = 0, n_parents: int = 20) -> tuple[float, int]:
    """Child orders per second of wall time for passive TWAP parents through a
    :class:`SimulatedVenue` (background flow included). Returns ``(rate, n_child_orders)``."""
    import time

    from alphafactory.execution.book import BookConfig
    from alphafactory.execution.simulated_venue import SimulatedVenue

    book = BookConfig(warmup_seconds=30.0)
    parent = ParentOrder(symbol="X", side=Side.BUY, quantity=200 * book.shares_per_lot,
                         horizon_seconds=300.0, n_slices=20)
    started = time.perf_counter()
    children = sum(
        execute_parent(parent, SimulatedVenue({"X": book}, seed=seed + k)).n_child_orders
        for k in range(n_parents)
    )
    return children / (time.perf_counter() - started), children
