"""The same weights through book execution: PnL attribution next to the cost model's.

Every order of the frictionless backtest becomes a parent order executed by TWAP, VWAP or POV
children in a :class:`SimulatedVenue` holding one book for its symbol
(:meth:`BookConfig.calibrated` from the symbol's price, half spread and trailing ADV). Its costs,
attributed from its fills (:mod:`alphafactory.execution.attribution`), are scaled from the
book's shares to the order's shares (a parent is at least one lot) and charged on the
frictionless path, so both columns trade the same shares at the same bar prices:

    book:       gross - spread - impact - opportunity - fees = net,   gross = bar PnL - timing
    vectorized: gross - spread - impact - fees = net                 (the cost model, same trades)

Like with like: the books are calibrated to the cost model's own half spread in each cell (one
tick = one half spread), so the spread lines compare the same spread; the impact lines compare
the cost model's impact law with the book's. Costs are not compounded (the path is the
frictionless one); :attr:`LobBacktestResult.vectorized` is the compounding backtest with costs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel
from alphafactory.backtest.market import market_from, trailing_mean_volume
from alphafactory.backtest.result import BacktestResult
from alphafactory.backtest.spread_impact import corwin_schultz_spread
from alphafactory.backtest.square_root_impact import SquareRootImpact
from alphafactory.backtest.vectorized import Execution, GrossLeverageWarning, backtest
from alphafactory.evaluation import information_coefficient
from alphafactory.execution.book import BookConfig
from alphafactory.execution.executor import ParentOrder, execute_parent
from alphafactory.execution.orders import Side
from alphafactory.execution.simulated_venue import SimulatedVenue

__all__ = ["LINES", "LobBacktestResult", "lob_backtest"]

_MIN_HALF_SPREAD = 1e-4
#: Lines of the attribution table, top to bottom.
LINES = ("signal_rank_ic", "gross_pnl", "timing_in_gross", "spread_cost", "impact_cost",
         "opportunity_cost", "fees", "net_pnl")


@dataclass(frozen=True, kw_only=True)
class LobBacktestResult:
    """Attribution table, one row per executed parent, and both backtests."""

    attribution: pd.DataFrame  # index: LINES, columns: vectorized, book (currency)
    parents: pd.DataFrame
    vectorized: BacktestResult
    frictionless: BacktestResult
    note: str  # what the two columns hold, in words, for printouts

    def shortfall_bps(self) -> tuple[float, float]:
        """Notional-weighted implementation shortfall over parents, in bps of arrival: whole
        parents (unfilled rest and fees included) and their filled parts."""
        if not len(self.parents):
            return float("nan"), float("nan")
        weights = self.parents["notional"].to_numpy()
        return (float(np.average(self.parents["total_bps"], weights=weights)),
                float(np.average(self.parents["shortfall_bps"], weights=weights)))


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
    max_gross_leverage: float | None = 1.0,
) -> LobBacktestResult:
    """Backtest ``weights`` with book execution and attribute the PnL.

    Parameters
    ----------
    bars : DataFrame
        Long Bars frame with OHLCV (the book calibration needs high, low and volume).
    weights : DataFrame
        Wide target weights (see :func:`backtest`).
    cost : CostModel, optional
        Cost model of the vectorized column (default ``SquareRootImpact`` with
        ``half_spread_bps``, the Corwin-Schultz estimate when that is None).
    scores : DataFrame, optional
        Scores behind the weights, for the signal line (mean cross-sectional rank IC with the
        next bar's close-to-close return); the weights are used when absent.
    execution, cash
        As in :func:`backtest`.
    algo, style, n_slices, horizon_seconds, participation
        How each parent is executed (see :class:`ParentOrder`).
    half_spread_bps : float, optional
        Half spread of the books where the cost model has none (and of the default cost model);
        the Corwin-Schultz estimate from the symbol's highs and lows when None.
    seed : int
        Parent k uses ``seed + k``: fixed seeds give identical results.
    max_gross_leverage : float or None
        As in :func:`backtest`: decisions above it are scaled down to it (one warning).
    """
    if half_spread_bps is not None and not half_spread_bps > 0:
        raise ValueError(f"half_spread_bps must be positive or None, got {half_spread_bps}.")
    cost = SquareRootImpact(half_spread_bps=half_spread_bps) if cost is None else cost
    market = market_from(bars)
    high = market.require("high", "lob_backtest")
    low = market.require("low", "lob_backtest")
    volume = market.require("volume", "lob_backtest")
    params = cost.parameters(market)
    half = np.broadcast_to(np.nan_to_num(np.asarray(params.half_spread, dtype=np.float64)),
                           high.shape)
    fallback = (np.full(high.shape, half_spread_bps * 1e-4) if half_spread_bps is not None
                else np.maximum(0.5 * corwin_schultz_spread(high, low), _MIN_HALF_SPREAD))
    half = np.where(half > 0, half, fallback)
    adv = trailing_mean_volume(volume, 20)
    free = backtest(market, weights, execution=execution, cash=cash,
                    max_gross_leverage=max_gross_leverage)
    with warnings.catch_warnings():  # the same weights, scaled alike: warned once above
        warnings.simplefilter("ignore", GrossLeverageWarning)
        vectorized = backtest(market, weights, cost=cost, execution=execution, cash=cash,
                              max_gross_leverage=max_gross_leverage)
    trades = free.trades
    t_pos = market.timestamps.get_indexer(trades["timestamp"])
    i_pos = market.symbols.get_indexer(trades["symbol"])
    shares = trades["shares"].to_numpy()
    prices = trades["price"].to_numpy()
    rows = []
    for k, (t, i, q, price) in enumerate(zip(t_pos, i_pos, shares, prices, strict=True)):
        symbol = str(market.symbols[i])
        book = BookConfig.calibrated(
            price=price, half_spread=half[t, i], adv_shares=_finite(adv[t, i], volume[:, i])
        )
        lots = max(1, round(abs(q) / book.shares_per_lot))
        parent = ParentOrder(
            symbol=symbol, side=Side.BUY if q > 0 else Side.SELL,
            quantity=lots * book.shares_per_lot, horizon_seconds=horizon_seconds,
            n_slices=n_slices, algo=algo, style=style, participation=participation,
            profile=(1.0,) * n_slices if algo == "vwap" else None,
        )  # fmt: skip
        report = execute_parent(parent, SimulatedVenue({symbol: book}, seed=seed + k))
        scale = abs(q) * price / (report.arrival_price * parent.quantity)
        money = report.attribution.scaled(scale)  # the book's costs per share, on our shares
        rows.append({
            "timestamp": market.timestamps[t], "symbol": symbol, "shares": q,
            "notional": abs(q) * price, "lots": lots, "fill_ratio": report.fill_ratio,
            "shortfall_bps": report.shortfall_bps, **report.costs_bps(),
            "spread": money.spread, "impact": money.impact, "opportunity": money.opportunity,
            "fees": money.fees, "timing": money.timing, "cost": money.total,
            # What reproduces this execution: its seed and simulated book.
            "seed": seed + k, "initial_price": book.initial_price, "tick_size": book.tick_size,
            "shares_per_lot": book.shares_per_lot,
        })  # fmt: skip
    parents = pd.DataFrame(rows)
    model_costs = cost.cost(market, _wide(trades, market, "shares"), _wide(trades, market, "price"))
    attribution = _attribution(free, model_costs, parents, scores, weights, market, cash)
    return LobBacktestResult(
        attribution=attribution, parents=parents, vectorized=vectorized, frictionless=free,
        note=_note(cost, half_spread_bps),
    )


def _note(cost: CostModel, half_spread_bps: float | None) -> str:
    spread = ("the cost model's per cell" if half_spread_bps is None
              else f"{half_spread_bps:g} bps where the cost model has none")
    return (
        "Like with like: both columns trade the same shares (the frictionless path, costs not "
        f"compounded) at the same bar prices, with the same half spread ({spread}; one tick of "
        f"each simulated book). Vectorized: {cost!r} on those trades. Book: spread = crossing "
        "to the touch, impact = walking the book past it and the mid moves our children caused "
        "for the rest of the parent. Every cost is >= 0; the book's gross is the bars' PnL less "
        "timing (the mid's own move while executing, the book's recovery, and the half spread "
        "resting children earned)."
    )


def _wide(trades: pd.DataFrame, market, column: str) -> np.ndarray:
    out = np.zeros((len(market.timestamps), len(market.symbols)))
    t = market.timestamps.get_indexer(trades["timestamp"])
    i = market.symbols.get_indexer(trades["symbol"])
    np.add.at(out, (t, i), trades[column].to_numpy(dtype=np.float64))
    return out


def _attribution(free, model_costs, parents, scores, weights, market, cash) -> pd.DataFrame:
    ic = _signal_ic(scores if scores is not None else weights, market)
    gross = float(free.equity.iloc[-1] - cash)
    spread, impact, fees = (float(model_costs.spread.sum()), float(model_costs.impact.sum()),
                            float(model_costs.commission.sum()))
    total = {c: float(parents[c].sum()) if len(parents) else 0.0
             for c in ("spread", "impact", "opportunity", "fees", "timing", "cost")}
    vec = [ic, gross, 0.0, spread, impact, 0.0, fees, gross - spread - impact - fees]
    book = [ic, gross - total["timing"], total["timing"], total["spread"], total["impact"],
            total["opportunity"], total["fees"], gross - total["cost"]]
    return pd.DataFrame({"vectorized": vec, "book": book}, index=pd.Index(LINES, name="line"))


def _signal_ic(scores: pd.DataFrame, market) -> float:
    """Mean cross-sectional rank IC of row t with the close-to-close return t -> t+1."""
    close = pd.DataFrame(market.close, index=market.timestamps, columns=market.symbols)
    forward = close.pct_change(fill_method=None).shift(-1)
    aligned = scores.reindex(index=close.index, columns=close.columns)
    ic = information_coefficient(aligned, forward.where(aligned.notna()), "spearman", min_obs=2)
    ic = ic[np.isfinite(ic.to_numpy(dtype=np.float64))]
    return float(ic.mean()) if len(ic) else float("nan")


def _finite(value: float, history: np.ndarray) -> float:
    if np.isfinite(value) and value > 0:
        return float(value)
    positive = history[np.isfinite(history) & (history > 0)]
    if not len(positive):
        raise ValueError("lob_backtest: a traded symbol has no positive volume to calibrate from.")
    return float(positive.mean())
