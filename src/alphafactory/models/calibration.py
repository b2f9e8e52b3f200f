"""Probability calibration of a classifier, fitted on held-out (validation) rows only.

- ``"sigmoid"`` (Platt 1999): per class, ``q_k = 1 / (1 + exp(-(a_k logit(p_k) + b_k)))``
  fitted by maximum likelihood on Platt's smoothed targets, one-vs-rest, then the rows are
  renormalized; the binary case calibrates class 1 and sets ``q_0 = 1 - q_1``;
- ``"isotonic"``: per class, a non-decreasing step map of ``p_k`` (scikit-learn's
  ``IsotonicRegression``, kept as its thresholds and applied by linear interpolation), then
  renormalized (a row mapped to all zeros becomes uniform).

The state is a plain JSON-ready dict (method, calibrated columns, per-column maps, the number
of rows it was fitted on), so stored models carry no pickled code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CALIBRATIONS", "apply_calibration", "fit_calibration"]

CALIBRATIONS = ("sigmoid", "isotonic", "none")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + exp(-x)) without overflow


def _platt(z: np.ndarray, hit: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of ``sigmoid(a z + b)`` with Platt's smoothed targets
    (damped Newton: a step is halved until the convex loss goes down)."""
    n_pos = float(hit.sum())
    target = np.where(hit, (n_pos + 1) / (n_pos + 2), 1 / (len(hit) - n_pos + 2))
    design = np.column_stack([z, np.ones_like(z)])

    def loss(theta: np.ndarray) -> float:
        u = design @ theta  # -log-likelihood: log(1 + e^u) - t u
        return float(np.sum(np.logaddexp(0.0, u) - target * u))

    theta = np.array([1.0, 0.0])
    current = loss(theta)
    for _ in range(100):
        q = _sigmoid(design @ theta)
        hess = (design * (q * (1 - q))[:, None]).T @ design + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, design.T @ (q - target))
        for _ in range(50):
            trial = loss(theta - step)
            if trial <= current:
                break
            step = step / 2
        theta, current = theta - step, min(trial, current)
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def fit_calibration(method: str, proba: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The calibration state (plain lists, JSON-ready) of ``proba`` ``[n, K]`` against ``y``."""
    columns = [1] if proba.shape[1] == 2 else list(range(proba.shape[1]))
    maps: list[Any] = []
    for k in columns:
        hit = y == k
        if method == "sigmoid":
            maps.append(_platt(_logit(proba[:, k]), hit))
        else:
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            iso.fit(proba[:, k], hit.astype(np.float64))
            maps.append([iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist()])
    return {"method": method, "columns": columns, "maps": maps, "n_samples": len(y)}


def apply_calibration(state: dict[str, Any], proba: np.ndarray) -> np.ndarray:
    """Calibrated probabilities ``[n, K]`` of raw ``proba`` (rows renormalized to sum to 1)."""
    out = np.empty_like(proba)
    for k, m in zip(state["columns"], state["maps"], strict=True):
        if state["method"] == "sigmoid":
            out[:, k] = _sigmoid(m[0] * _logit(proba[:, k]) + m[1])
        else:
            out[:, k] = np.interp(proba[:, k], m[0], m[1])
    if proba.shape[1] == 2:
        out[:, 0] = 1 - out[:, 1]
        return out
    total = out.sum(axis=1, keepdims=True)
    return np.where(total > 0, out / np.where(total > 0, total, 1), 1 / proba.shape[1])
