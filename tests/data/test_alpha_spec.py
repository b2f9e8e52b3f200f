from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.data import AlphaSpec, planted_alpha, synthetic_market, to_wide
from alphafactory.data.changes import Change
from alphafactory.data.sources import BarsSource
from alphafactory.errors import ConfigError
from alphafactory.training.experiment import ExperimentConfig, SyntheticSettings

KINDS = ("reversal", "mix", "interaction", "decay")
SPECS = {
    "reversal": AlphaSpec(kind="reversal", ic=0.08, momentum_weight=0.3),
    "mix": AlphaSpec(kind="mix", ic=0.08),
    "interaction": AlphaSpec(kind="interaction", ic=0.08),
    "interaction_vol": AlphaSpec(kind="interaction", ic=0.08, condition="volatility"),
    "decay": AlphaSpec(kind="decay", ic=0.08, half_life=10.0),
}
CHANGES = (
    Change(at=120, kind="sign_flip"),
    Change(at=160, kind="strength", factor=1.5),
    Change(at=200, kind="feature_shift", factor=2.0),
)
_MARKETS: dict[str, object] = {}


def _market(name: str):
    """One 24 x 260 market per spec, with every kind of change (cached across tests)."""
    if name not in _MARKETS:
        _MARKETS[name] = synthetic_market(24, 260, seed=5, alpha=SPECS[name], changes=CHANGES)
    return _MARKETS[name]


def _ics(market, entry: str) -> pd.Series:
    close = to_wide(market.bars, "close")
    if entry == "close":
        nxt = np.log(close).diff().shift(-1)
    else:
        nxt = np.log(close / to_wide(market.bars, "open")).shift(-1)
    return to_wide(market.truth).corrwith(nxt, axis=1)


def _sign(market) -> np.ndarray:
    stamps = market.bars.index.get_level_values("timestamp")
    return np.where(stamps >= market.ic.index[120], -1.0, 1.0)


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("entry", ["close", "open"])
def test_alpha_spec_ic_is_exact_per_bar_with_changes(name, entry):
    market = _market(name)
    ic = _ics(market, entry).iloc[:-1]
    live = ic.notna()
    assert live.sum() >= 190  # warm-up: 60 bars at most
    expected = market.ic.iloc[:-1][live]
    assert set(np.round(expected, 12)) == {0.08, 0.12}  # the strength change is in force
    np.testing.assert_allclose(ic[live].to_numpy(), expected.to_numpy(), atol=1e-9)


@pytest.mark.parametrize("name", list(SPECS))
def test_alpha_spec_truth_is_the_formula_of_the_bars(name):
    market = _market(name)
    formula = planted_alpha(market.bars, alpha=market.alpha) * _sign(market)
    pd.testing.assert_series_equal(market.truth, formula, rtol=1e-7, atol=1e-7)


