"""``MatchingEngine``: the Python facade over the compiled price-time matching engine.

Semantics (the C++ core implements them; ``reference.ReferenceBook`` restates them in Python):

- Price-time priority; a trade prints at the resting order's price; partial fills on both sides.
- LIMIT rests its remainder. MARKET (price ignored) never rests: its remainder is CANCELED with
  reason MARKET_NO_LIQUIDITY. IOC: remainder CANCELED (IOC_REMAINDER). FOK: fills completely or
  is CANCELED (FOK_UNFILLED) with no other effect. POST_ONLY is REJECTED (WOULD_CROSS) if it
  would cross. CANCEL (price and qty ignored) of an id that is not resting is REJECTED
  (UNKNOWN_ID). MODIFY sets a new price and open quantity: the same price and a smaller or equal
  quantity keep queue priority; otherwise the order leaves the queue, may trade as a limit
  order, and rests at the back. CANCEL and MODIFY act on the order's own account and instrument.
- Order ids are unique among resting orders (a finished order's id may be reused).
- Event order for a taker: ACCEPTED, then trades level by level in FIFO order, each maker's
  FILLED right after the trade that completes it, then the taker's FILLED, or CANCELED
  remainder, or nothing when it rests.
- Self-trade prevention (``stp``): ``cancel_taker`` stops the taker at the first resting order of
  its own account (remainder CANCELED, SELF_TRADE); ``cancel_maker`` cancels such resting orders
  and goes on; ``cancel_both`` does both. With STP on, no trade has the same account twice.
- Rejections are events (a zero or negative price or quantity included); malformed input raises
  one ``ExecutionError`` line naming the argument, the rule and what it got: a wrong dtype or
  shape, an unknown ``type``/``side``/``stp``, a non-integer id, account or level count, a NaN,
  infinite, off-tick or out-of-range price or quantity, an unknown instrument in a query.
- An order that would take a level's total or its account's position beyond int64 lots is
  REJECTED with QTY_OVERFLOW, the book unchanged.

Units: the batch API (``process``, ``book_changes``, ``depth_ticks``) moves numpy records in
integer ticks and lots; everything else (``submit``, ``cancel``, ``modify``, ``order``,
``position``, ``best_bid``, ``depth``, ``process_frame``) takes and returns currency and units.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

from alphafactory import _engine
from alphafactory.engine._records import (
    BOOK_CHANGE_DTYPE,
    EVENT_DTYPE,
    ORDER_DTYPE,
    TRADE_DTYPE,
    OrderType,
    Side,
    StpMode,
)
from alphafactory.engine.arguments import INT32, INT64, check_choice, check_int, check_number
from alphafactory.engine.convert import from_steps, to_step
from alphafactory.engine.frames import orders_from_frame, trades_events_frames
from alphafactory.engine.results import OrderResult, order_result
from alphafactory.engine.risk_limits import RiskLimits
from alphafactory.errors import ExecutionError

__all__ = ["MatchingEngine", "RiskLimits"]

_STP_NAMES = {m.name.lower(): m for m in StpMode}
_EVENT_MODES = {"all": True, "no_accepted": False}
# submit() places new orders; CANCEL and MODIFY have their own methods.
_NEW_TYPES = {t.name: t for t in (OrderType.LIMIT, OrderType.MARKET, OrderType.IOC,
                                  OrderType.FOK, OrderType.POST_ONLY)}
_SIDES = {"B": Side.BUY, "BUY": Side.BUY, "S": Side.SELL, "SELL": Side.SELL}


class MatchingEngine:
    """Exact multi-instrument price-time matching engine on integer ticks and lots.

    Parameters
    ----------
    tick_size, lot_size : float
        Price and quantity steps of instrument 0 (more with ``add_instrument``).
    risk : RiskLimits or None
        Pre-trade risk limits; None (the default) switches them off.
    stp : {"none", "cancel_taker", "cancel_maker", "cancel_both"}
        Self-trade prevention mode.
    events : {"all", "no_accepted"}
        ``"no_accepted"`` drops ACCEPTED events to save memory in big replays.
    log_book_changes : bool
        Record resting-liquidity changes for ``book_changes()`` (LOBSTER export).
    """

    def __init__(
        self,
        *,
        tick_size: float = 0.01,
        lot_size: float = 1.0,
        risk: RiskLimits | None = None,
        stp: str = "none",
        events: str = "all",
        log_book_changes: bool = False,
    ) -> None:
        stp_mode = check_choice("stp", stp, _STP_NAMES)
        emit_accepted = check_choice("events", events, _EVENT_MODES)
        if risk is not None and not isinstance(risk, RiskLimits):
            raise ExecutionError(f"risk: must be a RiskLimits or None, got {risk!r}")
        self.risk = risk
        self.stp = stp
        limits = (risk or RiskLimits()).as_kwargs()
        self._core = _engine.MatchingEngine(
            tick_size=check_number("tick_size", tick_size, low=0, strict_low=True),
            lot_size=check_number("lot_size", lot_size, low=0, strict_low=True),
            stp=int(stp_mode),
            emit_accepted=emit_accepted,
            log_book_changes=bool(log_book_changes),
            **limits,
        )

    def add_instrument(self, instrument: int, *, tick_size: float, lot_size: float = 1.0) -> None:
        """Add an instrument with its own tick and lot size (ExecutionError if it exists)."""
        instrument = check_int("instrument", instrument, low=INT32[0], high=INT32[1])
        tick = check_number("tick_size", tick_size, low=0, strict_low=True)
        lot = check_number("lot_size", lot_size, low=0, strict_low=True)
        if self._core.has_instrument(instrument):
            raise ExecutionError(f"instrument: {instrument} already exists; "
                                 f"instruments are {self.instruments}")
        self._core.add_instrument(instrument, tick, lot)

    def _instrument(self, instrument: object) -> int:
        """A query's instrument: an int the engine knows."""
        number = check_int("instrument", instrument, low=INT32[0], high=INT32[1])
        if not self._core.has_instrument(number):
            raise ExecutionError(f"instrument: unknown instrument {number}; "
                                 f"instruments are {self.instruments}")
        return number

    @property
    def instruments(self) -> list[int]:
        """Instrument ids, ascending."""
        return list(self._core.instruments())

    def tick_size(self, instrument: int = 0) -> float:
        """Price step of ``instrument`` in currency."""
        return float(self._core.tick_size(self._instrument(instrument)))

    def lot_size(self, instrument: int = 0) -> float:
        """Quantity step of ``instrument`` in units."""
        return float(self._core.lot_size(self._instrument(instrument)))

    # ---- batch API -----------------------------------------------------------------------
    def process(self, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Process a batch of orders (GIL released, no per-message Python work).

        Parameters
        ----------
        orders : np.ndarray of ORDER_DTYPE, shape (n,)
            Prices in ticks, quantities in lots; C-contiguous (copied if not).

        Returns
        -------
        trades : np.ndarray of TRADE_DTYPE, shape (n_trades,)
        events : np.ndarray of EVENT_DTYPE, shape (n_events,)
        """
        if not isinstance(orders, np.ndarray) or orders.dtype.names != ORDER_DTYPE.names:
            got = orders.dtype if isinstance(orders, np.ndarray) else type(orders).__name__
            raise ExecutionError(f"orders: must be a numpy array of ORDER_DTYPE, got {got}")
        if orders.dtype != ORDER_DTYPE:  # same fields, other layout (e.g. packed): convert
            try:
                orders = orders.astype(ORDER_DTYPE, casting="same_kind")
            except TypeError as exc:
                raise ExecutionError(f"orders: field types do not cast to ORDER_DTYPE "
                                     f"({exc})") from None
        if orders.ndim != 1:
            raise ExecutionError(f"orders: must be 1-dimensional, got shape {orders.shape}")
        trades, events = self._core.process(np.ascontiguousarray(orders))
        return trades.view(TRADE_DTYPE), events.view(EVENT_DTYPE)

    def process_frame(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Process a DataFrame of orders with prices and quantities in units.

        Columns: ``ts, order_id, side, type, price, qty`` and optionally ``account`` and
        ``instrument`` (default 0). ``side`` is +1/-1 or "B"/"S"; ``type`` an ``OrderType`` or
        its name. Prices and quantities are converted once per instrument; an off-tick price
        raises ExecutionError naming the row. Returns the trades and events as DataFrames in
        units.
        """
        if not isinstance(frame, pd.DataFrame):
            raise ExecutionError(f"frame: must be a pandas DataFrame, got {type(frame).__name__}")
        orders = orders_from_frame(frame, self._core_tick, self._core_lot)
        trades, events = self.process(orders)
        return trades_events_frames(trades, events, self._core_tick, self._core_lot)

    # Sizes for the frame converters, which probe unknown instruments (ValueError: skip them).
    def _core_tick(self, instrument: int) -> float:
        return float(self._core.tick_size(instrument))

    def _core_lot(self, instrument: int) -> float:
        return float(self._core.lot_size(instrument))

    def reset(self) -> None:
        """Empty every book, position, kill switch and output, keeping instruments, settings and
        buffer capacity (a reused engine allocates nothing)."""
        self._core.reset()

    def book_changes(self) -> np.ndarray:
        """Resting-liquidity changes of the last call (needs ``log_book_changes=True``)."""
        return self._core.book_changes().view(BOOK_CHANGE_DTYPE)

    # ---- per-order API -------------------------------------------------------------------
    def submit(
        self,
        order_id: int,
        side: int | str,
        qty: float,
        price: float | None = None,
        *,
        type: OrderType | str = OrderType.LIMIT,
        account: int = 0,
        instrument: int = 0,
        ts: int = 0,
    ) -> OrderResult:
        """Submit one new order with price and quantity in units.

        ``type`` is LIMIT, MARKET, IOC, FOK or POST_ONLY (an ``OrderType`` or its name);
        ``price`` is required except for MARKET (where it is ignored). A zero or negative price
        or quantity is a REJECTED event, like in the batch API; a NaN, infinite, off-tick or
        out-of-range one raises ExecutionError. Returns its trades (prices in currency,
        quantities in units) and events.
        """
        order_type = _order_type(type)
        if order_type != OrderType.MARKET and price is None:
            raise ExecutionError(f"price: required for a {order_type.name} order, got None")
        return self._one(ts, order_id, account, instrument, _side(side), order_type,
                         None if order_type == OrderType.MARKET else price, qty)

    def cancel(self, order_id: int, *, ts: int = 0) -> OrderResult:
        """Cancel a resting order (a REJECTED event with UNKNOWN_ID if it is not resting)."""
        return self._one(ts, order_id, 0, 0, Side.BUY, OrderType.CANCEL, None, None)

    def modify(
        self, order_id: int, *, price: float, qty: float, ts: int = 0
    ) -> OrderResult:
        """Change a resting order's price and open quantity (units); returns trades and events."""
        oid = check_int("order_id", order_id, low=INT64[0], high=INT64[1])
        info = self._core.lookup(oid)
        instrument = 0 if info is None else info["instrument"]
        return self._one(ts, oid, 0, instrument, Side.BUY, OrderType.MODIFY, price, qty)

    def _one(self, ts, order_id, account, instrument, side, order_type, price, qty):
        rec = np.zeros(1, dtype=ORDER_DTYPE)
        rec["ts"] = check_int("ts", ts, low=INT64[0], high=INT64[1])
        rec["order_id"] = check_int("order_id", order_id, low=INT64[0], high=INT64[1])
        rec["account"] = check_int("account", account, low=INT32[0], high=INT32[1])
        instrument = check_int("instrument", instrument, low=INT32[0], high=INT32[1])
        rec["instrument"], rec["side"], rec["type"] = instrument, int(side), int(order_type)
        known = self._core.has_instrument(instrument)  # unknown: a REJECTED event, not an error
        if price is not None:
            rec["price"] = _steps("price", price, self._core_tick(instrument) if known else None)
        if qty is not None:
            rec["qty"] = _steps("qty", qty, self._core_lot(instrument) if known else None)
        trades, events = self.process(rec)
        return order_result(trades, events, self._core_tick, self._core_lot)

    # ---- queries -------------------------------------------------------------------------
    def _price(self, ticks: int, instrument: int) -> float | None:
        if ticks == _engine.NO_PRICE:
            return None
        return float(from_steps(np.array([ticks]), self.tick_size(instrument))[0])

    def best_ticks(self, instrument: int = 0) -> tuple[int | None, int | None]:
        """Best bid and best ask in ticks (batch units), None for an empty side."""
        instrument = self._instrument(instrument)
        bid, ask = self._core.best_bid(instrument), self._core.best_ask(instrument)
        return (None if bid == _engine.NO_PRICE else int(bid),
                None if ask == _engine.NO_PRICE else int(ask))

    def best_bid(self, instrument: int = 0) -> float | None:
        """Best bid in price units, None when the side is empty."""
        instrument = self._instrument(instrument)
        return self._price(self._core.best_bid(instrument), instrument)

    def best_ask(self, instrument: int = 0) -> float | None:
        """Best ask in price units, None when the side is empty."""
        instrument = self._instrument(instrument)
        return self._price(self._core.best_ask(instrument), instrument)

    def mid(self, instrument: int = 0) -> float | None:
        """(best bid + best ask) / 2, None when a side is empty."""
        bid, ask = self.best_bid(instrument), self.best_ask(instrument)
        return None if bid is None or ask is None else (bid + ask) / 2

    def spread(self, instrument: int = 0) -> float | None:
        """best ask - best bid in price units, None when a side is empty."""
        instrument = self._instrument(instrument)
        bid, ask = self._core.best_bid(instrument), self._core.best_ask(instrument)
        if _engine.NO_PRICE in (bid, ask):
            return None
        return self._price(ask - bid, instrument)

    def depth(self, levels: int = 10, instrument: int = 0) -> pd.DataFrame:
        """Top ``levels`` of each side: columns side ("bid"/"ask"), level (0 = best), price,
        qty (units), orders. ``levels`` is an integer >= 1."""
        levels = check_int("levels", levels, low=1)
        instrument = self._instrument(instrument)
        parts = []
        for name, side in (("bid", Side.BUY), ("ask", Side.SELL)):
            price, qty, count = self._core.depth(instrument, int(side), levels)
            parts.append(pd.DataFrame({
                "side": name,
                "level": np.arange(len(price)),
                "price": from_steps(price, self.tick_size(instrument)),
                "qty": from_steps(qty, self.lot_size(instrument)),
                "orders": count,
            }))
        return pd.concat(parts, ignore_index=True)

    def depth_ticks(self, levels: int = 10, instrument: int = 0) -> dict[str, np.ndarray]:
        """Top levels in ticks and lots: keys bid_price, bid_qty, ask_price, ask_qty."""
        levels = check_int("levels", levels, low=1)
        instrument = self._instrument(instrument)
        bp, bq, _ = self._core.depth(instrument, 1, levels)
        ap, aq, _ = self._core.depth(instrument, -1, levels)
        return {"bid_price": bp, "bid_qty": bq, "ask_price": ap, "ask_qty": aq}

    def order(self, order_id: int) -> dict[str, float | int] | None:
        """A resting order by id (``price`` in currency, ``qty`` in units), or None."""
        info = self._core.lookup(check_int("order_id", order_id, low=INT64[0], high=INT64[1]))
        if info is None:
            return None
        inst = info["instrument"]
        info["price"] = float(from_steps(np.array([info["price"]]), self.tick_size(inst))[0])
        info["qty"] = float(from_steps(np.array([info["qty"]]), self.lot_size(inst))[0])
        return info

    def l2_hash(self) -> int:
        """Hash of every level (instrument, side, price, qty): equal books, equal hashes."""
        return int(self._core.l2_hash())

    def position(self, account: int, instrument: int = 0) -> float:
        """Net filled position of an account in units (buys positive)."""
        account = check_int("account", account, low=INT32[0], high=INT32[1])
        instrument = self._instrument(instrument)
        try:
            lots = np.array([self._core.position(account, instrument)])
        except OverflowError as exc:  # kept in 128 bits inside; never wrapped on the way out
            raise ExecutionError(str(exc)) from None
        return float(from_steps(lots, self.lot_size(instrument))[0])

    def open_orders(self, account: int) -> int:
        """Resting orders of an account."""
        return int(self._core.open_orders(check_int("account", account, low=INT32[0],
                                                    high=INT32[1])))

    def set_kill_switch(self, account: int, on: bool = True) -> None:
        """While on, every new order and modify of ``account`` is rejected (cancels pass)."""
        account = check_int("account", account, low=INT32[0], high=INT32[1])
        if not isinstance(on, (bool, np.bool_)):
            raise ExecutionError(f"on: must be True or False, got {on!r}")
        self._core.set_kill_switch(account, bool(on))

    @property
    def resting_orders(self) -> int:
        return int(self._core.resting_orders())

    def memory_bytes(self) -> int:
        """Bytes held by order storage, id index, levels and account state."""
        return int(self._core.memory_bytes())


def _order_type(value: object) -> OrderType:
    """A new order's type from an ``OrderType``, its int code or its name (any case)."""
    if isinstance(value, str) and value.upper() in _NEW_TYPES:
        return _NEW_TYPES[value.upper()]
    if not isinstance(value, (bool, str)) and isinstance(value, (int, np.integer)):
        for t in _NEW_TYPES.values():
            if int(value) == int(t):
                return t
    raise ExecutionError(f"type: must be one of {', '.join(_NEW_TYPES)} (cancel() and modify() "
                         f"for the others), got {value!r}")


def _side(side: object) -> Side:
    if isinstance(side, str) and side.upper() in _SIDES:
        return _SIDES[side.upper()]
    if not isinstance(side, (bool, str)) and isinstance(side, (int, np.integer)) and int(
            side) in (1, -1):
        return Side(int(side))
    raise ExecutionError(f"side: must be 'B'/'S', 'buy'/'sell' or +1/-1, got {side!r}")


def _steps(what: str, value: object, step: float | None) -> int:
    """A price or quantity in units as ticks or lots (0 for an unknown instrument: the engine
    rejects the order with UNKNOWN_INSTRUMENT before it looks at either)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ExecutionError(f"{what}: must be a finite number, got {value!r}")
    if step is None:
        return 0
    try:
        return to_step(float(value), step, what=what)
    except ValueError as exc:
        message = str(exc)
        raise ExecutionError(f"{what}: {message.removeprefix(what + ' ')}") from None
