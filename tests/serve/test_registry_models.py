"""Models from the factory's registry: the server follows an alias and hot-swaps when it moves;
``score`` and ``serve`` take ``--artifact champion --workflow NAME``."""

from __future__ import annotations

import io
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

pytest.importorskip("mlflow")

from alphafactory.cli import main
from alphafactory.errors import ConfigError
from alphafactory.factory import FactoryStore, Registry
from alphafactory.feeds import ManualFeed
from alphafactory.models import ModelArtifact, score
from alphafactory.serve import artifact_version, create_app

from .conftest import make_config, retrained

_names = itertools.count()


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Registry:
    return Registry(FactoryStore.at(tmp_path_factory.mktemp("registry")))


@pytest.fixture
def workflow() -> str:
    return f"serve{next(_names)}"


def publish(registry: Registry, workflow: str, model: ModelArtifact, tmp_path: Path,
            alias: str = "champion") -> str:  # fmt: skip
    """Register ``model`` and point ``alias`` at it; return the version."""
    path = model.save(tmp_path / f"candidate-{model.seed}")
    run = registry.client.create_run(registry.experiment_id(workflow))
    version = registry.register_candidate(workflow, path, run_id=run.info.run_id)
    registry.set_alias(workflow, alias, version, kind="manual", reason="test")
    return version


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_config_registry_reference_needs_a_workflow(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--workflow"):
        make_config("champion", tmp_path)
    config = make_config("champion", tmp_path, challenger=tmp_path, workflow="w")
    assert config.follows() == {"champion": "champion"} and config.challenger == tmp_path
    assert make_config("v3", tmp_path, workflow="w").follows() == {}


def test_server_follows_champion_and_swaps_when_it_moves(registry, workflow, trained, market,
                                                          tmp_path):  # fmt: skip
    publish(registry, workflow, retrained(trained, seed=21), tmp_path)
    publish(registry, workflow, retrained(trained, seed=22), tmp_path, alias="challenger")
    config = make_config("champion", tmp_path, challenger="challenger", workflow=workflow,
                         store=registry.store, watch_seconds=0.05)  # fmt: skip
    with TestClient(create_app(config, ManualFeed(market.history()))) as client:
        models = client.get("/models").json()
        first = models["champion"]["version"]
        assert first == artifact_version(registry.download(workflow, "champion"))
        assert models["challenger"]["version"] == artifact_version(
            registry.download(workflow, "challenger"))
        moved = publish(registry, workflow, retrained(trained, seed=23), tmp_path)
        expected = artifact_version(registry.download(workflow, moved))
        wait_for(lambda: client.get("/models").json()["champion"]["version"] == expected)
        body = client.post("/predict", json={"symbol": "S01"}).json()
        assert body["version"] == expected != first


def test_server_keeps_serving_when_the_new_version_is_broken(registry, workflow, trained,
                                                             market, tmp_path):  # fmt: skip
    publish(registry, workflow, retrained(trained, seed=31), tmp_path)
    config = make_config("champion", tmp_path, workflow=workflow, store=registry.store)
    with TestClient(create_app(config, ManualFeed(market.history()))) as client:
        service = client.app.state.service
        before = service.snapshots["champion"].served.version
        version = publish(registry, workflow, retrained(trained, seed=32), tmp_path)
        cached = registry.download(workflow, version)
        (cached / "artifact.json").write_text('{"format_version": 99}')  # a corrupt download
        watcher = service._follow("champion", "champion")
        with pytest.raises(Exception, match="format_version"):
            watcher.check()
        assert service.snapshots["champion"].served.version == before
        replace(trained, seed=32).save(cached, overwrite=True)  # repaired: the next poll swaps
        assert watcher.check() == version
        wait_for(lambda: service.snapshots["champion"].served.version != before)


def test_score_cli_scores_the_champion(registry, workflow, trained, tmp_path, capsys):
    publish(registry, workflow, retrained(trained, seed=41), tmp_path)
    root = Path(registry.store.artifact_root).parent
    spec = "synthetic:n_symbols=8,n_bars=200,alpha_ic=0.1,seed=0"
    assert main(["score", "--artifact", "champion", "--workflow", workflow,
                 "--registry-root", str(root), "--bars", spec]) == 0  # fmt: skip
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    from alphafactory.data import synthetic_market

    bars = synthetic_market(8, 200, seed=0, alpha_ic=0.1).bars
    expected = score(registry.download(workflow, "champion"), bars).to_numpy()
    np.testing.assert_allclose(printed["score"], expected)


@pytest.mark.parametrize(("args", "message"), [
    (["--artifact", "champion"], "--workflow"),
    (["--artifact", "nowhere/model"], "no model artifact here"),
])  # fmt: skip
def test_score_cli_bad_reference_is_one_line(args, message, capsys):
    assert main(["score", *args, "--bars", "synthetic:n_symbols=4"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_score_cli_empty_registry_is_one_line(tmp_path, capsys):
    assert main(["score", "--artifact", "champion", "--workflow", "none",
                 "--registry-root", str(tmp_path), "--bars", "synthetic:n_symbols=4"]) == 2
    err = capsys.readouterr().err
    assert "no model registry at" in err and err.count("\n") == 1
    assert not (tmp_path / "mlflow.db").exists()
