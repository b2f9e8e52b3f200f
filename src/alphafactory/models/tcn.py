"""Temporal convolutional network: dilated causal convolutions in residual blocks (Bai et al. 2018).

Dilations double per block (1, 2, 4, ...) and blocks are added until the receptive field
``1 + 2 * (kernel_size - 1) * (2**n_blocks - 1)`` covers the lookback, so the score at the last
step sees the whole window and nothing after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from alphafactory.models.highway import attach_highway


@dataclass(frozen=True, kw_only=True, slots=True)
class TCNConfig:
    """Architecture of :class:`TCNAlpha`.

    Parameters
    ----------
    channels : int
        Channels of every residual block.
    kernel_size : int
        Convolution width (>= 2).
    dropout : float
        Dropout inside each block.
    highway : bool
        Add a linear "highway" from the raw inputs to the score (see
        :class:`~alphafactory.models.highway.LinearHighway`), so the convolutions model what a
        linear read misses.
    highway_steps : int or None
        How many of the window's last steps the highway reads; None reads the whole window. With
        a last-steps highway the highway and the network's output layer start at zero, so the
        model starts from the zero score and the convolutions add only what the data pays for.
    """

    channels: int = 32
    kernel_size: int = 3
    dropout: float = 0.1
    highway: bool = False
    highway_steps: int | None = None

    def build(self, n_features: int, lookback: int) -> TCNAlpha:
        """Return a freshly initialised module whose receptive field covers ``lookback``."""
        return TCNAlpha(n_features, lookback, self.channels, self.kernel_size, self.dropout,
                        highway=self.highway, highway_steps=self.highway_steps)  # fmt: skip


def receptive_field(kernel_size: int, n_blocks: int) -> int:
    """Return the receptive field in steps of ``n_blocks`` blocks of two dilated convolutions."""
    return 1 + 2 * (kernel_size - 1) * (2**n_blocks - 1)


class _CausalBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(c_in, c_out, kernel_size, dilation=dilation)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel_size, dilation=dilation)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Left padding only: output step t depends on inputs <= t.
        h = self.drop(F.relu(self.conv1(F.pad(x, (self.pad, 0)))))
        h = self.drop(F.relu(self.conv2(F.pad(h, (self.pad, 0)))))
        return F.relu(h + self.skip(x))


class TCNAlpha(nn.Module):
    """Map windows ``[batch, lookback, features]`` to scores ``[batch]``.

    Parameters
    ----------
    n_features : int
        Features per time step.
    lookback : int
        Window length; sets the number of blocks so the receptive field is >= ``lookback``.
    channels, kernel_size, dropout, highway, highway_steps
        See :class:`TCNConfig`.
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        channels: int = 32,
        kernel_size: int = 3,
        dropout: float = 0.1,
        *,
        highway: bool = False,
        highway_steps: int | None = None,
    ) -> None:
        super().__init__()
        if kernel_size < 2:
            raise ValueError(f"TCN kernel_size must be >= 2, got {kernel_size}.")
        n_blocks = 1
        while receptive_field(kernel_size, n_blocks) < lookback:
            n_blocks += 1
        self.receptive_field = receptive_field(kernel_size, n_blocks)
        blocks = [
            _CausalBlock(n_features if i == 0 else channels, channels, kernel_size, 2**i, dropout)
            for i in range(n_blocks)
        ]
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(channels, 1)
        # Built after the head, so a TCN without a highway initialises as it always did.
        self.highway = attach_highway(n_features, lookback, highway, highway_steps, self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of windows ``[batch, lookback, features]`` -> ``[batch]``."""
        h = self.blocks(x.transpose(1, 2))  # [batch, channels, lookback]
        score = self.head(h[:, :, -1]).squeeze(-1)
        if self.highway is not None:
            score = score + self.highway(x)
        return score
