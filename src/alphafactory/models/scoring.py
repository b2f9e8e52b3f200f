"""``score``: the one inference path from bars to a stored model's scores.

The server, the monitor and the trading loop all call :func:`score`; walk-forward's
out-of-sample predictions are the same computation (the parity tests hold it to exact equality on
CPU), so a served score is a walk-forward score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES
from alphafactory.errors import ModelError
from alphafactory.features.build import build_features
from alphafactory.features.window_frames import frame_cube
from alphafactory.features.windows import PanelWindows
from alphafactory.models.artifact import ModelArtifact, load
from alphafactory.models.seeding import torch_threads

__all__ = ["score"]

At = Literal["last", "all"] | Sequence[pd.Timestamp] | pd.DatetimeIndex


def score(
    artifact: ModelArtifact | str | Path, bars: pd.DataFrame, *, at: At = "last"
) -> pd.Series:
    """Score ``bars`` with a stored model.

    Builds only the features the artifact names, from only the bars it needs, applies the
    artifact's fitted normalizer and its model, and returns one score per symbol and timestamp
    asked for whose ``lookback`` window of features is complete.

    Parameters
    ----------
    artifact : ModelArtifact or path
        A model artifact or the directory it was saved to.
    bars : DataFrame
        Bars, long ``(timestamp, symbol)`` or single-symbol on ``timestamp``.
    at : "last", "all" or timestamps
        ``"last"``: the latest timestamp, from the last ``artifact.warmup_bars`` bars only (a
        longer history changes the scores by less than 1e-6 of their scale). ``"all"``: every
        timestamp, from every bar. Timestamps: those, from every bar up to the latest of them
        (pass a shorter history to go faster: ``warmup_bars`` before the first is enough).

    Returns
    -------
    Series
        Float64 ``score`` indexed ``(timestamp, symbol)``, sorted by timestamp then symbol.

    Raises
    ------
    ModelError
        When a feature is not in the registry any more, or a timestamp asked for is not in
        ``bars``.
    """
    if not isinstance(artifact, ModelArtifact):
        artifact = load(artifact)
    defs = artifact.feature_defs()
    level = pd.DatetimeIndex(bars.index.get_level_values(0))
    ordered = level.is_monotonic_increasing  # the bars contract; anything else still works
    if ordered:
        change = np.flatnonzero(np.diff(level.asi8)) + 1
        stamps = level[np.concatenate([[0], change])] if len(level) else level
    else:
        stamps = pd.DatetimeIndex(level.unique()).sort_values()
    if len(stamps) == 0:
        raise ModelError("score() got no bars.")
    first = 0
    if isinstance(at, str) and at == "last":
        wanted = stamps[-1:]
        first = max(0, len(stamps) - artifact.warmup_bars)
    elif isinstance(at, str) and at == "all":
        wanted = stamps
    elif isinstance(at, str):
        raise ValueError(f"at must be 'last', 'all' or timestamps; got {at!r}.")
    else:
        wanted = pd.DatetimeIndex(at).unique().sort_values()
        if wanted.tz is None and stamps.tz is not None:  # "2024-05-01" means UTC like the bars
            wanted = wanted.tz_localize(stamps.tz)
        missing = wanted.difference(stamps)
        if len(missing):
            raise ModelError(
                f"score(at=...) asked for {len(missing)} timestamp(s) the bars do not hold, "
                f"first {missing[0]}."
            )
    tail = bars
    if first > 0 or wanted[-1] < stamps[-1]:
        if ordered:
            lo, hi = level.searchsorted(stamps[first]), level.searchsorted(wanted[-1], "right")
            tail = bars.iloc[lo:hi]
        else:
            tail = bars[(level >= stamps[first]) & (level <= wanted[-1])]
    symbol_dtype = None
    if isinstance(tail.index, pd.MultiIndex) and tail.index.levels[1].dtype != object:
        # Plain Python strings index several times faster than pandas' Arrow strings.
        symbol_dtype = tail.index.levels[1].dtype
        tail = tail.copy(deep=False)
        tail.index = tail.index.set_levels(tail.index.levels[1].astype(object), level=1)
    dtype = np.dtype(artifact.feature_dtype).type
    frame = build_features(tail, [d.name for d in defs], dtype=dtype)
    times = frame.index.get_level_values(0)
    frame_stamps = pd.DatetimeIndex(times.unique()).sort_values()
    start = max(0, frame_stamps.get_indexer(wanted[:1])[0] - artifact.lookback + 1)
    keep = times >= frame_stamps[start]
    if getattr(artifact.normalizer, "window", None) is None:  # row-local: the windows' rows only
        frame = frame[keep]
        normalized = artifact.normalizer.transform(frame)
    else:  # a rolling normalizer needs the rows before the windows too
        normalized = artifact.normalizer.transform(frame)[keep]
        frame = frame[keep]
    scores = _predict(artifact, frame, normalized, wanted)
    if symbol_dtype is not None:
        scores.index = scores.index.set_levels(
            scores.index.levels[1].astype(symbol_dtype), level=1
        )
    return scores


def _predict(
    artifact: ModelArtifact,
    raw: pd.DataFrame,
    normalized: pd.DataFrame,
    wanted: pd.DatetimeIndex,
) -> pd.Series:
    """Model scores at ``wanted`` for every symbol whose raw window is complete and finite."""
    if isinstance(raw.index, pd.MultiIndex):
        symbols = pd.Index(raw.index.get_level_values(1).unique().sort_values())
    else:
        symbols = pd.Index([raw.attrs.get("symbol", "asset")])
    timestamps = pd.DatetimeIndex(raw.index.get_level_values(0).unique().sort_values())
    lookback = artifact.lookback
    values = frame_cube(raw, timestamps, symbols)  # NaN where a bar is missing
    complete = np.isfinite(values).all(axis=2)  # [N, T]
    count = np.cumsum(complete, axis=1, dtype=np.int64)
    count[:, lookback:] -= count[:, :-lookback].copy()
    usable = count == lookback
    usable[:, : lookback - 1] = False
    asked = np.zeros(len(timestamps), dtype=bool)
    asked[timestamps.get_indexer(wanted)] = True
    t_pos, s_pos = np.nonzero((usable & asked[None, :]).T)  # (time, symbol) order
    cube = frame_cube(normalized, timestamps, symbols)
    np.nan_to_num(cube, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    index = pd.MultiIndex.from_arrays(
        [timestamps[t_pos], symbols[s_pos]], names=list(INDEX_NAMES)
    )
    if len(t_pos) == 0:
        return pd.Series(np.empty(0), index=index, name="score", dtype=np.float64)
    windows = PanelWindows(cube, s_pos, t_pos, lookback)
    # One torch thread, as in every walk-forward fold: the same float operations in the same
    # order (so the scores are walk-forward's bit for bit), and a small model's forward is
    # faster without thread hand-offs.
    with torch_threads(1):
        scores = np.asarray(artifact.estimator.predict(windows), dtype=np.float64)
    return pd.Series(scores, index=index, name="score")
