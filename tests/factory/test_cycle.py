"""A whole factory cycle on small synthetic markets: search, gate, registry, run directory."""

from __future__ import annotations

import copy
import dataclasses
import json

import pandas as pd
import pytest

pytest.importorskip("optuna")
pytest.importorskip("mlflow")

from alphafactory.errors import ConfigError, RunError
from alphafactory.factory import FactoryStore, cycle_lock
from alphafactory.pipeline.factory_cycle import run_cycle
from alphafactory.pipeline.workflow import parse_workflow

BASE = {
    "name": "tiny",
    "seed": 3,
    "data": {"spec": "synthetic:n_symbols=30,n_bars=800,alpha_ic=0.12,seed=5",
             "calendar": "weekdays"},
    "features": {"names": ["rsi_14"]},
    "labels": {"horizon": 1},
    "models": {"names": ["ridge"], "save": "none",
               "walk_forward": {"train": 200, "val": 50, "test": 100, "lookback": 1}},
    "backtest": {},
    "search": {"n_trials": 6, "withheld": 200, "families": ["cross_section", "volume"],
               "space": {"ridge": {"alpha": {"low": 0.01, "high": 100.0, "log": True}}},
               "labels": {"kind": ["forward", "triple_barrier"],
                          "horizon": {"low": 1, "high": 3}}},
    "gate": {"n_boot": 200},
}


def config(**changes):
    doc = copy.deepcopy(BASE)
    for key, value in changes.items():
        doc[key] = value
    return parse_workflow(doc, "test factory file")


def planted_config():
    return config()


def null_config():
    data = {**BASE["data"], "spec": "synthetic:n_symbols=30,n_bars=800,alpha_ic=0.0,seed=11"}
    return config(data=data)


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    """One store with a promoted champion (cycle 1) and a second cycle on the same data."""
    root = tmp_path_factory.mktemp("factory")
    store = FactoryStore.at(root / "mlruns")
    first = run_cycle(planted_config(), store=store, runs_root=root / "runs")
    second = run_cycle(planted_config(), store=store, runs_root=root / "runs")
    return store, root, first, second


def test_a_planted_market_produces_a_champion(factory):
    from alphafactory.factory import Registry

    store, _, first, _ = factory
    assert first.decision.passed, first.decision.summary()
    assert (first.alias, first.version) == ("champion", "1")
    registry = Registry(store)
    assert registry.alias_version("tiny", "champion") == "1"
    # every trial is counted and logged: the decision, the run's table and MLflow agree
    trials = first.run.read_table("trials")
    assert len(trials) == first.n_trials == 6
    record = json.loads((first.run.path / "decision.json").read_text())
    assert record["n_trials"] == 6 and record["inputs"]["n_trials"] == 6
    nested = registry.client.search_runs(
        [registry.experiment_id("tiny")],
        filter_string=f"tags.mlflow.parentRunId = '{first.mlflow_run_id}'",
    )
    assert len(nested) == 6
    assert {r.data.tags["af.state"] for r in nested} <= {"complete", "pruned", "fail"}


def test_the_gate_judges_only_withheld_bars_and_the_candidate_never_saw_them(factory):
    from alphafactory.models import load

    _, _, first, _ = factory
    record = json.loads((first.run.path / "decision.json").read_text())
    start = pd.Timestamp(record["withheld_start"])
    withheld = first.run.read_table("withheld_returns")
    assert len(withheld) == 200
    assert withheld.index.min() >= start
    candidate = load(first.run.path / "models" / "candidate")
    assert pd.Timestamp(candidate.window.train_end) < start
    assert first.decision.rule("checks").passed


def test_the_same_candidate_again_does_not_beat_the_champion(factory):
    from alphafactory.factory import Registry

    store, _, _, second = factory
    assert not second.decision.passed
    assert second.decision.failed == ("champion",)
    assert (second.alias, second.version) == ("challenger", "2")
    registry = Registry(store)
    assert registry.alias_version("tiny", "champion") == "1"
    assert registry.alias_version("tiny", "challenger") == "2"


def test_the_study_is_identical_on_a_rerun(factory):
    _, _, first, again = factory  # a new study of the same file and seed
    assert first.mlflow_run_id != again.mlflow_run_id
    columns = ["trial", "state", "value", "params", "fold_ic"]
    pd.testing.assert_frame_equal(first.run.read_table("trials")[columns],
                                  again.run.read_table("trials")[columns])


