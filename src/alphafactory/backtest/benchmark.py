"""Benchmarks a backtest is measured against: equal-weight buy-and-hold, or given returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alphafactory.backtest.market import market_from
from alphafactory.data.wide import Panel

if TYPE_CHECKING:
    from alphafactory.backtest.result import BacktestResult

BENCHMARKS: tuple[str, ...] = ("equal_weight",)


def buy_and_hold(prices_or_market: pd.DataFrame | Panel) -> pd.Series:
    """Per-bar returns of buying every symbol in equal value at the first close and holding.

    With ``S`` the symbols priced at the first bar ``t0`` that has any price, wealth is
    ``W_t = mean_{i in S} (C_{i,t} / C_{i,t0})`` (a missing close is the last known one) and the
    return ``W_t / W_{t-1} - 1``; 0 at ``t0``, NaN before it. No costs, no rebalancing (the
    weights drift with prices), no symbols added later.

    Parameters
    ----------
    prices_or_market : DataFrame or Panel
        Long bars, a wide frame of closes, or a backtest's :class:`~alphafactory.data.Panel`.

    Returns
    -------
    Series
        On the market's timestamps, named ``equal_weight``.
    """
    market = market_from(prices_or_market)
    close = pd.DataFrame(market.close).ffill().to_numpy(dtype=np.float64)
    priced = np.isfinite(close) & (close > 0)
    rows = np.flatnonzero(priced.any(axis=1))
    if rows.size == 0:
        raise ValueError("buy_and_hold: the market has no positive close at any bar.")
    t0 = int(rows[0])
    held = priced[t0]
    wealth = np.full(len(close), np.nan)
    wealth[t0:] = np.mean(close[t0:, held] / close[t0, held], axis=1)
    previous = np.concatenate([[np.nan], wealth[:-1]])
    returns = wealth / previous - 1.0
    returns[t0] = 0.0
    return pd.Series(returns, index=market.timestamps, name="equal_weight")


def benchmark_returns(
    result: BacktestResult, benchmark: str | pd.Series | None
) -> pd.Series | None:
    """Resolve a benchmark for ``result``: None, ``"equal_weight"`` or per-bar returns.

    A Series is taken as simple returns and aligned to the backtest's timestamps (bars it does
    not cover become NaN and drop out of the relative metrics); it must share at least one.
    """
    if benchmark is None:
        return None
    if isinstance(benchmark, str):
        if benchmark not in BENCHMARKS:
            raise ValueError(
                f"benchmark: unknown name {benchmark!r}; use one of {list(BENCHMARKS)} or a "
                "Series of returns."
            )
        return buy_and_hold(result.market)
    if not isinstance(benchmark, pd.Series):
        raise TypeError(
            "benchmark must be None, a name or a Series of returns, got "
            f"{type(benchmark).__name__}."
        )
    aligned = benchmark.astype(np.float64).reindex(result.market.timestamps)
    if aligned.notna().sum() == 0:
        raise ValueError(
            "benchmark: its returns share no timestamp with the backtest "
            f"({result.market.timestamps[0]} .. {result.market.timestamps[-1]})."
        )
    return aligned.rename(benchmark.name or "benchmark")
