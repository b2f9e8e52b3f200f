"""Classifiers: the estimator contract with class labels, probabilities that sum to 1, the
trading score, validation-only calibration, artifact round trips and a direction target walked
forward on a planted alpha."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.evaluation import log_loss
from alphafactory.features.windows import ArrayWindows
from alphafactory.models import NotFittedError, clone, get_model
from alphafactory.models.classifiers import CLASSIFIER_KINDS, LogisticAlpha
from alphafactory.models.serialize import load_estimator, save_estimator

NAMES = list(CLASSIFIER_KINDS)


@pytest.fixture(scope="module")
def class_windows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows [1500, 6, 3]; the class is up/flat/down of a noisy linear signal."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6, 3)).astype(np.float32)
    signal = X[:, -1, 0] - 0.5 * X[:, -2, 1] + 0.8 * rng.normal(size=len(X))
    y = np.where(signal > 0.4, 1.0, np.where(signal < -0.4, -1.0, 0.0))
    return X, y, signal


LIBRARIES = {"lightgbm_classifier": "lightgbm", "xgboost_classifier": "xgboost",
             "catboost_classifier": "catboost"}  # fmt: skip


def _fit(name: str, X: np.ndarray, y: np.ndarray, seed: int = 0, **params):
    if name in LIBRARIES:
        pytest.importorskip(LIBRARIES[name])
    model = get_model(name, preset="ci", seed=seed, **params)
    return model.fit(X[:900], y[:900], X_val=X[900:1200], y_val=y[900:1200])


@pytest.mark.parametrize("name", NAMES)
def test_classifier_probabilities_sum_to_one_and_score_is_up_minus_down(name, class_windows):
    X, y, signal = class_windows
    model = _fit(name, X, y)
    np.testing.assert_array_equal(model.classes_, [-1.0, 0.0, 1.0])
    proba = model.predict_proba(X[1200:])
    assert proba.shape == (300, 3) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    score = model.predict(X[1200:])
    assert score.dtype == np.float64
    np.testing.assert_allclose(score, proba[:, 2] - proba[:, 0])
    assert np.corrcoef(score, signal[1200:])[0, 1] > 0.3


@pytest.mark.parametrize("name", NAMES)
def test_classifier_contract_clone_not_fitted_and_seed_determinism(name, class_windows):
    X, y, _ = class_windows
    fitted = _fit(name, X, y, seed=3)
    with pytest.raises(NotFittedError, match="fit"):
        get_model(name, preset="ci").predict(X[:5])
    copy = clone(fitted)
    assert repr(copy) == repr(fitted)
    with pytest.raises(NotFittedError):
        copy.predict_proba(X[:4])
    np.testing.assert_array_equal(
        _fit(name, X, y, seed=3).predict_proba(X[1200:]), fitted.predict_proba(X[1200:])
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic", "none"])
def test_classifier_artifact_round_trip_predicts_identically(name, calibration, class_windows,
                                                             tmp_path):  # fmt: skip
    X, y, _ = class_windows
    model = _fit(name, X, y, calibration=calibration)
    save_estimator(model, tmp_path)
    loaded = load_estimator(tmp_path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X[1200:]), model.predict_proba(X[1200:]))
    np.testing.assert_array_equal(loaded.predict(X[1200:]), model.predict(X[1200:]))
    assert not list(tmp_path.glob("*.pkl"))


def test_binary_labels_score_is_probability_of_class_one(class_windows, tmp_path):
    X, y, _ = class_windows
    meta = (y == 1).astype(np.float64)
    model = LogisticAlpha().fit(X[:900], meta[:900], X_val=X[900:1200], y_val=meta[900:1200])
    proba = model.predict_proba(X[1200:])
    np.testing.assert_allclose(model.predict(X[1200:]), proba[:, 1])
    save_estimator(model, tmp_path)
    np.testing.assert_array_equal(load_estimator(tmp_path).predict_proba(X[1200:]), proba)


def test_classifier_rejects_return_labels_and_single_class(class_windows):
    X, _, signal = class_windows
    with pytest.raises(ValueError, match="class labels -1, 0 or 1"):
        LogisticAlpha().fit(X[:100], signal[:100])
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticAlpha().fit(X[:100], np.ones(100))
    with pytest.raises(ValueError, match="calibration"):
        LogisticAlpha(calibration="platt").fit(X[:100], np.sign(signal[:100]))


def test_calibration_on_validation_improves_an_overconfident_model(class_windows):
    """An unpenalised logistic on few rows and many noisy inputs is overconfident; Platt
    scaling on the validation windows lowers the test log loss (isotonic does not raise it
    much), and the calibrator saw exactly the validation rows."""
    X, y, _ = class_windows
    wide = np.concatenate([X, np.random.default_rng(1).normal(size=(len(X), 6, 6))], axis=2)
    wide = wide.astype(np.float32)
    train, val, test = slice(0, 300), slice(300, 900), slice(900, None)
    losses = {}
    for calibration in ("none", "sigmoid"):
        model = LogisticAlpha(C=100.0, last_steps=None, calibration=calibration)
        model.fit(wide[train], y[train], X_val=wide[val], y_val=y[val])
        losses[calibration] = log_loss(y[test], model.predict_proba(wide[test]), model.classes_)
        if calibration != "none":
            assert model.calibrator_["n_samples"] == 600
    assert losses["sigmoid"] < losses["none"] - 0.05


def test_calibrator_never_sees_training_or_test_rows(class_windows):
    X, y, _ = class_windows
    seen = {}

    class Spy(LogisticAlpha):
        def fit(self, X, y=None, *, X_val=None, y_val=None):
            seen.update(train=set(X.groups), val=set(X_val.groups))
            return super().fit(X, y, X_val=X_val, y_val=y_val)

    groups = np.arange(len(X)) // 10
    train = ArrayWindows(X[:900], y[:900], groups=groups[:900])
    val = ArrayWindows(X[900:1200], y[900:1200], groups=groups[900:1200])
    model = Spy().fit(train, X_val=val)
    assert model.calibrator_["n_samples"] == 300
    assert not seen["val"] & seen["train"]
    # moving the test rows changes nothing learned
    again = Spy().fit(train, X_val=val)
    np.testing.assert_array_equal(again.predict_proba(X[1200:]), model.predict_proba(X[1200:]))