def test_the_nightly_refit_counts_the_study_behind_it(factory):
    store, root, first, _ = factory
    nightly = run_cycle(planted_config(), store=store, runs_root=root / "runs", incremental=True)
    assert nightly.n_trials == first.n_trials + 1
    assert nightly.best.to_dict() == first.best.to_dict()
    assert nightly.decision.inputs["n_trials"] == first.n_trials + 1
    assert "champion" in nightly.decision.failed  # the same model cannot beat itself


def test_nothing_is_promoted_on_a_null_market(tmp_path):
    outcome = run_cycle(null_config(), store=FactoryStore.at(tmp_path / "mlruns"),
                        runs_root=tmp_path / "runs")
    assert not outcome.decision.passed
    assert outcome.alias == "challenger"
    assert {"dsr", "sharpe_ci"} & set(outcome.decision.failed)


def test_an_incremental_cycle_needs_a_champion(tmp_path):
    from alphafactory.errors import ModelError

    with pytest.raises(ModelError, match="has none yet"):
        run_cycle(planted_config(), store=FactoryStore.at(tmp_path / "mlruns"),
                  runs_root=tmp_path / "runs", incremental=True)


def test_two_cycles_of_one_workflow_never_overlap(tmp_path):
    store = FactoryStore.at(tmp_path / "mlruns")
    lock = tmp_path / "mlruns" / "factory" / "tiny.lock"
    with cycle_lock(lock), pytest.raises(RunError, match="already"):
        run_cycle(planted_config(), store=store, runs_root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"search": {**BASE["search"], "space": {"lstm": {}}}}, "not in \\[models\\] names"),
        ({"search": {**BASE["search"], "n_trials": 0}}, "n_trials must be"),
        ({"search": {**BASE["search"], "labels": {"kind": ["meta"]}}}, "labels.kind"),
        ({"search": {**BASE["search"], "space": {"ridge": {"alpha": {"low": 1, "high": 0}}}}},
         "space.ridge.alpha: low must be < high"),
        ({"search": {**BASE["search"], "bogus": 1}}, "bogus"),
        ({"gate": {"min_dsr": 2.0}}, "min_dsr"),
    ],
)
def test_bad_factory_files_name_the_key(change, message):
    from alphafactory.pipeline.factory_cycle import check_factory_config

    with pytest.raises(ConfigError, match=message):
        check_factory_config(config(**change))


def test_a_factory_file_is_not_run_as_a_plain_workflow(tmp_path):
    from alphafactory.pipeline.runner import run_workflow

    with pytest.raises(ConfigError, match="factory run"):
        run_workflow(planted_config(), root=tmp_path)


def test_the_withheld_window_must_leave_room_for_the_search(tmp_path):
    bad = config(search={**BASE["search"], "withheld": 600})
    with pytest.raises(ConfigError, match="withheld = 600"):
        run_cycle(bad, store=FactoryStore.at(tmp_path / "mlruns"), runs_root=tmp_path / "runs")


def test_parallel_trials_on_dask_reproduce_one_by_one(tmp_path):
    """Each trial's value is a function of its parameters and the seed, on any worker.

    The cluster is given by its scheduler address (the ``tcp://`` form of ``executor``); its two
    workers are threads here, so the test spawns no process (``executor=N`` starts processes)."""
    distributed = pytest.importorskip("dask.distributed")
    from alphafactory.factory import run_study
    from alphafactory.pipeline.factory_cycle import _trial_data
    from alphafactory.pipeline.factory_trials import run_trial

    cfg = planted_config()
    bars = cfg.data[0].source.load()
    data = _trial_data(cfg, bars, cfg.models.walk_forward)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        parallel = run_study(run_trial, data, name="par", storage=storage, n_trials=2, seed=1,
                             pruner="none", executor=cluster.scheduler_address)
    done = [t for t in parallel.study.trials if t.state.name == "COMPLETE"]
    assert len(parallel.study.trials) >= 2 and done
    assert set(parallel.artifacts) >= {t.number for t in done}
    trial = done[0]
    alone = run_study(run_trial, data, name="alone", storage=storage, n_trials=1, seed=1,
                      pruner="none", enqueue=dict(trial.params))
    assert alone.study.trials[0].value == trial.value


def test_dataclass_config_round_trips_through_toml():
    cfg = planted_config()
    again = parse_workflow(cfg.to_mapping(), "round trip")
    assert again == cfg
    assert dataclasses.asdict(again.search)["n_trials"] == 6
