"""Validation rules over a coerced OHLCV table; each returns issue rows (see ``ISSUE_COLUMNS``).

The table has columns ``row`` (the file line or frame position), ``timestamp`` (UTC, NaT when
unparsable), ``symbol`` and float64 ``open, high, low, close, volume`` (NaN when missing or
unparsable). Rules are vectorized over rows; the per-symbol rules loop over symbols only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data import calendars
from alphafactory.data.panel import OHLCV_COLUMNS

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
    values = table[list(OHLCV_COLUMNS)].to_numpy(dtype=np.float64)
    nonfinite = ~np.isfinite(values) & ~bad_parse[:, None]
    has_nan = nonfinite.any(axis=1)
    if has_nan.any():
        details = [
            "NaN or inf in " + ", ".join(np.asarray(OHLCV_COLUMNS)[nonfinite[i]])
            for i in np.flatnonzero(has_nan)
        ]
        out.append(issues_frame(table, has_nan, "nan", "error", details))
    o, h, low, c, v = (values[:, k] for k in range(5))
    with np.errstate(invalid="ignore"):
        nonpositive = (values[:, :4] <= 0.0).any(axis=1)
        out += _simple(table, nonpositive, "nonpositive_price", "price <= 0", values[:, :4])
        # A relative slack of OHLC_RTOL absorbs the last-bit rounding of adjusted prices.
        below = h < low * (1.0 - OHLC_RTOL)
        out += _simple(table, below, "high_below_low", "high < low", values[:, 1:3])
        high_short = h < np.maximum(o, c) * (1.0 - OHLC_RTOL)
        low_over = low > np.minimum(o, c) * (1.0 + OHLC_RTOL)
        inconsistent = ~below & (high_short | low_over)
        out += _simple(
            table, inconsistent, "ohlc_inconsistent", "high below open/close or low above", values
        )
        out += _simple(table, v < 0.0, "negative_volume", "volume < 0", values[:, 4:])
    return out


def _simple(
    table: pd.DataFrame, mask: np.ndarray, rule: str, text: str, shown: np.ndarray
) -> list[pd.DataFrame]:
    if not mask.any():
        return []
    details = [f"{text}: " + " ".join(f"{x:.6g}" for x in shown[i]) for i in np.flatnonzero(mask)]
    return [issues_frame(table, mask, rule, "error", details)]


def order_rules(table: pd.DataFrame) -> list[pd.DataFrame]:
    """Duplicate timestamps (copies after the first) and rows earlier than the row before."""
    out = []
    valid = table["timestamp"].notna().to_numpy()
    keyed = table.loc[valid, ["symbol", "timestamp"]]
    dup = np.zeros(len(table), dtype=bool)
    dup[np.flatnonzero(valid)] = keyed.duplicated(keep="first").to_numpy()
    if dup.any():
        details = ["timestamp already seen for this symbol"] * int(dup.sum())
        out.append(issues_frame(table, dup, "duplicate_timestamp", "error", details))
    previous = keyed.groupby("symbol", sort=False)["timestamp"].shift(1)
    back = np.zeros(len(table), dtype=bool)
    back[np.flatnonzero(valid)] = (keyed["timestamp"] < previous).to_numpy()
    if back.any():
        details = ["timestamp earlier than the previous row"] * int(back.sum())
        out.append(issues_frame(table, back, "unsorted", "error", details))
    return out


def calendar_rules(clean: pd.DataFrame, calendar: str) -> list[pd.DataFrame]:
    """Missing sessions (errors) and bars on non-sessions (warnings), per symbol.

    Intraday bars (a symbol whose most common spacing is under a day) are checked bar by bar
    against :func:`alphafactory.data.calendars.bar_stamps` instead (see :func:`intraday_rules`).
    """
    out = []
    for symbol, group in clean.groupby("symbol", sort=False):
        stamps = pd.DatetimeIndex(group["timestamp"])
        step = intraday_step(stamps)
        if step is not None:
            out += intraday_rules(group, symbol, calendar, step)
            continue
        dates = stamps.normalize()
        expected = calendars.sessions(calendar, dates.min(), dates.max())
        missing = expected.difference(dates.unique())
        if len(missing):
            out.append(
                pd.DataFrame(
                    {
                        "row": pd.NA,
                        "timestamp": missing,
                        "symbol": symbol,
                        "rule": "missing_session",
                        "severity": "error",
                        "detail": f"no bar on a {calendar} session",
                        "fix": np.nan,
                    }
                )
            )
        covered = dates <= (expected.max() if len(expected) else dates.min())
        off = covered & ~dates.isin(expected)
        if off.any():
            details = [f"bar on a day that is not a {calendar} session"] * int(off.sum())
            out.append(issues_frame(group, off, "non_session", "warning", details))
    return out


def intraday_step(stamps: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The bar length of intraday stamps (most common spacing under a day), else None."""
    # asi8 counts the index's own unit (pandas 3 makes microseconds by default): compare in ns.
    diffs = np.diff(np.unique(stamps.as_unit("ns").asi8))
    day = pd.Timedelta(days=1).value
    within = diffs[(diffs > 0) & (diffs < day)]
    if len(within) == 0 or len(within) * 2 < len(diffs):
        return None
    values, counts = np.unique(within, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def intraday_rules(
    group: pd.DataFrame, symbol: str, calendar: str, step: pd.Timedelta
) -> list[pd.DataFrame]:
    """Intraday bars against the calendar's bar grid, between the symbol's first and last bar.

    ``missing_session`` (error): a session of the calendar without any bar; ``missing_bar``
    (error): a bar end of a session that has other bars; ``non_session`` (warning): a bar whose
    end is not on the grid (outside the session, or not a multiple of the bar length from the
    open; bars stamped with their start instead of their end show up here and as missing).
    """
    stamps = pd.DatetimeIndex(group["timestamp"])
    first, last = stamps.min(), stamps.max()
    # The grid has a bar end every `step` across the span: bars a nanosecond apart, or a few
    # bars years apart, would ask for billions of them (a hostile file once asked for 170 TiB).
    if step < MIN_BAR or (last - first) / step > GRID_LIMIT + GRID_PER_BAR * len(stamps):
        first_row = np.zeros(len(group), dtype=bool)
        first_row[0] = True
        if step < MIN_BAR:
            detail = f"bars {step} apart (rule: bars are at least {MIN_BAR} long)"
            return [issues_frame(group, first_row, "bar_length", "error", [detail])]
        detail = (f"{len(stamps)} bars of {step} over {last - first}: too sparse for a bar-by-bar "
                  "calendar check, not checked")  # fmt: skip
        return [issues_frame(group, first_row, "sparse_bars", "warning", [detail])]
    days = calendars.session_dates(pd.DatetimeIndex([first, last]))
    grid = calendars.bar_stamps(calendar, days[0], days[1], step)
    grid = grid[(grid >= first) & (grid <= last)]
    out = []
    missing = grid.difference(stamps)
    if len(missing):
        dates = calendars.session_dates(missing)
        held = set(calendars.session_dates(stamps).unique())
        empty = ~dates.isin(list(held))
        whole = dates[empty].unique()
        label = f"{int(step / pd.Timedelta(minutes=1))}min" if step.seconds % 60 == 0 else step
        rows = [
            pd.DataFrame({"row": pd.NA, "timestamp": whole, "symbol": symbol,
                          "rule": "missing_session", "severity": "error",
                          "detail": f"no bar on a {calendar} session ({label} bars)",
                          "fix": np.nan}),
            pd.DataFrame({"row": pd.NA, "timestamp": missing[~empty], "symbol": symbol,
                          "rule": "missing_bar", "severity": "error",
                          "detail": f"no {label} bar ending here in a {calendar} session",
                          "fix": np.nan}),
        ]  # fmt: skip
        out += [r for r in rows if len(r)]
    covered = (stamps >= grid.min()) & (stamps <= grid.max()) if len(grid) else stamps == stamps
    off = ~stamps.isin(grid) & covered
    if off.any():
        details = [
            f"bar end {t.strftime('%H:%M')} UTC is not a {calendar} bar end ({step} bars)"
            for t in stamps[off]
        ]
        out.append(issues_frame(group, off, "non_session", "warning", details))
    return out


def jump_rules(clean: pd.DataFrame) -> list[pd.DataFrame]:
    """Unadjusted-split signatures and 100x unit errors, per symbol on clean sorted rows."""
    out = []
    for _, group in clean.groupby("symbol", sort=False):
        if len(group) < 2:
            continue
        o, c, v = (group[f].to_numpy(dtype=np.float64) for f in ("open", "close", "volume"))
        out += _unit_errors(group, c)
        out += _splits(group, o, c, v)
    return out


def _near(x: np.ndarray, target: float, tol: float) -> np.ndarray:
    return np.abs(x / target - 1.0) <= tol


def _unit_errors(group: pd.DataFrame, close: np.ndarray) -> list[pd.DataFrame]:
    step = np.log(close[1:] / close[:-1]) / np.log(UNIT_FACTOR)
    up = np.abs(step - 1.0) <= UNIT_BAND
    down = np.abs(step + 1.0) <= UNIT_BAND
    if not (up.any() or down.any()):
        return []
    level = np.concatenate([[0], np.cumsum(up.astype(int) - down.astype(int))])
    values, counts = np.unique(level, return_counts=True)
    usual = values[np.argmax(counts)]
    off = level != usual
    fix = UNIT_FACTOR ** (usual - level[off]).astype(np.float64)
    details = [
        f"close {x:.6g} is {1 / f:g}x the level of the other bars (unit error?)"
        for x, f in zip(close[off], fix, strict=True)
    ]
    return [issues_frame(group, off, "unit_error", "error", details, fix)]


def _splits(
    group: pd.DataFrame, open_: np.ndarray, close: np.ndarray, volume: np.ndarray
) -> list[pd.DataFrame]:
    ratio = open_[1:] / close[:-1]
    ks = np.asarray(SPLIT_RATIOS, dtype=np.float64)
    forward = np.abs(ratio[:, None] * ks - 1.0)  # ratio ~ 1/k: a k-for-1 split
    reverse = np.abs(ratio[:, None] / ks - 1.0)  # ratio ~ k: a 1-for-k reverse split
    dev = np.minimum(forward, reverse)
    hits = np.flatnonzero(dev.min(axis=1) <= SPLIT_TOLERANCE)
    if not len(hits):
        return []
    rows = []
    for i in hits:
        j = i + 1
        k_idx = int(np.argmin(dev[i]))
        k = ks[k_idx]
        is_forward = forward[i, k_idx] <= reverse[i, k_idx]
        before = np.nanmedian(volume[max(0, j - VOLUME_WINDOW) : j])
        after = np.nanmedian(volume[j : j + VOLUME_WINDOW])
        scale = after / before if before > 0 else np.nan
        expected = k if is_forward else 1.0 / k
        label = f"{int(k)}-for-1 split" if is_forward else f"1-for-{int(k)} reverse split"
        text = (
            f"open/previous close {ratio[i]:.4f} matches an unadjusted {label} "
            f"(median volume x{scale:.2f} after, x{expected:g} if shares were not adjusted)"
        )
        rows.append((j, "error", text, 1.0 / expected))
    picked = group.iloc[[r[0] for r in rows]]
    return [
        pd.DataFrame(
            {
                "row": picked["row"].to_numpy(),
                "timestamp": picked["timestamp"].to_numpy(),
                "symbol": picked["symbol"].to_numpy(),
                "rule": "split_signature",
                "severity": [r[1] for r in rows],
                "detail": [r[2] for r in rows],
                "fix": [r[3] for r in rows],
            }
        )
    ]
