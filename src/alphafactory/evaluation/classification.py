"""Metrics of a classifier's probabilities and of the trades its classes take.

Inputs are ``y_true`` ``[n]`` (class labels, e.g. -1 down, 0 flat, 1 up), ``proba``
``[n, K]`` (rows sum to 1) and ``classes`` ``[K]`` (the label of each column, sorted). The
predicted class is the column of the largest probability. With ``p_ik`` the probability of
class ``k`` for row ``i`` and ``o_ik = 1[y_i = k]``:

- accuracy ``mean(pred = y)``; balanced accuracy: mean over the classes present in ``y_true``
  of the recall of each;
- precision and recall of the long class (``1``): ``TP / (TP + FP)`` and ``TP / (TP + FN)``
  (NaN when the denominator is 0);
- log loss ``-mean_i log p_{i, y_i}`` (probabilities clipped to ``[eps, 1 - eps]`` and the rows
  renormalized, as scikit-learn does); Brier score (multi-class form) ``mean_i sum_k
  (p_ik - o_ik)^2`` (0 is perfect, 2 the worst).

Trading metrics take ``returns`` ``[n]``, the return a long position on each row makes (e.g.
the forward return, or the triple barrier's return to its exit). The classifier goes long when
class 1 is the most probable, short when class -1 is, and stays out otherwise; each trade's
return is ``side * return``. Over the trades taken: win rate (share > 0), profit factor (sum of
gains / |sum of losses|), win/loss ratio (mean gain / |mean loss|) and expectancy (mean return
per trade).

:func:`classification_report` gives each with a block-bootstrap percentile interval (see
:mod:`alphafactory.evaluation.bootstrap`): rows are resampled by whole timestamps (blocks of
consecutive timestamps, stationary scheme) when ``timestamps`` are given, else row by row in
the given order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from alphafactory.evaluation.bootstrap import bootstrap_indices

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "brier_score",
    "classification_report",
    "expectancy",
    "log_loss",
    "precision_long",
    "predicted_class",
    "profit_factor",
    "recall_long",
    "trade_returns",
    "win_loss_ratio",
    "win_rate",
]

_EPS = float(np.finfo(np.float64).eps)
ArrayLike = np.ndarray | pd.Series | pd.DataFrame | list


def _check(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> None:
    if proba.ndim != 2 or proba.shape != (len(y_true), len(classes)):
        raise ValueError(f"proba must be [n={len(y_true)}, K={len(classes)}], got "
                         f"{list(proba.shape)}.")  # fmt: skip
    unknown = np.setdiff1d(y_true, classes)
    if len(unknown):
        raise ValueError(f"y_true holds {unknown.tolist()}, not among classes "
                         f"{classes.tolist()}.")  # fmt: skip


def _arrays(y_true: ArrayLike, proba: ArrayLike, classes: ArrayLike) -> tuple[np.ndarray, ...]:
    y, p, c = (np.asarray(a, dtype=np.float64) for a in (y_true, proba, classes))
    _check(y, p, c)
    return y, p, c


def predicted_class(proba: ArrayLike, classes: ArrayLike) -> np.ndarray:
    """Return the class of the largest probability of each row ``[n]``."""
    return np.asarray(classes, dtype=np.float64)[np.argmax(np.asarray(proba), axis=1)]


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of rows whose predicted class is the true one."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean over the classes present in ``y_true`` of each class's recall."""
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean([np.mean(pred[y == k] == k) for k in np.unique(y)]))


def precision_long(y_true: ArrayLike, y_pred: ArrayLike, long_class: float = 1) -> float:
    """``TP / (TP + FP)`` of the long class; NaN when it is never predicted."""
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    called = pred == long_class
    return float(np.mean(y[called] == long_class)) if called.any() else float("nan")


def recall_long(y_true: ArrayLike, y_pred: ArrayLike, long_class: float = 1) -> float:
    """``TP / (TP + FN)`` of the long class; NaN when it never occurs."""
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    actual = y == long_class
    return float(np.mean(pred[actual] == long_class)) if actual.any() else float("nan")


def log_loss(y_true: ArrayLike, proba: ArrayLike, classes: ArrayLike) -> float:
    """``-mean_i log p_{i, y_i}`` with probabilities clipped to ``[eps, 1 - eps]``."""
    y, p, c = _arrays(y_true, proba, classes)
    p = np.clip(p, _EPS, 1 - _EPS)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), np.searchsorted(c, y)])))


def brier_score(y_true: ArrayLike, proba: ArrayLike, classes: ArrayLike) -> float:
    """Multi-class Brier score ``mean_i sum_k (p_ik - 1[y_i = k])^2``."""
    y, p, c = _arrays(y_true, proba, classes)
    onehot = (y[:, None] == c[None, :]).astype(np.float64)
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


def trade_returns(proba: ArrayLike, classes: ArrayLike, returns: ArrayLike) -> np.ndarray:
    """Return of each trade taken ``[m]``: long where class 1 is the most probable, short where
    class -1 is; rows with another class or a NaN return are no trade."""
    pred = predicted_class(proba, classes)
    side = np.where(pred == 1, 1.0, np.where(pred == -1, -1.0, 0.0))
    ret = np.asarray(returns, dtype=np.float64)
    taken = (side != 0) & np.isfinite(ret)
    return side[taken] * ret[taken]


def win_rate(trades: ArrayLike) -> float:
    """Share of trades with a positive return (NaN without trades)."""
    t = np.asarray(trades, dtype=np.float64)
    return float(np.mean(t > 0)) if len(t) else float("nan")


