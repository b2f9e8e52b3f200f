"""Every REST endpoint through TestClient, authentication off (loopback defaults)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from alphafactory.serve import artifact_version, set_drift_provider

from .conftest import HISTORY, N_SYMBOLS


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_health_and_ready_report_a_loaded_model(client, market):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["reasons"] == []
    assert pd.Timestamp(body["last_bar"]) == market.stamps[HISTORY - 1]


def test_predict_one_symbol_names_version_bar_rank_action(client, artifact_dir, market):
    response = client.post("/predict", json={"symbol": "S01"})
    assert response.status_code == 200
    body = response.json()
    version = artifact_version(artifact_dir)
    assert body["version"] == version == response.headers["x-model-version"]
    assert body["model"] == "champion" and body["unknown"] == []
    (signal,) = body["signals"]
    assert signal["symbol"] == "S01"
    assert pd.Timestamp(signal["timestamp"]) == market.stamps[HISTORY - 1]
    assert 0.0 <= signal["rank"] <= 1.0 and 0.0 <= signal["confidence"] <= 1.0
    expected = "BUY" if signal["rank"] >= 0.8 else "SELL" if signal["rank"] <= 0.2 else "HOLD"
    assert signal["action"] == expected
    assert body["confidence_basis"] == "cross_section"  # no predictions.parquet beside model/


def test_predict_scores_equal_the_library_score(client, trained, market):
    from alphafactory.models import score

    expected = score(trained, market.history(), at="last").xs(market.stamps[HISTORY - 1])
    body = client.post("/predict", json={"symbols": list(expected.index)}).json()
    got = {s["symbol"]: s["score"] for s in body["signals"]}
    assert got == pytest.approx(expected.to_dict(), rel=0, abs=0)
    ranks = sorted(body["signals"], key=lambda s: s["score"])
    assert ranks[0]["rank"] == 0.0 and ranks[-1]["rank"] == 1.0


def test_predict_unknown_symbols_are_listed_or_404(client):
    body = client.post("/predict", json={"symbols": ["S01", "NOPE"]}).json()
    assert [s["symbol"] for s in body["signals"]] == ["S01"] and body["unknown"] == ["NOPE"]
    response = client.post("/predict", json={"symbol": "NOPE"})
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]


def test_predict_challenger_without_one_is_404(client):
    response = client.post("/predict", json={"symbol": "S01", "model": "challenger"})
    assert response.status_code == 404 and "challenger" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"symbol": "S01", "extra": 1}, "extra"),
        ({"symbols": "S01"}, "symbols"),
        ({"symbol": "S01", "model": "best"}, "model"),
        ({"symbols": []}, "symbols"),
    ],
)
def test_predict_bad_input_is_422_naming_the_field(client, payload, field):
    response = client.post("/predict", json=payload)
    assert response.status_code == 422
    assert any(field in d["loc"] for d in response.json()["detail"])


def test_predict_neither_symbol_nor_symbols_is_422(client):
    response = client.post("/predict", json={})
    assert response.status_code == 422
    assert "exactly one of 'symbol' or 'symbols'" in response.text


def test_signals_filter_by_confidence_and_action(client):
    everything = client.post("/signals",
                             json={"threshold": 0.0, "actions": ["BUY", "SELL", "HOLD"]})
    assert len(everything.json()["signals"]) == N_SYMBOLS
    body = client.post("/signals", json={"threshold": 0.5}).json()
    assert body["threshold"] == 0.5
    assert body["signals"], "some BUY/SELL signal has confidence >= 0.5"
    assert all(s["confidence"] >= 0.5 and s["action"] in ("BUY", "SELL") for s in body["signals"])
    assert client.post("/signals", json={"threshold": 1.5}).status_code == 422


def test_models_lists_champion_version_and_metrics(client, artifact_dir, trained):
    body = client.get("/models").json()
    champion = body["champion"]
    assert champion["version"] == artifact_version(artifact_dir)
    assert champion["model"] == "ridge" and champion["lookback"] == trained.lookback
    assert champion["metrics"]["val_ic"] == pytest.approx(trained.metrics["val_ic"])
    assert body["challenger"] is None


def test_new_bar_moves_predictions_to_it(client, feed, market):
    feed.push(market.bar(0))
    wait_for(lambda: client.post("/predict", json={"symbol": "S01"}).json()["timestamp"]
             == market.stamps[HISTORY].isoformat(), what="the new bar to be scored")


def test_metrics_count_requests_and_name_the_model(client, artifact_dir):
    client.post("/predict", json={"symbol": "S01"})
    text = client.get("/metrics").text
    assert 'alphafactory_requests_total{endpoint="predict",method="POST",status="200"}' in text
    version = artifact_version(artifact_dir)
    assert f'alphafactory_model_info{{alias="champion",version="{version}"}}' in text
    assert "alphafactory_ws_clients" in text and "alphafactory_scoring_seconds" in text


def test_drift_is_404_until_a_provider_is_attached(client):
    assert client.get("/drift").status_code == 404
    set_drift_provider(client.app, lambda: {"status": "ok", "psi": 0.01})
    assert client.get("/drift").json() == {"status": "ok", "psi": 0.01}


def test_internal_error_is_500_without_trace(client):
    def broken():
        raise RuntimeError("secret detail /home/user/file.py")

    set_drift_provider(client.app, broken)
    response = client.get("/drift")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_oversized_body_is_413(client):
    big = json.dumps({"symbols": ["S01"] * 20000})
    response = client.post("/predict", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_backtest_job_lifecycle(client, market):
    start = market.stamps[100].date().isoformat()
    response = client.post("/backtest", json={"symbols": ["S01", "S02", "S03", "S04", "S05"],
                                              "start": start, "cost": "fixed", "cost_bps": 5,
                                              "initial_capital": 250000})  # fmt: skip
    assert response.status_code == 202
    job = response.json()
    assert job["status"] in ("queued", "running", "done") and job["version"]
    done = wait_for(lambda: (j := client.get(f"/backtest/{job['id']}").json())["status"]
                    in ("done", "failed") and j, what="the backtest job")  # fmt: skip
    assert done["status"] == "done", done["error"]
    assert done["metrics"]["final_equity"] > 0 and "sharpe" in done["metrics"]
    run_dir = Path(done["run_dir"])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    recorded = metrics["models"]["ridge"]["final_equity"]
    assert recorded == pytest.approx(done["metrics"]["final_equity"])


def test_backtest_bad_requests(client, market):
    assert client.get("/backtest/nope").status_code == 404
    unknown = client.post("/backtest", json={"symbols": ["NOPE"]})
    assert unknown.status_code == 404
    backwards = client.post("/backtest", json={"start": "2011-01-05", "end": "2011-01-01"})
    assert backwards.status_code == 422
    late = client.post("/backtest", json={"start": "2030-01-01"}).json()
    failed = wait_for(lambda: (j := client.get(f"/backtest/{late['id']}").json())["status"]
                      in ("done", "failed") and j, what="the job to fail")  # fmt: skip
    assert failed["status"] == "failed" and "fewer than 2 bars" in failed["error"]


def test_confidence_uses_the_runs_out_of_sample_scores(trained, market, tmp_path):
    from fastapi.testclient import TestClient

    from alphafactory.feeds import ManualFeed
    from alphafactory.serve import create_app

    from .conftest import make_config

    path = trained.save(tmp_path / "run" / "model")
    oos = pd.DataFrame({"timestamp": market.stamps[:4], "symbol": "S01", "model": "ridge",
                        "fold": 0, "score": [-4.0, -1.0, 1.0, 4.0], "label": 0.0})  # fmt: skip
    oos.to_parquet(tmp_path / "run" / "predictions.parquet")
    app = create_app(make_config(path, tmp_path), ManualFeed(market.history()))
    with TestClient(app) as client:
        body = client.post("/predict", json={"symbols": ["S01", "S02"]}).json()
    assert body["confidence_basis"] == "out_of_sample"
    # every |score| of the tiny ridge is below 1: the 0th percentile of [1, 1, 4, 4]
    assert [s["confidence"] for s in body["signals"]] == [0.0, 0.0]
