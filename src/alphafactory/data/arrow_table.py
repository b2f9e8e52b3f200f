"""Fast paths to the flat table: clean CSV and Parquet files read column-wise by pyarrow.

The careful readers (:mod:`alphafactory.data.csv_io`, :mod:`alphafactory.data.table`) handle any
file and name every bad line; they hold each cell as a Python string, which costs seconds and
gigabytes on millions of rows. A clean file, the usual case, needs none of that: pyarrow parses
the numbers in C, the timestamp and symbol columns come dictionary-encoded, and only their
distinct values (a few thousand dates, a few hundred symbols) go through the careful parsers.

Each function here returns the same ``(table, unparsable)`` pair the careful path would, or
None at the first doubt (a quote, a blank or ragged line, a cell that is not a number, a
timestamp the careful parser refuses, ...), so the caller falls back to the careful path, which
finds and names the problem. The symbol column of the table is categorical (sorted categories).
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.table import canonical_name, rename_columns
from alphafactory.data.timestamps import STAMP_RANGE, Where, parse_timestamps
from alphafactory.errors import DataError

_HEAD_BYTES = 8192
_SCAN_BYTES = 1 << 23
_TEXT = pa.dictionary(pa.int32(), pa.string())


def read_csv_fast(
    path: Path, *, date_format: str | None, tz: str | None, columns
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """The flat table of a clean CSV file (rows are lines 2..n+1), or None to read it carefully."""
    import pyarrow.csv as pcsv

    header = _header(path)
    if header is None:
        return None
    names = _names(header, columns, str(path))
    if names is None:
        return None
    quoted, spaced = _scan(path)
    if quoted:  # quoted fields (and the lines they span) are the careful reader's business
        return None
    # Padded numbers: pyarrow's CSV reader trims them, the careful path parses them with pandas;
    # read them as text and cast exactly as the careful path's first attempt does.
    number = pa.string() if spaced else pa.float64()
    kinds = zip(header, names, strict=True)
    types = {raw: (number if name in _NUMBERS else _TEXT) for raw, name in kinds}
    convert = pcsv.ConvertOptions(column_types=types, null_values=[], strings_can_be_null=False,
                                  quoted_strings_can_be_null=False, check_utf8=True)  # fmt: skip
    # No quoting and no skipped lines: row i is line i + 2; the system allocator hands freed
    # Arrow buffers back to the numpy arrays made from them.
    parse = pcsv.ParseOptions(quote_char=False, ignore_empty_lines=False)
    try:
        arrow = pcsv.read_csv(path, parse_options=parse, convert_options=convert,
                              memory_pool=pa.system_memory_pool())  # fmt: skip
    except (pa.ArrowException, OSError, ValueError):
        return None
    if arrow.num_rows == 0 or arrow.column_names != header:
        return None
    rows = np.arange(2, arrow.num_rows + 2)
    by_name = dict(zip(names, arrow.columns, strict=True))
    del arrow  # the columns are released one by one as they are converted
    return table_from_arrow(by_name, rows, date_format=date_format, tz=tz, source=str(path))


def read_parquet_fast(
    path: Path, *, date_format: str | None, tz: str | None, columns
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """The flat table of a clean Parquet file (rows are 0-based indices), or None."""
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
        header = [str(n) for n in schema.names]
        names = _names(header, columns, str(path))
        if names is None or len(set(header)) != len(header) or file.metadata.num_rows == 0:
            return None
        keep = ("timestamp", "symbol", *_NUMBERS)
        wanted = {n: r for r, n in zip(header, names, strict=True) if n in keep}
        kinds = {n: schema.field(r).type for n, r in wanted.items()}
        if "symbol" in wanted:  # dictionary-encoded: a few hundred strings, not millions
            file = pq.ParquetFile(path, read_dictionary=[wanted["symbol"]])
    except (pa.ArrowException, OSError, ValueError, TypeError):
        return None
    if not pa.types.is_timestamp(kinds["timestamp"]):
        return None  # epoch numbers, dates as text...: the careful path
    if "symbol" in kinds and not pa.types.is_dictionary(kinds["symbol"]):
        if not _is_text(kinds["symbol"]):
            return None
    if any(not pa.types.is_float64(kinds[n]) for n in _NUMBERS if n in kinds):
        return None
    rows = np.arange(file.metadata.num_rows)
    try:
        return table_from_arrow(
            _ParquetColumns(file, wanted), rows, date_format=date_format, tz=tz,
            source=str(path), row_label="row",
        )  # fmt: skip
    except (pa.ArrowException, OSError, KeyError):
        return None


class _ParquetColumns(dict):
    """Canonical name -> column, each read from the file only when popped: one column's Arrow
    copy at a time is in memory, beside the table being filled."""

    def __init__(self, file, raw: dict[str, str]) -> None:
        super().__init__(raw)
        self._file = file

    def pop(self, name, *default):
        if name not in self:
            return default[0] if default else super().pop(name)
        raw = super().pop(name)
        return self._file.read(columns=[raw]).column(0)


_NUMBERS = (*OHLCV_COLUMNS, "adj_close")


def table_from_arrow(
    by_name: dict[str, pa.ChunkedArray],
    rows: np.ndarray,
    *,
    date_format: str | None,
    tz: str | None,
    source: str,
    row_label: str = "line",
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """``(table, unparsable)`` from Arrow columns keyed by canonical name.

    The columns are popped from ``by_name`` as they are converted, so that (once the caller
    holds no other reference) each Arrow column is freed before the next is copied.
    """
    n = len(rows)
    stamps = _timestamps(by_name.pop("timestamp"), date_format, tz, source, row_label)
    if stamps is None:
        return None
    symbol = by_name.pop("symbol", None)
    symbols = _symbols(symbol) if symbol is not None else _blank_symbols(n)
    if symbols is None:
        return None
    release_memory()
    # One float block, filled column by column from the Arrow chunks: pandas would otherwise
    # copy five separate arrays into one block (consolidation), a second copy of the data.
    block = np.empty((len(OHLCV_COLUMNS), n), dtype=np.float64)
    adj = np.empty(n, dtype=np.float64) if "adj_close" in by_name else None
    targets = [
        *zip(OHLCV_COLUMNS, block, strict=True),
        *([("adj_close", adj)] if adj is not None else []),
    ]
    for name, out in targets:
        if not _floats(by_name.pop(name), out):
            return None
        release_memory()
    by_name.clear()
    attrs: dict[str, object] = {}
    if adj is not None:  # the careful path's adjustment, with the same float operations
        with np.errstate(all="ignore"):
            factor = adj / block[3]
            block[:4] *= factor
            block[4] /= factor
        attrs["adjustment"] = "adj_close: OHLC x adj_close/close, volume x close/adj_close"
    table = pd.DataFrame(block.T, columns=list(OHLCV_COLUMNS), copy=False)
    for k, (name, values) in enumerate((("row", rows), ("timestamp", stamps), ("symbol", symbols))):
        table.insert(k, name, values)
    attrs.update(unparsable_text={}, date_format=date_format or "", timestamp_reasons={})
    table.attrs = attrs
    none = np.zeros(n, dtype=bool)
    none.flags.writeable = False  # one shared all-False mask: nothing was unparsable
    unparsable = dict.fromkeys(("timestamp", *OHLCV_COLUMNS), none)
    return table, unparsable


def release_memory() -> None:
    """Hand the pages of freed Arrow buffers back to the system (glibc keeps them otherwise).

    Arrow's reader threads allocate in their own malloc arenas, which numpy cannot reuse: without
    this, the freed Arrow copy of each column stays resident beside its numpy copy.
    """
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _TRIM = False
    if _TRIM:
        _TRIM(0)
    pa.default_memory_pool().release_unused()  # the Parquet reader's buffers (mimalloc)


_TRIM = None


def _header(path: Path) -> list[str] | None:
    """The header's raw names, when the file starts like a plain UTF-8 CSV file."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in head or b'"' in head:
        return None
    end = head.find(b"\n")
    if end < 0:
        return None
    try:
        line = head[:end].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if "\r" in line:
        return None
    return line.split(",")


