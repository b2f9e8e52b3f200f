"""OHLCV CSV files: the loader (validated, with a policy) and the writer.

On disk: a header row ``timestamp,open,high,low,close,volume`` (any case; ``date`` is accepted
for ``timestamp``, an optional ``symbol`` column makes a panel, an optional ``adj_close``
adjusts prices), one bar a row. The writer emits ``YYYY-MM-DD`` for daily data (every stamp at
UTC midnight) and ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` otherwise, and floats in their shortest
round-trip form, so CSV -> Parquet -> CSV reproduces the file byte for byte.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.data.arrow_table import read_csv_fast
from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.schema import normalize_bars
from alphafactory.data.table import canonical_name, check_unique_columns, to_table
from alphafactory.data.validation import ValidationReport, apply_policy, validate_table
from alphafactory.errors import DataError, SourceNotFoundError

_SNIFF_BYTES = 8192
_OTHER_DELIMITERS = (";", "\t", "|")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")  # CSV line ends only (str.splitlines also splits on \f)


def load_ohlcv_csv(
    path: str | Path,
    *,
    on_error: str = "raise",
    asset_class: str = "equities",
    calendar: str | None = None,
    return_report: bool = False,
    date_format: str | None = None,
    tz: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
    """Read an OHLCV CSV into Bars, validating every row.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    on_error : str
        ``raise`` (``DataValidationError`` on any error), ``drop`` or ``repair`` (see
        :mod:`alphafactory.data.validation`); what was dropped or repaired is in the report,
        in ``bars.attrs["validation"]`` and logged as a warning.
    asset_class : str
        ``equities`` | ``crypto`` | ``fx``; picks the calendar for the session check.
    calendar : str, optional
        Overrides the asset class's calendar.
    return_report : bool
        Also return the :class:`ValidationReport`.
    date_format, tz, columns
        How to read the file (see :func:`alphafactory.data.table.to_table`): strftime format
        of the dates (``"%m/%d/%Y"``), zone of naive timestamps, ``{old: new}`` column names.

    Returns
    -------
    DataFrame or (DataFrame, ValidationReport)
        Bars indexed by ``timestamp`` (or ``(timestamp, symbol)`` with a symbol column), with
        ``attrs``: ``source``, ``asset_class``, ``adjustment``, ``validation`` (counts).
    """
    table, report = read_and_validate(
        path, asset_class, calendar, date_format=date_format, tz=tz, columns=columns
    )
    bars, report = apply_policy(table, report, on_error)
    bars.attrs.update(
        {
            "source": report.source,
            "asset_class": asset_class,
            "adjustment": table.attrs.get("adjustment", "as in source"),
            "validation": report.summary(),
        }
    )
    return (bars, report) if return_report else bars


def validate_csv(
    path: str | Path,
    *,
    asset_class: str = "equities",
    calendar: str | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Validate an OHLCV CSV file without loading it as Bars; rows are named by file line."""
    return read_and_validate(
        path, asset_class, calendar, date_format=date_format, tz=tz, columns=columns
    )[1]


def read_and_validate(
    path: str | Path,
    asset_class: str = "equities",
    calendar: str | None = None,
    *,
    date_format: str | None = None,
    tz: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a CSV file into the flat table (see :mod:`alphafactory.data.table`) and validate it.

    Raises
    ------
    SourceNotFoundError
        When there is no file at ``path``.
    DataError
        When the file is empty, binary, not comma-separated or lacks a required column; the
        message names the file, the line and what was found.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"No CSV file at {path}.")
    fast = read_csv_fast(path, date_format=date_format, tz=tz, columns=columns)
    if fast is not None:  # a clean file, read column-wise
        table, unparsable = fast
    else:  # anything odd: cell by cell, naming every bad line
        raw, lines, bad_lines, header = _read_text_table(path)
        table, unparsable = to_table(
            raw, rows=lines, date_format=date_format, tz=tz, columns=columns, source=str(path)
        )
        if len(bad_lines):
            table, unparsable = _with_bad_lines(table, unparsable, bad_lines, header)
    report = validate_table(
        table, unparsable, asset_class=asset_class, calendar=calendar, source=str(path)
    )
    return table, report


