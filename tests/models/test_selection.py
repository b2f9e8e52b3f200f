"""The fold-step contract over every selection step, and what each step chooses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.errors import ConfigError
from alphafactory.evaluation import information_coefficient
from alphafactory.features import Standardizer
from alphafactory.models.feature_steps import (
    FeaturePipeline,
    NotFittedError,
    clone_step,
    restore_step,
    step_params,
    step_state,
)
from alphafactory.models.selection import (
    DEFAULT_SELECTION,
    SELECTION_STEPS,
    CorrelationCluster,
    CrossSectionalZScore,
    ICScreen,
    build_steps,
    feature_ic,
    step_specs,
)
from alphafactory.models.selection_interactions import InteractionScreen

N_TIME, N_SYM = 60, 15


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.Series]:
    """12 features over 60 x 15: ``good`` predicts the label, ``good_copy`` is nearly it,
    ``bad`` is noise, ``nan_some`` has holes, ``const`` is constant; labels with a NaN."""
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_product(
        [pd.date_range("2020-01-01", periods=N_TIME, tz="UTC"), [f"s{i}" for i in range(N_SYM)]],
        names=["timestamp", "symbol"],
    )
    n = len(index)
    good = rng.normal(size=n)
    label = 0.3 * good + rng.normal(size=n)
    cols = {
        "good": good,
        "good_copy": good + 0.05 * rng.normal(size=n),
        "weak": 0.1 * label + rng.normal(size=n),
        "const": np.ones(n),
        "nan_some": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
    }
    for i in range(7):
        cols[f"bad_{i}"] = rng.normal(size=n) * (i + 1) + i
    frame = pd.DataFrame(cols, index=index).astype(np.float32)
    labels = pd.Series(label, index=index, name="label")
    labels.iloc[::7] = np.nan
    return frame, labels


def _all_steps() -> list:
    pytest.importorskip("lightgbm")
    return [
        CrossSectionalZScore(),
        ICScreen(k=3),
        CorrelationCluster(threshold=0.9),
        *build_steps(
            [
                {"step": "mi_screen", "k": 3, "max_rows": 200},
                {"step": "pca", "n_components": 3},
                {"step": "gbm_importance", "k": 3, "n_estimators": 10},
                {"step": "lasso", "alpha": 0.05},
            ]
        ),
        FeaturePipeline([Standardizer(), ICScreen(k=4), CorrelationCluster()]),
    ]


STEP_IDS = ["cs_zscore", "ic_screen", "cluster", "mi", "pca", "gbm", "lasso", "pipeline"]


@pytest.mark.parametrize("index", range(len(STEP_IDS)), ids=STEP_IDS)
def test_step_contract_fit_transform_clone_and_not_fitted(index, panel):
    frame, labels = panel
    step = _all_steps()[index]
    params = step_params(step)
    with pytest.raises(NotFittedError):
        step.transform(frame)
    assert step.fit(frame, labels) is step
    assert step_params(step) == params  # fit leaves the arguments alone
    out = step.transform(frame)
    assert out.index.equals(frame.index) and 1 <= out.shape[1] <= frame.shape[1]
    assert out.dtypes.eq(np.float32).all()
    again = clone_step(step).fit(frame, labels).transform(frame)  # deterministic, seeded
    pd.testing.assert_frame_equal(again, out)
    assert not hasattr(clone_step(step), "feature_names_in_")
    with pytest.raises(ValueError, match="columns"):
        step.transform(frame.iloc[:, 1:])
    # transforming a slice gives the rows of transforming the whole (row/timestamp-local)
    part = frame.iloc[: 20 * N_SYM]
    pd.testing.assert_frame_equal(step.transform(part), out.iloc[: 20 * N_SYM])


@pytest.mark.parametrize("index", range(len(STEP_IDS) - 1), ids=STEP_IDS[:-1])
def test_step_state_round_trips_through_json_exactly(index, panel):
    frame, labels = panel
    step = _all_steps()[index].fit(frame, labels)
    doc = json.loads(json.dumps(step_state(step)))
    back = restore_step(type(step), step_params(step), doc)
    pd.testing.assert_frame_equal(back.transform(frame), step.transform(frame))


def test_feature_ic_equals_evaluation_ic_per_feature(panel):
    frame, labels = panel
    stats = feature_ic(frame, labels)
    for col in ("good", "nan_some", "bad_3"):
        ic = information_coefficient(frame[col].astype(np.float64), labels, min_obs=3).dropna()
        assert stats.loc[col, "n"] == len(ic)
        np.testing.assert_allclose(stats.loc[col, "ic"], ic.mean(), rtol=1e-9)
    assert np.isnan(stats.loc["const", "ic"])


def test_ic_screen_keeps_the_predictive_features_in_input_order(panel):
    frame, labels = panel
    step = ICScreen(k=3).fit(frame, labels)
    assert list(step.feature_names_out_) == ["good", "good_copy", "weak"]
    strict = ICScreen(k=None, min_tstat=5.0).fit(frame, labels)
    assert list(strict.feature_names_out_) == ["good", "good_copy"]
    none_pass = ICScreen(min_tstat=1e6).fit(frame, labels)  # a model needs one input
    assert len(none_pass.feature_names_out_) == 1
    assert none_pass.feature_names_out_[0] in ("good", "good_copy")
    with pytest.raises(ValueError, match="labels"):
        ICScreen().fit(frame)


def test_cluster_keeps_one_of_near_copies_the_one_with_larger_ic(panel):
    frame, labels = panel
    step = CorrelationCluster(threshold=0.9).fit(frame, labels)
    kept = list(step.feature_names_out_)
    assert ("good" in kept) != ("good_copy" in kept)
    assert len(kept) == frame.shape[1] - 1
    chosen = "good" if abs(step.ic_[0]) >= abs(step.ic_[1]) else "good_copy"
    assert chosen in kept
    unlabelled = CorrelationCluster(threshold=0.9).fit(frame)  # first member represents
    assert "good" in unlabelled.feature_names_out_


@settings(max_examples=8, deadline=None)
@given(shift=st.floats(-1e3, 1e3), scale=st.floats(0.01, 100))
def test_cs_zscore_is_invariant_to_a_per_timestamp_affine_map(shift, scale):
    rng = np.random.default_rng(1)
    index = pd.MultiIndex.from_product([range(4), range(6)], names=["timestamp", "symbol"])
    frame = pd.DataFrame(rng.normal(size=(24, 2)), index=index, columns=["a", "b"])
    step = CrossSectionalZScore().fit(frame)
    z = step.transform(frame)
    np.testing.assert_allclose(step.transform(frame * scale + shift), z, atol=1e-6)
    np.testing.assert_allclose(z.groupby(level=0).mean(), 0, atol=1e-12)
    np.testing.assert_allclose(z.groupby(level=0).std(), 1, atol=1e-12)


def test_build_steps_names_the_entry_for_unknown_steps_keys_and_values():
    steps = build_steps(DEFAULT_SELECTION)
    assert [type(s) for s in steps] == [CrossSectionalZScore, InteractionScreen,
                                        CorrelationCluster, ICScreen]  # fmt: skip
    assert step_specs(steps)[3] == {"step": "ic_screen", **step_params(steps[3])}
    assert build_steps(step_specs(steps))[2].threshold == steps[2].threshold
    with pytest.raises(ConfigError, match=r"step in f\.toml\[1\]: unknown step 'nope'"):
        build_steps([{"step": "cs_zscore"}, {"step": "nope"}], "f.toml")
    with pytest.raises(ConfigError, match=r"\[0\] \(ic_screen\): unknown key\(s\) \['kk'\]"):
        build_steps([{"step": "ic_screen", "kk": 3}])
    with pytest.raises(ConfigError, match="threshold must be in"):
        build_steps([{"step": "cluster", "threshold": 1.5}])
    with pytest.raises(ConfigError, match="list of tables"):
        build_steps({"step": "cluster"})


def test_selection_steps_table_names_every_step_class():
    assert {"cs_zscore", "ic_screen", "cluster", "mi_screen", "pca", "gbm_importance",
            "lasso", "interactions"} <= set(SELECTION_STEPS)  # fmt: skip
    for name, cls in SELECTION_STEPS.items():
        assert build_steps([{"step": name}])[0].__class__ is cls


def test_fitted_pipeline_document_round_trips_through_json(panel, tmp_path):
    from alphafactory.errors import ModelError
    from alphafactory.features import RollingZScore
    from alphafactory.models.serialize import load_normalizer, normalizer_document

    frame, labels = panel
    pipeline = FeaturePipeline([Standardizer(clip=5.0), *build_steps(DEFAULT_SELECTION)])
    pipeline.fit(frame, labels)
    doc = json.loads(json.dumps(normalizer_document(pipeline)))
    assert [d["kind"] for d in doc["steps"]] == ["standardizer"] + ["step"] * 4
    back = load_normalizer(doc, tmp_path)
    pd.testing.assert_frame_equal(back.transform(frame), pipeline.transform(frame))
    assert step_params(back.steps[0]) == {"clip": 5.0}
    assert FeaturePipeline([RollingZScore(window=10), ICScreen()]).window == 10
    with pytest.raises(ModelError, match="unknown selection step 'gone'"):
        load_normalizer({**doc["steps"][1], "step": "gone"}, tmp_path)
    with pytest.raises(ModelError, match="not fitted"):
        normalizer_document(FeaturePipeline([ICScreen()]))


def test_market_wide_columns_pass_cs_zscore_and_ic_screen_so_regimes_can_go_first(panel):
    """A regime probability is the same for every symbol: cs_zscore would make it 0 and the IC
    screen could not rank it; both keep it as it is, and a constant column stays out."""
    frame, labels = panel
    times = frame.index.get_level_values(0)
    wide = frame.assign(regime_p0=np.float32(1.0) / (1.0 + times.day_of_year.to_numpy() % 5))
    z = CrossSectionalZScore().fit(wide)
    assert list(wide.columns[z.passthrough_]) == ["regime_p0"]
    out = z.transform(wide)
    np.testing.assert_array_equal(out["regime_p0"].to_numpy(), wide["regime_p0"].to_numpy())
    assert np.allclose(out["const"], 0.0)
    kept = ICScreen(k=2).fit(out, labels).feature_names_out_
    assert "regime_p0" in kept and "const" not in kept and len(kept) == 3
    assert list(ICScreen(k=2, keep_market_wide=False).fit(out, labels).feature_names_out_) == list(
        kept.drop("regime_p0")
    )
    restored = restore_step(
        CrossSectionalZScore, {"clip": None}, json.loads(json.dumps(step_state(z)))
    )
    pd.testing.assert_frame_equal(restored.transform(wide), out)
