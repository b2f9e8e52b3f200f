"""Time2Vec (Kazemi et al. 2019): one linear and ``k - 1`` periodic learned features of time."""

from __future__ import annotations

import torch
from torch import nn


class Time2Vec(nn.Module):
    """Map times ``[..., 1]`` to ``[..., dim]``: ``[w0 t + b0, sin(w_i t + b_i) for i >= 1]``.

    Parameters
    ----------
    dim : int
        Output width (>= 2): one linear term and ``dim - 1`` sine terms.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim < 2:
            raise ValueError(f"Time2Vec needs dim >= 2, got {dim}.")
        self.linear = nn.Linear(1, 1)
        self.periodic = nn.Linear(1, dim - 1)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """Embed times ``t`` of shape ``[..., 1]`` (any real scale) into ``[..., dim]``."""
        return torch.cat([self.linear(t), torch.sin(self.periodic(t))], dim=-1)
