from __future__ import annotations

import numpy as np
import pytest
import torch

from alphafactory.models.losses import (
    dense_groups,
    get_loss,
    grouped_correlation,
    grouped_ranks,
)


def _hand_mean_corr(a, b, groups):
    return np.mean([np.corrcoef(a[groups == g], b[groups == g])[0, 1] for g in np.unique(groups)])


def test_ic_loss_equals_minus_mean_per_timestamp_pearson():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    groups = np.repeat([0, 1, 2], 10)
    loss = get_loss("ic")(torch.tensor(a), torch.tensor(b), torch.tensor(groups))
    assert float(loss) == pytest.approx(-_hand_mean_corr(a, b, groups), abs=1e-12)


def test_grouped_correlation_skips_singletons_and_constant_groups():
    a = torch.tensor([1.0, 2.0, 3.0, 5.0, 1.0, 1.0])
    b = torch.tensor([2.0, 4.0, 7.0, 1.0, 3.0, 4.0])
    groups = torch.tensor([0, 0, 0, 1, 2, 2])  # group 1 singleton, group 2 constant in a
    expected = np.corrcoef([1, 2, 3], [2, 4, 7])[0, 1]
    assert float(grouped_correlation(a, b, groups)) == pytest.approx(expected)


def test_grouped_ranks_rank_within_each_group():
    y = torch.tensor([0.3, -1.0, 2.0, 5.0, 4.0])
    groups = torch.tensor([0, 0, 0, 1, 1])
    assert grouped_ranks(y, groups).tolist() == [1.0, 0.0, 2.0, 1.0, 0.0]


def test_rank_ic_loss_is_differentiable_and_bounded():
    pred = torch.randn(20, requires_grad=True)
    y = torch.randn(20)
    loss = get_loss("rank_ic")(pred, y, torch.arange(20) // 5)
    loss.backward()
    assert -1.0 <= float(loss.detach()) <= 1.0
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_bce_loss_uses_label_sign():
    pred = torch.tensor([10.0, -10.0])
    good = get_loss("bce")(pred, torch.tensor([0.02, -0.01]), None)
    bad = get_loss("bce")(pred, torch.tensor([-0.02, 0.01]), None)
    assert float(good) < 1e-3 < float(bad)


def test_huber_loss_is_scale_free_in_labels():
    pred = torch.zeros(4)
    y = torch.tensor([1.0, -1.0, 2.0, -2.0])
    small = get_loss("huber")(pred, y * 1e-3, None)
    big = get_loss("huber")(pred, y, None)
    assert float(small) == pytest.approx(float(big))


def test_dense_groups_maps_to_consecutive_ids():
    assert dense_groups(torch.tensor([7, 3, 7, 9])).tolist() == [1, 0, 1, 2]


def test_get_loss_unknown_name_raises():
    with pytest.raises(ValueError, match="Unknown loss 'mae'"):
        get_loss("mae")
