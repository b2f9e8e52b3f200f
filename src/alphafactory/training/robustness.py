"""Robustness of a fitted model to perturbed inputs: Gaussian noise and FGSM attacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from alphafactory.features.windows import ArrayWindows, Windows, as_windows
from alphafactory.models.batching import is_cross_sectional
from alphafactory.training.fold_data import mean_ic


def adversarial_noisy_eval(
    model: Any,
    X: Windows | np.ndarray,
    y: np.ndarray | None = None,
    eps: Sequence[float] = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5),
    kind: Literal["gaussian", "fgsm"] = "gaussian",
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Return IC and hit rate of ``model`` on inputs perturbed by each ``eps``.

    Parameters
    ----------
    model : fitted estimator
        Anything with ``predict``; ``kind="fgsm"`` needs a torch model (``module_``).
    X : ndarray or Windows
        Windows ``[n, lookback, F]`` in the model's (normalized) input units.
    y : ndarray, optional
        Labels ``[n]`` (or carried by ``X`` when it is Windows).
    eps : sequence of float
        Perturbation sizes in input units (standard deviations for z-scored features).
    kind : {"gaussian", "fgsm"}
        ``"gaussian"``: ``X + eps * N(0, 1)`` (seeded). ``"fgsm"``: the fast gradient sign
        attack (Goodfellow et al. 2015), ``X + eps * sign(grad_X L)``, ``L`` the squared error
        of the score against the label: the worst case within an L-infinity ball of radius eps.
    seed : int
        Seed of the Gaussian noise.

    Returns
    -------
    DataFrame
        Index ``eps``; columns ``ic`` (mean per-timestamp Pearson IC when the windows carry
        timestamp groups, else pooled) and ``hit_rate`` (share of samples where the score and
        the label have the same sign).
    """
    windows = as_windows(X, y)
    if windows.labels is None:
        raise ValueError("adversarial_noisy_eval needs labels (y, or Windows with labels).")
    if kind not in ("gaussian", "fgsm"):
        raise ValueError(f"kind must be 'gaussian' or 'fgsm', got {kind!r}.")
    base = windows.gather(np.arange(len(windows)))
    labels = windows.labels
    direction = None
    if kind == "fgsm":
        direction = _loss_gradient_sign(model, base, labels)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(base.shape).astype(np.float32) if kind == "gaussian" else None
    rows = []
    for e in eps:
        perturbation = noise if direction is None else direction
        assert perturbation is not None
        attacked = ArrayWindows(
            base + np.float32(e) * perturbation,
            labels,
            groups=windows.groups,
            symbols=windows.symbols,
        )
        scores = model.predict(attacked)
        finite = np.isfinite(labels)
        hit = float(np.mean(np.sign(scores[finite]) == np.sign(labels[finite])))
        rows.append(
            {"eps": float(e), "ic": mean_ic(scores, labels, windows.groups), "hit_rate": hit}
        )
    return pd.DataFrame(rows).set_index("eps")


def _loss_gradient_sign(model: Any, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    module = getattr(model, "module_", None)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"kind='fgsm' needs a fitted torch model (with module_); got {type(model).__name__}."
        )
    if is_cross_sectional(module):
        raise TypeError("kind='fgsm' supports per-sample models, not the cross-sectional ranker.")
    scale = float(getattr(model, "label_scale_", 1.0))
    device = next(module.parameters()).device
    module.eval()
    grads = np.empty_like(x)
    for start in range(0, len(x), 4096):
        xb = torch.from_numpy(x[start : start + 4096]).to(device).requires_grad_(True)
        yb = torch.from_numpy((labels[start : start + 4096] / scale).astype(np.float32)).to(device)
        finite = torch.isfinite(yb)
        loss = ((module(xb)[finite] - yb[finite]) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, xb)
        grads[start : start + 4096] = grad.sign().cpu().numpy()
    return grads
