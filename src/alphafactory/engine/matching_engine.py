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
- Rejections are events; only malformed input (dtype, shape, off-tick floats) raises.

Units: the batch API (``process``, ``book_changes``, ``depth_ticks``) moves numpy records in
integer ticks and lots; everything else (``submit``, ``cancel``, ``modify``, ``order``,
``position``, ``best_bid``, ``depth``, ``process_frame``) takes and returns currency and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from alphafactory.engine.convert import from_steps, to_steps
from alphafactory.engine.frames import orders_from_frame, trades_events_frames
from alphafactory.engine.results import OrderResult, order_result

__all__ = ["MatchingEngine", "RiskLimits"]

_STP_NAMES = {m.name.lower(): m for m in StpMode}
_EVENT_MODES = ("all", "no_accepted")


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskLimits:
    """Pre-trade risk limits applied per account to new orders and modifies (None: off).

    Attributes
    ----------
    max_order_qty : int or None
        Largest order quantity, in lots.
    max_order_notional : float or None
        Largest price * quantity in currency units (MARKET orders: at the opposite best).
    max_position : int or None
        Largest absolute position per instrument, in lots, if the order filled completely.
    max_open_orders : int or None
        Most resting orders per account (checked for LIMIT and POST_ONLY).
    collar_ticks, collar_fraction : int, float or None
        Largest distance of a limit price from the reference price (last trade, else mid; no
        check without one), in ticks or as a fraction of the reference.
    """

    max_order_qty: int | None = None
    max_order_notional: float | None = None
    max_position: int | None = None
    max_open_orders: int | None = None
    collar_ticks: int | None = None
    collar_fraction: float | None = None

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"RiskLimits.{name} must be >= 0 or None, got {value!r}")

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the compiled engine (-1 for an unset limit)."""
        return {name: (-1 if getattr(self, name) is None else getattr(self, name))
                for name in self.__slots__}


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
        if stp not in _STP_NAMES:
            raise ValueError(f"stp must be one of {sorted(_STP_NAMES)}, got {stp!r}")
        if events not in _EVENT_MODES:
            raise ValueError(f"events must be one of {_EVENT_MODES}, got {events!r}")
        self.risk = risk
        self.stp = stp
        limits = (risk or RiskLimits()).as_kwargs()
        self._core = _engine.MatchingEngine(
            tick_size=float(tick_size),
            lot_size=float(lot_size),
            stp=int(_STP_NAMES[stp]),
            emit_accepted=events == "all",
            log_book_changes=log_book_changes,
            **limits,
        )

    def add_instrument(self, instrument: int, *, tick_size: float, lot_size: float = 1.0) -> None:
        """Add an instrument with its own tick and lot size (ValueError if it exists)."""
        self._core.add_instrument(int(instrument), float(tick_size), float(lot_size))

    @property
    def instruments(self) -> list[int]:
        """Instrument ids, ascending."""
        return list(self._core.instruments())

    def tick_size(self, instrument: int = 0) -> float:
        return float(self._core.tick_size(instrument))

    def lot_size(self, instrument: int = 0) -> float:
        return float(self._core.lot_size(instrument))

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
            raise TypeError(f"orders must be a numpy array of ORDER_DTYPE, got {got}")
        if orders.dtype != ORDER_DTYPE:  # same fields, other layout (e.g. packed): convert
            orders = orders.astype(ORDER_DTYPE, casting="same_kind")
        if orders.ndim != 1:
            raise ValueError(f"orders must be 1-dimensional, got shape {orders.shape}")
        trades, events = self._core.process(np.ascontiguousarray(orders))
        return trades.view(TRADE_DTYPE), events.view(EVENT_DTYPE)

    def process_frame(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Process a DataFrame of orders with prices and quantities in units.

        Columns: ``ts, order_id, side, type, price, qty`` and optionally ``account`` and
        ``instrument`` (default 0). ``side`` is +1/-1 or "B"/"S"; ``type`` an ``OrderType`` or
        its name. Prices and quantities are converted once per instrument; an off-tick price
        raises ValueError naming the row. Returns the trades and events as DataFrames in units.
        """
        orders = orders_from_frame(frame, self.tick_size, self.lot_size)
        trades, events = self.process(orders)
        return trades_events_frames(trades, events, self.tick_size, self.lot_size)

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

        Returns its trades (prices in currency, quantities in units) and events.
        """
        order_type = OrderType[type] if isinstance(type, str) else OrderType(type)
        return self._one(ts, order_id, account, instrument, _side(side), order_type,
                         price, qty)

    def cancel(self, order_id: int, *, ts: int = 0) -> OrderResult:
        """Cancel a resting order (a REJECTED event with UNKNOWN_ID if it is not resting)."""
        return self._one(ts, order_id, 0, 0, Side.BUY, OrderType.CANCEL, None, None)

    def modify(
        self, order_id: int, *, price: float, qty: float, ts: int = 0
    ) -> OrderResult:
        """Change a resting order's price and open quantity (units); returns trades and events."""
        info = self._core.lookup(int(order_id))
        instrument = 0 if info is None else info["instrument"]
        return self._one(ts, order_id, 0, instrument, Side.BUY, OrderType.MODIFY, price, qty)

    def _one(self, ts, order_id, account, instrument, side, order_type, price, qty):
        rec = np.zeros(1, dtype=ORDER_DTYPE)
        rec["ts"], rec["order_id"], rec["account"] = ts, order_id, account
        rec["instrument"], rec["side"], rec["type"] = instrument, int(side), int(order_type)
        if self._core.has_instrument(int(instrument)):
            if price is not None and order_type not in (OrderType.MARKET, OrderType.CANCEL):
                rec["price"] = to_steps(np.array([price]), self.tick_size(instrument))
            if qty is not None and order_type != OrderType.CANCEL:
                rec["qty"] = to_steps(np.array([qty]), self.lot_size(instrument), what="qty")
        trades, events = self.process(rec)
        return order_result(trades, events, self.tick_size, self.lot_size)

    # ---- queries -------------------------------------------------------------------------
    def _price(self, ticks: int, instrument: int) -> float | None:
        if ticks == _engine.NO_PRICE:
            return None
        return float(from_steps(np.array([ticks]), self.tick_size(instrument))[0])

    def best_ticks(self, instrument: int = 0) -> tuple[int | None, int | None]:
        """Best bid and best ask in ticks (batch units), None for an empty side."""
        bid, ask = self._core.best_bid(instrument), self._core.best_ask(instrument)
        return (None if bid == _engine.NO_PRICE else int(bid),
                None if ask == _engine.NO_PRICE else int(ask))

    def best_bid(self, instrument: int = 0) -> float | None:
        """Best bid in price units, None when the side is empty."""
        return self._price(self._core.best_bid(instrument), instrument)

    def best_ask(self, instrument: int = 0) -> float | None:
        """Best ask in price units, None when the side is empty."""
        return self._price(self._core.best_ask(instrument), instrument)

    def mid(self, instrument: int = 0) -> float | None:
        """(best bid + best ask) / 2, None when a side is empty."""
        bid, ask = self.best_bid(instrument), self.best_ask(instrument)
        return None if bid is None or ask is None else (bid + ask) / 2

    def spread(self, instrument: int = 0) -> float | None:
        """best ask - best bid in price units, None when a side is empty."""
        bid, ask = self._core.best_bid(instrument), self._core.best_ask(instrument)
        if _engine.NO_PRICE in (bid, ask):
            return None
        return self._price(ask - bid, instrument)

    def depth(self, levels: int = 10, instrument: int = 0) -> pd.DataFrame:
        """Top ``levels`` of each side: columns side ("bid"/"ask"), level (0 = best), price,
        qty (units), orders."""
        parts = []
        for name, side in (("bid", Side.BUY), ("ask", Side.SELL)):
            price, qty, count = self._core.depth(instrument, int(side), int(levels))
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
        bp, bq, _ = self._core.depth(instrument, 1, int(levels))
        ap, aq, _ = self._core.depth(instrument, -1, int(levels))
        return {"bid_price": bp, "bid_qty": bq, "ask_price": ap, "ask_qty": aq}

    def order(self, order_id: int) -> dict[str, float | int] | None:
        """A resting order by id (``price`` in currency, ``qty`` in units), or None."""
        info = self._core.lookup(int(order_id))
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
        lots = np.array([self._core.position(account, instrument)])
        return float(from_steps(lots, self.lot_size(instrument))[0])

    def open_orders(self, account: int) -> int:
        """Resting orders of an account."""
        return int(self._core.open_orders(account))

    def set_kill_switch(self, account: int, on: bool = True) -> None:
        """While on, every new order and modify of ``account`` is rejected (cancels pass)."""
        self._core.set_kill_switch(int(account), bool(on))

    @property
    def resting_orders(self) -> int:
        return int(self._core.resting_orders())

    def memory_bytes(self) -> int:
        """Bytes held by order storage, id index, levels and account state."""
        return int(self._core.memory_bytes())


def _side(side: int | str) -> Side:
    if isinstance(side, str):
        names = {"B": Side.BUY, "BUY": Side.BUY, "S": Side.SELL, "SELL": Side.SELL}
        if side.upper() not in names:
            raise ValueError(f"side must be 'B'/'S', 'buy'/'sell' or +1/-1, got {side!r}")
        return names[side.upper()]
    return Side(int(side))
