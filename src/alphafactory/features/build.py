"""``build_features``: every selected registered feature of a Bars frame, as one long frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from alphafactory import _engine
from alphafactory.data.wide import Panel, load_panel
from alphafactory.features.registry import FeatureContext, FeatureSpec, resolve_spec

__all__ = ["build_features"]

PROGRESS_MIN_CELLS = 1_000_000  # progress bar by default from this many T x N cells
# Bytes of one float64 [T, block] intermediate: small enough that a feature's temporaries stay
# in the CPU caches (and come from the heap rather than fresh pages), large enough that the
# per-block Python overhead is noise.
BLOCK_BYTES = 1 << 20


def _block_columns(n_time: int) -> int:
    return max(1, BLOCK_BYTES // (8 * max(n_time, 1)))


def _block_writer(
    panel: Panel, start: int, stop: int
) -> Callable[[np.ndarray, np.ndarray], None]:
    """``write(wide_block, out_row)``: put a ``[T, stop - start]`` block of a feature at the
    bars' rows of ``out_row`` (one feature's column of the output, in bars order)."""
    n_time, n_sym = panel.shape
    if panel.dense_sorted:
        def write(wide: np.ndarray, out_row: np.ndarray) -> None:
            dest = out_row.reshape(n_time, n_sym)
            if dest.dtype in (np.float32, np.float64):
                # compiled: a transposing float64 -> float32 copy is ~3x numpy's copyto here
                _engine.write_columns(wide, dest, start)
            else:
                np.copyto(dest[:, start:stop], wide, casting="same_kind")
        return write
    in_block = np.flatnonzero((panel.cols >= start) & (panel.cols < stop))
    rows, cols = panel.rows[in_block], panel.cols[in_block] - start

    def write(wide: np.ndarray, out_row: np.ndarray) -> None:
        out_row[in_block] = wide[rows, cols]
    return write


def build_features(
    bars: pd.DataFrame,
    spec: str | FeatureSpec | Sequence[str] = "default",
    *,
    dtype: type = np.float32,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Compute registered features on a Bars frame.

    Parameters
    ----------
    bars : DataFrame
        Bars, long ``(timestamp, symbol)`` or single-symbol indexed by ``timestamp``.
    spec : "default", FeatureSpec or list of str
        Which features: all defaults, a spec (families, windows, include/exclude patterns) or
        registered names (see :func:`list_features`).
    dtype : numpy dtype
        Output dtype; float32 by default (half the memory of float64, enough for model inputs;
        compute is float64 throughout).
    progress : bool, optional
        Show a progress bar; by default when the panel has >= 1,000,000 ``T x N`` cells.

    Returns
    -------
    DataFrame
        Indexed exactly like ``bars`` (row for row), one column per feature in registry order.
        The value at ``t`` uses bars ``<= t`` of the panel; NaN during each feature's warm-up
        (``list_features()["warmup"]``) and where inputs are missing.
    """
    defs = resolve_spec(spec)
    panel = load_panel(bars)
    n_time, n_sym = panel.shape
    step = _block_columns(n_time)
    whole = FeatureContext(panel.fields, block_columns=step)
    show = (n_time * n_sym >= PROGRESS_MIN_CELLS) if progress is None else progress
    # One output block, written in place: feature j is row j (contiguous), so pandas wraps
    # the transpose without a copy. Per-symbol features are computed a block of symbols at a
    # time (all of them per block, so intermediates stay small); cross-sectional ones last,
    # on the whole panel.
    out = np.empty((len(defs), len(panel.rows)), dtype=dtype)
    local = [(j, d) for j, d in enumerate(defs) if not d.cross_sectional]
    across = [(j, d) for j, d in enumerate(defs) if d.cross_sectional]
    blocks = [(a, min(a + step, n_sym)) for a in range(0, n_sym, step)]
    bar = tqdm(total=len(local) * len(blocks) + len(across), desc="features", unit="step",
               disable=not show)
    with bar:
        for start, stop in blocks:
            ctx = whole.columns(start, stop) if len(blocks) > 1 else whole
            write = _block_writer(panel, start, stop)
            family = None
            for j, d in local:
                if d.family != family:  # intermediates are shared within a family
                    ctx.release()
                    family = d.family
                write(_compute(d, ctx), out[j])
                bar.update()
        family = None
        write = _block_writer(panel, 0, n_sym)
        for j, d in across:
            if d.family != family:
                whole.release(keep=("logret", "market"))
                family = d.family
            write(_compute(d, whole), out[j])
            bar.update()
    frame = pd.DataFrame(out.T, index=panel.index, columns=[d.name for d in defs], copy=False)
    frame.columns.name = "feature"
    return frame


def _compute(d, ctx: FeatureContext) -> np.ndarray:
    wide = np.asarray(d.compute(ctx), dtype=np.float64)
    if wide.shape != ctx.shape:
        raise ValueError(f"Feature {d.name!r} returned shape {wide.shape}; expected {ctx.shape}.")
    return wide
