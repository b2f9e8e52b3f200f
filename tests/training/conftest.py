from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def linear_windows() -> tuple[np.ndarray, np.ndarray]:
    """Windows [1200, 8, 3] whose label is a linear function of the last steps plus noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 8, 3)).astype(np.float32)
    y = X[:, -1, 0] - 0.5 * X[:, -3, 1] + 0.2 * rng.normal(size=len(X))
    return X, y


def return_features(bars):
    """1-bar log return and its cross-sectionally demeaned version (causal)."""
    import pandas as pd

    from alphafactory.data.panel import to_long, to_wide

    r = np.log(to_wide(bars, "close")).diff()
    r_cs = r.sub(r.mean(axis=1), axis=0)
    frame = pd.concat({"r1": to_long(r, "r1"), "r1_cs": to_long(r_cs, "r1_cs")}, axis=1)
    return frame.reindex(bars.index)


@pytest.fixture(scope="session")
def small_market():
    """20 symbols x 400 daily bars with a planted alpha; features and 1-bar demeaned labels."""
    from alphafactory.data import synthetic_market
    from alphafactory.labels import forward_returns

    market = synthetic_market(20, 400, seed=3, alpha_ic=0.1)
    labels = forward_returns(market.bars, 1, kind="log", demean=True)
    return market, return_features(market.bars), labels
