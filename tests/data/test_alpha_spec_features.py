"""The planted signals against the 252 registered features: no kind but the reversal IS a feature;
the mix is learnable by a linear model on the features, the interaction much less."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.data import AlphaSpec, synthetic_market
from alphafactory.features import build_features, list_features

N_SYMBOLS, N_BARS = 30, 520
_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _truth_and_features(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(truth, features)`` rows of one market planting ``kind`` (cached across tests)."""
    if kind not in _CACHE:
        market = synthetic_market(N_SYMBOLS, N_BARS, seed=11, alpha=AlphaSpec(kind=kind, ic=0.05))
        names = list(list_features()["name"])
        features = build_features(market.bars, names, dtype=np.float64)
        assert features.shape[1] == len(names) >= 252
        _CACHE[kind] = (market.truth.to_numpy(), features.to_numpy())
    return _CACHE[kind]


def _abs_correlations(truth: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Pooled |Pearson correlation| of ``truth`` with each feature over the rows both have."""
    out = np.zeros(features.shape[1])
    for j in range(features.shape[1]):
        ok = np.isfinite(truth) & np.isfinite(features[:, j])
        x, y = features[ok, j], truth[ok]
        if x.std() > 0.0:
            out[j] = abs(np.corrcoef(x, y)[0, 1])
    return out


def _linear_r2(truth: np.ndarray, features: np.ndarray) -> float:
    """R^2 of the least-squares fit of truth on all features (standardized, clipped at 5 sd, a
    missing value at the mean) over the rows where truth is known: can a linear model on the
    features express the signal (about 250 columns on 15,000 rows: little room to overfit)."""
    ok = np.isfinite(truth)
    x, y = features[ok], truth[ok]
    mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
    z = np.nan_to_num((x - mean) / np.where(sd > 0.0, sd, 1.0), nan=0.0, posinf=0.0, neginf=0.0)
    z = np.c_[np.ones(len(y)), np.clip(z, -5.0, 5.0)]
    coef = np.linalg.solve(z.T @ z + 1e-6 * np.eye(z.shape[1]), z.T @ y)
    resid = y - z @ coef
    return 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())


def test_alpha_spec_reversal_is_a_registered_feature():
    truth, features = _truth_and_features("reversal")
    corr = _abs_correlations(truth, features)
    names = list(list_features()["name"])
    assert corr[names.index("cs_z_ret_5")] > 0.999  # the old case: models are told the signal


@pytest.mark.parametrize("kind", ["mix", "interaction", "decay"])
def test_alpha_spec_kind_is_no_registered_feature(kind):
    truth, features = _truth_and_features(kind)
    assert _abs_correlations(truth, features).max() < 0.9


def test_alpha_spec_mix_is_linearly_learnable_and_interaction_is_not():
    mix = _linear_r2(*_truth_and_features("mix"))
    interaction = _linear_r2(*_truth_and_features("interaction"))
    assert mix > 0.85
    assert interaction < 0.6 and interaction < mix - 0.3
