"""The demo's book execution: a strategy's rebalances as child orders in a SimulatedVenue (the
C++ book with Poisson background flow, one book per parent)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.backtest import SquareRootImpact
from alphafactory.execution import ParentOrder, Side, lob_backtest
from alphafactory.execution.run_tables import cost_attribution_table, replay_parent, shortfall_table
from alphafactory.pipeline.config import ExecutionSettings, PortfolioSettings


@dataclass(frozen=True, slots=True)
class BookExecution:
    """Tables for the run (``execution/...``) and the headline figures of one strategy."""

    tables: dict[str, pd.DataFrame]
    shortfall_bps: float
    fill_ratio: float
    n_parents: int


def execute_in_book(
    bars: pd.DataFrame,
    weights: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    portfolio: PortfolioSettings,
    settings: ExecutionSettings,
    model: str,
    seed: int,
) -> BookExecution:
    """Execute every order of ``weights`` through the book and shape the run tables.

    The implementation shortfall is the notional-weighted mean over parents, in bps of the
    arrival mid (positive = cost). The largest parent is replayed to record its child fills and
    the book it met.
    """
    start = weights.index[0]
    window = bars.loc[bars.index.get_level_values("timestamp") >= start]
    cost = SquareRootImpact(eta=portfolio.eta, half_spread_bps=portfolio.half_spread_bps)
    result = lob_backtest(
        window, weights, cost=cost, scores=scores, execution="next_open", cash=portfolio.cash,
        algo=settings.algo, style=settings.style, n_slices=settings.slices,
        horizon_seconds=settings.horizon_seconds, half_spread_bps=portfolio.half_spread_bps,
        seed=seed,
    )  # fmt: skip
    parents = result.parents
    tables = {"execution/cost_attribution": cost_attribution_table(result.attribution, model)}
    if not len(parents):
        return BookExecution(tables, float("nan"), float("nan"), 0)
    tables["execution/shortfall"] = shortfall_table(parents, model)
    notional = parents["notional"].to_numpy()
    shortfall = float(np.average(parents["shortfall_bps"].to_numpy(), weights=notional))
    fill_ratio = float(np.average(parents["fill_ratio"].to_numpy(), weights=notional))
    largest = int(np.argmax(notional))
    record = parents.iloc[largest]
    parent = ParentOrder(
        symbol=str(record["symbol"]), side=Side.BUY if record["shares"] > 0 else Side.SELL,
        quantity=int(record["lots"]) * float(record["shares_per_lot"]),
        horizon_seconds=settings.horizon_seconds, n_slices=settings.slices, algo=settings.algo,
        style=settings.style,
        profile=(1.0,) * settings.slices if settings.algo == "vwap" else None,
    )  # fmt: skip
    fills, book = replay_parent(parents, largest, parent)
    tables["execution/fills"] = fills.assign(model=model)
    tables["execution/book"] = book.assign(model=model)
    return BookExecution(tables, shortfall, fill_ratio, len(parents))
