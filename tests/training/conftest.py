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
