"""Validation rules over a coerced OHLCV table; each returns issue rows (see ``ISSUE_COLUMNS``).

The table has columns ``row`` (the file line or frame position), ``timestamp`` (UTC, NaT when
unparsable), ``symbol`` and float64 ``open, high, low, close, volume`` (NaN when missing or
unparsable). Rules are vectorized over rows; the per-symbol rules loop over symbols only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS

NAT = np.iinfo(np.int64).min  # NaT as int64 nanoseconds

ISSUE_COLUMNS: tuple[str, ...] = ("row", "timestamp", "symbol", "rule", "severity", "detail", "fix")
PRICES: tuple[str, ...] = ("open", "high", "low", "close")
SPLIT_TOLERANCE = 0.03
SPLIT_RATIOS = tuple(range(2, 11))
UNIT_FACTOR = 100.0
UNIT_BAND = np.log(2.0) / np.log(UNIT_FACTOR)  # a 100x step within a factor 2 (50x..200x)
VOLUME_WINDOW = 20
OHLC_RTOL = 1e-9
MIN_BAR = pd.Timedelta(seconds=1)
GRID_LIMIT, GRID_PER_BAR = 1_000_000, 100  # bar ends an intraday calendar check may build

# Rules whose rows a policy may drop (the row itself is wrong).
ROW_RULES: frozenset[str] = frozenset(
    {
        "unparsable",
        "nan",
        "nonpositive_price",
        "high_below_low",
        "ohlc_inconsistent",
        "negative_volume",
        "duplicate_timestamp",
        "unit_error",
    }
)


def issues_frame(
    table: pd.DataFrame,
    mask: np.ndarray,
    rule: str,
    severity: str,
    details: list[str],
    fix: np.ndarray | float = np.nan,
) -> pd.DataFrame:
    """Issue rows for the table rows selected by ``mask``."""
    picked = table.loc[mask]
    return pd.DataFrame(
        {
            "row": picked["row"].to_numpy(),
            "timestamp": picked["timestamp"].to_numpy(),
            "symbol": picked["symbol"].to_numpy(),
            "rule": rule,
            "severity": severity,
            "detail": details,
            "fix": fix,
        }
    )


@dataclass(frozen=True, slots=True)
class PanelKeys:
    """The table's rows keyed for the whole-panel rules, computed once per validation.

    ``codes``: each row's symbol as an index into ``names`` (sorted); ``ns``: UTC nanoseconds
    (NaT as ``NAT``); ``stamped``: positions of the rows with a timestamp, ordered by (symbol,
    timestamp) with ties in table order (a stable sort), first copies only; ``repeat``:
    positions of the later copies of a (symbol, timestamp) pair; ``unsorted``: positions of
    rows earlier than the symbol's row before them in the table.
    """

    codes: np.ndarray
    names: np.ndarray
    ns: np.ndarray
    stamped: np.ndarray
    repeat: np.ndarray
    unsorted: np.ndarray

    @classmethod
    def of(cls, table: pd.DataFrame) -> PanelKeys:
        codes, names = symbol_codes(table["symbol"])
        ns = pd.DatetimeIndex(table["timestamp"]).as_unit("ns").asi8
        stamped = ns != NAT
        valid = None if stamped.all() else np.flatnonzero(stamped)
        small = len(ns) < 2**31  # positions fit in int32: half the memory
        # Each symbol's rows in table order: a stable sort of small integer codes (radix).
        if valid is None:
            by_symbol = np.argsort(codes, kind="stable")
        else:
            by_symbol = valid[np.argsort(codes[valid], kind="stable")]
        c, t = codes[by_symbol], ns[by_symbol]
        pair = c[1:] == c[:-1]
        back = pair & (t[1:] < t[:-1])
        unsorted = by_symbol[1:][back]
        order = by_symbol
        if len(unsorted):  # then sort by time within each symbol too (a lexsort, stable)
            by_time = by_symbol[np.argsort(t, kind="stable")]
            order = by_time[np.argsort(codes[by_time], kind="stable")]
            c, t = codes[order], ns[order]
            pair = c[1:] == c[:-1]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = pair & (t[1:] == t[:-1])
        del c, t, pair
        stamped = (order[~same] if same.any() else order).astype(np.int32 if small else np.int64)
        return cls(codes, names, ns, stamped, order[same], unsorted)


def symbol_codes(symbols: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's symbol as an index into the sorted distinct symbols, and those symbols."""
    if isinstance(symbols.dtype, pd.CategoricalDtype):
        categories = symbols.cat.categories
        codes = symbols.cat.codes.to_numpy()
        if categories.is_monotonic_increasing and categories.is_unique and (codes >= 0).all():
            return _small(codes, len(categories)), np.asarray(categories, dtype=object)
    codes, names = pd.factorize(symbols.to_numpy(dtype=object), sort=True)
    return _small(codes, len(names)), np.asarray(names, dtype=object)


