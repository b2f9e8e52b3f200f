"""Calendar rules over the whole panel: missing sessions and bars off the calendar.

Daily symbols are checked together: the calendar's sessions are listed once for the panel's
span, and each symbol's range, present sessions and gaps come from searches and counts over
the (symbol, timestamp)-sorted rows, with no Python work per symbol. Intraday symbols (most
common spacing under a day) are checked bar by bar against the calendar's bar grid, one symbol
at a time (their grid depends on each symbol's bar length).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data import calendars
from alphafactory.data.rules import (
    GRID_LIMIT,
    GRID_PER_BAR,
    MIN_BAR,
    PanelKeys,
    issues_at,
    issues_frame,
)

DAY_NS = pd.Timedelta(days=1).value


def calendar_rules(table: pd.DataFrame, keys: PanelKeys, calendar: str) -> list[pd.DataFrame]:
    """Missing sessions (errors) and bars on non-sessions (warnings) of every symbol.

    Intraday bars (a symbol whose most common spacing is under a day) are checked bar by bar
    against :func:`alphafactory.data.calendars.bar_stamps` instead (see :func:`intraday_rules`).
    """
    pos = keys.stamped
    codes = keys.codes[pos]
    n = len(pos)
    first = np.ones(n, dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)
    group = (np.cumsum(first) - 1).astype(np.int32)  # int32 temporaries: the panel may be large
    # A symbol is intraday when at least half its spacings are under a day.
    ns = keys.ns[pos]
    within = ~first[1:] & (np.diff(ns) < DAY_NS)
    del ns
    n_within = np.bincount(group[1:][within], minlength=len(starts))
    del within
    intraday = (n_within > 0) & (n_within * 2 >= ends - starts - 1)
    daily = ~intraday
    parts: list[tuple[np.ndarray, pd.DataFrame]] = []
    if daily.any():
        parts += _daily_rules(table, keys, pos, group, starts, ends, daily, calendar)
    for g in np.flatnonzero(intraday):
        rows = table.iloc[pos[starts[g] : ends[g]]]
        step = intraday_step(pd.DatetimeIndex(rows["timestamp"]))
        assert step is not None
        symbol = str(keys.names[codes[starts[g]]])
        parts += [(np.full(len(f), g), f) for f in intraday_rules(rows, symbol, calendar, step)]
    if not intraday.any() or not daily.any() or not parts:
        return [frame for _, frame in parts]
    # Both kinds: symbol by symbol (a stable sort), as one loop over symbols would list them.
    merged = pd.concat([frame for _, frame in parts], ignore_index=True)
    order = np.argsort(np.concatenate([g for g, _ in parts]), kind="stable")
    return [merged.iloc[order].reset_index(drop=True)]


def _daily_rules(
    table: pd.DataFrame,
    keys: PanelKeys,
    pos: np.ndarray,
    group: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    daily: np.ndarray,
    calendar: str,
) -> list[tuple[np.ndarray, pd.DataFrame]]:
    """``missing_session`` and ``non_session`` of the daily symbols: (each row's group, frame)."""
    day = (keys.ns[pos] // DAY_NS).astype(np.int32)  # days since 1970 (UTC) of each bar
    lo_day, hi_day = day[starts], day[ends - 1]
    first_day, last_day = int(lo_day[daily].min()), int(hi_day[daily].max())
    bounds = (pd.Timestamp(d * DAY_NS, tz="UTC") for d in (first_day, last_day))
    sessions = calendars.sessions(calendar, *bounds).asi8 // DAY_NS
    lo = np.searchsorted(sessions, lo_day, side="left")
    hi = np.searchsorted(sessions, hi_day, side="right")
    expected = np.where(daily, hi - lo, 0)
    is_daily_row = daily[group]
    # Day -> session lookups over the span (at most ~213k days: the ns range), no search per bar.
    is_session = np.zeros(last_day - first_day + 1, dtype=bool)
    is_session[sessions - first_day] = True
    rank = (np.cumsum(is_session) - 1).astype(np.int32)  # index in `sessions` of a session day
    offset = day - np.int32(first_day)
    np.clip(offset, 0, len(is_session) - 1, out=offset)
    on_session = is_session[offset] & is_daily_row
    at = rank[offset]
    del offset
    new_day = np.ones(len(day), dtype=bool)
    new_day[1:] = (group[1:] != group[:-1]) | (day[1:] != day[:-1])
    held = is_daily_row & new_day & on_session
    present = np.bincount(group[held], minlength=len(starts))
    out: list[tuple[np.ndarray, pd.DataFrame]] = []
    short = np.flatnonzero(daily & (present < expected))
    if len(short):
        out += _missing(keys, pos, starts, short, lo, expected, group, held, at, sessions, calendar)
    # A bar past the calendar's last session is not off it (the calendar does not know yet);
    # a symbol without any session in its range is checked on its first day only.
    last = np.where(expected > 0, sessions[np.maximum(hi - 1, 0)] if len(sessions) else 0, lo_day)
    off = is_daily_row & ~on_session
    off[off] = day[off] <= last[group[off]]
    if off.any():
        details = [f"bar on a day that is not a {calendar} session"] * int(off.sum())
        frame = issues_at(table, pos[off], "non_session", "warning", details)
        out.append((group[off], frame))
    return out


def _missing(keys, pos, starts, short, lo, expected, group, held, at, sessions, calendar):
    """The sessions in each short symbol's range that have no bar: one frame for them all."""
    width = np.int64(len(sessions))
    counts = expected[short]
    owner = np.repeat(short, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    index = np.repeat(lo[short], counts) + offset
    have = group[held].astype(np.int64) * width + at[held]  # sorted: by symbol, then day
    want = owner.astype(np.int64) * width + index
    hit = np.minimum(np.searchsorted(have, want), len(have) - 1)
    gone = ~(have[hit] == want) if len(have) else np.ones(len(want), dtype=bool)
    codes = keys.codes[pos]
    frame = pd.DataFrame(
        {
            "row": pd.NA,
            "timestamp": pd.to_datetime(sessions[index[gone]] * DAY_NS, utc=True).as_unit("ns"),
            "symbol": keys.names[codes[starts[owner[gone]]]],
            "rule": "missing_session",
            "severity": "error",
            "detail": f"no bar on a {calendar} session",
            "fix": np.nan,
        }
    )
    return [(owner[gone], frame)]


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
