"""The score cache: on disk and in a real redis-server started on 127.0.0.1 by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.serve.cache import DiskCache, RedisCache, cache_key, open_cache


def scores() -> pd.Series:
    index = pd.MultiIndex.from_product(
        [pd.DatetimeIndex(["2024-01-02"], tz="UTC"), ["AAPL", "MSFT"]],
        names=["timestamp", "symbol"],
    )
    return pd.Series(np.array([0.25, -1.5]), index=index, name="score")


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs Debian's redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cache_key_changes_with_each_part():
    base = ("sha256:a", "spec", "ridge@1", "last")
    keys = {cache_key(*base)}
    for i, other in enumerate(("sha256:b", "spec2", "ridge@2", "all")):
        parts = list(base)
        parts[i] = other
        keys.add(cache_key(*parts))
    assert len(keys) == 5


def test_disk_cache_round_trip_and_miss(tmp_path):
    cache = open_cache(str(tmp_path / "c"))
    assert isinstance(cache, DiskCache)
    assert cache.get("00ff") is None and cache.misses == 1
    cache.put("00ff", scores())
    pd.testing.assert_series_equal(cache.get("00ff"), scores())
    assert cache.hits == 1
    assert open_cache("off") is None


def test_disk_cache_corrupt_entry_is_a_miss(tmp_path):
    cache = DiskCache(tmp_path)
    cache.put("abcd", scores())
    next(tmp_path.rglob("abcd.parquet")).write_bytes(b"not parquet")
    assert cache.get("abcd") is None


def test_redis_cache_round_trip(redis_url):
    cache = open_cache(redis_url)
    assert isinstance(cache, RedisCache)
    assert cache.get("k1") is None
    cache.put("k1", scores())
    pd.testing.assert_series_equal(cache.get("k1"), scores())
    again = RedisCache(redis_url)  # another replica sees the entry
    pd.testing.assert_series_equal(again.get("k1"), scores())
    cache.close()
    again.close()


def test_redis_url_that_does_not_answer_is_a_config_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError, match="Redis does not answer"):
        open_cache(f"redis://127.0.0.1:{port}/0")


def test_server_reads_its_first_scores_from_redis_after_a_restart(redis_url, artifact_dir,
                                                                   market, tmp_path):  # fmt: skip
    from fastapi.testclient import TestClient

    from alphafactory.feeds import ManualFeed
    from alphafactory.serve import create_app

    from .conftest import make_config

    config = make_config(artifact_dir, tmp_path, cache=redis_url)
    bodies, hits = [], []
    for _ in range(2):
        cache = open_cache(redis_url)
        with TestClient(create_app(config, ManualFeed(market.history()), cache)) as client:
            bodies.append(client.post("/predict", json={"symbols": ["S01", "S02"]}).json())
            hits.append(cache.hits)
    assert hits == [0, 1]
    assert bodies[0] == bodies[1]
