"""Raw OHLCV frames (strings or numbers, any column case) to the flat table validation reads.

The table has one row per input row: ``row`` (its name in the report), ``timestamp`` (UTC ns,
NaT when unparsable), ``symbol`` (``""`` for single-symbol data) and float64 OHLCV. Timestamps
may be ISO-8601 strings, datetimes, or epoch seconds / milliseconds (told apart by magnitude:
values above 1e11 are milliseconds), or text in an explicit ``date_format`` (strftime codes, e.g.
``"%m/%d/%Y"``). Naive timestamps are in ``tz`` (UTC when None) and converted to UTC; date-only
values (every stamp at midnight) are session dates and stay at UTC midnight whatever ``tz`` is.
``columns`` renames raw columns (``{"Px Last": "close"}``) before the aliases apply. An
``adj_close`` column, when present, adjusts OHLC by ``adj_close / close`` and volume by its
inverse; ``table.attrs["adjustment"]`` records it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.timestamps import NA_TOKENS, Where, parse_timestamps
from alphafactory.errors import DataError

ALIASES: dict[str, str] = {
    "date": "timestamp",
    "datetime": "timestamp",
    "time": "timestamp",
    "ticker": "symbol",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
}


def canonical_name(name: object) -> str:
    """Lower-case, trim, spaces to underscores, map aliases (``Date`` -> ``timestamp``)."""
    key = str(name).strip().lower().replace(" ", "_")
    return ALIASES.get(key, key)


def to_table(
    frame: pd.DataFrame,
    rows: np.ndarray | None = None,
    *,
    date_format: str | None = None,
    tz: str | None = None,
    columns: Mapping[str, str] | None = None,
    source: str = "<frame>",
    row_label: str = "line",
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return ``(table, unparsable)``: the flat table and, per field, a mask of unparsable cells.

    Parameters
    ----------
    frame : DataFrame
        Bars (``timestamp`` index or ``(timestamp, symbol)`` MultiIndex) or a raw frame with a
        timestamp column.
    rows : array of int, optional
        Names of the rows in reports (e.g. file line numbers); default the positions 0..n-1.
    date_format : str, optional
        strftime format of text timestamps; ISO-8601 or epoch numbers when None.
    tz : str, optional
        Time zone of naive timestamps (an IANA name such as ``"America/New_York"``).
    columns : mapping, optional
        Raw column name -> contract name, applied first; every key must name a column.
    source : str
        The file the frame came from, named in errors.
    row_label : str
        What a row name counts in errors: ``line`` (CSV) or ``row`` (Parquet).

    Raises
    ------
    DataError
        When a required column is missing or appears twice, ``columns`` names a column that is
        not there, or the timestamps break a file rule (see
        :mod:`alphafactory.data.timestamps`).
    """
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.name is None:
        frame = frame.rename_axis("timestamp")
    flat = (
        frame.reset_index() if _index_has_timestamp(frame.index) else frame.reset_index(drop=True)
    )
    raw_names = [str(c) for c in flat.columns]
    flat.columns = rename_columns(list(flat.columns), columns, source)
    check_unique_columns(list(flat.columns), raw_names, source)
    missing = [c for c in ("timestamp", *OHLCV_COLUMNS) if c not in flat.columns]
    if missing:
        raise DataError(
            f"{source} {header_of(source)}: missing {missing} (rule: needs columns timestamp "
            "or date, open, high, low, close, volume in any case); got "
            f"{[str(c) for c in frame.columns]}; map other names with columns old=new."
        )
    n = len(flat)
    unparsable: dict[str, np.ndarray] = {}
    names = np.arange(n) if rows is None else np.asarray(rows)
    where = Where(source=source, rows=names, label="row" if source == "<frame>" else row_label)
    stamps, unparsable["timestamp"], reasons = parse_timestamps(
        flat["timestamp"], date_format=date_format, tz=tz, where=where
    )
    table = pd.DataFrame(
        {
            "row": names,
            "timestamp": stamps,
            "symbol": flat["symbol"].astype(str).str.strip().to_numpy()
            if "symbol" in flat.columns
            else np.full(n, "", dtype=object),
        }
    )
    for col in (*OHLCV_COLUMNS, *(["adj_close"] if "adj_close" in flat.columns else [])):
        table[col], unparsable[col] = parse_numbers(flat[col])
    if "adj_close" in table.columns:
        factor = (table["adj_close"] / table["close"]).to_numpy()
        for col in ("open", "high", "low", "close"):
            table[col] = table[col].to_numpy() * factor
        table["volume"] = table["volume"].to_numpy() / factor
        unparsable["close"] = unparsable["close"] | unparsable.pop("adj_close")
        table = table.drop(columns="adj_close")
        table.attrs["adjustment"] = "adj_close: OHLC x adj_close/close, volume x close/adj_close"
    table.attrs["unparsable_text"] = _bad_text(flat, table["row"].to_numpy(), unparsable)
    table.attrs["date_format"] = date_format or ""
    table.attrs["timestamp_reasons"] = {int(names[i]): why for i, why in reasons.items()}
    return table, unparsable


