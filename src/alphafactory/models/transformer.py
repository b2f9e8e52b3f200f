"""Transformer encoder over the lookback window with Time2Vec positions and a pooling head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from alphafactory.models.highway import attach_highway
from alphafactory.models.time2vec import Time2Vec

Pooling = Literal["last", "mean", "attention"]


@dataclass(frozen=True, kw_only=True, slots=True)
class TransformerConfig:
    """Architecture of :class:`TransformerAlpha`.

    Parameters
    ----------
    d_model : int
        Embedding width (a multiple of ``n_heads``).
    n_heads : int
        Attention heads.
    n_layers : int
        Encoder layers.
    dim_feedforward : int
        Width of each layer's feed-forward block.
    dropout : float
        Dropout in attention and feed-forward blocks.
    time_dim : int
        Width of the Time2Vec embedding of the step position, concatenated to the inputs.
    positional : {"time2vec", "learned"}
        Step positions as Time2Vec features of the relative time, or additionally a learned
        embedding per step (needs the lookback at build time; the model then reads only windows
        of that length).
    highway : bool
        Add a linear "highway" over the raw input window to the score (the autoregressive
        component of LSTNet, Lai et al. 2018), so the encoder models what a linear read of the
        window misses; it trains much faster on small data.
    highway_steps : int or None
        How many of the window's last steps the highway reads; None reads the whole flattened
        window (``lookback * features`` weights, needs the lookback at build time), 1 only the
        last bar, a ridge-like read that small data can afford. With a last-steps highway the
        highway and the output layer start at zero, so the model starts from the zero score and
        the encoder adds only what the data pays for.
    pooling : {"last", "mean", "attention"}
        How the sequence is reduced to one vector: the last step, the mean over steps, or a
        learned attention weighting of steps.
    """

    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 1
    dim_feedforward: int = 64
    dropout: float = 0.1
    time_dim: int = 8
    pooling: Pooling = "last"
    positional: Literal["time2vec", "learned"] = "time2vec"
    highway: bool = False
    highway_steps: int | None = None

    def build(self, n_features: int, lookback: int) -> TransformerAlpha:
        """Return a freshly initialised module."""
        return TransformerAlpha(n_features, self, lookback=lookback)


class SequenceEncoder(nn.Module):
    """Encode ``[batch, lookback, features]`` into ``[batch, d_model]`` (shared with the ranker)."""

    def __init__(
        self, n_features: int, config: TransformerConfig, lookback: int | None = None
    ) -> None:
        super().__init__()
        if config.d_model % config.n_heads:
            raise ValueError(
                f"d_model ({config.d_model}) must be a multiple of n_heads ({config.n_heads})."
            )
        if config.pooling not in ("last", "mean", "attention"):
            raise ValueError(
                f"pooling must be 'last', 'mean' or 'attention', got {config.pooling!r}."
            )
        if config.positional not in ("time2vec", "learned"):
            raise ValueError(
                f"positional must be 'time2vec' or 'learned', got {config.positional!r}."
            )
        if config.positional == "learned" and lookback is None:
            raise ValueError("positional='learned' needs the lookback to size its embedding.")
        self.pooling = config.pooling
        self.time = Time2Vec(config.time_dim)
        self.embed = nn.Linear(n_features + config.time_dim, config.d_model)
        self.position = (
            nn.Parameter(torch.zeros(1, lookback, config.d_model))
            if config.positional == "learned" and lookback is not None
            else None
        )
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.n_heads,
            dim_feedforward=config.dim_feedforward,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.d_model)
        self.attn_score = nn.Linear(config.d_model, 1) if config.pooling == "attention" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, lookback, _ = x.shape
        # Positions run from -1 (oldest) to 0 (newest), so a window's last step is always 0.
        steps = torch.arange(lookback, device=x.device, dtype=x.dtype) - (lookback - 1)
        pos = self.time((steps / max(lookback, 1)).view(1, lookback, 1)).expand(batch, -1, -1)
        h = self.embed(torch.cat([x, pos], dim=-1))
        if self.position is not None:
            if lookback != self.position.shape[1]:
                raise ValueError(
                    f"This encoder learned positions for {self.position.shape[1]} steps; got "
                    f"windows of {lookback}."
                )
            h = h + self.position
        h = self.norm(self.encoder(h))
        if self.pooling == "last":
            return h[:, -1, :]
        if self.pooling == "mean":
            return h.mean(dim=1)
        assert self.attn_score is not None
        weights = torch.softmax(self.attn_score(h), dim=1)  # [batch, lookback, 1]
        return (weights * h).sum(dim=1)


class TransformerAlpha(nn.Module):
    """Map windows ``[batch, lookback, features]`` to scores ``[batch]``.

    Parameters
    ----------
    n_features : int
        Features per time step.
    config : TransformerConfig, optional
        Architecture; defaults to ``TransformerConfig()``.
    lookback : int, optional
        Window length (required for learned positions).
    """

    def __init__(
        self,
        n_features: int,
        config: TransformerConfig | None = None,
        *,
        lookback: int | None = None,
    ) -> None:
        super().__init__()
        config = config or TransformerConfig()
        self.encoder = SequenceEncoder(n_features, config, lookback)
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.d_model, 1))
        self.highway = attach_highway(
            n_features, lookback, config.highway, config.highway_steps, self.head[-1]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of windows ``[batch, lookback, features]`` -> ``[batch]``."""
        score = self.head(self.encoder(x)).squeeze(-1)
        if self.highway is not None:
            score = score + self.highway(x)
        return score
