"""The factory's store and registry: candidates, aliases with their audit, gate decisions,
promotion, rollback and downloads, on embedded SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

from alphafactory.data import synthetic_market
from alphafactory.errors import ConfigError, ModelError
from alphafactory.factory import FactoryStore, Registry, model_name, resolve_artifact
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.models import ModelArtifact, load
from alphafactory.training import WalkForward
from alphafactory.training.final import fit_final

_names = itertools.count()


@pytest.fixture(scope="module")
def trained() -> ModelArtifact:
    bars = synthetic_market(n_symbols=6, n_bars=300, alpha_ic=0.1, seed=0).bars
    return fit_final(build_features(bars, ["ret_1"]), forward_returns(bars, 1, entry="next_open"),
                     model="ridge", lookback=5, splitter=WalkForward(train=150, val=40, test=60))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def registry(request, tmp_path_factory) -> Registry:
    """One registry per backend for the module (a fresh MLflow database costs seconds); tests
    keep apart by workflow name."""
    root = tmp_path_factory.mktemp(f"store-{request.param}")
    store = FactoryStore.at(root)
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        store = replace(store, tracking_uri=server.url("mlflow"))
    return Registry(store)


@pytest.fixture
def workflow() -> str:
    return f"wf{next(_names)}"


def candidate(registry: Registry, workflow: str, trained: ModelArtifact, tmp_path: Path,
              seed: int, passed: bool | None = True) -> str:
    """Register a copy of the model (``seed`` makes it a distinct artifact) with a decision."""
    path = replace(trained, seed=seed).save(tmp_path / f"model-{seed}")
    run = registry.client.create_run(registry.experiment_id(workflow))
    version = registry.register_candidate(workflow, path, run_id=run.info.run_id,
                                          tags={"af.trial": str(seed)})  # fmt: skip
    registry.client.set_terminated(run.info.run_id)
    if passed is not None:
        failed = [] if passed else ["min_ic", "max_drawdown"]
        registry.record_decision(workflow, version, {"passed": passed, "failed": failed,
                                                     "metrics": {"ic": 0.05}})  # fmt: skip
    return version


# -- store --------------------------------------------------------------------------------------
def test_store_at_puts_everything_under_root(tmp_path: Path) -> None:
    store = FactoryStore.at(tmp_path / "f").prepare()
    assert store.tracking_uri == f"sqlite:///{tmp_path / 'f' / 'mlflow.db'}"
    assert store.optuna_storage == f"sqlite:///{tmp_path / 'f' / 'optuna.db'}"
    assert Path(store.artifact_root).is_dir() and store.cache_root == tmp_path / "f" / "cache"


@pytest.mark.parametrize("optuna", ["sqlite:///mlruns/mlflow.db",
                                    "postgresql://optuna@localhost:5432/mlflow"])
def test_store_same_database_raises_naming_both(optuna: str) -> None:
    tracking = "sqlite:///mlruns/mlflow.db" if optuna.startswith("sqlite") else \
        "postgresql://postgres@127.0.0.1:5432/mlflow"
    with pytest.raises(ConfigError, match="alembic_version") as info:
        FactoryStore(tracking_uri=tracking, optuna_storage=optuna)
    assert tracking in str(info.value) and optuna in str(info.value)


def test_store_postgres_uris_pass_through_with_psycopg2_driver() -> None:
    store = FactoryStore(tracking_uri="postgresql://u@127.0.0.1:5432/mlflow",
                         optuna_storage="postgresql+psycopg://u@127.0.0.1:5432/optuna")
    assert store.tracking_uri == "postgresql+psycopg2://u@127.0.0.1:5432/mlflow"
    assert store.optuna_storage == "postgresql+psycopg://u@127.0.0.1:5432/optuna"


# -- registry -----------------------------------------------------------------------------------
def test_model_name_rejects_odd_workflow() -> None:
    assert model_name("daily-ridge") == "alphafactory-daily-ridge"
    with pytest.raises(ConfigError, match="workflow name"):
        model_name("a b")


def test_register_candidate_versions_count_up_and_download_loads(
        registry: Registry, workflow: str, trained: ModelArtifact, tmp_path: Path) -> None:
    first = candidate(registry, workflow, trained, tmp_path, seed=1)
    second = candidate(registry, workflow, trained, tmp_path, seed=2)
    assert (first, second) == ("1", "2")
    path = registry.download(workflow, "v2")
    assert load(path).seed == 2
    assert path == registry.store.cache_root / model_name(workflow) / "2"
    assert registry.download(workflow, "2") == path  # cached
    mv = registry.client.get_model_version(model_name(workflow), "1")
    assert mv.tags["af.trial"] == "1" and mv.source.endswith("/model")


def test_register_candidate_without_artifact_raises(registry: Registry, workflow: str,
                                                    tmp_path: Path) -> None:  # fmt: skip
    run = registry.client.create_run(registry.experiment_id(workflow))
    with pytest.raises(ModelError, match=r"artifact\.json"):
        registry.register_candidate(workflow, tmp_path, run_id=run.info.run_id)


def test_set_alias_records_history_oldest_first(registry: Registry, workflow: str,
                                                trained: ModelArtifact, tmp_path: Path) -> None:
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1)
    v2 = candidate(registry, workflow, trained, tmp_path, seed=2)
    assert registry.alias_version(workflow, "champion") is None
    registry.set_alias(workflow, "champion", v1, kind="gate", reason="first")
    registry.set_alias(workflow, "challenger", v2, kind="challenger", reason="runner-up")
    registry.set_alias(workflow, "champion", v2, kind="gate", reason="better")
    history = registry.history(workflow)
    assert list(history.columns) == ["time", "alias", "version", "previous", "kind", "reason"]
    assert history[["alias", "version", "previous", "kind"]].values.tolist() == [
        ["champion", "1", None, "gate"],
        ["challenger", "2", None, "challenger"],
        ["champion", "2", "1", "gate"],
    ]
    assert history["time"].is_monotonic_increasing
    assert registry.alias_version(workflow, "champion") == "2"
    assert load(registry.download(workflow, "champion")).seed == 2


def test_history_survives_a_new_registry_process(registry: Registry, workflow: str,
                                                 trained: ModelArtifact, tmp_path: Path) -> None:
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1)
    registry.set_alias(workflow, "champion", v1, kind="manual", reason="by hand")
    again = Registry(registry.store)
    assert again.history(workflow)["reason"].tolist() == ["by hand"]
    assert again.status(workflow)["last_event"]["kind"] == "manual"


def test_set_alias_unknown_kind_or_version_raises(registry: Registry, workflow: str,
                                                  trained: ModelArtifact, tmp_path: Path) -> None:
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1)
    with pytest.raises(ConfigError, match="kind"):
        registry.set_alias(workflow, "champion", v1, kind="whim", reason="")
    with pytest.raises(ModelError, match="no version 7"):
        registry.set_alias(workflow, "champion", "7", kind="manual", reason="")
    assert registry.history(workflow).empty


def test_status_names_aliases_and_decisions(registry: Registry, workflow: str,
                                            trained: ModelArtifact, tmp_path: Path) -> None:
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1)
    v2 = candidate(registry, workflow, trained, tmp_path, seed=2, passed=False)
    registry.set_alias(workflow, "champion", v1, kind="gate", reason="first")
    registry.set_alias(workflow, "challenger", v2, kind="challenger", reason="second")
    status = registry.status(workflow)
    assert status["champion"]["version"] == "1"
    assert status["champion"]["decision"] == {"passed": True, "failed": [],
                                              "metrics": {"ic": 0.05}}  # fmt: skip
    assert status["challenger"]["decision"]["failed"] == ["min_ic", "max_drawdown"]
    assert status["last_event"]["alias"] == "challenger"


def test_promote_failed_version_raises_naming_rules(registry: Registry, workflow: str,
                                                    trained: ModelArtifact,
                                                    tmp_path: Path) -> None:  # fmt: skip
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1, passed=False)
    with pytest.raises(ModelError, match=r"min_ic, max_drawdown.*--force"):
        registry.promote(workflow, v1, reason="want it")
    with pytest.raises(ModelError, match="reason"):
        registry.promote(workflow, v1, reason=" ", force=True)
    assert registry.alias_version(workflow, "champion") is None
    registry.promote(workflow, v1, reason="desk override", force=True)
    assert registry.alias_version(workflow, "champion") == "1"
    assert registry.history(workflow)["reason"].tolist() == ["forced: desk override"]


def test_promote_without_decision_raises(registry: Registry, workflow: str,
                                         trained: ModelArtifact, tmp_path: Path) -> None:
    v1 = candidate(registry, workflow, trained, tmp_path, seed=1, passed=None)
    with pytest.raises(ModelError, match="no gate decision"):
        registry.promote(workflow, v1, reason="")


def test_rollback_walks_back_champions_then_raises(registry: Registry, workflow: str,
                                                   trained: ModelArtifact,
                                                   tmp_path: Path) -> None:  # fmt: skip
    versions = [candidate(registry, workflow, trained, tmp_path, seed=s) for s in (1, 2, 3)]
    for v in versions:
        registry.promote(workflow, v, reason=f"v{v}")
    assert registry.rollback(workflow, reason="v3 bad") == "2"
    assert registry.alias_version(workflow, "champion") == "2"
    assert registry.rollback(workflow, reason="v2 bad too") == "1"
    with pytest.raises(ModelError, match="no earlier champion"):
        registry.rollback(workflow, reason="again")
    tail = registry.history(workflow).iloc[-2:]
    assert tail[["version", "previous", "kind"]].values.tolist() == [
        ["2", "3", "rollback"], ["1", "2", "rollback"]]


def test_rollback_without_history_raises(registry: Registry, workflow: str) -> None:
    with pytest.raises(ModelError, match="no earlier champion"):
        registry.rollback(workflow, reason="nothing")


def test_download_unknown_alias_or_empty_registry_is_one_clear_line(
        registry: Registry, workflow: str, trained: ModelArtifact, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model registered yet") as info:
        registry.download(workflow, "champion")
    assert "\n" not in str(info.value)
    candidate(registry, workflow, trained, tmp_path, seed=1)
    with pytest.raises(ModelError, match=r"alias 'challenger'.*aliases: none"):
        registry.download(workflow, "challenger")


def test_download_to_dst_writes_there(registry: Registry, workflow: str,
                                      trained: ModelArtifact, tmp_path: Path) -> None:
    candidate(registry, workflow, trained, tmp_path, seed=4)
    path = registry.download(workflow, "1", tmp_path / "out" / "model")
    assert path == tmp_path / "out" / "model" and load(path).seed == 4
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_resolve_artifact_paths_and_registry_refs(registry: Registry, workflow: str,
                                                  trained: ModelArtifact,
                                                  tmp_path: Path) -> None:  # fmt: skip
    v1 = candidate(registry, workflow, trained, tmp_path, seed=5)
    registry.set_alias(workflow, "champion", v1, kind="gate", reason="")
    local = tmp_path / "model-5"
    assert resolve_artifact(local, workflow=None, store=None) == local
    got = resolve_artifact("champion", workflow=workflow, store=registry.store)
    assert load(got).seed == 5
    assert resolve_artifact("v1", workflow=workflow, store=registry.store) == got
    with pytest.raises(ConfigError, match="--workflow"):
        resolve_artifact("champion", workflow=None, store=registry.store)
    assert resolve_artifact("nope", workflow=workflow, store=registry.store) == Path("nope")


def test_registry_without_mlflow_names_the_extra(monkeypatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ConfigError, match=r"pip install 'alphafactory\[track\]'"):
        Registry(FactoryStore.at(tmp_path))


def test_download_replaces_a_broken_cache_entry(registry: Registry, workflow: str,
                                                     trained: ModelArtifact,
                                                     tmp_path: Path) -> None:  # fmt: skip
    candidate(registry, workflow, trained, tmp_path, seed=6)
    cached = registry.download(workflow, "1")
    (cached / "artifact.json").unlink()
    again = registry.download(workflow, "1")
    assert again == cached and load(again).seed == 6
