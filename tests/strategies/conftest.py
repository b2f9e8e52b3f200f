"""Hand-built bars for the strategy tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def hand_bars(
    closes: dict[str, np.ndarray],
    highs: dict[str, np.ndarray] | None = None,
    lows: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Daily bars indexed (timestamp, symbol) from per-symbol closes (high/low default 0.1%
    around the close, open = close, constant volume)."""
    n = len(next(iter(closes.values())))
    times = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    frames = []
    for symbol, close in closes.items():
        close = np.asarray(close, dtype=np.float64)
        high = np.asarray((highs or {}).get(symbol, close * 1.001), dtype=np.float64)
        low = np.asarray((lows or {}).get(symbol, close * 0.999), dtype=np.float64)
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": times,
                    "symbol": symbol,
                    "open": close,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": 1e6,
                }
            )
        )
    return pd.concat(frames).set_index(["timestamp", "symbol"]).sort_index()


def cointegrated_pair(
    n: int = 600, beta: float = 1.5, seed: int = 0, noise: int = 4
) -> tuple[dict[str, np.ndarray], float]:
    """Closes of a cointegrated pair ``ln Y = beta ln X + AR(1)`` plus ``noise`` random walks."""
    rng = np.random.default_rng(seed)
    log_x = np.log(50.0) + np.cumsum(rng.normal(0, 0.01, n))
    ar = np.zeros(n)
    for t in range(1, n):
        ar[t] = 0.8 * ar[t - 1] + rng.normal(0, 0.01)
    log_y = 0.5 + beta * log_x + ar
    closes = {"X": np.exp(log_x), "Y": np.exp(log_y)}
    for k in range(noise):
        closes[f"R{k}"] = 40.0 * np.exp(np.cumsum(rng.normal(0, 0.012, n)))
    return closes, beta


@pytest.fixture
def make_bars():
    return hand_bars


@pytest.fixture
def make_pair():
    return cointegrated_pair
