"""The server's score cache: on disk by default, Redis by URL.

``score()`` is the one inference path and builds its features itself, so what the server keeps is
its output for a given input: entries are keyed by the data fingerprint of the bars scored, the
model's feature spec (names, parameters, dtype, lookback, warm-up), the model version and what
was asked (``last`` or a date range). A restart, a second replica sharing Redis, or a repeated
backtest over the same bars reads the scores instead of rebuilding features. Values are Parquet
bytes of the score Series; writes are atomic (a temporary file renamed, or one Redis SET).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd

from alphafactory.errors import ConfigError

__all__ = ["DiskCache", "RedisCache", "ScoreCache", "cache_key", "open_cache"]

log = logging.getLogger(__name__)
DEFAULT_DIR = Path(".alphafactory-cache") / "serve"


def cache_key(data_fingerprint: str, feature_spec: str, version: str, what: str) -> str:
    """The entry name of one scoring: hex SHA-256 of its four parts."""
    text = "\0".join(("scores-v1", data_fingerprint, feature_spec, version, what))
    return hashlib.sha256(text.encode()).hexdigest()


def _dump(scores: pd.Series) -> bytes:
    buf = io.BytesIO()
    scores.to_frame("score").to_parquet(buf)
    return buf.getvalue()


def _load(data: bytes) -> pd.Series:
    return pd.read_parquet(io.BytesIO(data))["score"]


class ScoreCache(ABC):
    """Scores by key; a miss is None. Failures of the store are logged, never raised."""

    hits: int = 0
    misses: int = 0

    @abstractmethod
    def _get(self, key: str) -> bytes | None: ...

    @abstractmethod
    def _put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def describe(self) -> str:
        """Where entries live (for /models and logs)."""

    def get(self, key: str) -> pd.Series | None:
        try:
            data = self._get(key)
            value = None if data is None else _load(data)
        except Exception as exc:  # a cache is an optimisation: never fail a request for it
            log.warning("score cache %s: read of %s failed (%s)", self.describe(), key[:12], exc)
            value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, scores: pd.Series) -> None:
        try:
            self._put(key, _dump(scores))
        except Exception as exc:
            log.warning("score cache %s: write of %s failed (%s)", self.describe(), key[:12], exc)

    def close(self) -> None:  # noqa: B027 - a cache without connections has nothing to close
        """Release connections."""


class DiskCache(ScoreCache):
    """One Parquet file per entry under ``root`` (created on first write)."""

    def __init__(self, root: str | Path = DEFAULT_DIR) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.parquet"

    def _get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, path)


class RedisCache(ScoreCache):
    """Entries in Redis under ``alphafactory:scores:<key>``, expiring after ``ttl`` seconds."""

    def __init__(self, url: str, ttl: int = 7 * 24 * 3600) -> None:
        import redis

        self.url, self.ttl = url, ttl
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)

    def describe(self) -> str:
        return self.url.split("@")[-1]  # no password in logs

    def ping(self) -> bool:
        return bool(self._client.ping())

    def _get(self, key: str) -> bytes | None:
        return self._client.get(f"alphafactory:scores:{key}")

    def _put(self, key: str, data: bytes) -> None:
        self._client.set(f"alphafactory:scores:{key}", data, ex=self.ttl)

    def close(self) -> None:
        self._client.close()


def open_cache(spec: str | None) -> ScoreCache | None:
    """The cache a ``--cache`` value names: None/"" = the default directory, ``off``,
    ``redis://...`` / ``rediss://...``, or a directory path.

    Raises
    ------
    ConfigError
        When a Redis URL does not answer a PING.
    """
    if spec == "off":
        return None
    if spec and spec.startswith(("redis://", "rediss://", "unix://")):
        cache = RedisCache(spec)
        try:
            cache.ping()
        except Exception as exc:
            raise ConfigError(
                f"--cache {cache.describe()}: Redis does not answer ({exc})."
            ) from exc
        return cache
    return DiskCache(Path(spec) if spec else DEFAULT_DIR)
