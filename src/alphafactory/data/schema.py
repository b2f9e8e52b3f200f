"""The Bars contract: checks, normalization, and a content fingerprint.

Bars: float64 columns ``open, high, low, close, volume``; a UTC ``DatetimeIndex`` named
``timestamp`` (one symbol) or a ``MultiIndex`` ``(timestamp, symbol)`` (a panel); sorted, unique.
Loaders store timestamps at nanosecond resolution. ``bars.attrs`` carries metadata such as
``adjustment`` (the price-adjustment convention), ``source`` and ``asset_class``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS, is_panel
from alphafactory.errors import DataError


def check_bars(bars: pd.DataFrame) -> None:
    """Raise ``ValueError`` naming the first way ``bars`` breaks the contract."""
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"Bars must be a pandas DataFrame; got {type(bars).__name__}.")
    missing = [c for c in OHLCV_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"Bars need columns {list(OHLCV_COLUMNS)}; missing {missing}.")
    wrong = {c: str(bars[c].dtype) for c in OHLCV_COLUMNS if bars[c].dtype != np.float64}
    if wrong:
        raise ValueError(f"Bars columns must be float64; got {wrong}.")
    stamps = _timestamps(bars.index)
    if not isinstance(stamps, pd.DatetimeIndex) or str(stamps.tz) != "UTC":
        raise ValueError(
            "Bars need a UTC DatetimeIndex named 'timestamp' (or a (timestamp, symbol) "
            f"MultiIndex); got index {type(bars.index).__name__} named {list(bars.index.names)} "
            f"with dtype {getattr(stamps, 'dtype', None)}."
        )
    if not bars.index.is_unique:
        raise ValueError("Bars index has duplicate entries; the contract needs unique keys.")
    if not bars.index.is_monotonic_increasing:
        raise ValueError("Bars index is not sorted; call .sort_index() first.")


def normalize_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Return ``bars`` with float64 OHLCV, UTC nanosecond timestamps, sorted; attrs kept.

    Naive timestamps are taken as UTC. Only the OHLCV columns are kept.
    """
    attrs = dict(bars.attrs)
    out = bars.loc[:, list(OHLCV_COLUMNS)].astype(np.float64)
    if is_panel(out) or isinstance(out.index, pd.MultiIndex):
        stamps = to_utc_index(out.index.get_level_values(0))
        symbols = out.index.get_level_values(1).astype(str)
        out.index = pd.MultiIndex.from_arrays([stamps, symbols], names=list(INDEX_NAMES))
    else:
        out.index = to_utc_index(out.index)
    out = out.sort_index(kind="stable")
    out.attrs = attrs
    return out


def to_utc_index(values: pd.Index | pd.Series | np.ndarray) -> pd.DatetimeIndex:
    """Datetime values as a UTC, nanosecond ``DatetimeIndex`` named ``timestamp``.

    Numbers are refused: an epoch number has no unit here, and pandas would read seconds as
    nanoseconds (1970-01-01 00:00:01.7); parse them with
    :func:`alphafactory.data.timestamps.parse_timestamps`, which tells the unit by magnitude.
    """
    dtype = getattr(values, "dtype", None)
    if dtype is not None and pd.api.types.is_numeric_dtype(dtype):
        raise DataError(
            f"timestamps: got {dtype} numbers (rule: datetimes; epoch numbers need a unit, "
            "read the file with load_bars, which tells s/ms/us/ns by magnitude)."
        )
    index = pd.DatetimeIndex(values)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").rename("timestamp")


def fingerprint(bars: pd.DataFrame) -> str:
    """Return ``"sha256:<hex>"`` of a canonical serialization of Bars.

    The hash covers the symbols, the timestamps as UTC int64 nanoseconds and the float64 OHLCV
    values (little-endian), in index order; it ignores ``attrs``, the datetime resolution, the
    string dtype of symbols and the storage the frame came from, so the same bars loaded from CSV
    or Parquet give the same fingerprint.
    """
    bars = normalize_bars(bars)
    digest = hashlib.sha256(b"alphafactory-bars-v1\0")
    stamps = _timestamps(bars.index)
    digest.update(np.ascontiguousarray(stamps.asi8, dtype="<i8").tobytes())
    if isinstance(bars.index, pd.MultiIndex):
        symbols = bars.index.get_level_values(1)
        codes, uniques = pd.factorize(symbols, sort=True)
        digest.update("\0".join(map(str, uniques)).encode())
        digest.update(np.ascontiguousarray(codes, dtype="<i8").tobytes())
    values = bars[list(OHLCV_COLUMNS)].to_numpy(dtype=np.float64)
    digest.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return f"sha256:{digest.hexdigest()}"


def _timestamps(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        if tuple(index.names) != INDEX_NAMES:
            return pd.Index([])
        return index.get_level_values(0)
    if index.name != "timestamp":
        return pd.Index([])
    return index
