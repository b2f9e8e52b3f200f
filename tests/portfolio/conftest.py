from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_panel(n_bars: int = 320, n_symbols: int = 8, seed: int = 0):
    """Daily closes (random walks with distinct vols) and scores that predict next returns."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n_bars, freq="D", tz="UTC", name="timestamp")
    columns = pd.Index([f"S{i}" for i in range(n_symbols)], name="symbol")
    vols = np.linspace(0.005, 0.03, n_symbols)
    returns = rng.normal(0.0003, 1.0, (n_bars, n_symbols)) * vols
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=index, columns=columns)
    signal = np.vstack([returns[1:], np.zeros((1, n_symbols))]) / vols
    scores = pd.DataFrame(signal + rng.normal(0, 3.0, signal.shape), index=index, columns=columns)
    return scores, prices


@pytest.fixture
def panel():
    return make_panel()


@pytest.fixture
def make():
    """The panel factory, for tests that need another size or seed."""
    return make_panel
