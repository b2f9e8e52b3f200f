from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def _make_panel(values, stamps, symbols) -> pd.Series:
    """Long Series on (timestamp, symbol) from a [T, N] array."""
    index = pd.MultiIndex.from_product([stamps, symbols], names=["timestamp", "symbol"])
    return pd.Series(np.asarray(values, dtype=float).ravel(), index=index)


@pytest.fixture
def make_panel():
    return _make_panel


@pytest.fixture
def stamps() -> pd.DatetimeIndex:
    return pd.bdate_range("2021-01-04", periods=300, tz="UTC", name="timestamp")


@pytest.fixture
def noisy_panel(stamps):
    """Scores with a true cross-sectional IC of about 0.3 over 40 symbols x 300 dates."""
    rng = np.random.default_rng(7)
    symbols = [f"S{i:02d}" for i in range(40)]
    labels = rng.normal(size=(len(stamps), len(symbols)))
    scores = 0.3 * labels + np.sqrt(1 - 0.09) * rng.normal(size=labels.shape)
    return _make_panel(scores, stamps, symbols), _make_panel(labels, stamps, symbols)
