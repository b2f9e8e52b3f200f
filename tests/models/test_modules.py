from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from alphafactory.models import (
    CrossSectionalConfig,
    CrossSectionalTransformer,
    LSTMAlpha,
    MLPAlpha,
    TCNAlpha,
    Time2Vec,
    TransformerAlpha,
    TransformerConfig,
    select_top_k,
)
from alphafactory.models.tcn import _CausalBlock, receptive_field


@pytest.mark.parametrize(
    "module",
    [
        LSTMAlpha(4, hidden_size=8),
        TCNAlpha(4, lookback=12, channels=8),
        TransformerAlpha(4, TransformerConfig(d_model=8, n_heads=2, pooling="last")),
        TransformerAlpha(4, TransformerConfig(d_model=8, n_heads=2, pooling="mean")),
        TransformerAlpha(4, TransformerConfig(d_model=8, n_heads=2, pooling="attention")),
        MLPAlpha(4, steps=12, hidden=(8,)),
    ],
    ids=["lstm", "tcn", "transformer-last", "transformer-mean", "transformer-attention", "mlp"],
)
def test_sequence_module_windows_return_one_score_per_sample(module):
    torch.manual_seed(0)
    out = module(torch.randn(5, 12, 4))
    assert out.shape == (5,)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("lookback", [2, 8, 20, 60])
def test_tcn_receptive_field_covers_lookback(lookback):
    model = TCNAlpha(3, lookback=lookback, kernel_size=3)
    assert model.receptive_field >= lookback
    assert model.receptive_field == receptive_field(3, len(model.blocks))


def test_tcn_block_future_inputs_do_not_move_past_outputs():
    torch.manual_seed(0)
    block = _CausalBlock(2, 4, kernel_size=3, dilation=2, dropout=0.0).eval()
    x = torch.randn(1, 2, 16)
    changed = x.clone()
    changed[:, :, 10:] += 5.0
    before, after = block(x), block(changed)
    assert torch.equal(before[:, :, :10], after[:, :, :10])
    assert not torch.equal(before[:, :, 10:], after[:, :, 10:])


def test_tcn_first_window_step_moves_last_output():
    torch.manual_seed(0)
    model = TCNAlpha(2, lookback=20, channels=4, dropout=0.0).eval()
    x = torch.randn(1, 20, 2)
    changed = x.clone()
    changed[:, 0, :] += 3.0
    assert model(x).item() != model(changed).item()


def test_transformer_bad_heads_raises():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        TransformerAlpha(3, TransformerConfig(d_model=10, n_heads=4))


def test_time2vec_output_has_linear_and_periodic_terms():
    t2v = Time2Vec(5)
    t = torch.linspace(-1, 0, 7).view(7, 1)
    out = t2v(t)
    assert out.shape == (7, 5)
    assert torch.all(out[:, 1:].abs() <= 1.0)


def test_cross_sectional_masked_symbol_does_not_move_others():
    torch.manual_seed(0)
    cfg = CrossSectionalConfig(temporal=TransformerConfig(d_model=8, n_heads=2, dropout=0.0))
    model = CrossSectionalTransformer(3, cfg).eval()
    x = torch.randn(2, 5, 6, 3)
    mask = torch.ones(2, 5, dtype=torch.bool)
    mask[:, 4] = False
    changed = x.clone()
    changed[:, 4] += 10.0
    out, out_changed = model(x, mask), model(changed, mask)
    assert out.shape == (2, 5)
    torch.testing.assert_close(out[:, :4], out_changed[:, :4])
    # A present symbol does move its peers: attention runs across symbols.
    changed_present = x.clone()
    changed_present[:, 0] += 10.0
    assert not torch.allclose(model(changed_present, mask)[:, 1:4], out[:, 1:4])


def test_cross_sectional_symbol_embeddings_need_ids():
    cfg = CrossSectionalConfig(temporal=TransformerConfig(d_model=8, n_heads=2), n_symbols=5)
    model = CrossSectionalTransformer(3, cfg)
    with pytest.raises(ValueError, match="symbol_ids"):
        model(torch.randn(1, 5, 4, 3))
    ids = torch.arange(5).view(1, 5)
    assert model(torch.randn(1, 5, 4, 3), symbol_ids=ids).shape == (1, 5)


def test_select_top_k_picks_highest_per_timestamp():
    index = pd.MultiIndex.from_product(
        [pd.date_range("2024-01-01", periods=2, tz="UTC"), ["a", "b", "c", "d"]],
        names=["timestamp", "symbol"],
    )
    scores = pd.Series([4.0, 1.0, 3.0, 2.0, 0.0, 5.0, np.nan, 1.0], index=index)
    top = select_top_k(scores, 2)
    assert list(top[top].index.get_level_values("symbol")) == ["a", "c", "b", "d"]
    bottom = select_top_k(scores, 1, bottom=True)
    assert list(bottom[bottom].index.get_level_values("symbol")) == ["b", "a"]
    with pytest.raises(ValueError, match="k >= 1"):
        select_top_k(scores, 0)