def write_ohlcv_csv(bars: pd.DataFrame, path: str | Path) -> Path:
    """Write Bars to a CSV file in the on-disk contract (parents created); return the path."""
    bars = normalize_bars(bars)
    flat = bars.reset_index()
    stamps = pd.DatetimeIndex(flat["timestamp"])
    if (stamps == stamps.normalize()).all():
        text = stamps.strftime("%Y-%m-%d")
    elif (stamps.microsecond == 0).all() and (stamps.nanosecond == 0).all():
        text = stamps.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        text = stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    flat["timestamp"] = np.asarray(text, dtype=object)
    columns = ["timestamp", *(["symbol"] if "symbol" in flat.columns else []), *OHLCV_COLUMNS]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Beside the target, then renamed: a failed write never leaves half a file at ``path``.
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        flat[columns].to_csv(partial, index=False, lineterminator="\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _read_text_table(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """All cells as text; lines with the wrong number of fields are set aside by line number.

    Lines are physical lines counting the header as line 1 (a quoted field may not span lines).
    A clean file (no quotes, no blank or ragged line) is parsed in one go by pyarrow's reader
    and its rows are lines 2..n+1; otherwise the lines are counted first (quoted ones with the
    csv module) and only the well-formed ones are parsed, so line numbers stay exact.
    """
    text = _text_of(path)
    lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
    if not lines or not lines[0].strip():
        raise DataError(
            f"{path} line 1: empty file (rule: a header timestamp,open,high,low,close,volume "
            "then one bar a line); got no header."
        )
    first = lines[0]
    raw_header = next(csv.reader([first]))
    header = [canonical_name(c) for c in raw_header]
    if len(header) == 1:
        others = [d for d in _OTHER_DELIMITERS if d in first]
        hint = f"; the file looks {others[0]!r}-separated" if others else ""
        raise DataError(
            f"{path} line 1 (header): 1 field {first[:80]!r} (rule: comma-separated columns "
            f"timestamp,open,high,low,close,volume){hint}."
        )
    check_unique_columns(header, raw_header, str(path))
    if lines[-1] == "":
        lines.pop()  # the final line end
    body = np.asarray(lines[1:], dtype=object)
    filled = np.fromiter((bool(t.strip()) for t in body), dtype=bool, count=len(body))
    if not filled.any():
        raise DataError(
            f"{path}: no rows (rule: a header then at least one bar a line); got the header only."
        )
    fields = np.fromiter((t.count(",") + 1 for t in body), dtype=np.int64, count=len(body))
    numbers = np.arange(2, len(body) + 2)  # 1-based physical line numbers, header = line 1
    if '"' in text:  # a quoted field may hold commas: count fields as the CSV reader does
        quoted = np.fromiter(('"' in t for t in body), dtype=bool, count=len(body))
        # An unbalanced quote would make any reader swallow the following lines: set it aside.
        fields[quoted] = [
            -1 if t.count('"') % 2 else len(next(csv.reader([t]))) for t in body[quoted]
        ]
    good = filled & (fields == len(header))
    if good.all() and '"' not in text:
        frame = _parse_cells(text if "\r" not in text else "\n".join(lines), raw_header, "pyarrow")
    else:
        cells = "\n".join([first, *body[good].tolist()])
        frame = _parse_cells(cells, raw_header, "c")
    if len(frame) != int(good.sum()):  # a reader disagreement must not shift line numbers
        raise DataError(
            f"{path}: the CSV reader found {len(frame)} rows in {int(good.sum())} lines "
            "(rule: one bar a line, quotes balanced); got a malformed file."
        )
    return frame, numbers[good], numbers[~good & filled], header


def _parse_cells(text: str, names: list[str], engine: str) -> pd.DataFrame:
    """Every cell as text, blanks kept as ``""`` (validation decides what a blank means)."""
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                       header=0, names=names, engine=engine)  # fmt: skip


def _text_of(path: Path) -> str:
    """The file as text; binary or non-UTF-8 content is a DataError naming the offset."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(
            f"{path}: not a UTF-8 CSV file (rule: CSV files are UTF-8); got UTF-16 (byte-order "
            "mark at offset 0); save the file as UTF-8."
        )
    nul = data.find(b"\0", 0, _SNIFF_BYTES)
    if nul >= 0:
        raise DataError(
            f"{path}: not a text CSV file (rule: UTF-8 text); got a NUL byte at offset {nul}, "
            "binary data."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path} line {line}: not UTF-8 text (rule: CSV files are UTF-8); got byte "
            f"0x{data[exc.start]:02x} at offset {exc.start}."
        ) from None


def _with_bad_lines(
    table: pd.DataFrame, unparsable: dict[str, np.ndarray], bad_lines: np.ndarray, header: list[str]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Append one all-NaN row per line that had the wrong number of fields."""
    extra = pd.DataFrame({"row": bad_lines, "symbol": ""})
    extra["timestamp"] = pd.Series(pd.NaT, index=extra.index, dtype="datetime64[ns, UTC]")
    for col in OHLCV_COLUMNS:
        extra[col] = np.nan
    attrs = dict(table.attrs)
    merged = pd.concat([table, extra[table.columns]], ignore_index=True)
    order = np.argsort(merged["row"].to_numpy(), kind="stable")
    merged = merged.iloc[order].reset_index(drop=True)
    merged.attrs = attrs
    n_old, n_new = len(table), len(bad_lines)
    masks = {
        key: np.concatenate([mask, np.zeros(n_new, dtype=bool)])[order]
        for key, mask in unparsable.items()
    }
    wrong = np.concatenate([np.zeros(n_old, dtype=bool), np.ones(n_new, dtype=bool)])
    masks[f"the line (expected {len(header)} fields)"] = wrong[order]
    return merged, masks
