"""How a store file is written back: its own column names, date format and time zone.

A stored file keeps the header it had (``Date,Open,...`` stays so, a ``columns`` mapping's old
names stay the old names), its date format (``date_format`` of the source, else ``YYYY-MM-DD``
for daily bars and ISO-8601 UTC for intraday ones) and its zone (intraday stamps are written as
local times of ``tz`` when the source has one). Floats are written in their shortest round-trip
form, so every stored value reads back exactly. New files get the contract's header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.data.files import PARQUET_SUFFIXES
from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.table import rename_columns
from alphafactory.errors import DataError

WRITABLE: frozenset[str] = frozenset({"timestamp", "symbol", *OHLCV_COLUMNS})


@dataclass(frozen=True, kw_only=True, slots=True)
class FileFormat:
    """The on-disk layout of one store file."""

    parquet: bool
    header: tuple[str, ...]  # raw names, file order
    canonical: tuple[str, ...]  # contract names, same order
    date_format: str | None = None
    tz: str | None = None


def read_format(path: Path, source: object, *, per_symbol: bool) -> FileFormat:
    """The format of ``path`` (existing or new) for ``source`` (a BarsSource).

    Raises
    ------
    DataError
        When the file has a column the store cannot write (``adj_close``, ``dividends``...):
        rewriting it would lose that column, so nothing is written.
    """
    columns = getattr(source, "columns", None) or {}
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    if path.exists():
        header = _existing_header(path, parquet)
        canonical = rename_columns(list(header), columns, str(path))
        extra = [raw for raw, c in zip(header, canonical, strict=True) if c not in WRITABLE]
        if extra:
            raise DataError(
                f"{path} line 1 (header): column(s) {extra} cannot be kept by a store update "
                "(rule: a store file holds only timestamp, symbol, open, high, low, close, "
                f"volume); got header {list(header)}; nothing written."
            )
    else:
        canonical = ["timestamp", *([] if per_symbol else ["symbol"]), *OHLCV_COLUMNS]
        inverse = {canonical_new: old for old, canonical_new in columns.items()}
        header = [inverse.get(c, c) for c in canonical]
    return FileFormat(
        parquet=parquet,
        header=tuple(header),
        canonical=tuple(canonical),
        date_format=getattr(source, "date_format", None),
        tz=getattr(source, "tz", None),
    )


def render(bars: pd.DataFrame, fmt: FileFormat, path: Path) -> None:
    """Write ``bars`` (a ``(timestamp, symbol)`` panel) to ``path`` in format ``fmt``."""
    flat = bars.reset_index()
    stamps = pd.DatetimeIndex(flat["timestamp"])
    out = {}
    for raw, name in zip(fmt.header, fmt.canonical, strict=True):
        if name == "timestamp":
            out[raw] = stamps if fmt.parquet else _stamp_text(stamps, fmt)
        elif name == "symbol":
            out[raw] = flat["symbol"].astype(str).to_numpy()
        else:
            out[raw] = flat[name].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(out)
    if fmt.parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")


def _stamp_text(stamps: pd.DatetimeIndex, fmt: FileFormat) -> np.ndarray:
    daily = bool((stamps == stamps.normalize()).all())
    if daily:
        text = stamps.strftime(fmt.date_format or "%Y-%m-%d")
    elif fmt.tz:
        local = stamps.tz_convert(fmt.tz).tz_localize(None)
        text = local.strftime(fmt.date_format or "%Y-%m-%d %H:%M:%S")
    else:
        text = stamps.strftime(fmt.date_format or "%Y-%m-%dT%H:%M:%SZ")
    return np.asarray(text, dtype=object)


def _existing_header(path: Path, parquet: bool) -> list[str]:
    """The stored file's column names; an unreadable file is a DataError naming it."""
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except (pa.ArrowException, OSError) as exc:
            raise DataError(
                f"{path}: not a readable Parquet file (rule: the store's files are bars "
                f"Parquet); got: {' '.join(str(exc).split())}"
            ) from None
        return [n for n in names if not n.startswith("__index_level_")]
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline().rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} line 1: not UTF-8 text (rule: CSV files are UTF-8); got byte "
            f"0x{exc.object[exc.start]:02x} at offset {exc.start}."
        ) from None
    return first.split(",")
