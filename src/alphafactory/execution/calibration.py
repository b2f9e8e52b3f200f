"""Fit the square-root impact coefficient to executions in the simulated book.

The fit describes the *simulated* order flow (Cont-Stoikov-Talreja rates), not any real stock:
it tells what ``eta`` makes :class:`alphafactory.backtest.SquareRootImpact` reproduce the book's
costs, so that the fast backtest and the book backtest can be compared on equal terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.backtest.square_root_impact import SquareRootImpact
from alphafactory.execution.book import BookConfig
from alphafactory.execution.executor import ParentOrder, execute_parent
from alphafactory.execution.orders import Side
from alphafactory.execution.simulated_venue import SimulatedVenue


@dataclass(frozen=True, kw_only=True, slots=True)
class ImpactFit:
    """Result of :func:`calibrate_square_root`.

    ``eta`` solves ``impact = eta * sigma * sqrt(q / V)`` by least squares through the origin,
    with ``sigma`` the std of the mid's return over a horizon without our trading, ``V`` the
    market volume over the horizon (shares) and ``impact`` the shortfall beyond the half spread
    crossed (book walk plus the mid's move, averaged over buys and sells so drift cancels).
    """

    eta: float
    sigma: float
    session_volume: float
    points: pd.DataFrame  # participation, lots, x = sigma sqrt(q/V), impact (fraction), n
    r_squared: float

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict description, stored on the calibrated cost model."""
        return {
            "eta": self.eta,
            "sigma": self.sigma,
            "session_volume_lots": self.session_volume,
            "r_squared": self.r_squared,
            "points": self.points.to_dict(orient="list"),
            "note": "fitted to simulated Poisson order flow; describes the simulation, not a stock",
        }

    def cost_model(self) -> SquareRootImpact:
        """A :class:`SquareRootImpact` with this ``eta`` and the fit recorded on it."""
        return SquareRootImpact(eta=self.eta, half_spread_bps=0.0, calibration=self.as_dict())


def calibrate_square_root(
    *,
    participations: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2),
    seed: int = 0,
    n_sessions: int = 10,
    horizon_seconds: float = 600.0,
    n_slices: int = 10,
    style: str = "aggressive",
    book: BookConfig | None = None,
) -> ImpactFit:
    """Execute TWAP buy and sell parents over a grid of sizes and fit ``eta``.

    Parameters
    ----------
    participations : tuple of float
        Parent sizes as fractions of the market volume expected over the horizon.
    seed : int
        First seed; session ``s`` uses ``seed + s`` (the same sessions for every size).
    n_sessions : int
        Sessions per size (half buys, half sells), and baseline sessions for ``sigma``.
    horizon_seconds, n_slices, style
        The parent's execution (see :class:`alphafactory.execution.ParentOrder`).
    book : BookConfig, optional
        The simulated market (default: ``BookConfig(warmup_seconds=60)``).
    """
    if n_sessions < 2 or not participations:
        raise ValueError("need n_sessions >= 2 and at least one participation.")
    book = BookConfig(warmup_seconds=60.0) if book is None else book

    def run(side: Side, lots: int, s: int):
        parent = ParentOrder(symbol="SIM", side=side, quantity=lots * book.shares_per_lot,
                             horizon_seconds=horizon_seconds, n_slices=n_slices, style=style)
        return execute_parent(parent, SimulatedVenue({"SIM": book}, seed=seed + s))

    baseline = [run(Side.BUY, 0, s) for s in range(n_sessions)]
    moves = np.array([r.final_mid / r.arrival_price - 1.0 for r in baseline])
    sigma = float(np.sqrt(np.mean(moves**2)))
    volume = float(np.mean([r.market_volume for r in baseline])) / book.shares_per_lot
    rows = []
    for p in participations:
        lots = max(1, round(p * volume))
        impacts = []
        for s in range(n_sessions):
            report = run(Side.BUY if s % 2 == 0 else Side.SELL, lots, s)
            bps = report.costs_bps()
            impacts.append((bps["total_bps"] - bps["spread_bps"]) * 1e-4)
        rows.append((p, lots, sigma * np.sqrt(lots / volume), float(np.mean(impacts)), n_sessions))
    points = pd.DataFrame(rows, columns=["participation", "lots", "x", "impact", "n"])
    x, y = points["x"].to_numpy(), points["impact"].to_numpy()
    slope = float((x * y).sum() / (x * x).sum()) if sigma > 0 else 0.0
    residual = y - slope * x
    total = ((y - y.mean()) ** 2).sum()
    r_squared = float(1 - (residual**2).sum() / total) if total > 0 else 0.0
    eta = max(slope, 0.0)
    return ImpactFit(eta=eta, sigma=sigma, session_volume=volume, points=points,
                     r_squared=r_squared)
