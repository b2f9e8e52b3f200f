"""Champion and challenger, and the artifact watcher's hot swap (through TestClient)."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from alphafactory.feeds import ManualFeed
from alphafactory.serve import artifact_version, create_app, load_served
from alphafactory.serve.served_model import ArtifactWatcher

from .conftest import make_config, retrained


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_challenger_is_served_beside_the_champion(trained, artifact_dir, market, tmp_path):
    other = retrained(trained, seed=11).save(tmp_path / "challenger")
    config = make_config(artifact_dir, tmp_path, challenger=other)
    with TestClient(create_app(config, ManualFeed(market.history()))) as client:
        models = client.get("/models").json()
        assert models["champion"]["version"] == artifact_version(artifact_dir)
        assert models["challenger"]["version"] == artifact_version(other)
        body = client.post("/predict", json={"symbol": "S01", "model": "challenger"}).json()
        assert body["model"] == "challenger" and body["version"] == artifact_version(other)


def test_swap_leaves_a_request_holding_the_old_snapshot_unchanged(trained, artifact_dir, market,
                                                                   tmp_path):  # fmt: skip
    with TestClient(create_app(make_config(artifact_dir, tmp_path),
                               ManualFeed(market.history()))) as client:  # fmt: skip
        service = client.app.state.service
        held = service.snapshots["champion"]  # what an in-flight request read
        held_records = json.dumps(held.records, sort_keys=True)
        retrained(trained, seed=5).save(artifact_dir, overwrite=True)
        watcher = ArtifactWatcher(artifact_dir, "champion", held.served.version,
                                  service._on_new_version)  # fmt: skip
        new = watcher.check()
        assert new is not None and new.version == artifact_version(artifact_dir)
        wait_for(lambda: service.snapshots["champion"].served.version == new.version)
        assert held.served.version != new.version
        assert json.dumps(held.records, sort_keys=True) == held_records
        assert client.post("/predict", json={"symbol": "S01"}).json()["version"] == new.version
        assert watcher.check() is None  # same version: nothing to do


def test_watcher_skips_a_broken_version_and_keeps_serving(trained, artifact_dir):
    served = load_served(artifact_dir, "champion")
    seen = []
    watcher = ArtifactWatcher(artifact_dir, "champion", served.version, seen.append)
    (artifact_dir / "artifact.json").write_text('{"format_version": 99, "model": "ridge"}')
    assert watcher.check() is None and seen == []
    trained.save(artifact_dir, overwrite=True)
    assert watcher.check() is not None and len(seen) == 1


def test_missing_artifact_is_a_model_error(tmp_path):
    from alphafactory.errors import ModelError

    with pytest.raises(ModelError, match="no model artifact"):
        load_served(tmp_path / "nothing", "champion")
