"""The compiled loop's fast path (a flat cost per notional, decision rows) on wide inputs.

The fast path sizes a bar's orders in blocks of 256 assets (vectorized, with an AVX2 build where
the CPU has it) and reads column-major inputs through a row-major window of a few dozen bars:
these cases cross a block boundary, a window refill, gaps in prices, delistings, NaN weights,
borrow, and full gross (the last buys of every bar shrunk to the cash), and must match the
straightforward reference and give the same bits from either memory layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import FixedBps, backtest
from alphafactory.data.wide import Panel

from .conftest import reference_backtest

N_BARS, N_ASSETS = 80, 301  # 301 = one block of 256 and a ragged one; 80 bars: window refills


def _inputs(seed: int, gross: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (N_BARS, N_ASSETS)
    close = 30.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, shape), axis=0))
    open_ = close * (1.0 + rng.normal(0.0, 0.005, shape))
    close[rng.random(shape) < 0.02] = np.nan  # gaps
    open_[rng.random(shape) < 0.02] = np.nan
    close[:10, 5] = open_[:10, 5] = np.nan  # listed at bar 10
    close[-15:, 7] = open_[-15:, 7] = np.nan  # delisted
    raw = rng.random(shape)
    raw[:, 3] = -raw[:, 3]  # a short book, to pay borrow
    weights = raw / np.abs(raw).sum(axis=1, keepdims=True) * gross
    weights[rng.random(shape) < 0.01] = np.nan  # no target: weight 0
    return close, open_, weights


@pytest.mark.parametrize(("execution", "gross"),
                         [("close", 1.0), ("next_open", 0.9), ("next_close", 1.0)])
def test_flat_path_matches_reference_in_both_layouts(execution, gross):
    close, open_, weights = _inputs(seed=len(execution), gross=gross)
    index = pd.date_range("2024-01-01", periods=N_BARS, freq="B", tz="UTC")
    symbols = pd.Index([f"S{i:03d}" for i in range(N_ASSETS)], name="symbol")
    frame = pd.DataFrame(weights, index=index, columns=symbols)
    results = []
    for order in ("C", "F"):
        market = Panel.from_arrays(index, symbols, close=np.asarray(close, order=order),
                                   open=np.asarray(open_, order=order))
        assert market.close.flags.c_contiguous == (order == "C")  # the layout reaches the loop
        results.append(backtest(market, frame, cost=FixedBps(10), execution=execution, cash=1e6,
                                borrow_bps=50, periods_per_year=252))
    rows, cols = results
    np.testing.assert_array_equal(rows.ledger, cols.ledger)
    np.testing.assert_array_equal(rows.shares_array, cols.shares_array)
    exec_price = open_ if execution == "next_open" else close
    eq, cash, shares, costs = reference_backtest(
        exec_price.tolist(), close.tolist(), weights.tolist(),
        lag=0 if execution == "close" else 1, cash=1e6, half_spread=10e-4,
        borrow_per_bar=50e-4 / 252,
    )
    np.testing.assert_allclose(rows.equity.to_numpy(), eq, rtol=1e-9)
    np.testing.assert_allclose(rows.cash.to_numpy(), cash, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(rows.shares_array, shares, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(rows.costs.sum(axis=1).to_numpy(), costs, rtol=1e-9, atol=1e-9)
    if gross == 1.0:
        assert (rows.limited_notional > 0).sum() >= 5  # the rationing path ran
