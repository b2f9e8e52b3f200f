"""The benchmark workload shared by bench_backtest.py and reference_vectorbt.py (numpy only).

500 assets x 2520 bars of geometric random-walk closes and random long-only target weights
rebalanced every bar, summing to 0.95 (a cash buffer so that a backtester that refuses to
borrow for fees never has to shrink an order), 10 bps on traded notional, 1e6 initial cash.
"""

from __future__ import annotations

import numpy as np

N_BARS, N_ASSETS, SEED = 2520, 500, 20240101
FEE_BPS, INITIAL_CASH, GROSS = 10.0, 1e6, 0.95


def workload(n_bars: int = N_BARS, n_assets: int = N_ASSETS) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(close [T, N], weights [T, N])``, float64, C-contiguous, deterministic."""
    rng = np.random.default_rng(SEED)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.015, (n_bars, n_assets)), axis=0))
    raw = rng.random((n_bars, n_assets))
    weights = raw / raw.sum(axis=1, keepdims=True) * GROSS
    return np.ascontiguousarray(close), np.ascontiguousarray(weights)
