"""LSTM alpha model: a recurrent encoder over the lookback window, scored from the last step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True, kw_only=True, slots=True)
class LSTMConfig:
    """Architecture of :class:`LSTMAlpha`.

    Parameters
    ----------
    hidden_size : int
        Width of the recurrent state.
    num_layers : int
        Stacked LSTM layers.
    dropout : float
        Dropout between stacked layers and before the output head, in ``[0, 1)``.
    """

    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.1

    def build(self, n_features: int, lookback: int) -> LSTMAlpha:
        """Return a freshly initialised module for ``n_features`` inputs per step."""
        del lookback  # an LSTM reads any window length
        return LSTMAlpha(n_features, self.hidden_size, self.num_layers, self.dropout)


class LSTMAlpha(nn.Module):
    """Map windows ``[batch, lookback, features]`` to scores ``[batch]``.

    Parameters
    ----------
    n_features : int
        Features per time step.
    hidden_size, num_layers, dropout
        See :class:`LSTMConfig`.
    """

    def __init__(
        self, n_features: int, hidden_size: int = 32, num_layers: int = 1, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            n_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of windows ``[batch, lookback, features]`` -> ``[batch]``."""
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(-1)