def _small(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes in the narrowest integer type: numpy sorts 16-bit integers by radix, in linear time."""
    return codes.astype(np.int16 if n < 2**15 else np.int64, copy=False)


def issues_at(
    table: pd.DataFrame,
    positions: np.ndarray,
    rule: str,
    severity: str,
    details: list[str],
    fix: np.ndarray | float = np.nan,
) -> pd.DataFrame:
    """Issue rows for the table rows at ``positions``, in that order."""
    picked = table.iloc[positions]
    return issues_frame(picked, np.ones(len(picked), dtype=bool), rule, severity, details, fix)


def row_rules(table: pd.DataFrame, unparsable: dict[str, np.ndarray]) -> list[pd.DataFrame]:
    """Unparsable fields, NaN/inf, price <= 0, high < low, OHLC inconsistency, volume < 0."""
    out = []
    bad_parse = np.zeros(len(table), dtype=bool)
    for mask in unparsable.values():
        bad_parse |= mask
    if bad_parse.any():
        texts = table.attrs.get("unparsable_text", {})
        rows = table["row"].to_numpy()
        fmt = table.attrs.get("date_format") or "ISO-8601 or epoch seconds/ms"

        reasons = table.attrs.get("timestamp_reasons", {})

        def cell(field: str, i: int) -> str:
            key = int(rows[i]) if not pd.isna(rows[i]) else None
            got = texts.get(field, {}).get(key) if key is not None else None
            rule = f" (expected {fmt}; see date_format)" if field == "timestamp" else ""
            if field == "timestamp" and key in reasons:
                rule = f": {reasons[key]}"
            return f"{field} {got!r}{rule}" if got is not None else field

        details = [
            "cannot parse " + ", ".join(cell(f, i) for f, m in unparsable.items() if m[i])
            for i in np.flatnonzero(bad_parse)
        ]
        out.append(issues_frame(table, bad_parse, "unparsable", "error", details))
    # Column by column: a rows x 5 copy of the values would double the table's memory.
    o, h, low, c, v = (table[f].to_numpy(dtype=np.float64) for f in OHLCV_COLUMNS)
    has_nan = np.zeros(len(table), dtype=bool)
    for x in (o, h, low, c, v):
        has_nan |= ~np.isfinite(x)
    has_nan &= ~bad_parse
    if has_nan.any():
        picked = np.flatnonzero(has_nan)
        nonfinite = ~np.isfinite(np.column_stack([x[picked] for x in (o, h, low, c, v)]))
        fields = np.asarray(OHLCV_COLUMNS)
        details = ["NaN or inf in " + ", ".join(fields[row]) for row in nonfinite]
        out.append(issues_frame(table, has_nan, "nan", "error", details))
    prices = (o, h, low, c)
    with np.errstate(invalid="ignore"):
        nonpositive = (o <= 0.0) | (h <= 0.0) | (low <= 0.0) | (c <= 0.0)
        out += _simple(table, nonpositive, "nonpositive_price", "price <= 0", prices)
        # A relative slack of OHLC_RTOL absorbs the last-bit rounding of adjusted prices.
        below = h < low * (1.0 - OHLC_RTOL)
        out += _simple(table, below, "high_below_low", "high < low", (h, low))
        high_short = h < np.maximum(o, c) * (1.0 - OHLC_RTOL)
        low_over = low > np.minimum(o, c) * (1.0 + OHLC_RTOL)
        inconsistent = ~below & (high_short | low_over)
        out += _simple(
            table, inconsistent, "ohlc_inconsistent", "high below open/close or low above",
            (o, h, low, c, v),
        )  # fmt: skip
        out += _simple(table, v < 0.0, "negative_volume", "volume < 0", (v,))
    return out


def _simple(
    table: pd.DataFrame, mask: np.ndarray, rule: str, text: str, shown: tuple[np.ndarray, ...]
) -> list[pd.DataFrame]:
    if not mask.any():
        return []
    picked = np.flatnonzero(mask)
    values = np.column_stack([x[picked] for x in shown])
    details = [f"{text}: " + " ".join(f"{x:.6g}" for x in row) for row in values]
    return [issues_frame(table, mask, rule, "error", details)]


def order_rules(table: pd.DataFrame, keys: PanelKeys) -> list[pd.DataFrame]:
    """Duplicate timestamps (copies after the first) and rows earlier than the row before."""
    out = []
    for positions, rule, detail in (
        (keys.repeat, "duplicate_timestamp", "timestamp already seen for this symbol"),
        (keys.unsorted, "unsorted", "timestamp earlier than the previous row"),
    ):
        if len(positions):
            mask = np.zeros(len(table), dtype=bool)
            mask[positions] = True
            out.append(issues_frame(table, mask, rule, "error", [detail] * len(positions)))
    return out


# The whole-panel rules live beside this module; validation imports them from here.
from alphafactory.data.jump_rules import jump_rules  # noqa: E402
from alphafactory.data.session_rules import calendar_rules, intraday_step  # noqa: E402

__all__ = ["calendar_rules", "intraday_step", "jump_rules"]
