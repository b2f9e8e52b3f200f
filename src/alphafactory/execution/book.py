"""A simulated market for one symbol: the C++ matching engine fed by Poisson background flow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphafactory.engine import MatchingEngine, PoissonOrderFlow

NS = 1_000_000_000
CST_MARKET_RATE = 0.94  # market orders per side per second (Cont, Stoikov and Talreja 2010)


@dataclass(frozen=True, kw_only=True, slots=True)
class BookConfig:
    """How the background book of one symbol is simulated.

    The flow is the Cont-Stoikov-Talreja model of :class:`alphafactory.engine.PoissonOrderFlow`
    with its published rates (per second), which keep the spread at 1-3 ticks and trade about
    ``2 * market_rate`` lots a second. :meth:`calibrated` maps a real symbol onto it: the tick is
    set so that one tick is the symbol's half spread, and a lot is set so that a simulated
    session trades the symbol's average daily volume (in shares). Volatility is not matched:
    the simulated mid diffuses at the model's own rate.

    Parameters
    ----------
    initial_price : float
        Mid price the book is seeded around (currency).
    tick_size : float
        Price step (currency).
    shares_per_lot : float
        Shares represented by one simulated lot.
    warmup_seconds : float
        Flow simulated before the parent arrives, so it meets a living book.
    session_seconds : float
        Length of a simulated session (the ADV mapping uses it).
    market_rate : float
        Market orders per side per second.
    """

    initial_price: float = 100.0
    tick_size: float = 0.01
    shares_per_lot: float = 1.0
    warmup_seconds: float = 120.0
    session_seconds: float = 3600.0
    market_rate: float = CST_MARKET_RATE

    @classmethod
    def calibrated(
        cls,
        *,
        price: float,
        half_spread: float,
        adv_shares: float,
        session_seconds: float = 3600.0,
        warmup_seconds: float = 120.0,
    ) -> BookConfig:
        """Map a symbol (price, half spread as a fraction, ADV in shares) onto the simulation."""
        if not (price > 0 and half_spread > 0 and adv_shares > 0):
            raise ValueError(
                f"need positive price, half_spread and adv_shares; got {price}, {half_spread}, "
                f"{adv_shares}."
            )
        tick = _round_tick(price * half_spread)
        lots_per_session = 2 * CST_MARKET_RATE * session_seconds
        return cls(
            initial_price=round(price / tick) * tick,
            tick_size=tick,
            shares_per_lot=adv_shares / lots_per_session,
            warmup_seconds=warmup_seconds,
            session_seconds=session_seconds,
        )

    def open(self, seed: int) -> tuple[MatchingEngine, PoissonOrderFlow]:
        """A fresh engine and flow, warmed up for ``warmup_seconds``; same seed, same book."""
        engine = MatchingEngine(tick_size=self.tick_size, events="no_accepted")
        flow = PoissonOrderFlow(
            tick_size=self.tick_size,
            seed=seed,
            initial_price=self.initial_price,
            market_rate=self.market_rate,
        )
        flow.drive(engine, until=int(self.warmup_seconds * NS))
        return engine, flow


def _round_tick(raw: float) -> float:
    """Round a tick to 1, 2 or 5 times a power of ten."""
    exponent = np.floor(np.log10(raw))
    mantissa = raw / 10**exponent
    step = min((1.0, 2.0, 5.0, 10.0), key=lambda m: abs(np.log(mantissa / m)))
    return float(step * 10**exponent)
