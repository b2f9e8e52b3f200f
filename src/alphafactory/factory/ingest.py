"""Incremental ingest: append the source's new bars to the factory's cached bars.

A factory cycle loads its data source, keeps the bars it has cached from earlier cycles and
appends only timestamps after the cached ones. A source that rewrites history (a bar already
cached now has other prices, e.g. a new split adjustment) is taken as the new truth for the whole
panel and said so in the log, because mixing adjusted and unadjusted prices would be worse.
The merged bars are then revalidated by the cycle like any other data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.runs import atomic_write

__all__ = ["IngestReport", "ingest"]

_log = logging.getLogger("alphafactory.factory")


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one ingest did: bars cached before, bars appended, and whether history changed."""

    cached: int
    appended: int
    rewritten: bool
    path: Path


def _write(path: Path, bars: pd.DataFrame) -> None:
    # The runs layer's atomic write: a temporary that follows the umask, renamed into place.
    atomic_write(path, lambda tmp: bars.to_parquet(tmp, engine="pyarrow"))


def ingest(source_bars: pd.DataFrame, cache: str | Path) -> tuple[pd.DataFrame, IngestReport]:
    """Merge ``source_bars`` into the cache at ``cache`` (Parquet); return the merged bars.

    Bars are long frames indexed ``(timestamp, symbol)``. New timestamps are appended; on the
    overlap the cached bars are kept unless the source disagrees (then the source replaces the
    cache, see the module docstring). The cache is written atomically.
    """
    path = Path(cache)
    if not path.is_file():
        _write(path, source_bars)
        return source_bars, IngestReport(0, len(source_bars), False, path)
    cached = pd.read_parquet(path)
    last = cached.index.get_level_values("timestamp").max()
    stamps = source_bars.index.get_level_values("timestamp")
    overlap = source_bars[stamps <= last]
    common = overlap.index.intersection(cached.index)
    columns = [c for c in cached.columns if c in source_bars.columns]
    left = cached.loc[common, columns].to_numpy(dtype=np.float64)
    right = overlap.loc[common, columns].to_numpy(dtype=np.float64)
    same = np.isclose(left, right, rtol=1e-9, atol=0.0, equal_nan=True).all(axis=1)
    if not same.all():
        _log.warning("%s: the source changed %d cached bars (a new adjustment?); the cache is "
                     "replaced by the source", path, int((~same).sum()))  # fmt: skip
        _write(path, source_bars)
        return source_bars, IngestReport(len(cached), len(source_bars), True, path)
    new = source_bars[stamps > last]
    if not len(new):
        return cached, IngestReport(len(cached), 0, False, path)
    merged = pd.concat([cached, new[cached.columns]]).sort_index()
    _write(path, merged)
    return merged, IngestReport(len(cached), len(new), False, path)
