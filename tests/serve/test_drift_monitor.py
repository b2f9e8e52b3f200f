"""The server's drift monitor: GET /drift and the drift gauges at /metrics follow new bars."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.models import score
from alphafactory.models.reference import attach_reference
from alphafactory.monitor.policy import MonitorPolicy
from alphafactory.serve import artifact_version, create_app
from alphafactory.serve.drift import attach_drift_monitor

from .conftest import HISTORY, make_config


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def monitored(trained, market, feed, tmp_path):
    from fastapi.testclient import TestClient

    history = market.history()
    features = build_features(history, list(trained.features))
    scores = score(trained, history, at="all")
    labels = forward_returns(history, 1, entry="next_open").reindex(scores.index)
    artifact = attach_reference(trained, features, scores, labels)
    path = artifact.save(tmp_path / "run" / "model")
    app = create_app(make_config(path, tmp_path), feed)
    attach_drift_monitor(app, MonitorPolicy(window=40))
    with TestClient(app) as client:
        yield client, path


def test_drift_reports_the_champions_verdict_and_follows_new_bars(monitored, feed, market):
    client, path = monitored
    body = client.get("/drift").json()
    assert body["ready"] and body["error"] is None
    assert body["model"]["version"] == artifact_version(path)
    assert set(body) >= {"model", "window", "data_drift", "concept_drift", "verdict"}
    assert body["window"]["bars"] == 40
    assert body["window"]["end"] == market.stamps[HISTORY - 1].isoformat()
    assert body["concept_drift"]["reference_ic"] is not None
    feed.push(market.bar(0))
    wait_for(lambda: client.get("/drift").json()["window"]["end"]
             == market.stamps[HISTORY].isoformat(), what="the monitor to take the new bar")
    text = client.get("/metrics").text
    version = artifact_version(path)
    assert f'alphafactory_drift_data{{version="{version}"}}' in text
    assert f'alphafactory_drift_concept{{version="{version}"}}' in text
    assert f'alphafactory_drift_ks{{feature="ret_1",version="{version}"}}' in text
    assert "alphafactory_drift_reference_ic" in text
    assert pd.Timestamp(client.get("/drift").json()["window"]["start"]) == market.stamps[
        HISTORY - 39]
