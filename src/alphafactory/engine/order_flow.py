"""``PoissonOrderFlow``: seeded background liquidity after Cont, Stoikov and Talreja (2010).

Per side, limit orders arrive ``i = 1..levels`` ticks from the opposite best at rate
``lambda(i) = limit_rate_scale / i**limit_rate_exponent``, market orders at rate
``market_rate``, and each resting order of the flow is cancelled at rate ``cancel_rates[i-1]``
(``i`` its distance from the opposite best). Rates are per ``time_unit`` seconds of ``ts``
(nanoseconds). The defaults are the paper's estimates, which give a 1-3 tick spread.

The flow runs in C++ against the live book of the engine it drives, so a strategy's orders
submitted to the same engine between ``drive`` calls meet (and change) a living book::

    flow = PoissonOrderFlow(tick_size=0.01, seed=7)
    engine = MatchingEngine(tick_size=0.01)
    for ts, order in strategy_orders:           # ts in ns, ascending
        flow.drive(engine, until=ts)            # background events up to ts
        engine.submit(..., ts=ts)               # the strategy's child order (units)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory import _engine
from alphafactory.engine._records import EVENT_DTYPE, ORDER_DTYPE, TRADE_DTYPE
from alphafactory.engine.arguments import INT32, INT64, check_int, check_number
from alphafactory.engine.convert import to_step
from alphafactory.engine.matching_engine import MatchingEngine
from alphafactory.engine.order_flow_fit import fit_order_flow
from alphafactory.errors import ExecutionError

__all__ = ["CST_CANCEL_RATES", "FlowStep", "PoissonOrderFlow"]

#: theta(i), i = 1..10, per order per second (Cont, Stoikov and Talreja 2010, Table 2).
CST_CANCEL_RATES = (0.71, 0.81, 0.68, 0.56, 0.47, 0.37, 0.30, 0.24, 0.18, 0.12)
_FAR_FUTURE = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True)
class FlowStep:
    """What one ``drive`` call did: the flow's orders and the engine's trades and events."""

    orders: np.ndarray  # ORDER_DTYPE
    trades: np.ndarray  # TRADE_DTYPE
    events: np.ndarray  # EVENT_DTYPE
    n_events: int       # orders emitted by Poisson events (seeding orders not counted)


class PoissonOrderFlow:
    """Seeded Poisson limit/market/cancel order flow (Cont, Stoikov and Talreja 2010).

    Parameters
    ----------
    tick_size : float
        Tick size of the instrument, to convert ``initial_price``.
    seed : int
        Seed of the flow's random stream (same seed, same orders).
    initial_price : float
        Centre of the book seeded on the first call when the book is empty: ``initial_depth``
        orders on each of ``levels`` ticks on both sides (a 2-tick spread).
    levels : int
        Limit orders arrive 1..levels ticks from the opposite best.
    limit_rate_scale, limit_rate_exponent : float
        lambda(i) = scale / i**exponent per side per time unit (paper: 1.92, 0.52).
    market_rate : float
        Market orders per side per time unit (paper: 0.94).
    cancel_rates : sequence of float
        theta(i) per resting order per time unit; the last value applies beyond its length.
    order_qty : int
        Lots per order.
    account, instrument : int
        Account and instrument of the flow's orders.
    first_order_id : int
        Ids count up from here (keep them apart from the strategy's ids).
    start_ts : int
        Clock start, ns.
    time_unit : float
        Seconds per rate unit (1.0: rates per second).
    """

    def __init__(
        self,
        *,
        tick_size: float = 0.01,
        seed: int = 0,
        initial_price: float = 100.0,
        levels: int = 10,
        limit_rate_scale: float = 1.92,
        limit_rate_exponent: float = 0.52,
        market_rate: float = 0.94,
        cancel_rates: Sequence[float] = CST_CANCEL_RATES,
        order_qty: int = 1,
        initial_depth: int = 5,
        account: int = -1,
        instrument: int = 0,
        first_order_id: int = 2**40,
        start_ts: int = 0,
        time_unit: float = 1.0,
    ) -> None:
        # Each argument checked here, so a bad one is one ExecutionError line naming it.
        self.tick_size = check_number("tick_size", tick_size, low=0, strict_low=True)
        self.instrument = check_int("instrument", instrument, low=INT32[0], high=INT32[1])
        levels = check_int("levels", levels, low=1, high=INT32[1])
        price = check_number("initial_price", initial_price, low=0, strict_low=True)
        try:
            ticks = to_step(price, self.tick_size)
        except ValueError as exc:
            raise ExecutionError(f"initial_price: {exc}") from None
        if ticks <= levels:
            raise ExecutionError(f"initial_price: must be more than levels={levels} ticks, got "
                                 f"{price!r} ({ticks} ticks)")
        if isinstance(cancel_rates, (str, bytes)) or not isinstance(cancel_rates, Sequence) or (
                len(cancel_rates) == 0):
            raise ExecutionError(f"cancel_rates: must be a non-empty sequence of numbers >= 0, "
                                 f"got {cancel_rates!r}")
        rates = [check_number(f"cancel_rates[{i}]", c, low=0) for i, c in enumerate(cancel_rates)]
        self._core = _engine.PoissonOrderFlow(
            instrument=self.instrument,
            account=check_int("account", account, low=INT32[0], high=INT32[1]),
            initial_price=ticks, levels=levels,
            limit_rate_scale=check_number("limit_rate_scale", limit_rate_scale, low=0,
                                          strict_low=True),
            limit_rate_exponent=check_number("limit_rate_exponent", limit_rate_exponent),
            market_rate=check_number("market_rate", market_rate, low=0),
            cancel_rates=rates,
            order_qty=check_int("order_qty", order_qty, low=1, high=_engine.MAX_QTY),
            initial_depth=check_int("initial_depth", initial_depth, low=0, high=INT32[1]),
            time_unit_ns=check_number("time_unit", time_unit, low=0, strict_low=True) * 1e9,
            first_order_id=check_int("first_order_id", first_order_id, low=INT64[0],
                                     high=INT64[1]),
            start_ts=check_int("start_ts", start_ts, low=INT64[0], high=INT64[1]),
            seed=check_int("seed", seed, low=0, high=2**64 - 1))
        self._engine: MatchingEngine | None = None

    @classmethod
    def from_lobster(cls, messages: pd.DataFrame, book: np.ndarray, *, tick_size: float = 0.01,
                     levels: int = 10, **kwargs: Any) -> PoissonOrderFlow:
        """A flow with rates fitted to LOBSTER data (``order_flow_fit.fit_order_flow``).

        ``kwargs`` are the other constructor arguments (``seed``, ``initial_price``, ...).
        """
        fitted = fit_order_flow(messages, book, tick=round(tick_size * 10_000), levels=levels)
        return cls(tick_size=tick_size, levels=levels, **fitted, **kwargs)

    @property
    def now(self) -> int:
        """The flow's clock, ns."""
        return int(self._core.now())

    @property
    def engine(self) -> MatchingEngine:
        """The engine the flow drives (a private one until ``drive`` is first called)."""
        if self._engine is None:
            self._engine = MatchingEngine(tick_size=self.tick_size, events="no_accepted")
            if self.instrument != 0:
                self._engine.add_instrument(self.instrument, tick_size=self.tick_size)
        return self._engine

    def drive(self, engine: MatchingEngine | None = None, *, n_events: int | None = None,
              until: int | None = None) -> FlowStep:
        """Draw events into ``engine`` until ``n_events`` orders were emitted or the clock
        passes ``until`` (ns); at least one of the two is required. A flow drives one engine;
        without ``engine`` it drives its private one (``self.engine``)."""
        if n_events is None and until is None:
            raise ExecutionError("drive: give n_events, until, or both")
        limit = (np.iinfo(np.uint64).max if n_events is None
                 else check_int("n_events", n_events, low=0, high=2**63 - 1))
        end = _FAR_FUTURE if until is None else check_int("until", until, low=INT64[0],
                                                          high=INT64[1])
        if engine is not None:
            if not isinstance(engine, MatchingEngine):
                raise ExecutionError(f"engine: must be a MatchingEngine, got {engine!r}")
            if self._engine is not None and engine is not self._engine:
                raise ExecutionError("engine: this flow already drives another engine; create a "
                                     "new flow")
            if not engine._core.has_instrument(self.instrument):
                raise ExecutionError(f"engine: has no instrument {self.instrument}; instruments "
                                     f"are {engine.instruments}")
            self._engine = engine
        target = self.engine
        drawn, orders, trades, events = self._core.run(target._core, limit, end)
        return FlowStep(orders.view(ORDER_DTYPE), trades.view(TRADE_DTYPE),
                        events.view(EVENT_DTYPE), int(drawn))

    def generate(self, n_events: int | None = None, *, horizon: int | None = None) -> np.ndarray:
        """Orders of the next ``n_events`` events or ``horizon`` ns, as an ORDER_DTYPE array.

        Runs against the flow's own engine, so replaying the returned orders (from the first
        call on) into a fresh engine rebuilds the same book.
        """
        until = None if horizon is None else self.now + check_int("horizon", horizon, low=0,
                                                                  high=INT64[1] - self.now)
        return self.drive(None, n_events=n_events, until=until).orders
