"""/ready: a stale feed or a model that cannot score makes the server not ready, with reasons."""

from __future__ import annotations

import time

import pandas as pd
from fastapi.testclient import TestClient

from alphafactory.feeds import ManualFeed
from alphafactory.serve import create_app

from .conftest import make_config


class StaleFeed(ManualFeed):
    """A feed whose clock is three bars ahead of anything delivered."""

    def lag(self, last: pd.Timestamp | None) -> float:
        return 3.0


def test_stale_feed_is_not_ready(artifact_dir, market, tmp_path):
    app = create_app(make_config(artifact_dir, tmp_path), StaleFeed(market.history()))
    with TestClient(app) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["ready"] is False and body["lag_bars"] == 3.0
        assert "3.0 bar intervals old" in body["reasons"][0]
        assert client.get("/health").status_code == 200  # alive all the same


def test_a_bar_that_cannot_be_scored_is_reported_and_old_signals_stay(artifact_dir, market,
                                                                      tmp_path):  # fmt: skip
    feed = ManualFeed(market.history())
    with TestClient(create_app(make_config(artifact_dir, tmp_path), feed)) as client:
        before = client.post("/predict", json={"symbol": "S01"}).json()
        service = client.app.state.service

        def broken(*args, **kwargs):
            raise RuntimeError("no scores today")

        service._score_tail = broken
        bar = market.bar(0).copy()
        feed.push(bar)
        deadline = time.monotonic() + 30
        while client.get("/ready").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        reasons = client.get("/ready").json()["reasons"]
        assert any("no scores today" in r for r in reasons)
        assert client.post("/predict", json={"symbol": "S01"}).json() == before