def _bad_text(
    flat: pd.DataFrame, rows: np.ndarray, unparsable: dict[str, np.ndarray]
) -> dict[str, dict[int, str]]:
    """Per field, the raw text of its unparsable cells keyed by row name (for reports)."""
    out: dict[str, dict[int, str]] = {}
    for field, mask in unparsable.items():
        if field in flat.columns and mask.any():
            cells = flat[field].to_numpy()[mask]
            out[field] = {int(r): _cell_text(v) for r, v in zip(rows[mask], cells, strict=True)}
    return out


def _cell_text(value: object) -> str:
    """A cell as text for a report; a Timestamp past year 9999 through numpy's datetime64."""
    try:
        return str(value)[:40]
    except (ValueError, NotImplementedError, OverflowError):
        asm8 = getattr(value, "asm8", None)
        return (str(asm8) if asm8 is not None else type(value).__name__)[:40]


def header_of(source: str) -> str:
    """Where a file's column names are: ``line 1 (header)`` of a CSV, the Parquet ``(columns)``."""
    return "(columns)" if source.lower().endswith((".parquet", ".pq")) else "line 1 (header)"


def check_unique_columns(names: list[str], raw: list[str], source: str) -> None:
    """Refuse a column that appears twice (after case and aliases): which copy is meant?"""
    seen: dict[str, int] = {}
    for pos, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"{source} {header_of(source)}: column {name!r} appears twice, as "
                f"{raw[seen[name] - 1]!r} in position {seen[name]} and {raw[pos - 1]!r} in "
                f"position {pos} (rule: each column once, names compared in any case)."
            )
        seen[name] = pos


def rename_columns(
    names: list[object], columns: Mapping[str, str] | None, source: str = "<frame>"
) -> list[str]:
    """Apply a ``{raw: new}`` mapping (exact or canonical match), then :func:`canonical_name`."""
    if not columns:
        return [canonical_name(c) for c in names]
    exact = {str(k): v for k, v in columns.items()}
    by_canonical = {canonical_name(k): v for k, v in columns.items()}
    out, used = [], set()
    for name in names:
        key = str(name)
        if key in exact:
            out.append(canonical_name(exact[key]))
            used.add(canonical_name(key))
        elif canonical_name(key) in by_canonical:
            out.append(canonical_name(by_canonical[canonical_name(key)]))
            used.add(canonical_name(key))
        else:
            out.append(canonical_name(key))
    unused = sorted(k for k in columns if canonical_name(k) not in used)
    if unused:
        raise DataError(
            f"{source} {header_of(source)}: column mapping names {unused}, which the data does not "
            f"have (rule: every old name in columns old=new must exist); got "
            f"{[str(n) for n in names]}."
        )
    return out


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float64 values (NaN where missing) and a mask of cells that are text but not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), bool)
    fast = _cast_floats(values)
    if fast is not None:
        return fast, np.zeros(len(values), bool)
    text = values.astype(str).str.strip()
    blank = text.str.lower().isin(NA_TOKENS).to_numpy() | values.isna().to_numpy()
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=np.float64)
    return numbers, ~blank & np.isnan(numbers)


def _cast_floats(values: pd.Series) -> np.ndarray | None:
    """Clean number text in one vectorized cast (pyarrow), or None to take the careful path.

    The cast refuses blanks, NA tokens, spaces and anything not a number, so any doubt falls
    back to the per-cell rules above; what it accepts parses to the same floats.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(pa.array(values, from_pandas=True, type=pa.string()),
                       pa.float64()).to_numpy(zero_copy_only=False)  # fmt: skip
    except (pa.ArrowException, TypeError, ValueError):
        return None


def _index_has_timestamp(index: pd.Index) -> bool:
    names = [canonical_name(n) for n in index.names if n is not None]
    return "timestamp" in names or isinstance(index, pd.DatetimeIndex)
