"""LSTM alpha model: a recurrent encoder over the lookback window, scored from the last step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from alphafactory.models.highway import attach_highway


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
    highway : bool
        Add a linear "highway" from the raw inputs to the score (see
        :class:`~alphafactory.models.highway.LinearHighway`).
    highway_steps : int or None
        How many of the window's last steps the highway reads; None reads the whole window. With
        a last-steps highway the highway and the output layer start at zero, so the model starts
        from the zero score and the LSTM adds only what the data pays for.
    """

    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.1
    highway: bool = False
    highway_steps: int | None = None

    def build(self, n_features: int, lookback: int) -> LSTMAlpha:
        """Return a freshly initialised module for ``n_features`` inputs per step."""
        return LSTMAlpha(n_features, self.hidden_size, self.num_layers, self.dropout,
                         highway=self.highway, highway_steps=self.highway_steps,
                         lookback=lookback)  # fmt: skip


class LSTMAlpha(nn.Module):
    """Map windows ``[batch, lookback, features]`` to scores ``[batch]``.

    Parameters
    ----------
    n_features : int
        Features per time step.
    hidden_size, num_layers, dropout, highway, highway_steps
        See :class:`LSTMConfig`.
    lookback : int, optional
        Window length; a highway over the whole window needs it (the LSTM itself reads any
        window length).
    """

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.1,
        *,
        highway: bool = False,
        highway_steps: int | None = None,
        lookback: int | None = None,
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
        # Built after the head, so an LSTM without a highway initialises as it always did.
        self.highway = attach_highway(n_features, lookback, highway, highway_steps, self.head[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of windows ``[batch, lookback, features]`` -> ``[batch]``."""
        out, _ = self.lstm(x)
        score = self.head(out[:, -1, :]).squeeze(-1)
        if self.highway is not None:
            score = score + self.highway(x)
        return score
