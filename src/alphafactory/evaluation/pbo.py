"""Probability of backtest overfitting by combinatorially symmetric cross-validation.

Bailey, Borwein, Lopez de Prado and Zhu (2015). The ``T x N`` matrix of per-period returns of
``N`` configurations is cut into ``S`` contiguous blocks. For each of the ``C(S, S/2)`` ways to
pick half the blocks as in-sample (the rest out-of-sample):

1. ``n*`` = the configuration with the best in-sample metric;
2. ``w = rank_OOS(n*) / (N + 1)``, its relative out-of-sample rank (1 = worst, ties averaged);
3. ``lambda = log(w / (1 - w))``.

``PBO = #{lambda <= 0} / C``: how often the in-sample winner is at or below the median out of
sample. Unskilled configurations give ``PBO`` about 0.5; configurations with no edge over the
full sample (in-sample gains are out-of-sample losses) push it towards 1; one truly better
configuration pushes it towards 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

Metric = Literal["sharpe", "mean"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PBOResult:
    """Outcome of CSCV.

    Attributes
    ----------
    pbo : float
        Probability of backtest overfitting in ``[0, 1]``; ``float(result)`` returns it.
    logits : ndarray
        ``lambda`` per combination, shape ``[C]``.
    is_best : ndarray
        In-sample metric of the winner per combination, shape ``[C]``.
    oos_of_best : ndarray
        Out-of-sample metric of that winner, shape ``[C]`` (its regression on ``is_best`` is
        the performance degradation).
    n_combinations : int
        ``C = C(S, S/2)``.
    """

    pbo: float
    logits: np.ndarray
    is_best: np.ndarray
    oos_of_best: np.ndarray
    n_combinations: int

    def __float__(self) -> float:
        return self.pbo


def probability_of_backtest_overfitting(
    performance_matrix: pd.DataFrame | np.ndarray,
    n_splits: int = 16,
    *,
    metric: Metric = "sharpe",
) -> PBOResult:
    """Estimate the PBO of picking the in-sample best of ``N`` configurations.

    Parameters
    ----------
    performance_matrix : DataFrame or ndarray
        ``[T, N]`` per-period returns, one column per configuration (``N >= 2``), no NaN.
    n_splits : int
        ``S``, an even number of contiguous blocks (``np.array_split``; ``T >= 2 S``).
        ``S = 16`` gives 12,870 combinations.
    metric : {"sharpe", "mean"}
        Per-period ``mean / std`` (``ddof=1``) or mean over the rows of a half.

    Returns
    -------
    PBOResult
        Metrics per half come from per-block sums of ``r`` and ``r^2`` combined by a
        ``[C, S]`` block mask, so every combination is evaluated at once.
    """
    values = np.asarray(performance_matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"performance_matrix must be 2-d [T, N]; got shape {values.shape}.")
    n_rows, n_configs = values.shape
    if n_configs < 2:
        raise ValueError(f"need at least 2 configurations (columns); got {n_configs}.")
    if int(n_splits) != n_splits or n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even integer >= 2; got {n_splits!r}.")
    if n_rows < 2 * n_splits:
        raise ValueError(
            f"need at least 2 * n_splits = {2 * n_splits} rows (periods); got {n_rows}."
        )
    if not np.isfinite(values).all():
        raise ValueError("performance_matrix holds NaN or infinite values; expected finite.")
    if metric not in ("sharpe", "mean"):
        raise ValueError(f"metric must be 'sharpe' or 'mean'; got {metric!r}.")

    blocks = np.array_split(np.arange(n_rows), n_splits)
    sums = np.stack([values[b].sum(axis=0) for b in blocks])  # [S, N]
    squares = np.stack([(values[b] ** 2).sum(axis=0) for b in blocks])
    counts = np.array([len(b) for b in blocks], dtype=np.float64)
    chosen = list(combinations(range(n_splits), n_splits // 2))
    mask = np.zeros((len(chosen), n_splits))
    for row, blocks_in in enumerate(chosen):
        mask[row, list(blocks_in)] = 1.0

    in_sample = _metric(mask, sums, squares, counts, metric)  # [C, N]
    out_sample = _metric(1.0 - mask, sums, squares, counts, metric)
    best = np.argmax(in_sample, axis=1)
    rows = np.arange(len(chosen))
    oos_best = out_sample[rows, best]
    below = (out_sample < oos_best[:, None]).sum(axis=1)
    ties = (out_sample == oos_best[:, None]).sum(axis=1)
    rank = below + (ties + 1) / 2.0
    omega = rank / (n_configs + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)),
        logits=logits,
        is_best=in_sample[rows, best],
        oos_of_best=oos_best,
        n_combinations=len(chosen),
    )


def _metric(mask, sums, squares, counts, metric: Metric) -> np.ndarray:
    n = (mask @ counts)[:, None]
    mean = (mask @ sums) / n
    if metric == "mean":
        return mean
    variance = np.maximum((mask @ squares) - n * mean**2, 0.0) / (n - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = mean / np.sqrt(variance)
    return np.where(variance > 0.0, sharpe, 0.0)
