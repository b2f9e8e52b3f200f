"""What a walk-forward may not do silently: drop rows, or learn from a label that is not ahead.

Dropped rows. Every ``(timestamp, symbol)`` row of the features that is not a sample is counted
under the first of these causes that applies:

* ``warm_up``: its window reaches back before the symbol's first complete feature row (rolling
  features are NaN until their own window fills, and the first ``lookback - 1`` bars have no
  full window);
* ``missing_bar``: its window holds a timestamp where the symbol has no row;
* ``nonfinite_feature``: its window holds a NaN or infinite feature value after the warm-up
  (``by_feature`` counts these rows per feature; a row may count under several features);
* ``label_nonfinite``: its label is infinite;
* ``label_missing``: it has no label or a NaN one (the last ``horizon`` bars always).

Infinite values are treated like NaN (the row is dropped and counted, the normalizer never sees
them) rather than refused, because a feature such as a volume ratio can divide by zero on one
bar without making the rest of the panel wrong; :func:`warn_dropped` says so in a
:class:`NonFiniteInputWarning`, since an infinity is nearly always a bug upstream.

Label timing. A label must be strictly after its features: ``horizon`` is a whole number of bars
>= 1, and the label may not be (nearly) a linear function of the window the model sees. The
second check (:func:`check_label_timing`) catches labels whose ``attrs`` are absent or lie, e.g.
``forward_returns(...).shift(2)``: least squares of the label on the raw window features; an
``R^2`` above :data:`MAX_WINDOW_R2` is impossible for a genuine forward label (real alphas
explain a few percent) and means the label is already known at ``t``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import DataError

CAUSES: tuple[str, ...] = (
    "warm_up", "missing_bar", "nonfinite_feature", "label_nonfinite", "label_missing",
)  # fmt: skip
MAX_WINDOW_R2 = 0.9
# Enough samples per regressor that an R^2 near 1 cannot come from overfitting noise (the null
# R^2 is about regressors / samples), and a cap that keeps the check cheap on large panels.
_SAMPLES_PER_REGRESSOR = 10
_MAX_CHECK_SAMPLES = 20_000
_MAX_REGRESSORS = 256


class NonFiniteInputWarning(RuntimeWarning):
    """Rows were dropped from a walk-forward because a feature or label was NaN or infinite."""


def count_infinite(features: pd.DataFrame) -> dict[str, int]:
    """Return ``{feature: number of +-inf values}`` for the features holding any."""
    out = {}
    for name in features.columns:
        values = features[name].to_numpy(dtype=np.float64, na_value=np.nan)
        n = int(np.isinf(values).sum())
        if n:
            out[str(name)] = n
    return out


def dropped_rows(
    cube: np.ndarray,
    present: np.ndarray,
    target: np.ndarray,
    lookback: int,
    feature_names: pd.Index,
) -> dict[str, Any]:
    """Count the feature rows that are not samples, by cause (see the module docstring).

    Parameters
    ----------
    cube : ndarray
        Float ``[N, T, F]`` features (NaN where absent).
    present : ndarray
        Bool ``[N, T]``: the symbol has a feature row at that timestamp.
    target : ndarray
        Float ``[N, T]`` labels (NaN where absent).

    Returns
    -------
    dict
        ``rows`` (feature rows), ``samples``, ``dropped`` (cause -> count, summing to
        ``rows - samples``) and ``by_feature`` (feature -> rows dropped for it after warm-up).
    """
    _, n_time, n_feat = cube.shape
    # One feature at a time: a boolean copy of the whole cube would be a quarter of its size.
    row_ok = present.copy()
    for f in range(n_feat):
        row_ok &= np.isfinite(cube[:, :, f])
    any_ok = row_ok.any(axis=1)
    first_ok = np.where(any_ok, row_ok.argmax(axis=1), n_time)
    start = np.arange(n_time)[None, :] - lookback + 1  # first bar of each window
    warm_up = present & ((start < 0) | ((start < first_ok[:, None]) & any_ok[:, None]))

    def in_window(bad: np.ndarray) -> np.ndarray:
        count = np.cumsum(bad, axis=1, dtype=np.int64)
        count[:, lookback:] -= count[:, :-lookback].copy()
        return count > 0

    missing_bar = present & ~warm_up & in_window(~present)
    rest = present & ~warm_up & ~missing_bar
    by_feature = {}
    nonfinite = np.zeros_like(present)
    for f in range(n_feat):
        hit = rest & in_window(present & ~np.isfinite(cube[:, :, f]))
        if hit.any():
            by_feature[str(feature_names[f])] = int(hit.sum())
            nonfinite |= hit
    rest &= ~nonfinite
    label_inf = rest & np.isinf(target)
    label_nan = rest & ~label_inf & ~np.isfinite(target)
    dropped = {
        "warm_up": int(warm_up.sum()),
        "missing_bar": int(missing_bar.sum()),
        "nonfinite_feature": int(nonfinite.sum()),
        "label_nonfinite": int(label_inf.sum()),
        "label_missing": int(label_nan.sum()),
    }
    rows = int(present.sum())
    return {"rows": rows, "samples": rows - sum(dropped.values()), "dropped": dropped,
            "by_feature": by_feature}  # fmt: skip


def warn_dropped(audit: dict[str, Any], infinite: dict[str, int]) -> None:
    """Warn (once, one line) when rows were dropped for non-finite inputs after the warm-up."""
    dropped = audit["dropped"]
    if not (dropped["nonfinite_feature"] or dropped["label_nonfinite"] or infinite):
        return
    parts = []
    if infinite:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(infinite.items()))
        parts.append(f"infinite feature values, treated as NaN: {listed}")
    if dropped["nonfinite_feature"]:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(audit["by_feature"].items()))
        parts.append(f"{dropped['nonfinite_feature']} rows with a NaN or infinite feature in "
                     f"their window after the warm-up: {listed}")  # fmt: skip
    if dropped["label_nonfinite"]:
        parts.append(f"{dropped['label_nonfinite']} rows with an infinite label")
    warnings.warn(
        f"walk_forward: {'; '.join(parts)}; {audit['samples']} of {audit['rows']} rows are "
        "samples (result.meta['dropped'] counts every cause)",
        NonFiniteInputWarning, stacklevel=3,
    )  # fmt: skip


def check_horizon(horizon: Any, where: str) -> int:
    """Return ``horizon`` as an int >= 1, or raise naming ``where`` (the argument or attr)."""
    ok = isinstance(horizon, (int, np.integer, float)) and not isinstance(horizon, bool)
    if not ok or not np.isfinite(horizon) or int(horizon) != horizon or horizon < 1:
        raise DataError(
            f"{where}: must be a whole number of bars >= 1 (a label must be strictly after its "
            f"features), got {horizon!r}"
        )
    return int(horizon)


def check_label_timing(
    cube: np.ndarray,
    sample_symbol: np.ndarray,
    sample_time: np.ndarray,
    target: np.ndarray,
    lookback: int,
    feature_names: pd.Index,
) -> None:
    """Raise :class:`DataError` when the label is (nearly) a linear function of the window.

    Regresses the label on the raw features of the last ``k`` bars of each sample's window
    (``k <= lookback``, as many as the samples support), on at most 20,000 samples drawn with a
    fixed seed; an ``R^2`` above :data:`MAX_WINDOW_R2` means the label is known at ``t``.
    """
    n = len(sample_time)
    n_feat = cube.shape[2]
    n_feat = max(n_feat, 1)
    usable = min(n, _MAX_CHECK_SAMPLES)
    lags = min(lookback, usable // (_SAMPLES_PER_REGRESSOR * n_feat), _MAX_REGRESSORS // n_feat)
    if n_feat > _MAX_REGRESSORS and usable >= _SAMPLES_PER_REGRESSOR * n_feat:
        lags = 1
    if lags < 1:
        return  # too few samples to tell a leak from overfitting
    pick = np.arange(n)
    if n > _MAX_CHECK_SAMPLES:
        pick = np.sort(np.random.default_rng(0).choice(n, _MAX_CHECK_SAMPLES, replace=False))
    sym, time = sample_symbol[pick], sample_time[pick]
    columns = [cube[sym, time - lag, :] for lag in range(lags)]
    X = np.concatenate(columns, axis=1).astype(np.float64)
    y = target[sym, time].astype(np.float64)
    X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    X = X - X.mean(axis=0)
    y = y - y.mean()
    total = float(y @ y)
    if total <= 0:
        return
    # Least squares through the small Gram matrix: an SVD of the whole [20,000 x 253] design took
    # seconds (more with BLAS threads contending); the fit and its R^2 are the same.
    gram, moment = X.T @ X, X.T @ y
    coef, *_ = np.linalg.lstsq(gram, moment, rcond=None)
    r2 = 1.0 - float(((y - X @ coef) ** 2).sum()) / total
    if r2 > MAX_WINDOW_R2:
        best = _best_single(X, y, lags, feature_names)
        raise DataError(
            f"labels: not strictly after the features: the features of the last {lags} bar(s) "
            f"explain R^2 = {r2:.3f} of the label (> {MAX_WINDOW_R2}; a forward label explains "
            f"a few percent), most of it {best}; the label is known when its features are "
            "(shifted into the past, or a feature holds the future), whatever its attrs say"
        )


def _best_single(X: np.ndarray, y: np.ndarray, lags: int, names: pd.Index) -> str:
    """Name the single window column most correlated with the label, for the message."""
    scale = np.sqrt((X**2).sum(axis=0) * float(y @ y))
    corr = np.divide(np.abs(X.T @ y), scale, out=np.zeros(X.shape[1]), where=scale > 0)
    j = int(corr.argmax())
    lag, f = divmod(j, len(names))
    when = "t" if lag == 0 else f"t-{lag}"
    return f"feature {names[f]!r} at {when} (|corr| {corr[j]:.3f})"
