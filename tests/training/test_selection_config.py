"""``[selection]`` in workflow and experiment files: steps parsed, checked, run and stored."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from alphafactory.errors import ConfigError
from alphafactory.models.feature_steps import FeaturePipeline
from alphafactory.models.selection import CorrelationCluster, CrossSectionalZScore, ICScreen
from alphafactory.models.selection_config import SelectionSettings
from alphafactory.models.selection_interactions import InteractionScreen
from alphafactory.pipeline import load_workflow, run_workflow
from alphafactory.pipeline.sections import FeaturesSection
from alphafactory.pipeline.steps import fold_selection
from alphafactory.runs import write_toml
from alphafactory.training.experiment import ExperimentConfig, prepare_data

TINY = """
name = "tiny"
seed = 3

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5", "ret_10", "cs_z_ret_5", "rsi_14"]

[selection]
exclude = ["ret_10"]
steps = [{step = "ic_screen", k = 3}, {step = "cluster", threshold = 0.9}]

[models]
names = ["ridge"]
walk_forward = { train = 120, val = 30, test = 60, lookback = 5 }

[signals]
export = false
"""


def _write(tmp_path, text: str):
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_workflow_selection_steps_parse_round_trip_and_name_key_and_file(tmp_path):
    config = load_workflow(_write(tmp_path, TINY))
    assert config.selection.steps == ({"step": "ic_screen", "k": 3},
                                      {"step": "cluster", "threshold": 0.9})  # fmt: skip
    again = load_workflow(write_toml(tmp_path / "again.toml", config.to_mapping()))
    assert again.selection == config.selection
    bad = TINY.replace("threshold = 0.9}", 'threshold = 0.9}, {step = "nope"}')
    with pytest.raises(ConfigError, match=r"\[selection\] of .*wf\.toml.*steps\[2\].*'nope'"):
        load_workflow(_write(tmp_path, bad))
    bad = TINY.replace("k = 3", "kay = 3")
    with pytest.raises(ConfigError, match=r"wf\.toml.*steps\[0\] \(ic_screen\): unknown key"):
        load_workflow(_write(tmp_path, bad))
    bad = TINY.replace("steps = [", 'steps = ["ic_screen", ').replace("{step", "{ step", 1)
    with pytest.raises(ConfigError, match=r"steps in \[selection\] of .*must be a list of tables"):
        load_workflow(_write(tmp_path, bad))


def test_fold_selection_defaults_only_for_all_features_without_steps():
    steps = fold_selection(FeaturesSection(all=True), None)
    assert [type(s) for s in steps] == [CrossSectionalZScore, InteractionScreen,
                                        CorrelationCluster, ICScreen]  # fmt: skip
    assert fold_selection(FeaturesSection(names=("ret_1",)), None) is None
    assert fold_selection(FeaturesSection(all=True), SelectionSettings(steps=())) is None
    chosen = fold_selection(FeaturesSection(), SelectionSettings(steps=({"step": "pca"},)))
    assert len(chosen) == 1 and chosen[0].n_components == 0.9


def test_workflow_run_fits_the_steps_per_fold_and_stores_them_in_the_final_model(tmp_path):
    from alphafactory.data import load_bars
    from alphafactory.models import load, score

    config = load_workflow(_write(tmp_path, TINY))
    outcome = run_workflow(config, root=tmp_path / "runs", log=lambda _: None)
    artifact = load(outcome.run.path / "models" / "ridge")
    assert isinstance(artifact.normalizer, FeaturePipeline)
    assert "ret_10" not in artifact.features
    assert 1 <= len(artifact.normalizer.feature_names_out_) <= 3
    bars = load_bars("synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4")
    assert np.isfinite(score(artifact, bars).to_numpy()).all()


def test_experiment_selection_table_round_trips_and_checks_keys():
    doc = {
        "model": {"name": "ridge"},
        "features": {"names": ["ret_1", "ret_5", "obv"]},
        "selection": {"exclude": ["obv"], "steps": [{"step": "ic_screen", "k": 1}]},
    }
    config = ExperimentConfig.from_mapping(doc)
    assert config.selection.exclude == ("obv",)
    assert [type(s) for s in config.selection.fold_steps()] == [ICScreen]
    assert ExperimentConfig.from_mapping(config.to_mapping()) == config
    assert (
        ExperimentConfig.from_mapping({"model": {"name": "ridge"}}).selection.fold_steps() is None
    )
    with pytest.raises(ConfigError, match=r"\[selection\].*steps\[0\] \(ic_screen\): unknown"):
        ExperimentConfig.from_mapping({**doc, "selection": {"steps": [{"step": "ic_screen",
                                                                       "n": 1}]}})  # fmt: skip
    with pytest.raises(ConfigError, match=r"'include'.*\[selection\]"):
        ExperimentConfig.from_mapping({**doc, "selection": {"include": ["obv"]}})


def test_experiment_exclude_drops_features_before_they_are_built():
    from alphafactory.data import synthetic_market

    bars = synthetic_market(4, 60, seed=1).bars
    config = ExperimentConfig.from_mapping({
        "model": {"name": "ridge"},
        "features": {"names": ["ret_1", "ret_5", "obv"]},
        "selection": {"exclude": ["obv"]},
    })  # fmt: skip
    features, _ = prepare_data(bars, config)
    assert list(features.columns) == ["ret_1", "ret_5"]


def test_workflow_with_regime_features_first_keeps_them_through_cs_zscore_and_the_screen(tmp_path):
    """Regimes as features from a workflow file: the HMM is fitted per fold on the training rows,
    its causal probabilities survive the cross-sectional steps, the final model stores and
    rescores them."""
    pytest.importorskip("hmmlearn")
    from alphafactory.data import load_bars
    from alphafactory.models import load, score

    text = TINY.replace(
        'steps = [{step = "ic_screen", k = 3}, {step = "cluster", threshold = 0.9}]',
        'steps = [{step = "regimes", n_states = 2}, {step = "cs_zscore"}, '
        '{step = "ic_screen", k = 2}]',
    ).replace('names = ["ridge"]', 'names = ["lightgbm"]\npreset = "ci"')
    pytest.importorskip("lightgbm")
    config = load_workflow(_write(tmp_path, text))
    outcome = run_workflow(config, root=tmp_path / "runs", log=lambda _: None)
    artifact = load(outcome.run.path / "models" / "lightgbm")
    kept = list(artifact.normalizer.feature_names_out_)
    assert {"regime_p0", "regime_p1"} <= set(kept) and len(kept) == 4
    bars = load_bars("synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4")
    assert np.isfinite(score(artifact, bars).to_numpy()).all()


def test_walk_forward_selection_takes_default_specs_or_steps_and_names_what_it_got():
    from alphafactory.models.selection import DEFAULT_SELECTION, build_steps, step_specs
    from alphafactory.training.walk_forward import fold_transform

    default = fold_transform(None, "default")
    assert step_specs(default.steps[1:]) == step_specs(build_steps(DEFAULT_SELECTION))
    specs = fold_transform(None, [{"step": "ic_screen", "k": 5}, CrossSectionalZScore()])
    assert [type(s) for s in specs.steps[1:]] == [ICScreen, CrossSectionalZScore]
    with pytest.raises(TypeError, match=r"selection must be 'default'.*got 'nope'"):
        fold_transform(None, "nope")
    with pytest.raises(ConfigError, match="nope"):
        fold_transform(None, [{"step": "nope"}])