def profit_factor(trades: ArrayLike) -> float:
    """Sum of gains over the absolute sum of losses (inf without losses, NaN without trades)."""
    t = np.asarray(trades, dtype=np.float64)
    gains, losses = t[t > 0].sum(), -t[t < 0].sum()
    if not len(t) or (gains == 0 and losses == 0):
        return float("nan")
    return float(gains / losses) if losses > 0 else float("inf")


def win_loss_ratio(trades: ArrayLike) -> float:
    """Mean gain of the winning trades over the absolute mean loss of the losing ones."""
    t = np.asarray(trades, dtype=np.float64)
    wins, losses = t[t > 0], t[t < 0]
    if not len(wins) or not len(losses):
        return float("nan")
    return float(wins.mean() / -losses.mean())


def expectancy(trades: ArrayLike) -> float:
    """Mean return per trade (NaN without trades)."""
    t = np.asarray(trades, dtype=np.float64)
    return float(t.mean()) if len(t) else float("nan")


def _row_resamples(
    n: int, timestamps: ArrayLike | None, n_boot: int, block: int | None, seed: int
) -> list[np.ndarray]:
    """Row positions of each resample: whole timestamps in blocks, or rows in blocks."""
    rng = np.random.default_rng(seed)
    if timestamps is None:
        codes = np.arange(n)
    else:
        codes = pd.factorize(np.asarray(timestamps), sort=True)[0]
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_groups = len(counts)
    block = max(1, round(n_groups ** (1.0 / 3.0))) if block is None else int(block)
    out = []
    for groups in bootstrap_indices(n_groups, n_boot, min(block, n_groups), rng):
        lens = counts[groups]
        offsets = np.repeat(starts[groups] - (np.cumsum(lens) - lens), lens)
        out.append(order[offsets + np.arange(lens.sum())])
    return out


def classification_report(
    y_true: ArrayLike,
    proba: ArrayLike,
    classes: ArrayLike,
    *,
    returns: ArrayLike | None = None,
    timestamps: ArrayLike | None = None,
    n_boot: int = 300,
    block: int | None = None,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Every metric of the module with its block-bootstrap interval, as a tidy frame.

    Parameters
    ----------
    y_true : array ``[n]``
        True classes; rows with NaN are left out (with their probabilities and returns).
    proba : array ``[n, K]``
        Class probabilities, columns in the order of ``classes``.
    classes : array ``[K]``
        Sorted class labels (e.g. ``[-1, 0, 1]``).
    returns : array ``[n]``, optional
        Return of a long position on each row; adds ``n_trades``, ``win_rate``,
        ``profit_factor``, ``win_loss_ratio`` and ``expectancy``.
    timestamps : array ``[n]``, optional
        Timestamp of each row: resample whole timestamps (a cross-section moves together).
    n_boot, block, seed, alpha
        As :func:`~alphafactory.evaluation.block_bootstrap_ci` (``block`` in timestamps).

    Returns
    -------
    DataFrame
        Columns ``metric``, ``value``, ``low``, ``high`` (the ``1 - alpha`` percentile interval
        over resamples where the metric is finite; NaN for counts) and ``n`` (rows used).
    """
    y = np.asarray(y_true, dtype=np.float64)
    p, c = np.asarray(proba, dtype=np.float64), np.asarray(classes, dtype=np.float64)
    _check(y[np.isfinite(y)], p[np.isfinite(y)], c)
    keep = np.isfinite(y)
    y, p = y[keep], p[keep]
    ret = None if returns is None else np.asarray(returns, dtype=np.float64)[keep]
    stamps = None if timestamps is None else np.asarray(timestamps)[keep]
    if len(y) < 2:
        raise ValueError(f"classification_report needs at least 2 labelled rows; got {len(y)}.")
    metrics: dict[str, Callable[[np.ndarray], float]] = {
        "accuracy": lambda i: accuracy(y[i], predicted_class(p[i], c)),
        "balanced_accuracy": lambda i: balanced_accuracy(y[i], predicted_class(p[i], c)),
        "precision_long": lambda i: precision_long(y[i], predicted_class(p[i], c)),
        "recall_long": lambda i: recall_long(y[i], predicted_class(p[i], c)),
        "log_loss": lambda i: log_loss(y[i], p[i], c),
        "brier": lambda i: brier_score(y[i], p[i], c),
    }
    if ret is not None:
        trading = (win_rate, profit_factor, win_loss_ratio, expectancy)
        for fn in trading:
            metrics[fn.__name__] = lambda i, fn=fn: fn(trade_returns(p[i], c, ret[i]))
    everything = np.arange(len(y))
    resamples = _row_resamples(len(y), stamps, n_boot, block, seed)
    rows = []
    for name, fn in metrics.items():
        draws = np.array([fn(i) for i in resamples])
        draws = draws[np.isfinite(draws)]
        low, high = (np.quantile(draws, [alpha / 2, 1 - alpha / 2]) if len(draws)
                     else (np.nan, np.nan))  # fmt: skip
        rows.append({"metric": name, "value": fn(everything), "low": float(low),
                     "high": float(high), "n": len(y)})  # fmt: skip
    if ret is not None:
        n_trades = float(len(trade_returns(p, c, ret)))
        rows.append({"metric": "n_trades", "value": n_trades, "low": np.nan, "high": np.nan,
                     "n": len(y)})  # fmt: skip
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high", "n"])
