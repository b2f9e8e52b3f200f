"""Training losses on predictions ``[b]``, labels ``[b]`` and optional timestamp groups ``[b]``.

- ``mse``: mean of ``(p - y)^2``.
- ``huber``: Huber loss with ``delta = 1`` on labels scaled to unit standard deviation.
- ``ic``: ``-mean_g corr(p_g, y_g)``: minus the mean Pearson correlation inside each timestamp
  group (the cross-sectional IC); over the whole batch when no groups are given.
- ``rank_ic``: as ``ic`` with ``y`` replaced by its ranks inside each group, so the model is
  trained to order symbols (the ranker's loss; differentiable in ``p``).
- ``bce``: binary cross-entropy of the logit ``p`` against ``y > 0`` (direction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch.nn import functional as F

LossName = Literal["mse", "huber", "ic", "rank_ic", "bce"]
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def mse_loss(pred: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    del groups
    return F.mse_loss(pred, y)


def huber_loss(pred: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    del groups
    scale = y.detach().std().clamp_min(1e-12) if y.numel() > 1 else y.new_tensor(1.0)
    return F.huber_loss(pred, y / scale, delta=1.0)


def bce_loss(pred: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    del groups
    return F.binary_cross_entropy_with_logits(pred, (y > 0).to(pred.dtype))


def grouped_correlation(
    a: torch.Tensor, b: torch.Tensor, groups: torch.Tensor | None
) -> torch.Tensor:
    """Return the mean Pearson correlation of ``a`` and ``b`` inside groups.

    ``groups`` holds ids ``0 .. G-1`` (see :func:`dense_groups`); groups with fewer than two
    members or no variance are left out. Without groups the whole batch is one group.
    """
    if groups is None:
        groups = torch.zeros_like(a, dtype=torch.long)
    n_groups = int(groups.max().item()) + 1 if groups.numel() else 0
    if n_groups == 0:
        return a.sum() * 0.0
    count = torch.zeros(n_groups, dtype=a.dtype, device=a.device).index_add_(
        0, groups, torch.ones_like(a)
    )
    mean_a = torch.zeros_like(count).index_add_(0, groups, a) / count.clamp_min(1)
    mean_b = torch.zeros_like(count).index_add_(0, groups, b) / count.clamp_min(1)
    da, db = a - mean_a[groups], b - mean_b[groups]
    cov = torch.zeros_like(count).index_add_(0, groups, da * db)
    var_a = torch.zeros_like(count).index_add_(0, groups, da * da)
    var_b = torch.zeros_like(count).index_add_(0, groups, db * db)
    valid = (count >= 2) & (var_a > 1e-12) & (var_b > 1e-12)
    if not bool(valid.any()):
        return a.sum() * 0.0
    corr = cov[valid] / torch.sqrt(var_a[valid] * var_b[valid])
    return corr.mean()


def grouped_ranks(y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    """Return the rank of each ``y`` inside its group (0-based, ties by position)."""
    if groups is None:
        groups = torch.zeros_like(y, dtype=torch.long)
    # Sort by (group, y): a stable sort on y, then a stable sort on group.
    order = torch.argsort(y, stable=True)
    order = order[torch.argsort(groups[order], stable=True)]
    sorted_groups = groups[order]
    position = torch.arange(len(y), device=y.device)
    first = torch.zeros(int(groups.max().item()) + 1, dtype=torch.long, device=y.device)
    first.scatter_reduce_(0, sorted_groups, position, reduce="amin", include_self=False)
    ranks = torch.empty_like(y)
    ranks[order] = (position - first[sorted_groups]).to(y.dtype)
    return ranks


def ic_loss(pred: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    return -grouped_correlation(pred, y, groups)


def rank_ic_loss(pred: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None) -> torch.Tensor:
    return -grouped_correlation(pred, grouped_ranks(y, groups), groups)


def dense_groups(groups: torch.Tensor) -> torch.Tensor:
    """Map arbitrary integer group labels to ``0 .. G-1``."""
    return torch.unique(groups, return_inverse=True)[1]


LOSSES: dict[str, LossFn] = {
    "mse": mse_loss,
    "huber": huber_loss,
    "ic": ic_loss,
    "rank_ic": rank_ic_loss,
    "bce": bce_loss,
}


def get_loss(name: str) -> LossFn:
    """Return the loss function called ``name`` (one of :data:`LOSSES`)."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"Unknown loss {name!r}; expected one of {sorted(LOSSES)}.") from None
