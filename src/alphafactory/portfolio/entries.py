"""Rule helpers: entry and exit events, or score thresholds, to held target weights.

The way vectorbt's ``Portfolio.from_signals`` is used: boolean ``T x N`` frames say where to
enter and leave a position, and the position is held in between. Row t is an event seen at the
close of t; the weight at t is the position held from the next trade on (the backtest's
``execution`` decides when that is). The state machine is vectorized: the events become
``+1 / -1 / 0`` codes and a forward fill along time carries the position between them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd


def weights_from_entries(
    entries: pd.DataFrame,
    exits: pd.DataFrame | None = None,
    *,
    size: float | Literal["equal"] = "equal",
    short_entries: pd.DataFrame | None = None,
    short_exits: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Turn entry and exit events into held target weights.

    Per symbol the position is long (+1), short (-1) or flat (0). At bar t:

    - an entry opens (or keeps) a long, a short entry opens (or keeps) a short; an entry of one
      side while holding the other reverses the position;
    - an exit closes a long and does nothing to a short or flat position; a short exit closes a
      short and does nothing to a long or flat position;
    - conflicts are ignored: an entry and an exit of the same side on the same bar, or a long
      and a short entry on the same bar, leave the position unchanged;
    - without an event the position is held.

    Parameters
    ----------
    entries, exits : DataFrame of bool
        ``T x N`` long entry and long exit events (index timestamps, one column a symbol);
        ``exits`` None means no exits.
    size : float or "equal"
        Absolute weight of each open position (long ``+size``, short ``-size``), or
        ``"equal"``: ``1 / n`` for each of the ``n`` positions open at t (``sum |w| = 1``).
    short_entries, short_exits : DataFrame of bool, optional
        Short entry and short exit events; None means none.

    Returns
    -------
    DataFrame
        ``T x N`` finite target weights, same index and columns as ``entries``; 0 where flat.

    Raises
    ------
    ValueError
        A frame whose shape, index or columns differ from ``entries``, a value that is not
        boolean, or a ``size`` that is neither a positive number nor ``"equal"``.

    Examples
    --------
    A moving-average crossover, long and short:

    >>> fast, slow = close.rolling(10).mean(), close.rolling(50).mean()  # doctest: +SKIP
    >>> up = (fast > slow) & (fast.shift() <= slow.shift())               # doctest: +SKIP
    >>> down = (fast < slow) & (fast.shift() >= slow.shift())             # doctest: +SKIP
    >>> w = weights_from_entries(up, down, short_entries=down, short_exits=up)  # doctest: +SKIP
    """
    long_in = _events(entries, "entries", entries)
    long_out = _events(exits, "exits", entries)
    short_in = _events(short_entries, "short_entries", entries)
    short_out = _events(short_exits, "short_exits", entries)
    state = position_state(long_in, long_out, short_in, short_out)
    return pd.DataFrame(_sized(state, size), index=entries.index, columns=entries.columns)


def weights_from_thresholds(
    scores: pd.DataFrame,
    *,
    enter: float,
    exit: float | None = None,
    long_only: bool = False,
    size: float | Literal["equal"] = "equal",
) -> pd.DataFrame:
    """Long above ``enter`` until below ``exit``; short below ``-enter`` until above ``-exit``.

    Hysteresis: with ``exit < enter`` a name entered stays held while its score is between the
    two. Events are ``score > enter`` (entry), ``score < exit`` (exit) and, unless
    ``long_only``, ``score < -enter`` (short entry) and ``score > -exit`` (short exit); a name
    without a finite score at t is closed. The state at t depends only on scores <= t.

    Parameters
    ----------
    scores : DataFrame
        ``T x N`` scores; NaN where a symbol has none.
    enter : float
        Entry threshold (> 0 for long-short, so that the short band ``-enter`` lies below).
    exit : float, optional
        Exit threshold, ``<= enter``; defaults to ``enter`` (no hysteresis).
    long_only : bool
        Never short.
    size : float or "equal"
        As in :func:`weights_from_entries`.

    Returns
    -------
    DataFrame
        ``T x N`` target weights; a row without any finite score is NaN (no decision: hold),
        as for the rules of :mod:`alphafactory.signals.weights`.
    """
    exit = enter if exit is None else exit
    if exit > enter:
        raise ValueError(f"exit ({exit}) must be <= enter ({enter}).")
    if not long_only and enter <= 0:
        raise ValueError(
            f"enter must be > 0 for long-short thresholds (short below -enter), got {enter}; "
            "pass long_only=True for a long-flat rule."
        )
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a wide T x N DataFrame, got {type(scores).__name__}.")
    values = scores.to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        long_in, long_out = values > enter, (values < exit) | ~finite
        if long_only:
            short_in = short_out = np.zeros_like(finite)
        else:
            short_in, short_out = values < -enter, (values > -exit) | ~finite
    state = position_state(long_in, long_out, short_in, short_out)
    weights = _sized(state, size)
    weights[~finite.any(axis=1)] = np.nan
    return pd.DataFrame(weights, index=scores.index, columns=scores.columns)


