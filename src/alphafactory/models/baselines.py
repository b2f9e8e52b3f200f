"""Baselines behind the same interface: ridge on the flattened window and an MLP.

Gradient-boosted trees live in :mod:`alphafactory.models.gbm` (the optional ``gbm`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator

_CHUNK = 8192  # samples per gathered block when accumulating normal equations


def flatten_windows(windows: Windows, idx: np.ndarray, last_steps: int | None) -> np.ndarray:
    """Gather samples ``idx`` and flatten their last ``last_steps`` steps: ``[b, steps * F]``."""
    x = windows.gather(idx)
    if last_steps is not None:
        x = x[:, -last_steps:, :]
    return x.reshape(len(idx), -1)


class RidgeAlpha(AlphaEstimator):
    """Ridge regression on the flattened window.

    Minimises ``mean((y - b - x.w)^2) + alpha * ||w||^2`` in closed form; the normal equations
    are accumulated in float64 blocks of samples, so the flattened matrix is never held whole.

    Parameters
    ----------
    alpha : float
        Penalty per sample (features are expected to be standardized).
    last_steps : int or None
        Use only the last ``last_steps`` bars of each window (None: the whole window).

    Attributes
    ----------
    coef_ : ndarray
        ``[steps * F]`` weights, step-major (oldest step first).
    intercept_ : float
    n_features_in_ : int
    """

    def __init__(self, alpha: float = 1e-2, last_steps: int | None = None):
        self.alpha = alpha
        self.last_steps = last_steps

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> RidgeAlpha:
        """Fit on windows ``[n, lookback, F]`` and labels ``[n]`` (validation data unused)."""
        del X_val, y_val
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}.")
        windows = as_windows(X, y)
        if windows.labels is None:
            raise ValueError("fit needs labels: pass y, or Windows that carry labels.")
        labels = windows.labels
        keep = np.flatnonzero(np.isfinite(labels))
        if len(keep) == 0:
            raise ValueError("fit got no finite labels.")
        gram = None
        xty = None
        xsum = None
        for start in range(0, len(keep), _CHUNK):
            idx = keep[start : start + _CHUNK]
            x = flatten_windows(windows, idx, self.last_steps).astype(np.float64)
            gram = x.T @ x if gram is None else gram + x.T @ x
            xty = x.T @ labels[idx] if xty is None else xty + x.T @ labels[idx]
            xsum = x.sum(axis=0) if xsum is None else xsum + x.sum(axis=0)
        assert gram is not None and xty is not None and xsum is not None
        n = len(keep)
        mean_x, mean_y = xsum / n, float(labels[keep].mean())
        centred_gram = gram - n * np.outer(mean_x, mean_x)
        centred_xty = xty - n * mean_x * mean_y
        penalty = self.alpha * n * np.eye(len(mean_x))
        self.coef_ = np.linalg.solve(centred_gram + penalty, centred_xty)
        self.intercept_ = mean_y - float(mean_x @ self.coef_)
        self.n_features_in_ = windows.n_features
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return float64 scores ``[n]``."""
        self._check_fitted()
        windows = as_windows(X)
        if windows.n_features != self.n_features_in_:
            raise ValueError(
                f"The model was fitted on {self.n_features_in_} features; X has "
                f"{windows.n_features}."
            )
        out = np.empty(len(windows), dtype=np.float64)
        for start in range(0, len(windows), _CHUNK):
            idx = np.arange(start, min(start + _CHUNK, len(windows)))
            out[idx] = flatten_windows(windows, idx, self.last_steps) @ self.coef_
        return out + self.intercept_


@dataclass(frozen=True, kw_only=True, slots=True)
class MLPConfig:
    """Architecture of :class:`MLPAlpha`.

    Parameters
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    dropout : float
        Dropout after each hidden layer.
    last_steps : int or None
        Flatten only the last ``last_steps`` bars of the window (None: all of it).
    """

    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    last_steps: int | None = None

    def build(self, n_features: int, lookback: int) -> MLPAlpha:
        """Return a freshly initialised module."""
        steps = lookback if self.last_steps is None else min(self.last_steps, lookback)
        return MLPAlpha(n_features, steps, tuple(self.hidden), self.dropout)


class MLPAlpha(nn.Module):
    """Map windows ``[batch, lookback, features]`` to ``[batch]`` through an MLP on the flat window.

    Parameters
    ----------
    n_features : int
        Features per step.
    steps : int
        Trailing steps of the window that are used.
    hidden : tuple of int
        Hidden widths.
    dropout : float
    """

    def __init__(
        self, n_features: int, steps: int, hidden: tuple[int, ...] = (64, 32), dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.steps = steps
        layers: list[nn.Module] = []
        width = steps * n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.GELU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch ``[batch, lookback, features]`` -> ``[batch]``."""
        return self.net(x[:, -self.steps :, :].flatten(1)).squeeze(-1)
