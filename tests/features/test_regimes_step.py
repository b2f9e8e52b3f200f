"""RegimeFeatures: the fold step fits on the training rows only, appends causal columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.errors import DataError
from alphafactory.features import NotFittedError, build_features, check_causal
from alphafactory.features.regime_features import RegimeFeatures
from alphafactory.features.regimes import RegimeModel, market_returns
from alphafactory.models.base import clone

pytest.importorskip("hmmlearn")

COLUMNS = ["regime_p0", "regime_p1"]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_market(n_symbols=6, n_bars=700, seed=5).bars


@pytest.fixture(scope="module")
def frame(bars) -> pd.DataFrame:
    return build_features(bars, ["ret_1", "rsi_14"])


def _times(frame: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(frame.index.get_level_values("timestamp"))


@pytest.fixture(scope="module")
def split(frame) -> tuple[pd.DataFrame, pd.Timestamp]:
    cut = _times(frame).unique()[450]
    return frame[_times(frame) < cut], cut


@pytest.fixture(scope="module")
def fitted(split) -> RegimeFeatures:
    return RegimeFeatures(n_restarts=2).fit(split[0])


def test_transform_appends_the_market_probabilities_to_every_symbol(fitted, frame):
    out = fitted.transform(frame)
    assert list(out.columns) == [*frame.columns, *COLUMNS]
    assert list(fitted.feature_names_out_) == list(out.columns)
    assert out.index.equals(frame.index)
    pd.testing.assert_frame_equal(out[frame.columns], frame)
    assert (out.dtypes == np.float32).all()  # the frame's float32 is kept
    per_time = out[COLUMNS].groupby(level="timestamp")
    assert (per_time.nunique(dropna=False) == 1).all().all()  # one value per timestamp
    expected = fitted.model().filter_proba(market_returns(frame, "ret_1"))
    got = per_time.first().reindex(expected.index)
    np.testing.assert_allclose(
        got.to_numpy(), expected.to_numpy(), rtol=1e-6, atol=1e-7, equal_nan=True
    )


def test_fit_uses_the_training_rows_only(split, frame):
    """Poison every row after the cut: the fitted state and the outputs up to the cut stay."""
    train, cut = split
    after = np.asarray(_times(frame) >= cut)
    poisoned = frame.copy()
    poisoned.loc[after, "ret_1"] = (poisoned.loc[after, "ret_1"] * 40.0).astype(np.float32)
    clean = RegimeFeatures(n_restarts=1).fit(train)
    dirty = RegimeFeatures(n_restarts=1).fit(poisoned[~after])
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_array_equal(getattr(dirty, name), getattr(clean, name))
    leaked = RegimeFeatures(n_restarts=1).fit(poisoned)  # the poison is strong when seen
    assert np.abs(leaked.means_ - clean.means_).max() > 10 * np.abs(clean.means_).max()
    before = ~after
    pd.testing.assert_frame_equal(dirty.transform(poisoned)[before], clean.transform(frame)[before])


def test_regime_features_pass_check_causal(fitted, bars):
    def regime_columns(b: pd.DataFrame) -> pd.DataFrame:
        return fitted.transform(build_features(b, ["ret_1", "rsi_14"]))[COLUMNS]

    times = _times(bars)
    report = check_causal(regime_columns, bars[times < times.unique()[400]], n_cuts=4, seed=1)
    assert report.ok, report.failures[:3]


def test_a_filter_restarted_window_rows_back_agrees_with_the_full_one(fitted, frame):
    full = fitted.transform(frame)[COLUMNS]
    times = _times(frame).unique()
    recent = frame[_times(frame) >= times[-fitted.window]]
    short = fitted.transform(recent)[COLUMNS]
    np.testing.assert_allclose(short.iloc[-6:], full.iloc[-6:], atol=1e-6)


def test_contract_params_clone_state_and_errors(fitted, frame, split):
    step = RegimeFeatures(n_states=3, vol_window=10, burn_in=100)
    assert step.get_params()["n_states"] == 3 and step.window == 110
    assert not any(k.endswith("_") for k in vars(step))
    twin = clone(step)
    assert type(twin) is RegimeFeatures and twin.get_params() == step.get_params()
    with pytest.raises(NotFittedError):
        step.transform(frame)
    with pytest.raises(NotFittedError):
        step.to_state()
    with pytest.raises(DataError, match="ret_1"):
        RegimeFeatures().fit(frame[["rsi_14"]])
    with pytest.raises(ValueError, match="burn_in"):
        RegimeFeatures(burn_in=-1).fit(frame)
    with pytest.raises(ValueError, match="fitted on columns"):
        fitted.transform(frame[["ret_1"]])
    with pytest.raises(DataError, match="already has"):
        RegimeFeatures(n_restarts=1).fit(fitted.transform(split[0]))


def test_json_round_trip(fitted, frame):
    restored = RegimeFeatures.from_state(json.loads(json.dumps(fitted.to_state())))
    assert restored.get_params() == {**fitted.get_params(), "features": ("ret", "vol")}
    pd.testing.assert_frame_equal(restored.transform(frame), fitted.transform(frame))
    assert isinstance(restored.model(), RegimeModel)


def test_learned_state_is_plain_arrays_for_the_fold_step_store(fitted, frame):
    """The generic fold-step store (step_state / restore_step) keeps it exactly."""
    steps = pytest.importorskip("alphafactory.models.feature_steps")
    state = json.loads(json.dumps(steps.step_state(fitted)))
    restored = steps.restore_step(RegimeFeatures, fitted.get_params(), state)
    pd.testing.assert_frame_equal(restored.transform(frame), fitted.transform(frame))


def test_regimes_step_in_walk_forward_and_stored_artifacts(bars, frame, tmp_path):
    """Named in a selection list, fitted per fold, stored with the model, scored exactly."""
    selection_mod = pytest.importorskip("alphafactory.models.selection")
    if "regimes" not in selection_mod.SELECTION_STEPS:
        pytest.skip("the regimes step is not registered in this tree")
    from alphafactory.labels import forward_returns
    from alphafactory.models import load, score
    from alphafactory.training import WalkForward, walk_forward

    spec = {"step": "regimes", "n_restarts": 1, "n_iter": 30, "burn_in": 100}
    steps = selection_mod.build_steps([spec])
    labels = forward_returns(bars, 1, demean=True)
    splitter = WalkForward(train=250, val=50, test=150)
    result = walk_forward(frame, labels, model="ridge", splitter=splitter, lookback=1,
                          selection=steps, keep_models="last")  # fmt: skip
    assert all(names[-2:] == COLUMNS for names in result.meta["inputs"].values())
    ((fold, artifact),) = result.models.items()
    pred = result.predictions[result.predictions["fold"] == fold]
    at = pred.index.get_level_values("timestamp").unique()
    stored = load(artifact.save(tmp_path / "fold"))
    regime_step = stored.normalizer.steps_[-1]
    assert isinstance(regime_step, RegimeFeatures) and stored.normalizer.window == 120
    for model in (artifact, stored):
        got = score(model, bars, at=at)
        np.testing.assert_array_equal(got.to_numpy(), pred["score"].to_numpy())