def position_state(
    long_in: np.ndarray, long_out: np.ndarray, short_in: np.ndarray, short_out: np.ndarray
) -> np.ndarray:
    """Return the held position (+1, -1, 0) per cell from boolean ``T x N`` event arrays.

    Conflicting events are dropped first (entry and exit of one side, or both entries, on one
    bar). Entries are codes +1 / -1. A long exit is the code 0 only where the latest entry at or
    before t was long (otherwise it has nothing to close), a short exit likewise for shorts;
    entries take precedence over exits on the same bar. The position is the forward fill of
    the codes along time, 0 before the first.
    """
    long_in, long_out = long_in & ~long_out, long_out & ~long_in
    short_in, short_out = short_in & ~short_out, short_out & ~short_in
    both = long_in & short_in
    long_in, short_in = long_in & ~both, short_in & ~both
    entry = np.where(long_in, 1.0, np.where(short_in, -1.0, np.nan))
    side = _ffill(entry)
    closes = (long_out & (side == 1.0)) | (short_out & (side == -1.0))
    code = np.where(np.isnan(entry) & closes, 0.0, entry)
    return np.nan_to_num(_ffill(code), nan=0.0)


def _ffill(codes: np.ndarray) -> np.ndarray:
    """Forward-fill NaN along axis 0 (time), column by column, without a Python loop."""
    rows = np.arange(codes.shape[0])[:, None]
    last = np.maximum.accumulate(np.where(np.isnan(codes), 0, rows), axis=0)
    filled = np.take_along_axis(codes, last, axis=0)
    first_seen = np.maximum.accumulate(~np.isnan(codes), axis=0)
    return np.where(first_seen, filled, np.nan)


def _sized(state: np.ndarray, size: float | str) -> np.ndarray:
    if isinstance(size, str):
        if size != "equal":
            raise ValueError(f"size must be a positive number or 'equal', got {size!r}.")
        count = np.abs(state).sum(axis=1, keepdims=True)
        return np.divide(state, count, out=np.zeros_like(state), where=count > 0)
    if isinstance(size, bool) or not np.isfinite(size) or size <= 0:
        raise ValueError(f"size must be a positive number or 'equal', got {size!r}.")
    return state * float(size)


def _events(frame: pd.DataFrame | None, name: str, like: pd.DataFrame) -> np.ndarray:
    if not isinstance(like, pd.DataFrame):
        raise TypeError(f"entries must be a T x N DataFrame of bool, got {type(like).__name__}.")
    if frame is None:
        return np.zeros(like.shape, dtype=bool)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a T x N DataFrame of bool, got {type(frame).__name__}.")
    if not (frame.index.equals(like.index) and frame.columns.equals(like.columns)):
        raise ValueError(
            f"{name}: index and columns must equal those of entries ({like.shape[0]} bars x "
            f"{like.shape[1]} symbols), got {frame.shape[0]} x {frame.shape[1]}."
        )
    bad = [str(c) for c, t in frame.dtypes.items() if not pd.api.types.is_bool_dtype(t)]
    if bad:
        raise ValueError(
            f"{name}: column {bad[0]!r} is not boolean ({frame[bad[0]].dtype}); events are "
            "True/False (fill NaN with False first)."
        )
    return frame.to_numpy(dtype=bool)
