"""TA-Lib on panels in pure Python: the reference for the compiled driver.

:func:`apply_talib_reference` calls TA-Lib's Python functions once per symbol column (a loop
over columns, never over rows) on that symbol's own bars: rows where any input is NaN are left
out of the series TA-Lib sees and are NaN in the output. It defines the semantics that
:func:`alphafactory.features.apply_talib` implements in C++, serves as the oracle in the tests,
and is the fallback when TA-Lib's C entry points cannot be resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import talib
from talib import abstract

from alphafactory.features._arraylike import ArrayLike, as_panel, restore

__all__ = ["apply_talib_reference"]


def _span(valid_col: np.ndarray) -> tuple[int, int]:
    """First and one-past-last index where ``valid_col`` is True (``(0, 0)`` if none)."""
    if valid_col[0] and valid_col[-1]:
        return 0, len(valid_col)
    hits = np.flatnonzero(valid_col)
    if len(hits) == 0:
        return 0, 0
    return int(hits[0]), int(hits[-1]) + 1


def _empty_outputs(
    fn: Callable[..., Any], n_inputs: int, params: dict, n_cols: int, n_time: int
) -> list[np.ndarray]:
    """Output buffers ``[N, T]``, one per TA-Lib output (counted by a tiny probe call)."""
    probe = fn(*[np.full(2, np.nan) for _ in range(n_inputs)], **params)
    return [np.empty((n_cols, n_time)) for _ in (probe if isinstance(probe, tuple) else (probe,))]


def apply_talib_reference(
    func: Callable[..., Any] | str, *inputs: ArrayLike, **params: Any
) -> tuple[ArrayLike, ...]:
    """Apply a TA-Lib function column by column through talib's Python functions.

    Parameters
    ----------
    func : callable or str
        A ``talib`` function or its name (``"RSI"``).
    *inputs : array-like
        Its input series, each 1-D ``[T]`` or 2-D ``[T, N]``, all the same shape.
    **params
        Its parameters (``timeperiod=14``...), passed through.

    Returns
    -------
    tuple of array-like
        One entry per TA-Lib output, float64, shaped and typed like ``inputs[0]``.
    """
    fn = getattr(talib, func) if isinstance(func, str) else func
    arrays = [as_panel(x, f"input {i}") for i, x in enumerate(inputs)]
    shape = arrays[0].shape
    for i, arr in enumerate(arrays[1:], start=1):
        if arr.shape != shape:
            raise ValueError(f"Input {i} has shape {arr.shape}; input 0 has {shape}.")
    n_time, n_cols = shape
    if n_time == 0:
        raise ValueError("apply_talib: inputs have no rows.")
    # Complete columns (no NaN in any input) go to TA-Lib whole; the others skip their NaN
    # rows: a slice when the valid rows are one block, else a compressed copy. (min and dot
    # propagate NaN: one reduction pass, no temporary mask.)
    complete = np.ones(n_cols, dtype=bool)
    for arr in arrays:
        if n_cols == 1:
            # One series: x . x is NaN exactly when x holds a NaN (x*x >= 0, so no inf - inf),
            # and a contiguous BLAS dot is the cheapest full pass.
            complete &= not np.isnan(np.dot(arr[:, 0], arr[:, 0]))
        else:
            complete &= ~np.isnan(arr.min(axis=0))
    views = [arr.T for arr in arrays]  # row j of a view is column j (TA-Lib copies if strided)
    outs: list[np.ndarray] | None = None
    int_lookback = 0
    has_int = False
    for j in range(n_cols):
        series = [view[j] for view in views]
        keep: slice | np.ndarray = slice(None)
        if not complete[j]:
            valid = ~np.isnan(series[0])
            for col in series[1:]:
                valid &= ~np.isnan(col)
            lo, hi = _span(valid)
            if hi <= lo:  # a symbol with no bar: all NaN
                outs = outs or _empty_outputs(fn, len(series), params, n_cols, n_time)
                for out in outs:
                    out[j] = np.nan
                continue
            keep = slice(lo, hi) if valid[lo:hi].all() else np.flatnonzero(valid)
            series = [col[keep] for col in series]
        res = fn(*series, **params)
        result = res if isinstance(res, tuple) else (res,)
        if outs is None:
            has_int = not all(np.issubdtype(r.dtype, np.floating) for r in result)
            if has_int:
                # integer outputs (candlestick patterns, SUPERTREND's trend) hold 0 during
                # warm-up: make it NaN, and return float64 like every other output
                int_lookback = int(abstract.Function(fn.__name__, **params).lookback)
            if n_cols == 1 and complete[0] and not has_int:
                # a single complete series: return TA-Lib's arrays without a copy
                return tuple(restore(inputs[0], r[:, None]) for r in result)
            outs = [np.empty((n_cols, n_time)) for _ in result]
        if complete[j] and not has_int:
            for out, r in zip(outs, result, strict=True):
                out[j] = r
            continue
        for out, r in zip(outs, result, strict=True):
            row = out[j]
            if not complete[j]:
                row[:] = np.nan
            row[keep] = r
            if int_lookback:
                row[np.arange(n_time)[keep][:int_lookback]] = np.nan
    assert outs is not None
    return tuple(restore(inputs[0], out.T) for out in outs)
