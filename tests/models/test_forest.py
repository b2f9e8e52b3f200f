"""The random forest: its own tree walk equals scikit-learn's, and stored forests score the same."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.errors import ModelError
from alphafactory.models import RandomForestAlpha, get_model
from alphafactory.models.forest import ForestArrays
from alphafactory.models.serialize import load_estimator, save_estimator


def _sklearn_forest(x: np.ndarray, y: np.ndarray, seed: int, **params):
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(random_state=seed, n_jobs=1, **params).fit(x, y)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), leaf=st.integers(1, 30), nan_share=st.sampled_from([0, 0.1]))
def test_forest_arrays_walk_equals_sklearn_predict_exactly(seed, leaf, nan_share):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    y = x[:, 0] - x[:, 1] ** 2 + rng.normal(size=300)
    x[rng.random(x.shape) < nan_share] = np.nan  # NaN goes to the side each split learned
    forest = _sklearn_forest(x, y, seed, n_estimators=7, min_samples_leaf=leaf, max_features=0.5)
    arrays = ForestArrays.from_trees([tree.tree_ for tree in forest.estimators_])
    test = rng.normal(size=(120, 6))  # float64 in: both compare its float32 values
    test[rng.random(test.shape) < nan_share] = np.nan
    np.testing.assert_array_equal(arrays.predict(test), forest.predict(test))


def test_random_forest_round_trip_is_exact_and_pickle_free(linear_windows, tmp_path):
    X, y = linear_windows
    model = get_model("random_forest", preset="ci", seed=4).fit(X[:900], y[:900])
    save_estimator(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estimator.json", "forest.npz"]
    with np.load(tmp_path / "forest.npz", allow_pickle=False) as data:
        assert len(data["n_nodes"]) == 30 and data["value"].dtype == np.float64
    loaded = load_estimator(tmp_path)
    assert isinstance(loaded, RandomForestAlpha) and repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded.predict(X[900:]), model.predict(X[900:]))
    np.testing.assert_array_equal(loaded.feature_importances_, model.feature_importances_)
    assert model.feature_importances_.shape == (5 * 3,)


def test_random_forest_damaged_arrays_are_a_model_error(linear_windows, tmp_path):
    X, y = linear_windows
    save_estimator(get_model("random_forest", preset="ci").fit(X[:300], y[:300]), tmp_path)
    with np.load(tmp_path / "forest.npz") as data:
        arrays = dict(data)
    arrays["children_left"][0] = 0  # the root its own child: a walk that never ends
    np.savez(tmp_path / "forest.npz", **arrays)
    with pytest.raises(ModelError, match=r"corrupt random_forest estimator.*back up"):
        load_estimator(tmp_path)
    (tmp_path / "forest.npz").unlink()
    with pytest.raises(ModelError, match=r"forest\.npz: missing file"):
        load_estimator(tmp_path)


def test_random_forest_threads_and_seed(linear_windows):
    X, y = linear_windows
    one = RandomForestAlpha(n_estimators=8, min_samples_leaf=10, seed=1).fit(X[:600], y[:600])
    two = RandomForestAlpha(n_estimators=8, min_samples_leaf=10, seed=1, n_jobs=2)
    other = RandomForestAlpha(n_estimators=8, min_samples_leaf=10, seed=2)
    test = X[1100:]
    np.testing.assert_array_equal(two.fit(X[:600], y[:600]).predict(test), one.predict(test))
    assert not np.array_equal(other.fit(X[:600], y[:600]).predict(test), one.predict(test))


def test_random_forest_skips_missing_labels_and_checks_features(linear_windows):
    X, y = linear_windows
    y = y.copy()
    y[::3] = np.nan
    model = RandomForestAlpha(n_estimators=5, min_samples_leaf=10).fit(X[:300], y[:300])
    assert np.isfinite(model.predict(X[300:320])).all()
    with pytest.raises(ValueError, match="fitted on 3 features"):
        model.predict(X[:5, :, :2])
    with pytest.raises(ValueError, match="no finite labels"):
        RandomForestAlpha().fit(X[:10], np.full(10, np.nan))


def test_random_forest_presets_and_stored_document(linear_windows, tmp_path):
    assert get_model("random_forest").n_estimators == 200
    assert get_model("random_forest", preset="ci", n_jobs=2).get_params() == {
        **RandomForestAlpha(n_estimators=30, min_samples_leaf=20).get_params(), "n_jobs": 2,
    }  # fmt: skip
    X, y = linear_windows
    save_estimator(get_model("random_forest", preset="ci").fit(X[:300], y[:300]), tmp_path)
    doc = json.loads((tmp_path / "estimator.json").read_text())
    assert doc["kind"] == "random_forest" and doc["params"]["max_features"] == 0.3