def _names(header: list[str], columns, source: str) -> list[str] | None:
    """Canonical names when they are unique and hold the required columns; else None."""
    try:
        names = rename_columns(list(header), columns, source)
    except DataError:
        return None
    if len({canonical_name(c) for c in header}) != len(header):
        return None
    required = ("timestamp", *OHLCV_COLUMNS)
    if len(set(names)) != len(names) or any(c not in names for c in required):
        return None
    return names


def _scan(path: Path) -> tuple[bool, bool]:
    """Whether the file holds a double quote, and whether it holds a space or a tab."""
    quoted = spaced = False
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_BYTES):
            quoted = quoted or b'"' in chunk
            spaced = spaced or b" " in chunk or b"\t" in chunk
            if quoted:
                break
    return quoted, spaced


def _dictionary(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (object array) and each row's index into them."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    if column.num_chunks == 0:
        return np.array([], dtype=object), np.zeros(0, dtype=np.int32)
    values = column.chunk(0).dictionary.to_numpy(zero_copy_only=False)
    indices = np.concatenate([c.indices.to_numpy() for c in column.chunks])
    return np.asarray(values, dtype=object), indices


def _timestamps(
    column: pa.ChunkedArray, date_format: str | None, tz: str | None, source: str, label: str
) -> pd.Series | None:
    """UTC ns stamps: the distinct values parsed by the careful parser, then spread by index."""
    if pa.types.is_timestamp(column.type):
        if column.null_count:
            return None
        kind = column.type
        if kind.unit == "ns" and (kind.tz is not None or tz is None):
            # UTC instants already (a naive stamp is UTC when tz is None): only the range rule
            return _instants(column)
        values = pd.Series(column.to_pandas())
        stamps, bad, reasons = _parse(values, date_format, tz, source, label)
        return None if stamps is None or bad.any() or reasons else pd.Series(stamps)
    if column.null_count:
        return None
    uniques, indices = _dictionary(column)
    stamps, bad, reasons = _parse(pd.Series(uniques, dtype=object), date_format, tz, source, label)
    if stamps is None or bad.any() or reasons:
        return None
    ns = stamps.asi8[indices]
    return pd.Series(pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC"))


def _instants(column: pa.ChunkedArray) -> pd.Series | None:
    """Nanosecond Arrow timestamps as UTC stamps, or None when one is outside the range rule."""
    ns = np.empty(len(column), dtype=np.int64)
    at = 0
    for chunk in column.chunks:
        ns[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False).view(np.int64)
        at += len(chunk)
    if len(ns) and (ns.min() < STAMP_RANGE[0].value or ns.max() > STAMP_RANGE[1].value):
        return None
    return pd.Series(pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC"))


def _parse(values: pd.Series, date_format, tz, source: str, label: str):
    try:
        return parse_timestamps(values, date_format=date_format, tz=tz,
                                where=Where(source=source, label=label))  # fmt: skip
    except DataError:  # a file rule: the careful path names the lines
        return None, None, None


def _symbols(column: pa.ChunkedArray) -> pd.Categorical | None:
    """Stripped symbols as a categorical with sorted categories."""
    if column.null_count:
        return None
    uniques, indices = _dictionary(column)
    stripped = np.asarray([str(s).strip() for s in uniques], dtype=object)
    if any('"' in s for s in stripped):
        return None
    categories, inverse = np.unique(stripped, return_inverse=True)
    codes = inverse.astype(np.int32)[indices] if len(indices) else indices
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=str))


def _blank_symbols(n: int) -> pd.Categorical:
    blank = pd.Index([""], dtype=str)
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=blank)


def _floats(column: pa.ChunkedArray, out: np.ndarray) -> bool:
    """Float64 values into ``out``; text is cast as :func:`alphafactory.data.table.parse_numbers`
    casts it. False when a value is missing or not a number."""
    import pyarrow.compute as pc

    if column.null_count:
        return False
    if _is_text(column.type):
        try:
            column = pc.cast(column, pa.float64())
        except (pa.ArrowException, ValueError):
            return False
    if not pa.types.is_float64(column.type) or len(column) != len(out):
        return False
    at = 0
    for chunk in column.chunks:  # no concatenated copy: chunk by chunk into place
        out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return True


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)