@settings(max_examples=12, deadline=None)
@given(name=st.sampled_from(list(SPECS)), cut=st.integers(min_value=1, max_value=259))
def test_alpha_spec_truth_is_causal(name, cut):
    market = _market(name)
    stamps = market.ic.index
    bars = market.bars.loc[: stamps[cut - 1]]
    head = planted_alpha(bars, alpha=market.alpha)
    full = market.truth * _sign(market)  # the formula of every bar (the test above)
    np.testing.assert_allclose(head, full.loc[: stamps[cut - 1]], rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(np.isnan(head), np.isnan(full.loc[: stamps[cut - 1]]))


def test_alpha_spec_weights_are_drawn_per_seed():
    spec = AlphaSpec(kind="mix", ic=0.05)
    a, b = spec.resolve(3), spec.resolve(3)
    assert a.weights == b.weights and len(a.weights) == 5
    assert all(0.7 <= abs(w) <= 1.0 for w in a.weights)
    assert len({spec.resolve(seed).weights for seed in range(20)}) == 20
    assert AlphaSpec(kind="decay").resolve(3).weights == a.weights  # decay smooths that mix
    assert AlphaSpec(kind="interaction").resolve(3).weights is None
    given_weights = AlphaSpec(kind="mix", weights=(1, 0, 0, 0, 1))
    assert given_weights.resolve(3) is given_weights
    m1 = synthetic_market(6, 40, seed=3, alpha={"kind": "mix", "ic": 0.05})
    m2 = synthetic_market(6, 40, seed=3, alpha=spec)
    assert m1.alpha == a == m2.alpha
    pd.testing.assert_frame_equal(m1.bars, m2.bars, check_exact=True)
    assert synthetic_market(6, 40, seed=4, alpha=spec).alpha.weights != a.weights


def test_alpha_spec_old_keywords_mean_the_reversal():
    old = synthetic_market(8, 80, seed=2, alpha_ic=0.1, momentum_weight=0.4)
    new = synthetic_market(8, 80, seed=2, alpha=AlphaSpec(ic=0.1, momentum_weight=0.4))
    pd.testing.assert_frame_equal(old.bars, new.bars, check_exact=True)
    pd.testing.assert_series_equal(old.truth, new.truth, check_exact=True)
    assert old.alpha == new.alpha and old.alpha_ic == 0.1 and old.momentum_weight == 0.4
    null = synthetic_market(8, 80, seed=2)
    assert null.alpha == AlphaSpec() and null.alpha_ic == 0.0
    with pytest.raises(ValueError, match="not both"):
        synthetic_market(8, 80, alpha_ic=0.1, alpha=AlphaSpec(kind="mix"))
    with pytest.raises(ValueError, match="not both"):
        synthetic_market(8, 80, momentum_weight=0.1, alpha={"kind": "mix"})


@pytest.mark.parametrize("kind", KINDS)
def test_alpha_spec_null_ic_plants_nothing_but_keeps_truth(kind):
    market = synthetic_market(10, 80, seed=1, alpha=AlphaSpec(kind=kind))
    null = synthetic_market(10, 80, seed=1)
    pd.testing.assert_frame_equal(market.bars, null.bars, check_exact=True)
    warm_up = {"reversal": 5, "interaction": 20}.get(kind, 60)
    assert market.truth.notna().sum() == 10 * (80 - warm_up)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "nonlinear"}, "AlphaSpec.kind must be one of"),
        ({"ic": 1.0}, "AlphaSpec.ic must lie in"),
        ({"kind": "mix", "momentum_weight": 0.2}, "momentum_weight does not apply"),
        ({"kind": "reversal", "half_life": 5.0}, "half_life does not apply"),
        ({"kind": "mix", "weights": (1.0, 2.0)}, "5 finite numbers"),
        ({"kind": "mix", "weights": (0, 0, 0, 0, 0)}, "not all be zero"),
        ({"kind": "interaction", "condition": "news"}, "condition must be one of"),
        ({"kind": "interaction", "elsewhere": 1.0}, r"elsewhere must lie in \[-1, 1\)"),
        ({"kind": "decay", "half_life": 0.5}, "half_life must be >= 1"),
    ],
)
def test_alpha_spec_bad_settings_raise_one_line(fields, message):
    with pytest.raises(ValueError, match=message) as info:
        AlphaSpec(**fields)
    assert "\n" not in str(info.value)


def test_alpha_spec_from_a_synthetic_source_spec():
    spec = "synthetic:n_symbols=6,n_bars=60,alpha_kind=interaction,alpha_ic=0.1,seed=3"
    bars = BarsSource(spec=spec).load()
    expected = synthetic_market(6, 60, seed=3, alpha=AlphaSpec(kind="interaction", ic=0.1))
    np.testing.assert_array_equal(bars["close"].to_numpy(), expected.bars["close"].to_numpy())
    decay = BarsSource(spec="synthetic:n_symbols=4,n_bars=30,alpha_kind=decay,alpha_half_life=8")
    assert "alpha='decay'" in decay.load().attrs["source"]
    plain = BarsSource(spec="synthetic:n_symbols=4,n_bars=30,alpha_ic=0.1").load()
    assert "alpha=" not in plain.attrs["source"]
    with pytest.raises(ConfigError, match=r"alpha_kind must be one of .*got 'linear'"):
        BarsSource(spec="synthetic:alpha_kind=linear")
    with pytest.raises(ConfigError, match="alpha_half_life: does not apply to kind='mix'"):
        BarsSource(spec="synthetic:alpha_kind=mix,alpha_half_life=8")
    with pytest.raises(ConfigError, match="alpha_ic: must lie in"):
        BarsSource(spec="synthetic:alpha_kind=mix,alpha_ic=1.5")


def test_alpha_spec_from_synthetic_settings():
    settings_ = SyntheticSettings(n_symbols=6, n_bars=50, alpha_kind="decay", alpha_ic=0.05)
    assert (
        settings_.spec() == "synthetic:n_symbols=6,n_bars=50,alpha_kind=decay,alpha_ic=0.05,seed=0"
    )
    assert BarsSource(spec=settings_.spec()).synthetic_params()["alpha_kind"] == "decay"
    assert SyntheticSettings().spec() == "synthetic:n_symbols=40,n_bars=1400,alpha_ic=0.1,seed=0"
    doc = {"model": {"name": "ridge"}, "synthetic": {"alpha_kind": "mix"}}
    assert ExperimentConfig.from_mapping(doc).synthetic.alpha_kind == "mix"
    with pytest.raises(ConfigError, match=r"\[synthetic\] alpha_kind must be one of"):
        ExperimentConfig.from_mapping(
            {"model": {"name": "ridge"}, "synthetic": {"alpha_kind": "x"}}
        )
