"""``build_features``: every selected registered feature of a Bars frame, as one long frame."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from alphafactory.data.wide import load_panel
from alphafactory.features.registry import FeatureContext, FeatureSpec, resolve_spec

__all__ = ["build_features"]

PROGRESS_MIN_CELLS = 1_000_000  # progress bar by default from this many T x N cells


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
    ctx = FeatureContext(panel.fields)
    n_time, n_sym = panel.shape
    show = (n_time * n_sym >= PROGRESS_MIN_CELLS) if progress is None else progress
    # Column-major storage lets each feature be written as one contiguous column and lets
    # pandas wrap the block without a copy.
    out = np.empty((len(defs), len(panel.rows)), dtype=dtype)
    family = None
    for j, d in enumerate(tqdm(defs, desc="features", unit="feature", disable=not show)):
        if d.family != family:  # intermediates are shared within a family, rarely across
            ctx.release()
            family = d.family
        wide = np.asarray(d.compute(ctx), dtype=np.float64)
        if wide.shape != (n_time, n_sym):
            raise ValueError(
                f"Feature {d.name!r} returned shape {wide.shape}; expected {(n_time, n_sym)}."
            )
        panel.gather(wide, out=out[j])
    frame = pd.DataFrame(out.T, index=panel.index, columns=[d.name for d in defs], copy=False)
    frame.columns.name = "feature"
    return frame
