"""The benchmark workload shared by bench_backtest.py and reference_vectorbt.py (numpy only).

500 assets x 2520 bars of geometric random-walk closes and random long-only target weights
rebalanced every bar, summing to 0.95 (a cash buffer, so that no order has to be shrunk to pay
its fees), 10 bps on traded notional, 1e6 initial cash. ``FULL_GROSS`` (weights summing to 1)
is the same workload where every rebalance's last buys are shrunk to the cash left.
"""

from __future__ import annotations

import numpy as np

N_BARS, N_ASSETS, SEED = 2520, 500, 20240101
FEE_BPS, INITIAL_CASH, GROSS, FULL_GROSS = 10.0, 1e6, 0.95, 1.0


def workload(
    n_bars: int = N_BARS, n_assets: int = N_ASSETS, gross: float = GROSS
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(close [T, N], weights [T, N])``, float64, C-contiguous, deterministic."""
    rng = np.random.default_rng(SEED)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.015, (n_bars, n_assets)), axis=0))
    raw = rng.random((n_bars, n_assets))
    weights = raw / raw.sum(axis=1, keepdims=True) * gross
    return np.ascontiguousarray(close), np.ascontiguousarray(weights)
