from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.training.report import long_short_returns, long_short_weights


def _predictions() -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [pd.date_range("2024-01-01", periods=2, tz="UTC"), ["a", "b", "c", "d"]],
        names=["timestamp", "symbol"],
    )
    return pd.DataFrame(
        {
            "score": [4.0, 3.0, 2.0, 1.0, 1.0, 2.0, 3.0, 4.0],
            "label": [0.01, 0.02, -0.01, 0.0, 0.03, 0.0, 0.01, -0.02],
        },
        index=index,
    )


def test_long_short_weights_are_dollar_neutral_with_gross_one():
    w = long_short_weights(_predictions()["score"])
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(w.abs().sum(axis=1), 1.0)
    # ranks 4,3,2,1 -> centred 1.5, 0.5, -0.5, -1.5 -> / 4
    np.testing.assert_allclose(w.iloc[0].to_numpy(), [0.375, 0.125, -0.125, -0.375])


def test_long_short_returns_by_hand_with_costs():
    pred = _predictions()
    r = long_short_returns(pred, cost_bps=10.0)
    w0 = np.array([0.375, 0.125, -0.125, -0.375])
    w1 = -w0
    gross0 = w0 @ [0.01, 0.02, -0.01, 0.0]
    gross1 = w1 @ [0.03, 0.0, 0.01, -0.02]
    cost0 = 10e-4 * np.abs(w0).sum()
    cost1 = 10e-4 * np.abs(w1 - w0).sum()
    np.testing.assert_allclose(r.to_numpy(), [gross0 - cost0, gross1 - cost1])
