"""Bars the server holds (history plus what the feed delivered) and the latest signals."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import DataError
from alphafactory.serve.config import ActionRule
from alphafactory.serve.served_model import ServedModel

__all__ = ["BarBook", "Snapshot", "make_snapshot"]


class BarBook:
    """All bars received, and a tail of the last ``keep`` timestamps that scoring reads.

    New bars are appended as whole timestamps; the tail is rebuilt from per-timestamp pieces,
    so appending costs one concatenation of ``keep`` timestamps, not of the whole history.
    """

    def __init__(self, history: pd.DataFrame, keep: int) -> None:
        if history.empty or not isinstance(history.index, pd.MultiIndex):
            raise DataError("the server needs a non-empty (timestamp, symbol) history of bars.")
        self.keep = max(1, int(keep))
        self._chunks: list[pd.DataFrame] = [history]
        self._full: pd.DataFrame | None = history
        stamps = pd.DatetimeIndex(history.index.get_level_values(0).unique())
        cut = stamps[max(0, len(stamps) - self.keep)]
        tail = history[history.index.get_level_values(0) >= cut]
        self._pieces: list[pd.DataFrame] = [tail]
        self._piece_stamps = [len(stamps) - max(0, len(stamps) - self.keep)]
        self.tail = tail
        self.last: pd.Timestamp = stamps.max()
        self.symbols: frozenset[str] = frozenset(map(str, history.index.get_level_values(1)))

    def append(self, bars: pd.DataFrame) -> None:
        """Add the bars of one new timestamp (later than every bar held)."""
        stamp = bars.index.get_level_values(0).max()
        if stamp <= self.last:
            raise DataError(f"bar {stamp} is not after the last bar held ({self.last}).")
        self._chunks.append(bars)
        self._full = None
        self._pieces.append(bars)
        self._piece_stamps.append(1)
        while sum(self._piece_stamps) - self._piece_stamps[0] >= self.keep:
            self._pieces.pop(0)
            self._piece_stamps.pop(0)
        tail = pd.concat(self._pieces)
        total = sum(self._piece_stamps)
        if total > self.keep:  # the first piece is longer than needed: cut it once
            stamps = pd.DatetimeIndex(tail.index.get_level_values(0).unique())
            tail = tail[tail.index.get_level_values(0) >= stamps[total - self.keep]]
            self._pieces, self._piece_stamps = [tail], [self.keep]
        self.tail = tail
        self.last = stamp
        new = frozenset(map(str, bars.index.get_level_values(1))) - self.symbols
        if new:
            self.symbols = self.symbols | new

    def full(self) -> pd.DataFrame:
        """Every bar held, one frame (concatenated once per change)."""
        if self._full is None:
            self._full = pd.concat(self._chunks)
            self._chunks = [self._full]
        return self._full


@dataclass(frozen=True, kw_only=True, slots=True)
class Snapshot:
    """The latest signals of one served model: immutable, swapped whole.

    ``records`` maps a symbol to its signal (plain JSON types); ``bodies`` holds each symbol's
    WebSocket message text (without ``seq``), serialized once for every subscriber.
    """

    served: ServedModel
    timestamp: pd.Timestamp
    basis: str
    records: dict[str, dict[str, Any]]
    bodies: dict[str, str]


def make_snapshot(served: ServedModel, scores: pd.Series, rule: ActionRule,
                  received_at: float | None = None) -> Snapshot:  # fmt: skip
    """Signals of the latest timestamp of ``scores`` (a ``(timestamp, symbol)`` Series)."""
    if scores.empty:
        raise DataError(f"model {served.version} scored no symbol (too little history?).")
    stamp = scores.index.get_level_values(0).max()
    latest = scores.xs(stamp, level=0) if isinstance(scores.index, pd.MultiIndex) else scores
    values = latest.to_numpy(dtype=np.float64)
    n = len(values)
    ranks = (latest.rank(method="average").to_numpy() - 1) / (n - 1) if n > 1 else np.full(n, 0.5)
    confidence, basis = served.confidence(values)
    when = stamp.isoformat()
    published = time.time()
    records: dict[str, dict[str, Any]] = {}
    bodies: dict[str, str] = {}
    for symbol, s, r, c in zip(map(str, latest.index), values, ranks, confidence, strict=True):
        record = {"symbol": symbol, "score": float(s), "rank": float(r),
                  "action": rule.action(float(r)), "confidence": float(c), "timestamp": when}
        records[symbol] = record
        bodies[symbol] = json.dumps(
            {"type": "signal", **record, "model": served.alias, "version": served.version,
             "bar_received_at": received_at, "published_at": published},
            separators=(",", ":"))  # fmt: skip
    return Snapshot(served=served, timestamp=stamp, basis=basis, records=records, bodies=bodies)
