"""The same weights through book execution: PnL attribution next to the vectorized backtest.

Every order of the frictionless backtest becomes a parent order executed in a simulated book of
its symbol (:class:`alphafactory.execution.BookConfig.calibrated` from the symbol's price, its
Corwin-Schultz half spread and its trailing ADV) by TWAP, VWAP or POV children. Its costs, in
bps of the arrival price, are applied to the order's notional at the bar's execution price. An
unfilled remainder is assumed completed at the final mid of the horizon, so positions follow the
same path as the vectorized backtest and the PnL is additive:

    net = gross - spread - impact - unfilled (opportunity: the mid's move on the unfilled part)

The vectorized column comes from :func:`backtest` with the given cost model, so the table shows
how far the fast cost model is from book execution, line by line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel
from alphafactory.backtest.market import market_from, trailing_mean_volume
from alphafactory.backtest.result import BacktestResult
from alphafactory.backtest.spread_impact import corwin_schultz_spread
from alphafactory.backtest.square_root_impact import SquareRootImpact
from alphafactory.backtest.vectorized import Execution, backtest
from alphafactory.execution import BookConfig, ParentOrder, execute_parent

_MIN_HALF_SPREAD = 1e-4


@dataclass(frozen=True, kw_only=True)
class LobBacktestResult:
    """Attribution table, one row per executed parent, and both backtests."""

    attribution: pd.DataFrame  # index: line, columns: vectorized, book (currency)
    parents: pd.DataFrame
    vectorized: BacktestResult
    frictionless: BacktestResult


def lob_backtest(
    bars: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    cost: CostModel | None = None,
    scores: pd.DataFrame | None = None,
    execution: Execution = "next_open",
    cash: float = 1e6,
    algo: Literal["twap", "vwap", "pov"] = "twap",
    style: Literal["passive", "aggressive"] = "passive",
    n_slices: int = 10,
    horizon_seconds: float = 600.0,
    participation: float = 0.1,
    half_spread_bps: float | None = None,
    seed: int = 0,
) -> LobBacktestResult:
    """Backtest ``weights`` with book execution and attribute the PnL.

    Parameters
    ----------
    bars : DataFrame
        Long Bars frame with OHLCV (the book calibration needs high, low and volume).
    weights : DataFrame
        Wide target weights (see :func:`backtest`).
    cost : CostModel, optional
        Cost model of the vectorized column (default ``SquareRootImpact(half_spread_bps=None)``).
    scores : DataFrame, optional
        Scores behind the weights, for the signal line (mean cross-sectional rank IC with the
        next bar's return); the weights are used when absent.
    execution, cash
        As in :func:`backtest`.
    algo, style, n_slices, horizon_seconds, participation
        How each parent is executed (see :class:`alphafactory.execution.ParentOrder`).
    half_spread_bps : float, optional
        Half spread the simulated books are calibrated to (one tick); the Corwin-Schultz
        estimate from each symbol's highs and lows when None. Pass the cost model's own half
        spread to compare the two columns on the same spread.
    seed : int
        Parent k uses ``seed + k``: fixed seeds give identical results.
    """
    cost = SquareRootImpact(half_spread_bps=None) if cost is None else cost
    market = market_from(bars)
    high = market.require("high", "lob_backtest")
    low = market.require("low", "lob_backtest")
    volume = market.require("volume", "lob_backtest")
    if half_spread_bps is None:
        half = np.maximum(0.5 * corwin_schultz_spread(high, low), _MIN_HALF_SPREAD)
    elif half_spread_bps > 0:
        half = np.full(high.shape, half_spread_bps * 1e-4)
    else:
        raise ValueError(f"half_spread_bps must be positive or None, got {half_spread_bps}.")
    adv = trailing_mean_volume(volume, 20)
    free = backtest(market, weights, execution=execution, cash=cash)
    vectorized = backtest(market, weights, cost=cost, execution=execution, cash=cash)
    trades = free.trades
    t_pos = market.timestamps.get_indexer(trades["timestamp"])
    i_pos = market.symbols.get_indexer(trades["symbol"])
    rows = []
    for k, (t, i, q, price) in enumerate(
        zip(t_pos, i_pos, trades["shares"].to_numpy(), trades["price"].to_numpy(), strict=True)
    ):
        book = BookConfig.calibrated(
            price=price, half_spread=half[t, i], adv_shares=_finite(adv[t, i], volume[:, i])
        )
        lots = max(1, round(abs(q) / book.shares_per_lot))
        parent = ParentOrder(
            side=1 if q > 0 else -1, quantity=lots, horizon_seconds=horizon_seconds,
            n_slices=n_slices, algo=algo, style=style, participation=participation,
            profile=(1.0,) * n_slices if algo == "vwap" else None,
        )
        report = execute_parent(parent, book, seed=seed + k)
        notional = abs(q) * price
        rows.append({
            "timestamp": market.timestamps[t], "symbol": market.symbols[i], "shares": q,
            "notional": notional, "lots": lots, "fill_ratio": report.fill_ratio,
            "shortfall_bps": report.shortfall_bps, "spread_bps": report.spread_bps,
            "impact_bps": report.impact_bps, "opportunity_bps": report.opportunity_bps,
            "spread": report.spread_bps * 1e-4 * notional * report.fill_ratio,
            "impact": report.impact_bps * 1e-4 * notional * report.fill_ratio,
            "unfilled": report.opportunity_bps * 1e-4 * notional,
            # What reproduces this execution: its seed and simulated book.
            "seed": seed + k, "initial_price": book.initial_price, "tick_size": book.tick_size,
            "shares_per_lot": book.shares_per_lot,
        })
    parents = pd.DataFrame(rows)
    attribution = _attribution(free, vectorized, parents, scores, weights, market, cash)
    return LobBacktestResult(
        attribution=attribution, parents=parents, vectorized=vectorized, frictionless=free
    )


def _attribution(free, vectorized, parents, scores, weights, market, cash) -> pd.DataFrame:
    ic = _signal_ic(scores if scores is not None else weights, market)
    vec_costs = vectorized.costs.sum()
    vec_net = float(vectorized.equity.iloc[-1] - cash)
    vec_spread = float(vec_costs["spread"] + vec_costs["commission"])
    vec_impact = float(vec_costs["impact"])
    vec_gross = vec_net + vec_spread + vec_impact + float(vec_costs["borrow"])
    gross = float(free.equity.iloc[-1] - cash)
    spread = float(parents["spread"].sum()) if len(parents) else 0.0
    impact = float(parents["impact"].sum()) if len(parents) else 0.0
    unfilled = float(parents["unfilled"].sum()) if len(parents) else 0.0
    table = pd.DataFrame(
        {
            "vectorized": [ic, vec_gross, vec_spread, vec_impact, 0.0, vec_net],
            "book": [ic, gross, spread, impact, unfilled, gross - spread - impact - unfilled],
        },
        index=pd.Index(
            ["signal_rank_ic", "gross_pnl", "spread_cost", "impact_cost", "unfilled_cost",
             "net_pnl"],
            name="line",
        ),
    )
    return table


def _signal_ic(scores: pd.DataFrame, market) -> float:
    """Mean cross-sectional Spearman correlation of row t with the close-to-close return t+1."""
    close = pd.DataFrame(market.close, index=market.timestamps, columns=market.symbols)
    forward = close.pct_change(fill_method=None).shift(-1)
    aligned = scores.reindex(index=close.index, columns=close.columns)
    ranks_s = aligned.rank(axis=1)
    ranks_r = forward.where(aligned.notna()).rank(axis=1)
    corr = ranks_s.corrwith(ranks_r, axis=1, drop=False)
    corr = corr[np.isfinite(corr.to_numpy(dtype=np.float64))]
    return float(corr.mean()) if len(corr) else float("nan")


def _finite(value: float, history: np.ndarray) -> float:
    if np.isfinite(value) and value > 0:
        return float(value)
    positive = history[np.isfinite(history) & (history > 0)]
    if not len(positive):
        raise ValueError("lob_backtest: a traded symbol has no positive volume to calibrate from.")
    return float(positive.mean())
