"""A sensible pure-Python order book: the fair baseline of the engine benchmark.

``reference.ReferenceBook`` is the literal specification (every rule spelled out, risk limits,
STP, several instruments) and is slow on purpose. This book is what a competent Python
programmer would write for speed on the same semantics, one instrument (0), no risk limits and
no self-trade prevention:

- per side a list of level keys kept sorted with ``bisect`` (``price`` for bids, ``-price`` for
  asks, ascending, so the best level is at the end and leaves by ``pop()``), and a dict
  ``key -> [live count, deque of orders]`` (FIFO);
- a dict ``id -> order`` (``[id, price, qty, account, side]``); a cancel marks the order dead
  (qty 0) and drops its level when the last live order leaves, and matching skips dead heads,
  so no message scans a queue.

Same inputs and outputs as ``ReferenceBook.process`` (tuples in dtype field order), same
trades and events as the engine on streams within that scope (``tests/engine``). The
QTY_OVERFLOW checks are left out: they need ~9.2e6 maximal orders on one level or 9.2e18 lots
traded, far beyond any stream this book is used on.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable

from alphafactory.engine._records import EventType, OrderType, Reason

__all__ = ["SortedBook"]

MAX_QTY = 1_000_000_000_000
MAX_PRICE = 1_000_000_000_000_000

ACC, REJ, CXL, MOD, FIL = (int(e) for e in EventType)
LIMIT, MARKET, IOC, FOK, POST_ONLY, CANCEL, MODIFY = (int(t) for t in OrderType)
R_DUP, R_QTY, R_PRICE, R_UNKNOWN = (int(Reason.DUPLICATE_ID), int(Reason.NON_POSITIVE_QTY),
                                    int(Reason.NON_POSITIVE_PRICE), int(Reason.UNKNOWN_ID))
R_SIDE, R_TYPE, R_INSTR = (int(Reason.INVALID_SIDE), int(Reason.INVALID_TYPE),
                           int(Reason.UNKNOWN_INSTRUMENT))
R_QTY_RANGE, R_PRICE_RANGE, R_CROSS = (int(Reason.QTY_OUT_OF_RANGE),
                                       int(Reason.PRICE_OUT_OF_RANGE), int(Reason.WOULD_CROSS))
R_USER, R_IOC, R_MKT, R_FOK = (int(Reason.USER), int(Reason.IOC_REMAINDER),
                               int(Reason.MARKET_NO_LIQUIDITY), int(Reason.FOK_UNFILLED))


class SortedBook:
    """Price levels in a bisect-sorted list, FIFO deques, an id dict (instrument 0 only).

    Parameters
    ----------
    emit_accepted : bool
        Whether ACCEPTED events are produced (the engine's ``events="all"``).
    """

    def __init__(self, *, emit_accepted: bool = True) -> None:
        self.emit_accepted = emit_accepted
        # index 1: bids (key price), index -1: asks (key -price); best level at the end
        self.keys: dict[int, list[int]] = {1: [], -1: []}
        self.levels: dict[int, dict[int, list]] = {1: {}, -1: {}}
        self.orders: dict[int, list[int]] = {}
        self.positions: dict[int, int] = {}  # account -> lots
        self.next_trade_id = 1

    def best(self, side: int) -> int | None:
        """Best price of a side (1 bid, -1 ask), or None when empty."""
        keys = self.keys[side]
        return keys[-1] * side if keys else None

    def process(self, orders: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
        """Process ``(ts, order_id, account, instrument, side, type, price, qty)`` tuples;
        returns this call's trades and events as tuples in dtype field order."""
        trades: list[tuple] = []
        events: list[tuple] = []
        ev = events.append
        book_orders = self.orders
        for ts, oid, account, instrument, side, typ, price, qty in orders:
            if typ == CANCEL:
                order = book_orders.get(oid)
                if order is None:
                    ev((ts, oid, instrument, REJ, R_UNKNOWN, 0))
                else:
                    ev((ts, oid, 0, CXL, R_USER, order[2]))
                    self._remove(order)
                continue
            if typ == MODIFY:
                self._modify(ts, oid, instrument, price, qty, trades, events)
                continue
            if not LIMIT <= typ <= POST_ONLY:
                ev((ts, oid, instrument, REJ, R_TYPE, qty))
                continue
            market = typ == MARKET
            reason = (R_SIDE if side != 1 and side != -1 else
                      R_INSTR if instrument != 0 else
                      R_QTY if qty <= 0 else
                      R_QTY_RANGE if qty > MAX_QTY else
                      R_PRICE if not market and price <= 0 else
                      R_PRICE_RANGE if not market and price > MAX_PRICE else
                      R_DUP if oid in book_orders else 0)
            if not reason and typ == POST_ONLY:
                opp = self.keys[-side]
                if opp and opp[-1] >= -side * price:
                    reason = R_CROSS
            if reason:
                ev((ts, oid, instrument, REJ, reason, qty))
                continue
            if self.emit_accepted:
                ev((ts, oid, 0, ACC, 0, qty))
            if typ == FOK and not self._fillable(side, price, qty):
                ev((ts, oid, 0, CXL, R_FOK, qty))
                continue
            rem = self._match(ts, oid, account, side, market, price, qty, trades, events)
            if rem == 0:
                ev((ts, oid, 0, FIL, 0, 0))
            elif typ == LIMIT or typ == POST_ONLY:
                self._rest(oid, account, side, price, rem)
            else:
                ev((ts, oid, 0, CXL, R_MKT if market else R_IOC if typ == IOC else R_FOK, rem))
        return trades, events

    def _modify(self, ts, oid, instrument, price, qty, trades, events) -> None:
        order = self.orders.get(oid)
        if order is None:
            events.append((ts, oid, instrument, REJ, R_UNKNOWN, qty))
            return
        reason = (R_QTY if qty <= 0 else R_QTY_RANGE if qty > MAX_QTY else
                  R_PRICE if price <= 0 else R_PRICE_RANGE if price > MAX_PRICE else 0)
        if reason:
            events.append((ts, oid, 0, REJ, reason, qty))
            return
        if price == order[1] and qty <= order[2]:
            order[2] = qty  # keeps its place in the FIFO
            events.append((ts, oid, 0, MOD, 0, qty))
            return
        self._remove(order)
        events.append((ts, oid, 0, MOD, 0, qty))
        account, side = order[3], order[4]
        rem = self._match(ts, oid, account, side, False, price, qty, trades, events)
        if rem == 0:
            events.append((ts, oid, 0, FIL, 0, 0))
        else:
            self._rest(oid, account, side, price, rem)

    def _fillable(self, side: int, price: int, qty: int) -> bool:
        keys, levels = self.keys[-side], self.levels[-side]
        bound = -side * price
        avail = 0
        for key in reversed(keys):
            if key < bound:
                break
            for order in levels[key][1]:
                avail += order[2]
                if avail >= qty:
                    return True
        return False

    def _match(self, ts, oid, account, side, market, price, qty, trades, events) -> int:
        keys, levels, orders = self.keys[-side], self.levels[-side], self.orders
        bound = -side * price
        positions = self.positions
        rem = qty
        while rem and keys:
            key = keys[-1]
            if not market and key < bound:
                break
            level = levels[key]
            fifo = level[1]
            while rem and fifo:
                maker = fifo[0]
                mq = maker[2]
                if mq == 0:  # cancelled: dropped lazily
                    fifo.popleft()
                    continue
                q = rem if rem < mq else mq
                trades.append((ts, self.next_trade_id, 0, maker[1], q, side, maker[0], oid,
                               maker[3], account))
                self.next_trade_id += 1
                positions[account] = positions.get(account, 0) + side * q
                positions[maker[3]] = positions.get(maker[3], 0) - side * q
                rem -= q
                if q == mq:
                    events.append((ts, maker[0], 0, FIL, 0, 0))
                    fifo.popleft()
                    del orders[maker[0]]
                    level[0] -= 1
                else:
                    maker[2] = mq - q
            if level[0] == 0:
                keys.pop()
                del levels[key]
        return rem

    def _rest(self, oid: int, account: int, side: int, price: int, qty: int) -> None:
        key = side * price
        levels = self.levels[side]
        level = levels.get(key)
        if level is None:
            level = levels[key] = [0, deque()]
            insort(self.keys[side], key)
        order = [oid, price, qty, account, side]
        level[1].append(order)
        level[0] += 1
        self.orders[oid] = order

    def _remove(self, order: list[int]) -> None:
        oid, price, _, _, side = order
        order[2] = 0  # dead: matching skips it
        key = side * price
        levels = self.levels[side]
        level = levels[key]
        level[0] -= 1
        if level[0] == 0:
            del levels[key]
            keys = self.keys[side]
            del keys[bisect_left(keys, key)]
        del self.orders[oid]
