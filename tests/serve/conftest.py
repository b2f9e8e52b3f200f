"""Fixtures of the server tests: a tiny ridge model trained on synthetic bars, apps over a
ManualFeed (the test pushes each new bar), and a real uvicorn on an ephemeral loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from alphafactory.data import synthetic_market  # noqa: E402
from alphafactory.features import build_features  # noqa: E402
from alphafactory.feeds import ManualFeed  # noqa: E402
from alphafactory.labels import forward_returns  # noqa: E402
from alphafactory.models import ModelArtifact  # noqa: E402
from alphafactory.serve import ServeConfig, create_app  # noqa: E402
from alphafactory.training import WalkForward  # noqa: E402
from alphafactory.training.final import fit_final  # noqa: E402

N_SYMBOLS = 12
N_BARS = 400
HISTORY = 300  # timestamps the feed starts with; the rest are pushed by tests


@dataclass(frozen=True)
class Market:
    bars: pd.DataFrame
    stamps: pd.DatetimeIndex

    def history(self) -> pd.DataFrame:
        return self.bars[self.bars.index.get_level_values(0) < self.stamps[HISTORY]]

    def bar(self, k: int) -> pd.DataFrame:
        """The bars of the k-th timestamp after the history."""
        return self.bars.xs(self.stamps[HISTORY + k], level=0, drop_level=False)


@pytest.fixture(scope="session")
def market() -> Market:
    bars = synthetic_market(n_symbols=N_SYMBOLS, n_bars=N_BARS, alpha_ic=0.1, seed=0).bars
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
    return Market(bars=bars, stamps=stamps)


@pytest.fixture(scope="session")
def trained(market: Market) -> ModelArtifact:
    features = build_features(market.bars, ["ret_1", "cs_z_ret_1"])
    labels = forward_returns(market.bars, 1, entry="next_open")
    return fit_final(features, labels, model="ridge", lookback=5,
                     splitter=WalkForward(train=150, val=40, test=60))  # fmt: skip


@pytest.fixture
def artifact_dir(trained: ModelArtifact, tmp_path: Path) -> Path:
    """A fresh copy of the model as ``<run>/model`` (no predictions.parquet beside it)."""
    return trained.save(tmp_path / "run" / "model")


def retrained(trained: ModelArtifact, seed: int) -> ModelArtifact:
    """The same model with other metadata (a new version: artifact.json differs)."""
    return replace(trained, seed=seed)


def make_config(artifact: Path, tmp_path: Path, **changes) -> ServeConfig:
    base = dict(artifact=artifact, watch_seconds=0, cache=str(tmp_path / "cache"),
                runs_dir=tmp_path / "runs")  # fmt: skip
    base.update(changes)
    return ServeConfig(**base)


@pytest.fixture
def feed(market: Market) -> ManualFeed:
    return ManualFeed(market.history(), interval="1D")


@pytest.fixture
def client(artifact_dir: Path, feed: ManualFeed, tmp_path: Path):
    from fastapi.testclient import TestClient

    from alphafactory.serve.cache import DiskCache

    app = create_app(make_config(artifact_dir, tmp_path), feed, DiskCache(tmp_path / "cache"))
    with TestClient(app) as test_client:
        yield test_client


def free_socket(sndbuf: int | None = None) -> socket.socket:
    """A listening loopback socket on an ephemeral port (accepted sockets inherit SO_SNDBUF)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextlib.contextmanager
def live_server(app, sndbuf: int | None = None) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread on 127.0.0.1; yield its base URL."""
    sock = free_socket(sndbuf)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           ws_max_size=1 << 20))  # fmt: skip
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              daemon=True)  # fmt: skip
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
