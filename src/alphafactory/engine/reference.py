"""A pure-Python reference order book: the specification the C++ engine is tested against.

Written for obviousness, not speed: per side a dict ``price -> list of resting orders`` (FIFO)
and a sorted list of prices; every rule of the engine is spelled out once, in the order the
engine applies it. It consumes and produces plain tuples in the field order of
``ORDER_DTYPE``, ``TRADE_DTYPE`` and ``EVENT_DTYPE``, so outputs compare record by record.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from alphafactory.engine._records import EventType, OrderType, Reason, StpMode

__all__ = ["ReferenceBook", "ReferenceLimits"]

MAX_QTY = 1_000_000_000_000
MAX_PRICE = 1_000_000_000_000_000
INT64_MAX = 2**63 - 1
_FNV_OFFSET = 1469598103934665603
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1

ACC, REJ, CXL, MOD, FIL = (int(e) for e in EventType)
LIMIT, MARKET, IOC, FOK, POST_ONLY, CANCEL, MODIFY = (int(t) for t in OrderType)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReferenceLimits:
    """Risk limits of the reference book (None: off), in lots, ticks and currency."""

    max_order_qty: int | None = None
    max_order_notional: float | None = None
    max_position: int | None = None
    max_open_orders: int | None = None
    collar_ticks: int | None = None
    collar_fraction: float | None = None


@dataclass
class _Side:
    levels: dict[int, list[list[int]]] = field(default_factory=dict)  # price -> FIFO
    prices: list[int] = field(default_factory=list)  # ascending


class ReferenceBook:
    """Reference implementation of the engine's semantics (see ``MatchingEngine``).

    Parameters
    ----------
    tick_size, lot_size : float
        Sizes of instrument 0 (only used by the notional risk check).
    stp : StpMode
        Self-trade prevention mode.
    limits : ReferenceLimits or None
        Pre-trade risk limits, off when None.
    emit_accepted : bool
        Whether ACCEPTED events are produced.
    """

    def __init__(
        self,
        *,
        tick_size: float = 0.01,
        lot_size: float = 1.0,
        stp: StpMode = StpMode.NONE,
        limits: ReferenceLimits | None = None,
        emit_accepted: bool = True,
    ) -> None:
        self.stp = int(stp)
        self.limits = limits
        self.emit_accepted = emit_accepted
        self.books: dict[int, dict[int, _Side]] = {}
        self.sizes: dict[int, tuple[float, float]] = {}
        self.last_trade: dict[int, int | None] = {}
        self.orders: dict[int, list[int]] = {}  # id -> [id, price, qty, account, side, instr]
        self.positions: dict[tuple[int, int], int] = {}
        self.open: dict[int, int] = {}
        self.killed: set[int] = set()
        self.next_trade_id = 1
        self.trades: list[tuple] = []
        self.events: list[tuple] = []
        self.add_instrument(0, tick_size, lot_size)

    def add_instrument(self, instrument: int, tick_size: float, lot_size: float) -> None:
        """Add an empty book for ``instrument``."""
        self.books[instrument] = {1: _Side(), -1: _Side()}
        self.sizes[instrument] = (tick_size, lot_size)
        self.last_trade[instrument] = None

    def set_kill_switch(self, account: int, on: bool) -> None:
        """Reject every new order and modify of ``account`` while on."""
        (self.killed.add if on else self.killed.discard)(account)

    # ---- queries -------------------------------------------------------------------------
    def best(self, instrument: int, side: int) -> int | None:
        """Best price of a side, or None when empty."""
        prices = self.books[instrument][side].prices
        if not prices:
            return None
        return prices[-1] if side == 1 else prices[0]

    def levels(self, instrument: int, side: int) -> list[tuple[int, int, int]]:
        """``(price, total qty, order count)`` per level, best first."""
        s = self.books[instrument][side]
        ordered = reversed(s.prices) if side == 1 else s.prices
        return [(p, sum(o[2] for o in s.levels[p]), len(s.levels[p])) for p in ordered]

    def l2_hash(self) -> int:
        """The engine's L2 hash: FNV-style over (instrument, side, price, qty) of every level."""
        h = _FNV_OFFSET
        for instrument in sorted(self.books):
            for side in (1, -1):
                for price, qty, _ in self.levels(instrument, side):
                    for v in (instrument, side, price, qty):
                        h = ((h ^ (v & _MASK)) * _FNV_PRIME) & _MASK
        return h

    # ---- processing ----------------------------------------------------------------------
    def process(self, orders: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
        """Process ``(ts, order_id, account, instrument, side, type, price, qty)`` tuples.

        Returns the trades and events of this call as tuples in dtype field order.
        """
        self.trades, self.events = [], []
        for msg in orders:
            ts, oid, account, instrument, side, typ, price, qty = (int(v) for v in msg)
            if typ == CANCEL:
                self._cancel(ts, oid, instrument)
            elif typ == MODIFY:
                self._modify(ts, oid, instrument, price, qty)
            elif LIMIT <= typ <= POST_ONLY:
                self._new(ts, oid, account, instrument, side, typ, price, qty)
            else:
                self._event(ts, oid, instrument, REJ, Reason.INVALID_TYPE, qty)
        return self.trades, self.events

    def _event(self, ts: int, oid: int, instrument: int, ev: int, reason: int, rem: int) -> None:
        self.events.append((ts, oid, instrument, ev, int(reason), rem))

    def _new(self, ts, oid, account, instrument, side, typ, price, qty) -> None:
        def reject(reason: Reason) -> None:
            self._event(ts, oid, instrument, REJ, reason, qty)

        market = typ == MARKET
        if side not in (1, -1):
            return reject(Reason.INVALID_SIDE)
        if instrument not in self.books:
            return reject(Reason.UNKNOWN_INSTRUMENT)
        if qty <= 0:
            return reject(Reason.NON_POSITIVE_QTY)
        if qty > MAX_QTY:
            return reject(Reason.QTY_OUT_OF_RANGE)
        if not market and price <= 0:
            return reject(Reason.NON_POSITIVE_PRICE)
        if not market and price > MAX_PRICE:
            return reject(Reason.PRICE_OUT_OF_RANGE)
        if oid in self.orders:
            return reject(Reason.DUPLICATE_ID)
        reason = self._risk(instrument, account, side, typ, price, qty)
        if reason != Reason.NONE:
            return reject(reason)
        opposite = self.best(instrument, -side)
        if typ == POST_ONLY and opposite is not None and self._crosses(side, price, opposite):
            return reject(Reason.WOULD_CROSS)
        reason = self._overflow(instrument, account, side, typ in (LIMIT, POST_ONLY), price, qty)
        if reason != Reason.NONE:
            return reject(reason)
        if self.emit_accepted:
            self._event(ts, oid, instrument, ACC, Reason.NONE, qty)
        if typ == FOK and not self._fok_fillable(instrument, account, side, price, qty):
            return self._event(ts, oid, instrument, CXL, Reason.FOK_UNFILLED, qty)
        rem, stopped = self._match(ts, oid, account, instrument, side, market, price, qty)
        if rem == 0:
            self._event(ts, oid, instrument, FIL, Reason.NONE, 0)
        elif stopped:
            self._event(ts, oid, instrument, CXL, Reason.SELF_TRADE, rem)
        elif typ in (LIMIT, POST_ONLY):
            self._rest(oid, account, instrument, side, price, rem)
        else:
            why = {MARKET: Reason.MARKET_NO_LIQUIDITY, IOC: Reason.IOC_REMAINDER}
            self._event(ts, oid, instrument, CXL, why.get(typ, Reason.FOK_UNFILLED), rem)

    def _cancel(self, ts, oid, instrument) -> None:
        order = self.orders.get(oid)
        if order is None:
            return self._event(ts, oid, instrument, REJ, Reason.UNKNOWN_ID, 0)
        self._event(ts, oid, order[5], CXL, Reason.USER, order[2])
        self._remove(order)

    def _modify(self, ts, oid, instrument, price, qty) -> None:
        order = self.orders.get(oid)
        if order is None:
            return self._event(ts, oid, instrument, REJ, Reason.UNKNOWN_ID, qty)
        _, old_price, old_qty, account, side, instr = order
        checks = (
            (qty <= 0, Reason.NON_POSITIVE_QTY),
            (qty > MAX_QTY, Reason.QTY_OUT_OF_RANGE),
            (price <= 0, Reason.NON_POSITIVE_PRICE),
            (price > MAX_PRICE, Reason.PRICE_OUT_OF_RANGE),
        )
        for failed, reason in checks:
            if failed:
                return self._event(ts, oid, instr, REJ, reason, qty)
        reason = self._risk(instr, account, side, MODIFY, price, qty)
        if reason != Reason.NONE:
            return self._event(ts, oid, instr, REJ, reason, qty)
        if not (price == old_price and qty <= old_qty):
            leaving = old_qty if price == old_price else 0
            reason = self._overflow(instr, account, side, True, price, qty, leaving)
            if reason != Reason.NONE:
                return self._event(ts, oid, instr, REJ, reason, qty)
        if price == old_price and qty <= old_qty:
            order[2] = qty  # keeps its place in the FIFO
            return self._event(ts, oid, instr, MOD, Reason.NONE, qty)
        self._remove(order)
        self._event(ts, oid, instr, MOD, Reason.NONE, qty)
        rem, stopped = self._match(ts, oid, account, instr, side, False, price, qty)
        if rem == 0:
            self._event(ts, oid, instr, FIL, Reason.NONE, 0)
        elif stopped:
            self._event(ts, oid, instr, CXL, Reason.SELF_TRADE, rem)
        else:
            self._rest(oid, account, instr, side, price, rem)

    @staticmethod
    def _crosses(side: int, price: int, opposite: int) -> bool:
        return opposite <= price if side == 1 else opposite >= price

    def _risk(self, instrument, account, side, typ, price, qty) -> Reason:
        if account in self.killed:
            return Reason.RISK_KILL_SWITCH
        lim = self.limits
        if lim is None:
            return Reason.NONE
        market = typ == MARKET
        if lim.max_order_qty is not None and qty > lim.max_order_qty:
            return Reason.RISK_MAX_QTY
        if lim.max_order_notional is not None:
            px = self.best(instrument, -side) if market else price
            tick, lot = self.sizes[instrument]
            if px is not None and float(px) * tick * float(qty) * lot > lim.max_order_notional:
                return Reason.RISK_MAX_NOTIONAL
        if not market and (lim.collar_ticks is not None or lim.collar_fraction is not None):
            ref = self.last_trade[instrument]
            bid, ask = self.best(instrument, 1), self.best(instrument, -1)
            if ref is None and bid is not None and ask is not None:
                ref = (float(bid) + float(ask)) * 0.5
            if ref is not None:
                dist = abs(float(price) - float(ref))
                if lim.collar_ticks is not None and dist > float(lim.collar_ticks):
                    return Reason.RISK_PRICE_COLLAR
                if lim.collar_fraction is not None and dist > lim.collar_fraction * float(ref):
                    return Reason.RISK_PRICE_COLLAR
        if lim.max_position is not None:
            nxt = self.positions.get((account, instrument), 0) + side * qty
            if abs(nxt) > lim.max_position:
                return Reason.RISK_MAX_POSITION
        if (
            lim.max_open_orders is not None
            and typ in (LIMIT, POST_ONLY)
            and self.open.get(account, 0) >= lim.max_open_orders
        ):
            return Reason.RISK_MAX_OPEN_ORDERS
        return Reason.NONE

    def _overflow(self, instrument, account, side, rests, price, qty, leaving=0) -> Reason:
        """QTY_OVERFLOW when resting ``qty`` at ``price`` would take that level's total past
        int64 (``leaving`` lots of a modified order leave it first), or filling ``qty`` would take
        the account's position past int64 (the engine keeps both in int64 on the way out)."""
        fifo = self.books[instrument][side].levels.get(price) if rests else None
        # Summing only when the level could overflow keeps the reference's speed.
        if fifo and len(fifo) * MAX_QTY + qty > INT64_MAX:
            if sum(o[2] for o in fifo) - leaving > INT64_MAX - qty:
                return Reason.QTY_OVERFLOW
        if abs(self.positions.get((account, instrument), 0) + side * qty) > INT64_MAX:
            return Reason.QTY_OVERFLOW
        return Reason.NONE

    def _opposite_levels(self, instrument: int, side: int):
        """Opposite side's (price, FIFO) pairs, best first."""
        s = self.books[instrument][-side]
        ordered = s.prices if side == 1 else reversed(s.prices)
        return ((p, s.levels[p]) for p in list(ordered))

    def _fok_fillable(self, instrument, account, side, price, qty) -> bool:
        avail = 0
        for level_price, fifo in self._opposite_levels(instrument, side):
            if not self._crosses(side, price, level_price):
                break
            for o in fifo:
                if self.stp != StpMode.NONE and o[3] == account:
                    if self.stp == StpMode.CANCEL_MAKER:
                        continue
                    return False
                avail += o[2]
                if avail >= qty:
                    return True
        return False

    def _match(self, ts, oid, account, instrument, side, market, price, qty):
        rem = qty
        for level_price, fifo in self._opposite_levels(instrument, side):
            if rem == 0 or not (market or self._crosses(side, price, level_price)):
                break
            while rem > 0 and fifo:
                maker = fifo[0]
                if self.stp != StpMode.NONE and maker[3] == account:
                    if self.stp == StpMode.CANCEL_TAKER:
                        return rem, True
                    self._event(ts, maker[0], instrument, CXL, Reason.SELF_TRADE, maker[2])
                    self._remove(maker)
                    if self.stp == StpMode.CANCEL_BOTH:
                        return rem, True
                    continue
                q = min(rem, maker[2])
                self.trades.append(
                    (ts, self.next_trade_id, instrument, maker[1], q, side, maker[0], oid,
                     maker[3], account)
                )
                self.next_trade_id += 1
                self.last_trade[instrument] = maker[1]
                key_t, key_m = (account, instrument), (maker[3], instrument)
                self.positions[key_t] = self.positions.get(key_t, 0) + side * q
                self.positions[key_m] = self.positions.get(key_m, 0) - side * q
                rem -= q
                maker[2] -= q
                if maker[2] == 0:
                    self._event(ts, maker[0], instrument, FIL, Reason.NONE, 0)
                    self._remove(maker)
        return rem, False

    def _rest(self, oid, account, instrument, side, price, qty) -> None:
        s = self.books[instrument][side]
        if price not in s.levels:
            s.levels[price] = []
            bisect.insort(s.prices, price)
        order = [oid, price, qty, account, side, instrument]
        s.levels[price].append(order)
        self.orders[oid] = order
        self.open[account] = self.open.get(account, 0) + 1

    def _remove(self, order: list[int]) -> None:
        oid, price, _, account, side, instrument = order
        s = self.books[instrument][side]
        fifo = s.levels[price]
        fifo.remove(order)
        if not fifo:
            del s.levels[price]
            s.prices.pop(bisect.bisect_left(s.prices, price))
        del self.orders[oid]
        self.open[account] -= 1
