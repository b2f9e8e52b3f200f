"""Read the raw table of a signal file (CSV or Parquet), one clear line for any unreadable file.

Parsing is pandas' and pyarrow's; every way their readers fail on a hostile file (empty, binary,
not UTF-8, truncated Parquet, a ragged CSV row, a duplicated header) becomes a
:class:`SignalFileError` naming the file and what is wrong, and a file with a header but no row
is refused: a signal file without scores is not OK.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from alphafactory.signals.schema import SignalFileError

# Text that means "no value" in a symbol or model cell. Narrower than pandas' default set so
# that a ticker such as NA stays a symbol; the checks then reject the missing cells by row.
_MISSING_NAMES = ["", "nan", "NaN", "NAN", "None", "null", "NULL", "<NA>"]


def read_table(path: Path, fmt: str) -> pd.DataFrame:
    """Return the rows of signal file ``path`` as read (no validation beyond readability).

    Raises
    ------
    SignalFileError
        The file is not a readable table of format ``fmt``, its header repeats a column, or it
        holds no row.
    """
    if not path.is_file():
        raise SignalFileError(f"{path}: not a file (a signal file is one CSV or Parquet file)")
    raw = _parquet(path) if fmt == "parquet" else _csv(path)
    if len(raw) == 0:
        raise SignalFileError(
            f"{path}: no rows (a header only); a signal file needs at least one score"
        )
    return raw


def _parquet(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_parquet(path)
        # Text columns stay Arrow-backed until used; materialize them here so that invalid
        # UTF-8 in a damaged file fails now, as a damaged file, not later in a check.
        for name in raw.columns:
            if pd.api.types.is_string_dtype(raw[name]) or raw[name].dtype == object:
                raw[name] = raw[name].to_numpy(dtype=object)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise SignalFileError(
            f"{path}: not a readable Parquet file (truncated, damaged or another format): "
            f"{reason}"
        ) from None
    names = [str(c) for c in raw.columns]
    _check_unique(names, path)
    if isinstance(raw.index, pd.MultiIndex) or raw.index.name is not None:
        raw = raw.reset_index()  # a frame written with its index keeps timestamp/symbol there
    return raw


def _csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise SignalFileError(
            f"{path}: empty file; a signal file starts with a header line "
            "timestamp,symbol,model,score and has at least one row"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SignalFileError(
            f"{path}: holds a NUL byte at byte {nul}: a binary file, not CSV "
            "(a .parquet/.pq suffix reads it as Parquet)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SignalFileError(
            f"{path}: not UTF-8 text (byte {exc.start}: {data[exc.start]:#04x}); save the CSV "
            "as UTF-8"
        ) from None
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise SignalFileError(f"{path}: not a readable CSV header: {exc}") from None
    _check_unique([h.strip() for h in header], path)
    try:
        raw = pd.read_csv(
            io.StringIO(text), dtype={"symbol": str, "model": str}, keep_default_na=False,
            na_values={"symbol": _MISSING_NAMES, "model": _MISSING_NAMES,
                       "score": _MISSING_NAMES, "target_weight": _MISSING_NAMES,
                       "horizon": _MISSING_NAMES},
        )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise SignalFileError(f"{path}: not a readable CSV table: {reason}") from None
    if not isinstance(raw.index, pd.RangeIndex):  # pandas made the extra fields an index
        raise SignalFileError(
            f"{path}: row 2 has more fields than the header's {len(header)}; quote a field "
            "that holds a comma"
        )
    return raw


def _check_unique(names: list[str], path: Path) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SignalFileError(
                f"{path}: column {name!r} appears more than once in the header; one column each"
            )
        seen.add(name)
