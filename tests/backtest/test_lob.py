from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import FixedBps
from alphafactory.backtest.lob import lob_backtest


@pytest.fixture
def sparse_weights(random_weights) -> pd.DataFrame:
    return random_weights.iloc[::6].reindex(random_weights.index)


def test_lob_backtest_attribution_adds_up(bars, sparse_weights):
    result = lob_backtest(bars, sparse_weights, cash=1e5, horizon_seconds=300, n_slices=5)
    table = result.attribution
    book = table["book"]
    assert book["net_pnl"] == pytest.approx(
        book["gross_pnl"] - book["spread_cost"] - book["impact_cost"] - book["unfilled_cost"]
    )
    vec = table["vectorized"]
    assert vec["net_pnl"] == pytest.approx(result.vectorized.equity.iloc[-1] - 1e5)
    assert book["gross_pnl"] == pytest.approx(result.frictionless.equity.iloc[-1] - 1e5)
    assert len(result.parents) == len(result.frictionless.trades)
    assert (result.parents["fill_ratio"] > 0).all()
    assert np.isfinite(table.to_numpy()).all()


def test_lob_backtest_fixed_seed_identical(bars, sparse_weights):
    kwargs = {"cash": 1e5, "horizon_seconds": 120, "n_slices": 4, "cost": FixedBps(5), "seed": 3}
    a = lob_backtest(bars, sparse_weights, **kwargs)
    b = lob_backtest(bars, sparse_weights, **kwargs)
    pd.testing.assert_frame_equal(a.attribution, b.attribution)
    pd.testing.assert_frame_equal(a.parents, b.parents)
