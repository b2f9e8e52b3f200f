"""One contract suite over every registered model (after scikit-learn's parametrize_with_checks)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from alphafactory.features.windows import ArrayWindows
from alphafactory.models import MODEL_NAMES, NotFittedError, clone, get_model

_MISSING = {
    name: f"{name} is not installed (pip install 'alphafactory[gbm]')"
    for name in ("lightgbm", "xgboost", "catboost")
    if importlib.util.find_spec(name) is None
}
PER_SAMPLE = [n for n in MODEL_NAMES if n != "cs_transformer"]


def _labels(name: str, y: np.ndarray) -> np.ndarray:
    """Classifiers learn the class of the label (up, flat, down); the rest the label itself."""
    from alphafactory.models.classifiers import CLASSIFIER_KINDS

    return np.where(y > 0.3, 1.0, np.where(y < -0.3, -1.0, 0.0)) if name in CLASSIFIER_KINDS else y


def _model(name: str, seed: int = 0):
    if name in _MISSING:
        pytest.skip(_MISSING[name])
    return get_model(name, preset="ci", seed=seed)


def _panel_windows(X: np.ndarray, y: np.ndarray) -> ArrayWindows:
    # 8 symbols per timestamp, so the cross-sectional ranker has groups to rank within.
    groups = np.arange(len(X)) // 8
    return ArrayWindows(X, y, groups=groups)


def _fit(name: str, X: np.ndarray, y: np.ndarray, seed: int = 0):
    model = _model(name, seed)
    y = _labels(name, y)
    train, val = _panel_windows(X[:900], y[:900]), _panel_windows(X[900:1100], y[900:1100])
    return model.fit(train, X_val=val)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_estimator_fit_returns_self_and_sets_underscore_state(name, linear_windows):
    X, y = linear_windows
    y = _labels(name, y)
    model = _model(name)
    before = set(vars(model))
    assert all(not k.endswith("_") for k in before)
    fitted = model.fit(_panel_windows(X[:900], y[:900]), X_val=_panel_windows(X[900:], y[900:]))
    assert fitted is model
    learned = set(vars(model)) - before
    assert learned and all(k.endswith("_") for k in learned)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_estimator_predict_before_fit_raises_not_fitted(name, linear_windows):
    X, _ = linear_windows
    with pytest.raises(NotFittedError, match="fit"):
        _model(name).predict(X[:10])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_estimator_same_seed_gives_identical_predictions(name, linear_windows):
    X, y = linear_windows
    test = _panel_windows(X[1100:], y[1100:])
    first = _fit(name, X, y).predict(test)
    second = _fit(name, X, y).predict(test)
    assert first.shape == (100,) and first.dtype == np.float64
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", PER_SAMPLE)
def test_estimator_learns_linear_signal_out_of_sample(name, linear_windows):
    X, y = linear_windows
    model = _model(name)
    if name in ("lstm", "tcn", "transformer", "mlp"):
        model = get_model(name, preset="ci", train={"epochs": 8, "batch_size": 64})
    fit_y = _labels(name, y)
    pred = model.fit(X[:900], fit_y[:900], X_val=X[900:1100], y_val=fit_y[900:1100]).predict(
        X[1100:]
    )
    assert np.corrcoef(pred, y[1100:])[0, 1] > 0.3


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_estimator_clone_is_unfitted_with_same_params(name, linear_windows):
    X, y = linear_windows
    fitted = _fit(name, X, y)
    copy = clone(fitted)
    assert copy.get_params().keys() == fitted.get_params().keys()
    assert repr(copy) == repr(fitted)
    with pytest.raises(NotFittedError):
        copy.predict(X[:4])


@pytest.mark.parametrize("name", ["ridge", "lstm"])
def test_estimator_predict_wrong_feature_count_raises(name, linear_windows):
    X, y = linear_windows
    model = _model(name).fit(X[:300], y[:300])
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:5, :, :2])


def test_get_model_unknown_key_raises_with_valid_keys():
    with pytest.raises(ValueError, match="hidden_size"):
        get_model("lstm", hiden_size=3)
    with pytest.raises(ValueError, match="valid keys"):
        get_model("ridge", alpah=1.0)
    with pytest.raises(ValueError, match="valid keys"):
        get_model("tcn", train={"epoch": 3})


def test_get_model_unknown_name_or_preset_raises():
    with pytest.raises(ValueError, match="Unknown model 'gru'"):
        get_model("gru")
    with pytest.raises(ValueError, match="Unknown preset"):
        get_model("lstm", preset="huge")
    with pytest.raises(ValueError, match="not a torch model"):
        get_model("ridge", train={"epochs": 1})


def test_get_model_overrides_preset_field_by_field():
    model = get_model("lstm", preset="demo", hidden_size=24, train={"epochs": 2})
    assert model.config.hidden_size == 24
    assert model.train.epochs == 2
    assert model.train.max_batches_per_epoch == 30  # kept from the preset
    cs = get_model("cs_transformer", d_model=16, n_heads=2)
    assert cs.config.temporal.d_model == 16
    assert cs.train.loss == "rank_ic"


def test_gbm_without_library_names_the_extra(monkeypatch, linear_windows):
    import alphafactory.models.gbm as gbm

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(gbm.importlib, "import_module", missing)
    X, y = linear_windows
    with pytest.raises(ImportError, match=r"alphafactory\[gbm\]"):
        gbm.LightGBMAlpha().fit(X[:50], y[:50])


def test_estimator_fits_on_features_window_dataset():
    """make_windows' WindowDataset follows the Windows protocol: models train on it directly."""
    from alphafactory.data import synthetic_market
    from alphafactory.features import build_features, make_windows
    from alphafactory.labels import forward_returns

    market = synthetic_market(8, 200, seed=0, alpha_ic=0.1)
    features = build_features(market.bars, ["ret_1", "cs_z_ret_1"])
    labels = forward_returns(market.bars, 1, kind="log", demean=True)
    data = make_windows(features, labels, 6)
    train = data.select_times(slice(0, 150))
    test = data.select_times(slice(152, None))
    for name in ("ridge", "lstm", "cs_transformer"):
        model = get_model(name, preset="ci") if name != "ridge" else get_model("ridge")
        scores = model.fit(train).predict(test)
        assert scores.shape == (len(test),) and np.isfinite(scores).all()
