"""Bars as Parquet (pyarrow): the same contract as CSV, with ``attrs`` kept as metadata.

A file holds the columns ``timestamp`` (UTC, ns), optionally ``symbol``, then
``open, high, low, close, volume`` (float64); ``bars.attrs`` is stored as JSON under the schema
metadata key ``alphafactory.attrs``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS
from alphafactory.data.schema import check_bars, normalize_bars
from alphafactory.data.timestamps import Where, parse_timestamps
from alphafactory.errors import DataError, SourceNotFoundError

ATTRS_KEY = b"alphafactory.attrs"


def write_parquet(
    bars: pd.DataFrame, path: str | Path, *, compression: str = "zstd", compression_level: int = 9
) -> Path:
    """Write Bars to ``path`` (parents created); return the path.

    Parameters
    ----------
    bars : DataFrame
        Bars (one symbol or a panel); normalized to the contract before writing.
    path : str or Path
        Destination ``.parquet`` file.
    compression : str
        Parquet codec (``"zstd"``, ``"snappy"``, ``"none"``...).
    compression_level : int
        Codec level (zstd: 1-22). Floats are stored with byte-stream-split encoding, which
        compresses price series about a quarter better than dictionary encoding.
    """
    bars = normalize_bars(bars)
    check_bars(bars)
    flat = bars.reset_index()
    if "symbol" in flat.columns:
        flat["symbol"] = flat["symbol"].astype(str)
    table = pa.Table.from_pandas(flat, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[ATTRS_KEY] = json.dumps(bars.attrs, sort_keys=True, default=str).encode()
    table = table.replace_schema_metadata(metadata)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Beside the target, then renamed: a failed write never leaves half a file at ``path``.
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        _write(table, partial, flat, compression, compression_level)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _write(table, path: Path, flat: pd.DataFrame, compression: str, level: int) -> None:
    pq.write_table(
        table,
        path,
        compression=compression,
        compression_level=None if compression in ("none", "snappy") else level,
        use_dictionary=["symbol"] if "symbol" in flat.columns else False,
        use_byte_stream_split=list(OHLCV_COLUMNS),
    )


def read_parquet(path: str | Path) -> pd.DataFrame:
    """Read Bars written by :func:`write_parquet` (or any file with the same columns).

    Returns
    -------
    DataFrame
        Bars indexed by ``timestamp`` or ``(timestamp, symbol)``, ``attrs`` restored.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"No Parquet file at {path}.")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{path}: not a readable Parquet file; got: {' '.join(str(exc).split())}"
        ) from None
    names = set(table.column_names)
    missing = [c for c in ("timestamp", *OHLCV_COLUMNS) if c not in names]
    if missing:
        raise DataError(
            f"{path}: a Bars Parquet file needs columns timestamp, {', '.join(OHLCV_COLUMNS)}; "
            f"missing {missing} (has {table.column_names})."
        )
    frame = table.to_pandas()
    if not pa.types.is_timestamp(table.schema.field("timestamp").type):
        # Epoch numbers: pandas would read seconds as nanoseconds; tell the unit by magnitude.
        stamps, bad, _ = parse_timestamps(
            frame["timestamp"], where=Where(source=str(path), label="row")
        )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path} row {i} (0-based): field timestamp {frame['timestamp'].iloc[i]!r} is "
                "not a date or epoch number in 1677-09-22..2262-04-11."
            )
        frame["timestamp"] = stamps
    keys = list(INDEX_NAMES) if "symbol" in names else ["timestamp"]
    bars = normalize_bars(frame.set_index(keys))
    raw = (table.schema.metadata or {}).get(ATTRS_KEY)
    bars.attrs = json.loads(raw) if raw else {}
    return bars
