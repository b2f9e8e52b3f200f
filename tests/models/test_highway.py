"""The linear highway of the sequence models: which steps it reads, its state, artifacts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alphafactory.features.windows import ArrayWindows
from alphafactory.models import (
    LSTMConfig,
    TCNAlpha,
    TCNConfig,
    TransformerAlpha,
    TransformerConfig,
    get_model,
)
from alphafactory.models.highway import LinearHighway
from alphafactory.models.serialize import load_estimator, save_estimator


@pytest.mark.parametrize("steps", [1, 3])
def test_highway_last_steps_ignores_older_steps(steps):
    torch.manual_seed(0)
    highway = LinearHighway(2, lookback=8, steps=steps)
    assert not highway.weight.any()  # a last-steps highway starts at zero
    torch.nn.init.normal_(highway.weight)
    x = torch.randn(4, 8, 2)
    older, newest = x.clone(), x.clone()
    older[:, : 8 - steps] += 5.0
    newest[:, -1] += 5.0
    assert torch.equal(highway(x), highway(older))
    assert not torch.equal(highway(x), highway(newest))
    assert highway.weight.shape == (1, 2 * steps)


def test_highway_whole_window_keeps_its_shape_and_checks_window_length():
    highway = LinearHighway(3, lookback=6, steps=None)
    assert highway.weight.shape == (1, 18)
    assert highway(torch.randn(2, 6, 3)).shape == (2,)
    with pytest.raises(ValueError, match="windows of 6 steps"):
        highway(torch.randn(2, 5, 3))


@pytest.mark.parametrize("steps", [0, 7])
def test_highway_steps_out_of_range_raise(steps):
    with pytest.raises(ValueError, match="highway_steps"):
        LinearHighway(3, lookback=6, steps=steps)
    with pytest.raises(ValueError, match="highway_steps"):
        TCNConfig(highway=True, highway_steps=steps).build(3, 6)


@pytest.mark.parametrize("config", [LSTMConfig, TCNConfig, TransformerConfig])
def test_highway_steps_without_highway_raise(config):
    with pytest.raises(ValueError, match="highway_steps=1 needs highway=True"):
        config(highway_steps=1).build(3, 6)


def test_transformer_whole_window_highway_state_is_unchanged():
    # Artifacts saved before highway_steps existed hold highway.weight [1, lookback * F].
    state = TransformerAlpha(3, TransformerConfig(d_model=8, n_heads=2, highway=True), lookback=5)
    assert state.state_dict()["highway.weight"].shape == (1, 15)
    last = TransformerAlpha(
        3, TransformerConfig(d_model=8, n_heads=2, highway=True, highway_steps=1), lookback=5
    )
    assert last.state_dict()["highway.weight"].shape == (1, 3)


@pytest.mark.parametrize(
    "config",
    [
        LSTMConfig(hidden_size=4, highway=True, highway_steps=1),
        TCNConfig(channels=4, highway=True, highway_steps=1),
        TransformerConfig(d_model=8, n_heads=2, highway=True, highway_steps=1),
    ],
    ids=["lstm", "tcn", "transformer"],
)
def test_last_steps_highway_model_starts_from_the_zero_score(config):
    torch.manual_seed(0)
    module = config.build(3, 6).eval()
    assert torch.equal(module(torch.randn(4, 6, 3)), torch.zeros(4))


def test_whole_window_highway_keeps_the_default_initialisation():
    torch.manual_seed(0)
    module = TransformerAlpha(3, TransformerConfig(d_model=8, n_heads=2, highway=True), lookback=5)
    assert module.highway is not None and module.highway.weight.abs().sum() > 0
    assert module.head[-1].weight.abs().sum() > 0


def test_tcn_without_highway_initialises_as_before():
    torch.manual_seed(0)
    plain = TCNAlpha(3, lookback=6, channels=4)
    torch.manual_seed(0)
    config = TCNConfig(channels=4).build(3, 6)
    assert config.highway is None and "highway.weight" not in config.state_dict()
    for a, b in zip(plain.parameters(), config.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["lstm", "tcn", "transformer"])
def test_highway_model_artifact_scores_bit_exactly(name, linear_windows, tmp_path):
    X, y = linear_windows
    model = get_model(name, preset="ci", highway=True, highway_steps=2,
                      train={"epochs": 2, "max_batches_per_epoch": 5})  # fmt: skip
    model.fit(ArrayWindows(X[:600], y[:600]), X_val=ArrayWindows(X[600:800], y[600:800]))
    save_estimator(model, tmp_path)
    again = load_estimator(tmp_path)
    assert again.config == model.config
    np.testing.assert_array_equal(again.predict(X[800:]), model.predict(X[800:]))
