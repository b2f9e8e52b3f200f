from __future__ import annotations

import numpy as np
import pytest

from alphafactory.features.windows import ArrayWindows
from alphafactory.models import (
    MeanEnsemble,
    NotFittedError,
    RankAverageEnsemble,
    RidgeAlpha,
    StackingEnsemble,
    get_model,
)


def _split(linear_windows):
    X, y = linear_windows
    return (X[:800], y[:800]), (X[800:1000], y[800:1000]), (X[1000:], y[1000:])


def test_mean_ensemble_of_identical_members_matches_member(linear_windows):
    (X, y), _, (Xt, _) = _split(linear_windows)
    single = RidgeAlpha(alpha=0.1).fit(X, y)
    ens = MeanEnsemble([RidgeAlpha(alpha=0.1), RidgeAlpha(alpha=0.1)]).fit(X, y)
    scale = single.predict(X).std()
    np.testing.assert_allclose(ens.predict(Xt), single.predict(Xt) / scale, rtol=1e-10)
    assert len(ens.members_) == 2 and not hasattr(ens.members[0], "coef_")


def test_rank_average_ranks_within_timestamps(linear_windows):
    (X, y), _, (Xt, _) = _split(linear_windows)
    groups = np.arange(len(Xt)) // 10
    ens = RankAverageEnsemble([RidgeAlpha(), RidgeAlpha(last_steps=1)]).fit(X, y)
    scores = ens.predict(ArrayWindows(Xt, groups=groups))
    for g in np.unique(groups):
        block = scores[groups == g]
        assert block.min() >= 0.1 - 1e-12 and block.max() <= 1.0
    # Pooled ranks without groups: the best mean rank is 1 only if both members agree.
    pooled = ens.predict(Xt)
    assert 0 < pooled.min() and pooled.max() <= 1.0


def test_stacking_weights_favour_the_informative_member(linear_windows):
    (X, y), (Xv, yv), (Xt, yt) = _split(linear_windows)
    full, partial = RidgeAlpha(), RidgeAlpha(last_steps=1)  # partial misses half the signal
    ens = StackingEnsemble([full, partial]).fit(X, y, X_val=Xv, y_val=yv)
    assert ens.weights_[0] > 0.5 and abs(ens.weights_[1]) < 0.5
    corr = lambda p: np.corrcoef(p, yt)[0, 1]  # noqa: E731
    assert corr(ens.predict(Xt)) > corr(partial.fit(X, y).predict(Xt)) + 0.05
    assert corr(ens.predict(Xt)) == pytest.approx(corr(full.fit(X, y).predict(Xt)), abs=0.02)


def test_stacking_without_validation_raises(linear_windows):
    (X, y), _, _ = _split(linear_windows)
    with pytest.raises(ValueError, match="validation"):
        StackingEnsemble([RidgeAlpha()]).fit(X, y)


def test_ensemble_of_torch_and_linear_members_is_seeded(linear_windows):
    (X, y), (Xv, yv), (Xt, _) = _split(linear_windows)
    members = [get_model("mlp", preset="ci"), RidgeAlpha()]
    a = MeanEnsemble(members).fit(X, y, X_val=Xv, y_val=yv).predict(Xt)
    b = MeanEnsemble(members).fit(X, y, X_val=Xv, y_val=yv).predict(Xt)
    np.testing.assert_array_equal(a, b)


def test_ensemble_predict_before_fit_raises(linear_windows):
    X, _ = linear_windows
    with pytest.raises(NotFittedError):
        MeanEnsemble([RidgeAlpha()]).predict(X[:3])
    with pytest.raises(ValueError, match="at least one member"):
        MeanEnsemble([]).fit(X[:10], np.zeros(10))
