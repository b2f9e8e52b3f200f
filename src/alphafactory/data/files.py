"""Bars from the user's files: one CSV or Parquet file, or a folder of per-symbol files.

Every file is validated row by row (:mod:`alphafactory.data.validation`) with a policy
(``raise | drop | repair``); errors name the file, the line (CSV: the physical line, the header
being line 1) or row (Parquet: the 0-based row index), the field and the rule. A file without a
``symbol`` column holds one symbol, named by the file's stem (``data/AAPL.csv`` -> ``AAPL``);
the result is always a ``(timestamp, symbol)`` panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.data.arrow_table import read_parquet_fast
from alphafactory.data.csv_io import read_and_validate
from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS
from alphafactory.data.schema import normalize_bars
from alphafactory.data.table import canonical_name, check_unique_columns, to_table
from alphafactory.data.validation import ValidationReport, apply_policy, validate_table
from alphafactory.errors import DataError, SourceNotFoundError

CSV_SUFFIXES: frozenset[str] = frozenset({".csv", ".txt"})
PARQUET_SUFFIXES: frozenset[str] = frozenset({".parquet", ".pq"})


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadOptions:
    """How to read and check files: date format, zone, column names, calendar, policy."""

    date_format: str | None = None
    tz: str | None = None
    columns: Mapping[str, str] | None = None
    calendar: str | None = None
    on_error: str = "raise"


def bar_files(folder: Path) -> list[Path]:
    """The CSV and Parquet files directly in ``folder`` (hidden files skipped), sorted."""
    files = [
        p
        for p in sorted(folder.iterdir())
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in CSV_SUFFIXES | PARQUET_SUFFIXES
    ]
    if not files:
        raise SourceNotFoundError(
            f"{folder}: no .csv or .parquet file in the folder (rule: one file per symbol, "
            "named SYMBOL.csv or SYMBOL.parquet)."
        )
    stems = pd.Series([p.stem for p in files])
    dup = stems[stems.duplicated()].tolist()
    if dup:
        raise DataError(
            f"{folder}: symbol(s) {dup} have more than one file (rule: one file per symbol)."
        )
    return files


def read_table(path: Path, options: ReadOptions) -> tuple[pd.DataFrame, ValidationReport]:
    """Read one CSV or Parquet file into the flat table and its validation report."""
    if not path.is_file():
        raise SourceNotFoundError(f"No bars file at {path}.")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise DataError(
            f"{path}: unknown bars file type {suffix or '(none)'!r} (rule: .csv or .txt for CSV, "
            ".parquet or .pq for Parquet)."
        )
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet_table(path, options)
    return read_and_validate(
        path,
        calendar=options.calendar,
        date_format=options.date_format,
        tz=options.tz,
        columns=options.columns,
    )


def read_bars_file(
    path: Path, options: ReadOptions, *, symbol: str | None = None
) -> tuple[pd.DataFrame, ValidationReport]:
    """Bars of one file as a panel; rows without a symbol get ``symbol`` (default: the stem)."""
    table, report = read_table(path, options)
    table = with_symbol(table, symbol or path.stem, path)
    bars, report = apply_policy(table, report, options.on_error)
    return as_panel(bars, symbol or path.stem), report


def read_bars_folder(
    folder: Path, options: ReadOptions
) -> tuple[pd.DataFrame, list[ValidationReport]]:
    """Bars of every per-symbol file in ``folder`` as one panel, and each file's report."""
    frames, reports = [], []
    for path in bar_files(folder):
        bars, report = read_bars_file(path, options)
        frames.append(bars)
        reports.append(report)
    panel = pd.concat(frames).sort_index(kind="stable")
    if not panel.index.is_unique:
        dup = panel.index[panel.index.duplicated()][0]
        raise DataError(
            f"{folder}: bar {dup[1]} at {dup[0].isoformat()} appears in two files "
            "(rule: one file per symbol)."
        )
    return normalize_bars(panel), reports


def with_symbol(table: pd.DataFrame, symbol: str, path: Path) -> pd.DataFrame:
    """Fill the table's empty symbols with ``symbol``; a file of one symbol must not name others."""
    blank = table["symbol"].eq("")
    if blank.all():
        table = table.copy()
        table["symbol"] = symbol
        return table
    if blank.any():
        row = table.loc[blank, "row"].iloc[0]
        label = "row" if path.suffix.lower() in PARQUET_SUFFIXES else "line"
        raise DataError(
            f"{path} {label} {row}: field symbol is empty (rule: a file with a symbol column "
            "names the symbol on every row); got ''."
        )
    return table


def as_panel(bars: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """``bars`` indexed by ``(timestamp, symbol)`` (a single-symbol frame gets ``symbol``)."""
    if isinstance(bars.index, pd.MultiIndex):
        return bars
    attrs = dict(bars.attrs)
    out = bars.set_axis(
        pd.MultiIndex.from_arrays(
            [bars.index, pd.Index(np.full(len(bars), symbol, dtype=object))],
            names=list(INDEX_NAMES),
        )
    )
    out.attrs = attrs
    return out


def _read_parquet_table(
    path: Path, options: ReadOptions
) -> tuple[pd.DataFrame, ValidationReport]:
    """A Parquet file's flat table; rows are named by their 0-based index in the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fast = read_parquet_fast(path, date_format=options.date_format, tz=options.tz,
                             columns=options.columns)  # fmt: skip
    if fast is not None:  # a clean file, read column-wise
        table, unparsable = fast
        report = validate_table(table, unparsable, asset_class="equities",
                                calendar=options.calendar, source=str(path),
                                row_label="row")  # fmt: skip
        return table, report
    try:
        arrow = pq.read_table(path)
        names = [str(n) for n in arrow.column_names]
        check_unique_columns([canonical_name(n) for n in names], names, str(path))
        frame = arrow.to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{path}: not a readable Parquet file (rule: Parquet with columns timestamp, "
            f"{', '.join(OHLCV_COLUMNS)}); got: {' '.join(str(exc).split())}"
        ) from None
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    if not len(frame):
        raise DataError(
            f"{path}: no rows (rule: at least one bar); got 0 rows with columns "
            f"{[str(c) for c in frame.columns]}."
        )
    table, unparsable = to_table(
        frame.reset_index(drop=True),
        rows=np.arange(len(frame)),
        date_format=options.date_format,
        tz=options.tz,
        columns=options.columns,
        source=str(path),
        row_label="row",
    )
    report = validate_table(
        table,
        unparsable,
        asset_class="equities",
        calendar=options.calendar,
        source=str(path),
        row_label="row",
    )
    return table, report
