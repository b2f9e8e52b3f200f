"""Fixtures of the execution tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SYMBOLS = ("AAA", "BBB")


@pytest.fixture(scope="session")
def venue_bars() -> pd.DataFrame:
    """80 business days of OHLCV for AAA and BBB (read-only: copy before mutating)."""
    return _bars()


def _bars(n: int = 80, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-02", periods=n, freq="B", tz="UTC", name="timestamp")
    frames = []
    for k, symbol in enumerate(SYMBOLS):
        close = 40.0 * (k + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        open_ = close * np.exp(rng.normal(0, 0.004, n))
        high = np.maximum(open_, close) * 1.01
        low = np.minimum(open_, close) * 0.99
        frames.append(pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                                    "volume": rng.uniform(1e5, 2e5, n), "symbol": symbol},
                                   index=index))
    return pd.concat(frames).reset_index().set_index(["timestamp", "symbol"]).sort_index()


