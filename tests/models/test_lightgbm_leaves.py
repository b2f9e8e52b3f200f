"""LightGBM's least leaf size (a count or a fraction of the training rows) and linear start."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.models.baselines import RidgeAlpha
from alphafactory.models.gbm import LightGBMAlpha, leaf_rows
from alphafactory.models.registry import get_model

pytest.importorskip("lightgbm")


@pytest.mark.parametrize(("value", "n_rows", "rows"),
                         [(20, 1000, 20), (0.05, 1000, 50), (0.05, 1001, 51), (3.0, 10, 3),
                          (1e-9, 10, 1)])  # fmt: skip
def test_leaf_rows_reads_a_count_or_a_fraction(value, n_rows, rows):
    assert leaf_rows(value, n_rows) == rows


@pytest.mark.parametrize("value", [0, -0.1, 2.5, True, "5%", None])
def test_leaf_rows_rejects_what_is_neither(value):
    with pytest.raises(ValueError, match=r"min_samples_leaf .* got"):
        leaf_rows(value, 100)


def _leaf_counts(model: LightGBMAlpha) -> list[int]:
    counts = []

    def walk(node: dict) -> None:
        if "leaf_count" in node:
            counts.append(node["leaf_count"])
        for side in ("left_child", "right_child"):
            if side in node:
                walk(node[side])

    for tree in model.model_.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return counts


def test_every_leaf_holds_the_fraction_of_training_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1, 3)).astype(np.float32)
    y = x[:, 0, 0] + rng.normal(size=2000)
    model = LightGBMAlpha(n_estimators=20, max_depth=2, subsample=1.0, last_steps=1,
                          min_samples_leaf=0.2).fit(x, y)  # fmt: skip
    counts = _leaf_counts(model)
    assert counts and min(counts) >= 400
    loose = LightGBMAlpha(n_estimators=20, max_depth=2, subsample=1.0, last_steps=1).fit(x, y)
    assert min(_leaf_counts(loose)) < 400  # the default (20 rows) lets leaves be smaller


def test_the_default_preset_uses_a_fraction():
    assert get_model("lightgbm").min_samples_leaf == 0.1
    assert get_model("lightgbm", preset="ci").min_samples_leaf == 20


def _linear_market(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1, 4)).astype(np.float32)
    signal = x[:, 0, :] @ np.array([0.5, -0.3, 0.2, 0.0])
    return x, signal + 4.0 * rng.normal(size=n), signal


def test_a_linear_start_predicts_the_ridge_fit_plus_the_trees():
    x, y, _ = _linear_market(0)
    model = LightGBMAlpha(n_estimators=30, max_depth=1, last_steps=1, linear_base=1.0).fit(x, y)
    ridge = RidgeAlpha(alpha=1.0).fit(x, y)
    np.testing.assert_allclose(model.linear_.coef_, ridge.coef_)
    trees = model.model_.predict(x[:, 0, :], num_iteration=model.model_.best_iteration or None)
    np.testing.assert_allclose(model.predict(x), ridge.predict(x) + trees, rtol=1e-6)
    assert LightGBMAlpha(n_estimators=5).fit(x, y).linear_ is None


def _stump_ic(seed: int, **extra) -> float:
    """Out-of-sample correlation with the signal of early-stopped stumps on a noisy market."""
    x, y, _ = _linear_market(seed)
    xv, yv, _ = _linear_market(seed + 10, 1000)
    xt, _, truth = _linear_market(seed + 20, 2000)
    model = LightGBMAlpha(n_estimators=300, max_depth=1, learning_rate=0.02, last_steps=1,
                          min_samples_leaf=0.1, **extra)  # fmt: skip
    return float(np.corrcoef(model.fit(x, y, X_val=xv, y_val=yv).predict(xt), truth)[0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_linear_start_finds_a_linear_signal_the_stumps_miss(seed):
    assert _stump_ic(seed, linear_base=1.0) > _stump_ic(seed) + 0.03


def test_a_linear_start_survives_a_nan_input_and_rejects_a_bad_penalty():
    x, y, _ = _linear_market(1, 500)
    x[::7, 0, 1] = np.nan
    model = LightGBMAlpha(n_estimators=5, last_steps=1, linear_base=0.0).fit(x, y)
    assert np.isfinite(model.predict(x)).all()
    for bad in (-1.0, True, "1", float("nan")):
        with pytest.raises(ValueError, match=r"linear_base must be .* got"):
            LightGBMAlpha(n_estimators=5, linear_base=bad).fit(x, y)
    off = LightGBMAlpha(n_estimators=5, last_steps=1, linear_base=False).fit(x, y)
    assert off.linear_ is None  # a workflow file's `linear_base = false` (TOML has no None)


def test_a_linear_start_round_trips_through_the_artifact(tmp_path):
    from alphafactory.models.serialize import load_estimator, save_estimator

    x, y, _ = _linear_market(2, 800)
    model = LightGBMAlpha(n_estimators=20, last_steps=1, linear_base=1.0).fit(x, y)
    save_estimator(model, tmp_path)
    loaded = load_estimator(tmp_path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert get_model("lightgbm").linear_base == 1.0
    off = LightGBMAlpha(n_estimators=5, last_steps=1, linear_base=False).fit(x, y)
    (tmp_path / "off").mkdir()
    save_estimator(off, tmp_path / "off")
    np.testing.assert_array_equal(load_estimator(tmp_path / "off").predict(x), off.predict(x))
