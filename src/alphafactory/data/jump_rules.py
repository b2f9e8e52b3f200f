"""Price-jump rules over the whole panel: 100x unit errors and unadjusted-split signatures.

Both look at consecutive clean bars of one symbol. The rows come sorted by (symbol, timestamp),
so every symbol's bars are one run; a pair of rows counts only inside a run, and per-symbol
quantities (a unit level's mode) come from sorts and counts over the runs, never a Python loop
per symbol. Only the flagged bars (issues) are formatted one by one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.rules import (
    SPLIT_RATIOS,
    SPLIT_TOLERANCE,
    UNIT_BAND,
    UNIT_FACTOR,
    VOLUME_WINDOW,
    PanelKeys,
    issues_at,
)

# A split signature needs open/previous close within 3% of 1/k or k (k >= 2): below 0.515 or
# above 1.94. Pairs outside a slightly wider band are left out before the exact test.
_SPLIT_BAND = (0.52, 1.9)


def jump_rules(table: pd.DataFrame, keys: PanelKeys, clean: np.ndarray) -> list[pd.DataFrame]:
    """Unit errors then split signatures of the clean rows at ``clean`` ((symbol, time) order)."""
    codes = keys.codes[clean]
    first = np.ones(len(clean), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    group = (np.cumsum(first) - 1).astype(np.int32)
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(clean))
    pair = ~first[1:]  # row i and i + 1 are bars of one symbol
    close = table["close"].to_numpy(dtype=np.float64)[clean]
    out = _unit_errors(table, clean, group, starts, pair, close)
    open_ = table["open"].to_numpy(dtype=np.float64)[clean]
    ratio = open_[1:] / close[:-1]
    del open_
    candidates = np.flatnonzero(pair & ((ratio < _SPLIT_BAND[0]) | (ratio > _SPLIT_BAND[1])))
    if len(candidates):
        volume = table["volume"].to_numpy(dtype=np.float64)[clean]
        out += _splits(table, clean, group, starts, ends, ratio, candidates, volume)
    return out


def _unit_errors(table, clean, group, starts, pair, close) -> list[pd.DataFrame]:
    # In place, the same operations as log(close[1:] / close[:-1]) / log(100): a bar's step.
    step = close[1:] / close[:-1]
    np.log(step, out=step)
    step /= np.log(UNIT_FACTOR)
    gap = step - 1.0
    up = pair & (np.abs(gap, out=gap) <= UNIT_BAND)
    down = pair & (np.abs(np.add(step, 1.0, out=gap), out=gap) <= UNIT_BAND)
    del step, gap
    if not (up.any() or down.any()):
        return []
    flagged = np.zeros(len(starts), dtype=bool)
    flagged[group[1:][up | down]] = True
    # Each bar's level: the steps up less the steps down since the symbol's first bar.
    moves = np.zeros(len(close), dtype=np.int64)
    moves[1:] = up.astype(np.int64) - down.astype(np.int64)
    total = np.cumsum(moves)
    level = total - total[starts][group]
    rows = np.flatnonzero(flagged[group])
    # The usual level of a symbol is its most common one (the lowest on a tie).
    g, lv = group[rows], level[rows]
    order = np.lexsort((lv, g))
    g, lv = g[order], lv[order]
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (lv[1:] != lv[:-1])
    run_start = np.flatnonzero(new)
    run_count = np.diff(np.append(run_start, len(g)))
    run_group, run_level = g[run_start], lv[run_start]
    best = np.lexsort((run_level, -run_count, run_group))
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = run_group[best][1:] != run_group[best][:-1]
    usual = np.zeros(len(starts), dtype=np.int64)
    usual[run_group[best][keep]] = run_level[best][keep]
    off = rows[level[rows] != usual[group[rows]]]
    fix = UNIT_FACTOR ** (usual[group[off]] - level[off]).astype(np.float64)
    details = [
        f"close {x:.6g} is {1 / f:g}x the level of the other bars (unit error?)"
        for x, f in zip(close[off], fix, strict=True)
    ]
    return [issues_at(table, clean[off], "unit_error", "error", details, fix)]


def _splits(table, clean, group, starts, ends, ratio, candidates, volume) -> list[pd.DataFrame]:
    ratio = ratio[candidates]
    ks = np.asarray(SPLIT_RATIOS, dtype=np.float64)
    forward = np.abs(ratio[:, None] * ks - 1.0)  # ratio ~ 1/k: a k-for-1 split
    reverse = np.abs(ratio[:, None] / ks - 1.0)  # ratio ~ k: a 1-for-k reverse split
    dev = np.minimum(forward, reverse)
    hits = np.flatnonzero(dev.min(axis=1) <= SPLIT_TOLERANCE)
    if not len(hits):
        return []
    rows, details, fixes = [], [], []
    for i in hits:
        j = int(candidates[i]) + 1
        g0, g1 = starts[group[j]], ends[group[j]]
        k_idx = int(np.argmin(dev[i]))
        k = ks[k_idx]
        is_forward = forward[i, k_idx] <= reverse[i, k_idx]
        before = np.nanmedian(volume[max(g0, j - VOLUME_WINDOW) : j])
        after = np.nanmedian(volume[j : min(j + VOLUME_WINDOW, g1)])
        scale = after / before if before > 0 else np.nan
        expected = k if is_forward else 1.0 / k
        label = f"{int(k)}-for-1 split" if is_forward else f"1-for-{int(k)} reverse split"
        details.append(
            f"open/previous close {ratio[i]:.4f} matches an unadjusted {label} "
            f"(median volume x{scale:.2f} after, x{expected:g} if shares were not adjusted)"
        )
        rows.append(j)
        fixes.append(1.0 / expected)
    return [issues_at(table, clean[rows], "split_signature", "error", details, np.asarray(fixes))]
