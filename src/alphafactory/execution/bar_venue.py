"""``BarVenue``: the :class:`Venue` protocol over OHLCV bars, for markets without a simulated book.

The clock stands at a bar's timestamp; what was submitted then fills in the next bar, when
``advance`` reaches it:

- MARKET: at the next bar's open (``fill_at="open"``) or close, plus the cost model's half
  spread and impact for that cell (:mod:`alphafactory.backtest.costs`), taker;
- LIMIT: when the next bar's range reaches the limit (low <= limit for a buy, high >= limit for
  a sell): at the open when it already crosses, else at the limit, maker, with no spread or
  impact; IOC limits that do not fill in that bar expire, GTC limits wait;
- fees are the cost model's commission. Orders fill completely (no volume cap).

``quote`` shows the current bar's close with the cost model's half spread around it; ``mid``
and ``touch`` of a market fill are the reference price and the reference moved by the half
spread, so an attribution reads the half spread as spread and the rest as impact.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel, CostParameters, NoCost, evaluate_costs
from alphafactory.backtest.market import market_from
from alphafactory.execution.ledger import Ledger
from alphafactory.execution.orders import (
    Account,
    Ack,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    TimeInForce,
)

__all__ = ["BarVenue"]


class BarVenue:
    """A venue that fills orders against OHLCV bars with a cost model.

    Parameters
    ----------
    bars : DataFrame
        Long ``(timestamp, symbol)`` or single-symbol OHLCV bars (a single-symbol frame needs
        ``symbol``).
    cost : CostModel, optional
        Half spread, impact and commission of market orders (default: none).
    cash : float
        Starting cash.
    fill_at : {"open", "close"}
        Price of a market order in the next bar.
    symbol : str, optional
        Name of the symbol of single-symbol bars.
    """

    def __init__(self, bars: pd.DataFrame, *, cost: CostModel | None = None, cash: float = 1e6,
                 fill_at: Literal["open", "close"] = "open", symbol: str | None = None) -> None:
        if fill_at not in ("open", "close"):
            raise ValueError(f"fill_at must be 'open' or 'close', got {fill_at!r}.")
        if not isinstance(bars.index, pd.MultiIndex):
            if symbol is None:
                raise ValueError("single-symbol bars need symbol=...")
            bars = pd.concat({symbol: bars}, names=["symbol"]).swaplevel().sort_index()
        self._market = market_from(bars)
        for column in ("open", "high", "low"):
            self._market.require(column, "BarVenue")
        self._params: CostParameters = (cost or NoCost()).parameters(self._market)
        self._fill_at = fill_at
        self._symbols = {s: i for i, s in enumerate(self._market.symbols)}
        self._t = 0
        self._ledger = Ledger(cash)
        self._volume = np.zeros(len(self._symbols))
        self._ids = 0

    # ---- clock ----------------------------------------------------------------------------
    def now(self) -> pd.Timestamp:
        return self._market.timestamps[self._t]

    def advance(self, until: pd.Timestamp) -> None:
        """Step bar by bar to the last bar at or before ``until``, filling orders on the way."""
        until = pd.Timestamp(until)
        if until < self.now():
            raise ValueError(f"cannot advance to {until}: the venue's clock is at {self.now()}.")
        stamps = self._market.timestamps
        while self._t + 1 < len(stamps) and stamps[self._t + 1] <= until:
            self._t += 1
            volume = self._market.volume[self._t] if self._market.volume is not None else None
            if volume is not None:
                self._volume += np.nan_to_num(volume)
            for record in list(self._ledger.orders.values()):
                if record.status.is_open:
                    self._try_fill(record)

    # ---- orders ---------------------------------------------------------------------------
    def submit(self, order: Order) -> Ack:
        original = self._ledger.seen(order)
        if original is not None:
            return original
        self._ids += 1
        refusal = None if order.symbol in self._symbols else f"unknown symbol {order.symbol!r}"
        if refusal is None and self._t + 1 >= len(self._market.timestamps):
            refusal = "no later bar to fill in: the bars end here"
        status = OrderStatus.REJECTED if refusal else OrderStatus.ACCEPTED
        record = self._ledger.open(order, str(self._ids), self.now(), status, refusal)
        record.first_ack = record.ack(self.now())
        return record.first_ack

    def cancel(self, client_order_id: str) -> Ack:
        record = self._ledger.record(client_order_id)
        refused = self._ledger.cancel_refusal(record, self.now())
        if refused is not None:
            return refused
        self._ledger.mark_cancelled(record)
        return record.ack(self.now())

    def replace(self, client_order_id: str, *, quantity: float | None = None,
                limit_price: float | None = None) -> Ack:
        record = self._ledger.record(client_order_id)
        new = self._ledger.replacement(record, self.now(), quantity=quantity,
                                       limit_price=limit_price)
        if isinstance(new, Ack):
            return new
        record.order = new
        return record.ack(self.now())

    def open_orders(self) -> tuple[Ack, ...]:
        return self._ledger.open_acks(self.now())

    # ---- state ----------------------------------------------------------------------------
    def positions(self) -> dict[str, Position]:
        return self._ledger.positions()

    def account(self) -> Account:
        marks = {s: self._close(i) for s, i in self._symbols.items()}
        equity = self._ledger.equity(marks)
        return Account(cash=self._ledger.cash, equity=equity, buying_power=math.inf,
                       ts=self.now())

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        return self._ledger.fills(since)

    def quote(self, symbol: str) -> Quote:
        if symbol not in self._symbols:
            raise KeyError(f"no bars for symbol {symbol!r}.")
        i = self._symbols[symbol]
        close = self._close(i)
        half = close * self._cell(self._params.half_spread, self._t, i)
        return Quote(symbol=symbol, bid=close - half, ask=close + half, last=close,
                     volume=float(self._volume[i]), ts=self.now())

    def lot_size(self, symbol: str) -> float:
        return 1.0

    # ---- internals ------------------------------------------------------------------------
    def _close(self, i: int) -> float:
        column = self._market.close[: self._t + 1, i]
        seen = column[np.isfinite(column)]
        return float(seen[-1]) if len(seen) else math.nan

    @staticmethod
    def _cell(value: np.ndarray | float, t: int, i: int) -> float:
        return float(np.nan_to_num(value[t, i] if np.ndim(value) == 2 else value))

    def _try_fill(self, record) -> None:
        order, t, i = record.order, self._t, self._symbols[record.order.symbol]
        m = self._market
        ref = float((m.open if self._fill_at == "open" else m.close)[t, i])
        if not math.isfinite(ref):
            return  # no bar for this symbol here: the order waits
        qty, s = order.quantity - record.filled, order.sign
        if order.type == OrderType.MARKET:
            p = self._params
            cell = CostParameters(
                half_spread=self._cell(p.half_spread, t, i),
                impact_coef=self._cell(p.impact_coef, t, i), impact_exponent=p.impact_exponent,
                commission_per_share=p.commission_per_share, commission_bps=p.commission_bps,
                commission_min=p.commission_min)
            costs = evaluate_costs(cell, np.array([qty]), np.array([ref]))
            touch = ref + s * float(costs.spread[0]) / qty
            price = touch + s * float(costs.impact[0]) / qty
            self._book(record, qty, price, Liquidity.TAKER, float(costs.commission[0]), ref, touch)
            return
        limit, low, high = order.limit_price, float(m.low[t, i]), float(m.high[t, i])
        if (s > 0 and low <= limit) or (s < 0 and high >= limit):
            open_ = float(m.open[t, i])
            price = min(open_, limit) if s > 0 else max(open_, limit)
            fee = evaluate_costs(CostParameters(
                commission_per_share=self._params.commission_per_share,
                commission_bps=self._params.commission_bps,
                commission_min=self._params.commission_min),
                np.array([qty]), np.array([price])).commission[0]
            self._book(record, qty, price, Liquidity.MAKER, float(fee), math.nan, math.nan)
        elif order.time_in_force == TimeInForce.IOC:
            record.status = OrderStatus.EXPIRED
            record.reason = f"immediate-or-cancel: the bar never reached {limit}"

    def _book(self, record, qty, price, liquidity, fee, mid, touch) -> None:
        order = record.order
        self._ledger.book(Fill(
            sequence=self._ledger.next_sequence, client_order_id=order.client_order_id,
            symbol=order.symbol, side=order.side, quantity=qty, price=price, ts=self.now(),
            liquidity=liquidity, fee=fee, mid=mid, touch=touch,
        ))  # fmt: skip
