"""LightGBM's least leaf size: a count or a fraction of the training rows."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.models.gbm import LightGBMAlpha, leaf_rows
from alphafactory.models.registry import get_model

pytest.importorskip("lightgbm")


@pytest.mark.parametrize(("value", "n_rows", "rows"),
                         [(20, 1000, 20), (0.05, 1000, 50), (0.05, 1001, 51), (3.0, 10, 3),
                          (1e-9, 10, 1)])  # fmt: skip
def test_leaf_rows_reads_a_count_or_a_fraction(value, n_rows, rows):
    assert leaf_rows(value, n_rows) == rows


@pytest.mark.parametrize("value", [0, -0.1, 2.5, True, "5%", None])
def test_leaf_rows_rejects_what_is_neither(value):
    with pytest.raises(ValueError, match=r"min_samples_leaf .* got"):
        leaf_rows(value, 100)


def _leaf_counts(model: LightGBMAlpha) -> list[int]:
    counts = []

    def walk(node: dict) -> None:
        if "leaf_count" in node:
            counts.append(node["leaf_count"])
        for side in ("left_child", "right_child"):
            if side in node:
                walk(node[side])

    for tree in model.model_.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return counts


def test_every_leaf_holds_the_fraction_of_training_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1, 3)).astype(np.float32)
    y = x[:, 0, 0] + rng.normal(size=2000)
    model = LightGBMAlpha(n_estimators=20, max_depth=2, subsample=1.0, last_steps=1,
                          min_samples_leaf=0.2).fit(x, y)  # fmt: skip
    counts = _leaf_counts(model)
    assert counts and min(counts) >= 400
    loose = LightGBMAlpha(n_estimators=20, max_depth=2, subsample=1.0, last_steps=1).fit(x, y)
    assert min(_leaf_counts(loose)) < 400  # the default (20 rows) lets leaves be smaller


def test_the_default_preset_uses_a_fraction():
    assert get_model("lightgbm").min_samples_leaf == 0.1
    assert get_model("lightgbm", preset="ci").min_samples_leaf == 20
