"""InteractionScreen: products of a strong feature and a conditioner, screened per fold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.models.feature_steps import (
    NotFittedError,
    clone_step,
    restore_step,
    step_params,
    step_state,
)
from alphafactory.models.selection import ICScreen, build_steps, feature_ic
from alphafactory.models.selection_interactions import InteractionScreen

N_TIME, N_SYM = 120, 20


def _index(n_time: int = N_TIME, n_sym: int = N_SYM) -> pd.MultiIndex:
    return pd.MultiIndex.from_product(
        [pd.date_range("2020-01-01", periods=n_time, tz="UTC"), [f"s{i}" for i in range(n_sym)]],
        names=["timestamp", "symbol"],
    )


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.Series]:
    """``signal`` predicts the label only where ``shock`` is above the cross-sectional median
    (and a little against it elsewhere, as the planted interaction market does); ``regime`` is
    market-wide; the rest is noise, ``sparse`` fires on a few bars with a perfect IC."""
    rng = np.random.default_rng(1)
    index = _index()
    n = len(index)
    signal, shock = rng.normal(size=n), rng.normal(size=n)
    high = (shock.reshape(N_TIME, N_SYM) > np.median(shock.reshape(N_TIME, N_SYM), axis=1,
                                                     keepdims=True)).ravel()  # fmt: skip
    label = np.where(high, 1.0, -0.5) * signal + 2.0 * rng.normal(size=n)
    sparse = np.zeros((N_TIME, N_SYM))
    sparse[::40] = label.reshape(N_TIME, N_SYM)[::40]  # 3 bars where it is the label itself
    cols = {"signal": signal, "shock": shock, "sparse": sparse.ravel(),
            "regime": np.repeat(rng.normal(size=N_TIME), N_SYM)}  # fmt: skip
    for i in range(6):
        cols[f"noise_{i}"] = rng.normal(size=n) * (i + 1) + i
    frame = pd.DataFrame(cols, index=index).astype(np.float32)
    labels = pd.Series(label, index=index, name="label")
    labels.iloc[::9] = np.nan
    return frame, labels


def test_contract_fit_transform_clone_state_and_slices(panel):
    frame, labels = panel
    step = InteractionScreen(k=3)
    params = step_params(step)
    with pytest.raises(NotFittedError):
        step.transform(frame)
    assert step.fit(frame, labels) is step and step_params(step) == params
    out = step.transform(frame)
    assert out.index.equals(frame.index)
    assert list(out.columns[: frame.shape[1]]) == list(frame.columns)  # inputs pass through
    pd.testing.assert_frame_equal(out.iloc[:, : frame.shape[1]], frame)
    assert out.shape[1] == frame.shape[1] + len(step.pairs_) and 1 <= len(step.pairs_) <= 3
    assert out.dtypes.eq(np.float32).all()
    pd.testing.assert_frame_equal(clone_step(step).fit(frame, labels).transform(frame), out)
    part = frame.iloc[: 30 * N_SYM]  # products are per timestamp: a slice gives its rows
    pd.testing.assert_frame_equal(step.transform(part), out.iloc[: 30 * N_SYM])
    doc = json.loads(json.dumps(step_state(step)))
    back = restore_step(InteractionScreen, step_params(step), doc)
    pd.testing.assert_frame_equal(back.transform(frame), out)
    with pytest.raises(ValueError, match="columns"):
        step.transform(frame.iloc[:, 1:])
    with pytest.raises(ValueError, match="labels"):
        InteractionScreen().fit(frame)


def test_finds_the_planted_interaction_that_neither_factor_shows(panel):
    frame, labels = panel
    step = InteractionScreen(k=5).fit(frame, labels)
    assert list(step.pairs_[0]) == ["signal", "shock"]  # the base is the one with some IC
    out = step.transform(frame)
    ic = feature_ic(out, labels)["ic"].abs()
    product = "signal*tanh(shock)"
    assert out.columns[frame.shape[1]] == product
    assert ic[product] > 1.5 * max(ic["signal"], ic["shock"])  # ~0.6 vs 0.25 of the signal
    # the product is of the factors' clipped cross-sectional z-scores, the conditioner gated
    z = frame[["signal", "shock"]].groupby(level=0).transform(lambda c: (c - c.mean()) / c.std())
    expected = (z["signal"].clip(-3, 3) * np.tanh(z["shock"].clip(-3, 3))).astype(np.float32)
    np.testing.assert_allclose(out[product].to_numpy(), expected.to_numpy(), rtol=1e-4,
                               atol=1e-5)  # fmt: skip


def test_a_sparse_column_is_no_base_and_ic_screen_ranks_by_covered_ic(panel):
    frame, labels = panel
    stats = feature_ic(frame, labels)
    assert stats.loc["sparse", "ic"] > 0.99 and stats.loc["sparse", "n"] == 3
    np.testing.assert_allclose(stats.loc["sparse", "covered_ic"], stats.loc["sparse", "ic"] * 3
                               / stats["n"].max(), rtol=1e-9)  # fmt: skip
    step = InteractionScreen(k=5).fit(frame, labels)
    assert "sparse" not in set(step.pairs_.ravel())
    kept = ICScreen(k=1, keep_market_wide=False).fit(frame, labels).feature_names_out_
    assert list(kept) == ["signal"]


def test_a_market_wide_conditioner_multiplies_as_it_is():
    rng = np.random.default_rng(2)
    index = _index()
    n = len(index)
    signal = rng.normal(size=n)
    regime = np.repeat(np.where(rng.random(N_TIME) < 0.5, 1.0, -1.0), N_SYM)
    frame = pd.DataFrame({"signal": signal, "regime": regime, "noise": rng.normal(size=n)},
                         index=index)  # fmt: skip
    labels = pd.Series(signal * regime + rng.normal(size=n), index=index)
    step = InteractionScreen(k=1, gate="linear").fit(frame, labels)
    assert list(step.pairs_[0]) == ["signal", "regime"]
    out = step.transform(frame)
    z = frame["signal"].groupby(level=0).transform(lambda c: (c - c.mean()) / c.std())
    np.testing.assert_allclose(out.iloc[:, -1], z.clip(-3, 3) * regime, rtol=1e-9)
    assert out.columns[-1] == "signal*regime"


def test_a_single_asset_frame_multiplies_raw_values():
    rng = np.random.default_rng(3)
    index = pd.date_range("2020-01-01", periods=400, tz="UTC", name="timestamp")
    a, b = rng.normal(size=400), rng.normal(size=400)
    frame = pd.DataFrame({"a": a, "b": b}, index=index)
    labels = pd.Series(a * b + 0.5 * rng.normal(size=400), index=index)
    out = InteractionScreen(k=1, gate="linear").fit(frame, labels).transform(frame)
    np.testing.assert_allclose(out.iloc[:, -1], a * b)
    step = InteractionScreen(k=2).fit(frame, labels)  # a*tanh(b) and b*tanh(a)
    assert sorted(step.pairs_.tolist()) == [["a", "b"], ["b", "a"]]
    out = step.transform(frame)
    np.testing.assert_allclose(out["a*tanh(b)"], a * np.tanh(b))


@pytest.mark.parametrize(
    ("key", "value"), [("candidates", 0), ("k", 1.5), ("clip", 0), ("k", True), ("gate", "sign")]
)
def test_build_steps_rejects_bad_values_naming_the_entry(key, value):
    with pytest.raises(ConfigError, match=rf"selection steps\[0\] \(interactions\): .*{key}"):
        build_steps([{"step": "interactions", key: value}])


def test_the_approximate_ic_of_all_pairs_ranks_like_the_exact_one(panel):
    from scipy.stats import spearmanr

    from alphafactory.models.selection import _groups
    from alphafactory.models.selection_interactions import _approximate_ic

    frame, labels = panel
    frame = frame.drop(columns=["sparse", "regime"])
    z = frame.groupby(level=0).transform(lambda c: ((c - c.mean()) / c.std()).clip(-3, 3))
    z = z.to_numpy(dtype=np.float64)
    y = labels.to_numpy()
    approx = _approximate_ic(z, np.tanh(z), y, _groups(frame.index))
    n = z.shape[1]
    products = np.column_stack([z[:, b] * np.tanh(z[:, c]) for b in range(n) for c in range(n)])
    exact = feature_ic(pd.DataFrame(products, index=frame.index), labels)["covered_ic"].abs()
    exact = exact.to_numpy().reshape(n, n)
    assert np.unravel_index(np.argmax(approx), approx.shape) == (0, 1)  # signal * tanh(shock)
    assert np.unravel_index(np.argmax(exact), exact.shape) == (0, 1)
    assert spearmanr(approx.ravel(), exact.ravel()).statistic > 0.9
    np.testing.assert_allclose(approx[0, 1], exact[0, 1], rtol=0.1)
