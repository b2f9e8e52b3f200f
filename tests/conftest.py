"""Shared fixtures. Session-scoped frames are shared: copy before mutating."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.data import SyntheticMarket, load_sample, synthetic_market


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    """The bundled ``us-equities-daily`` panel (5 symbols, 2000-03 .. 2013-03)."""
    return load_sample("us-equities-daily")


@pytest.fixture(scope="session")
def small_market() -> SyntheticMarket:
    """A 20-symbol x 500-bar daily synthetic market with a planted IC of 0.1."""
    return synthetic_market(n_symbols=20, n_bars=500, seed=0, alpha_ic=0.1)
