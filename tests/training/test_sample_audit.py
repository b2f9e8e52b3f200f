"""Walk-forward never drops a row without counting it, and refuses a label that is not ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.errors import DataError
from alphafactory.training import WalkForward, walk_forward
from alphafactory.training.fold_data import prepare_panel
from alphafactory.training.sample_audit import CAUSES, NonFiniteInputWarning

from .conftest import return_features

SPLIT = WalkForward(train=80, val=20, test=40)


@pytest.fixture(scope="module")
def tiny():
    """8 symbols x 200 bars; causal return features and 1-bar forward labels."""
    from alphafactory.data import synthetic_market
    from alphafactory.labels import forward_returns

    market = synthetic_market(8, 200, seed=5, alpha_ic=0.1)
    labels = forward_returns(market.bars, 1, kind="log", demean=True)
    return market, return_features(market.bars), labels


def _walk(features, labels, **kwargs):
    return walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=5, **kwargs)


def _assert_every_row_counted(result, features):
    meta = result.meta
    assert meta["rows"] == len(features)
    assert meta["rows"] - meta["samples"] == sum(meta["dropped"].values())
    assert set(meta["dropped"]) == set(CAUSES)


def test_walk_forward_clean_inputs_count_warm_up_and_last_label_only(tiny):
    _, features, labels = tiny
    result = _walk(features, labels)
    _assert_every_row_counted(result, features)
    dropped = result.meta["dropped"]
    assert dropped["label_missing"] == 8  # the last bar of each symbol
    assert dropped["warm_up"] == 8 * 5  # r1 is NaN on bar 0, then 4 bars to fill a 5-bar window
    assert dropped["nonfinite_feature"] == dropped["label_nonfinite"] == 0


def test_walk_forward_samples_match_the_panel_exactly(tiny):
    _, features, labels = tiny
    messy = features.copy()
    messy.iloc[[300, 301, 900], 0] = np.nan
    messy = messy.drop(messy.index[[500, 1200]])
    panel = prepare_panel(messy, labels, 5)  # counts only; walk_forward warns
    assert panel.audit["samples"] == len(panel.sample_time)
    assert panel.audit["rows"] - panel.audit["samples"] == sum(panel.audit["dropped"].values())
    assert panel.audit["dropped"]["missing_bar"] > 0


def test_walk_forward_inf_feature_warns_names_it_and_counts_the_rows(tiny):
    _, features, labels = tiny
    broken = features.copy()
    broken.iloc[800, 1] = np.inf
    with pytest.warns(NonFiniteInputWarning, match=r"infinite feature values, treated as NaN: "
                      r"r1_cs \(1\); 5 rows with a NaN or infinite feature .*r1_cs \(5\)"):
        result = _walk(broken, labels)
    _assert_every_row_counted(result, broken)
    assert result.meta["dropped"]["nonfinite_feature"] == 5  # the 5 windows holding that bar
    assert result.meta["dropped_by_feature"] == {"r1_cs": 5}
    assert result.meta["infinite"] == {"r1_cs": 1}
    clean = _walk(features, labels)
    assert len(clean.predictions) - len(result.predictions) <= 5  # not a silent collapse


def test_walk_forward_inf_label_warns_and_is_counted(tiny):
    _, features, labels = tiny
    broken = labels.copy()
    broken.iloc[700] = -np.inf
    with pytest.warns(NonFiniteInputWarning, match="1 rows with an infinite label"):
        result = _walk(features, broken)
    assert result.meta["dropped"]["label_nonfinite"] == 1


def test_walk_forward_report_metrics_carry_the_drop_counts(tiny):
    from alphafactory.training.report import model_metrics

    _, features, labels = tiny
    metrics = model_metrics(_walk(features, labels))
    assert metrics["n_rows"] == len(features)
    assert metrics["dropped_label_missing"] == 8.0
    assert metrics["n_rows"] - metrics["n_samples"] == sum(
        metrics[f"dropped_{cause}"] for cause in CAUSES
    )


@pytest.mark.parametrize("shift", [1, 2, 4])
def test_walk_forward_label_shifted_into_the_past_is_refused(tiny, shift):
    _, features, labels = tiny
    past = labels.groupby(level="symbol").shift(shift)
    assert past.attrs["horizon"] == 1  # the attrs lie: pandas carries them through the shift
    when = "t" if shift == 1 else f"t-{shift - 1}"
    with pytest.raises(DataError, match=r"^labels: not strictly after the features: .*R\^2 = "
                       rf"1\.000.* at {when} "):
        _walk(features, past)


def test_walk_forward_multi_bar_label_shifted_past_its_horizon_is_refused(tiny):
    from alphafactory.labels import forward_returns

    market, features, _ = tiny
    label5 = forward_returns(market.bars, 5, kind="log").groupby(level="symbol").shift(5)
    with pytest.raises(DataError, match="labels: not strictly after the features"):
        walk_forward(features, label5, model="ridge", splitter=SPLIT, lookback=6)


@pytest.mark.parametrize("horizon", [1, 3, 10])
@pytest.mark.parametrize("entry", ["close", "next_open"])
def test_walk_forward_genuine_forward_labels_pass_the_timing_check(tiny, horizon, entry):
    from alphafactory.labels import direction, forward_returns

    market, features, _ = tiny
    for labels in (forward_returns(market.bars, horizon, entry=entry),
                   direction(market.bars, horizon, entry=entry)):  # fmt: skip
        panel = prepare_panel(features, labels, 5)
        assert panel.audit["samples"] > 0


@pytest.mark.parametrize(
    ("horizon", "attrs", "match"),
    [
        (0, {}, r"^horizon: must be a whole number of bars >= 1 .*, got 0$"),
        (-2, {}, r"^horizon: .* got -2$"),
        (1.5, {}, r"^horizon: .* got 1.5$"),
        (None, {"horizon": 0}, r"^labels.attrs\['horizon'\]: must be .* got 0$"),
        (None, {"horizon": float("nan")}, r"^labels.attrs\['horizon'\]: .* got nan$"),
        (None, {"horizon": "1"}, r"^labels.attrs\['horizon'\]: .* got '1'$"),
        (None, {}, r"^labels: the label horizon is unknown"),
        (1, {"horizon": 5}, r"^horizon: 1 is shorter than the labels' own horizon 5 "),
        (2, {"horizon": 0}, r"^labels.attrs\['horizon'\]: must be .* got 0$"),
    ],
)
def test_walk_forward_horizon_not_in_the_future_is_refused(tiny, horizon, attrs, match):
    _, features, labels = tiny
    bare = pd.Series(labels.to_numpy(), index=labels.index)
    bare.attrs.update(attrs)
    with pytest.raises(DataError, match=match):
        _walk(features, bare, horizon=horizon)


def test_walk_forward_no_usable_sample_names_the_causes(tiny):
    _, features, labels = tiny
    with pytest.raises(DataError, match=r"no usable sample: .*\(of 1600 rows dropped: "
                       r"warm_up 32, nonfinite_feature 1568\)"):
        _walk(features.assign(r1=np.nan), labels)


def _random_panel(n_sym: int, n_time: int, seed: int):
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-01-01", periods=n_time, freq="D", tz="UTC")
    index = pd.MultiIndex.from_product([stamps, [f"S{i}" for i in range(n_sym)]],
                                       names=["timestamp", "symbol"])  # fmt: skip
    features = pd.DataFrame(rng.normal(size=(len(index), 3)), index=index, columns=["a", "b", "c"])
    labels = pd.Series(rng.normal(size=len(index)), index=index)
    labels.attrs["horizon"] = 1
    return features, labels


@settings(max_examples=200, deadline=None)
@given(
    holes=st.lists(st.tuples(st.integers(0, 159), st.integers(0, 2),
                             st.sampled_from([np.nan, np.inf, -np.inf])), max_size=12),
    dropped_rows=st.lists(st.integers(0, 159), max_size=6),
    label_holes=st.lists(st.tuples(st.integers(0, 159), st.sampled_from([np.nan, np.inf])),
                         max_size=6),
    lookback=st.integers(1, 6),
)  # fmt: skip
def test_dropped_rows_always_account_for_every_row(holes, dropped_rows, label_holes, lookback):
    features, labels = _random_panel(4, 40, seed=len(holes))
    for row, col, value in holes:
        features.iloc[row, col] = value
    for row, value in label_holes:
        labels.iloc[row] = value
    features = features.drop(features.index[sorted(set(dropped_rows))])
    try:
        panel = prepare_panel(features, labels, lookback)
    except DataError as exc:
        assert str(exc).startswith("features/labels: no usable sample")
        return
    audit = panel.audit
    assert audit["rows"] == len(features)
    assert audit["samples"] == len(panel.sample_time)
    assert audit["rows"] - audit["samples"] == sum(audit["dropped"].values())
    assert all(v >= 0 for v in audit["dropped"].values())
    n_inf = sum(int(np.isinf(features[c].to_numpy()).sum()) for c in features.columns)
    assert sum(audit["infinite"].values()) == n_inf
