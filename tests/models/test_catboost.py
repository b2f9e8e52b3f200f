"""CatBoost: its own model file round trip, early stopping on validation data, one thread."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.models import CatBoostAlpha, get_model
from alphafactory.models.serialize import load_estimator, save_estimator

pytest.importorskip("catboost")


def test_catboost_round_trip_through_its_own_file_is_exact(linear_windows, tmp_path):
    X, y = linear_windows
    model = get_model("catboost", preset="ci", seed=5)
    model.fit(X[:900], y[:900], X_val=X[900:1100], y_val=y[900:1100])
    save_estimator(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estimator.json", "model.cbm"]
    loaded = load_estimator(tmp_path)
    assert isinstance(loaded, CatBoostAlpha) and repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded.predict(X[1100:]), model.predict(X[1100:]))


def test_catboost_stops_early_on_validation_and_writes_no_files(linear_windows, tmp_path,
                                                                monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    X, y = linear_windows
    noise = np.random.default_rng(1).normal(size=len(y))  # nothing to learn: stop soon
    model = CatBoostAlpha(n_estimators=200, early_stopping_rounds=5)
    model.fit(X[:600], noise[:600], X_val=X[600:900], y_val=noise[600:900])
    assert model.model_.tree_count_ < 50
    assert model.model_.get_params()["thread_count"] == 1
    full = CatBoostAlpha(n_estimators=20).fit(X[:600], y[:600])  # no validation: every round
    assert full.model_.tree_count_ == 20
    assert list(tmp_path.iterdir()) == []  # no catboost_info/ left behind


def test_catboost_skips_missing_labels_and_checks_features(linear_windows):
    X, y = linear_windows
    y = y.copy()
    y[::4] = np.nan
    model = CatBoostAlpha(n_estimators=10).fit(X[:300], y[:300], X_val=X[300:400], y_val=y[300:400])
    assert np.isfinite(model.predict(X[400:420])).all()
    with pytest.raises(ValueError, match="fitted on 3 features"):
        model.predict(X[:5, :, :2])


def test_catboost_without_library_names_the_extra(monkeypatch, linear_windows):
    import alphafactory.models.catboost_model as module

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(module.importlib, "import_module", missing)
    X, y = linear_windows
    with pytest.raises(ImportError, match=r"alphafactory\[gbm\]"):
        CatBoostAlpha().fit(X[:50], y[:50])
