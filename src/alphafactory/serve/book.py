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

    Appending a timestamp drops the tail's oldest one (a positional slice) and concatenates
    the new rows: two frames, not one per timestamp.
    """

    def __init__(self, history: pd.DataFrame, keep: int) -> None:
        if history.empty or not isinstance(history.index, pd.MultiIndex):
            raise DataError("the server needs a non-empty (timestamp, symbol) history of bars.")
        self.keep = max(1, int(keep))
        self._chunks: list[pd.DataFrame] = [history]
        self._full: pd.DataFrame | None = history
        stamps = pd.DatetimeIndex(history.index.get_level_values(0).unique())
        self._count = min(len(stamps), self.keep)
        self.tail = history[history.index.get_level_values(0) >= stamps[-self._count]]
        self.last: pd.Timestamp = stamps.max()
        self.symbols: frozenset[str] = frozenset(map(str, history.index.get_level_values(1)))

    def append(self, bars: pd.DataFrame) -> None:
        """Add the bars of one new timestamp (later than every bar held)."""
        stamp = bars.index.get_level_values(0).max()
        if stamp <= self.last:
            raise DataError(f"bar {stamp} is not after the last bar held ({self.last}).")
        self._chunks.append(bars)
        self._full = None
        tail = self.tail
        if self._count >= self.keep:
            level = tail.index.get_level_values(0)
            tail = tail.iloc[level.searchsorted(level[0], side="right"):]
        else:
            self._count += 1
        self.tail = pd.concat([tail, bars])
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
