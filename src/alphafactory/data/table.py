"""Raw OHLCV frames (strings or numbers, any column case) to the flat table validation reads.

The table has one row per input row: ``row`` (its name in the report), ``timestamp`` (UTC ns,
NaT when unparsable), ``symbol`` (``""`` for single-symbol data) and float64 OHLCV. Timestamps
may be ISO-8601 strings, datetimes, or epoch seconds / milliseconds (told apart by magnitude:
values above 1e11 are milliseconds). An ``adj_close`` column, when present, adjusts OHLC by
``adj_close / close`` and volume by its inverse; ``table.attrs["adjustment"]`` records it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS

ALIASES: dict[str, str] = {
    "date": "timestamp",
    "datetime": "timestamp",
    "time": "timestamp",
    "ticker": "symbol",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
}
NA_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "-"})
EPOCH_MS_THRESHOLD = 1e11


def canonical_name(name: object) -> str:
    """Lower-case, trim, spaces to underscores, map aliases (``Date`` -> ``timestamp``)."""
    key = str(name).strip().lower().replace(" ", "_")
    return ALIASES.get(key, key)


def to_table(
    frame: pd.DataFrame, rows: np.ndarray | None = None
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return ``(table, unparsable)``: the flat table and, per field, a mask of unparsable cells.

    Parameters
    ----------
    frame : DataFrame
        Bars (``timestamp`` index or ``(timestamp, symbol)`` MultiIndex) or a raw frame with a
        timestamp column.
    rows : array of int, optional
        Names of the rows in reports (e.g. file line numbers); default the positions 0..n-1.
    """
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.name is None:
        frame = frame.rename_axis("timestamp")
    flat = (
        frame.reset_index() if _index_has_timestamp(frame.index) else frame.reset_index(drop=True)
    )
    flat.columns = [canonical_name(c) for c in flat.columns]
    missing = [c for c in ("timestamp", *OHLCV_COLUMNS) if c not in flat.columns]
    if missing:
        raise ValueError(
            "OHLCV data needs columns timestamp (or date), open, high, low, close, volume "
            f"in any case; missing {missing}, got {list(frame.columns)}."
        )
    n = len(flat)
    unparsable: dict[str, np.ndarray] = {}
    stamps, unparsable["timestamp"] = parse_timestamps(flat["timestamp"])
    table = pd.DataFrame(
        {
            "row": np.arange(n) if rows is None else np.asarray(rows),
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
    return table, unparsable


def parse_timestamps(values: pd.Series) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Parse ISO-8601 strings, datetimes or epoch s/ms to UTC ns; mask of unparsable cells."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        index = pd.DatetimeIndex(values)
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        return index.as_unit("ns"), np.zeros(len(values), dtype=bool)
    text = values.astype(str).str.strip()
    blank = text.str.lower().isin(NA_TOKENS).to_numpy() | values.isna().to_numpy()
    numeric = pd.to_numeric(text, errors="coerce")
    is_epoch = numeric.notna().to_numpy()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if is_epoch.any():
        epoch = numeric[is_epoch].to_numpy(dtype=np.float64)
        unit = "ms" if np.nanmedian(np.abs(epoch)) > EPOCH_MS_THRESHOLD else "s"
        parsed[is_epoch] = pd.to_datetime(epoch, unit=unit, utc=True, errors="coerce")
    rest = ~is_epoch & ~blank
    if rest.any():
        parsed[rest] = pd.to_datetime(text[rest], format="ISO8601", utc=True, errors="coerce")
    index = pd.DatetimeIndex(parsed).as_unit("ns")
    return index, (~blank & index.isna()) | blank


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float64 values (NaN where missing) and a mask of cells that are text but not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), bool)
    text = values.astype(str).str.strip()
    blank = text.str.lower().isin(NA_TOKENS).to_numpy() | values.isna().to_numpy()
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=np.float64)
    return numbers, ~blank & np.isnan(numbers)


def _index_has_timestamp(index: pd.Index) -> bool:
    names = [canonical_name(n) for n in index.names if n is not None]
    return "timestamp" in names or isinstance(index, pd.DatetimeIndex)
