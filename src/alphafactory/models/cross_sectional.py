"""Cross-sectional ranker: a temporal encoder per symbol, then attention across symbols.

The model sees every symbol of a timestamp at once, so it can score a stock relative to its peers;
it is trained with a rank loss (``loss="rank_ic"`` in :class:`~alphafactory.models.TrainConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from alphafactory.models.transformer import SequenceEncoder, TransformerConfig


@dataclass(frozen=True, kw_only=True, slots=True)
class CrossSectionalConfig:
    """Architecture of :class:`CrossSectionalTransformer`.

    Parameters
    ----------
    temporal : TransformerConfig
        Encoder applied to each symbol's window (Time2Vec step positions included).
    cross_layers : int
        Attention layers across the symbols of one timestamp.
    n_symbols : int
        Size of the learned symbol embedding table; 0 (the default) turns embeddings off,
        because they let the model memorise names instead of learning from features.
    """

    temporal: TransformerConfig = field(default_factory=TransformerConfig)
    cross_layers: int = 1
    n_symbols: int = 0

    def build(self, n_features: int, lookback: int) -> CrossSectionalTransformer:
        """Return a freshly initialised module."""
        del lookback
        return CrossSectionalTransformer(n_features, self)


class CrossSectionalTransformer(nn.Module):
    """Map ``[timestamps, symbols, lookback, features]`` to scores ``[timestamps, symbols]``.

    Parameters
    ----------
    n_features : int
        Features per time step.
    config : CrossSectionalConfig, optional
        Architecture; defaults to ``CrossSectionalConfig()``.
    """

    cross_sectional = True  # the Trainer batches whole timestamps for this module

    def __init__(self, n_features: int, config: CrossSectionalConfig | None = None) -> None:
        super().__init__()
        config = config or CrossSectionalConfig()
        t = config.temporal
        self.temporal = SequenceEncoder(n_features, t)
        layer = nn.TransformerEncoderLayer(
            t.d_model, t.n_heads, t.dim_feedforward, t.dropout, batch_first=True, norm_first=True
        )
        self.cross = nn.TransformerEncoder(layer, config.cross_layers, enable_nested_tensor=False)
        self.symbol_embedding = (
            nn.Embedding(config.n_symbols, t.d_model) if config.n_symbols > 0 else None
        )
        self.head = nn.Linear(t.d_model, 1)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        symbol_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Score ``x`` of shape ``[T, N, lookback, features]``.

        Parameters
        ----------
        x : Tensor
            Windows of every symbol at each timestamp; padded entries may hold anything.
        mask : Tensor, optional
            Bool ``[T, N]``, True where the symbol is present; absent symbols are not attended to.
        symbol_ids : Tensor, optional
            Long ``[T, N]`` indices into the symbol embedding (only when ``n_symbols > 0``).

        Returns
        -------
        Tensor
            Scores ``[T, N]`` (padded entries are meaningless).
        """
        n_t, n_s, lookback, n_f = x.shape
        h = self.temporal(x.reshape(n_t * n_s, lookback, n_f)).reshape(n_t, n_s, -1)
        if self.symbol_embedding is not None:
            if symbol_ids is None:
                raise ValueError("This model has symbol embeddings: pass symbol_ids [T, N].")
            h = h + self.symbol_embedding(symbol_ids)
        padding = None if mask is None else ~mask
        h = self.cross(h, src_key_padding_mask=padding)
        return self.head(h).squeeze(-1)


def select_top_k(scores: pd.Series, k: int, *, bottom: bool = False) -> pd.Series:
    """Mark the ``k`` highest (or lowest) scores of each timestamp.

    Parameters
    ----------
    scores : Series
        Scores indexed ``(timestamp, symbol)``.
    k : int
        Symbols selected per timestamp (all of them where fewer are present).
    bottom : bool
        Select the lowest scores instead (the short leg).

    Returns
    -------
    Series
        Bool, same index as ``scores``; ties are broken by symbol order.
    """
    if k < 1:
        raise ValueError(f"select_top_k needs k >= 1, got {k}.")
    ranks = scores.groupby(level="timestamp").rank(method="first", ascending=bottom)
    return (ranks <= k) & np.isfinite(scores)
