from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import planted_alpha, synthetic_market, to_wide
from alphafactory.data.changes import Change


def _next_log_return(market) -> pd.DataFrame:
    close = to_wide(market.bars, "close")
    return np.log(close).diff().shift(-1)


def _ic(score: pd.Series, market) -> pd.Series:
    return to_wide(score).corrwith(_next_log_return(market), axis=1)


def test_synthetic_changes_empty_is_the_unchanged_market():
    a = synthetic_market(n_symbols=10, n_bars=200, seed=7, alpha_ic=0.08)
    b = synthetic_market(n_symbols=10, n_bars=200, seed=7, alpha_ic=0.08, changes=[])
    pd.testing.assert_frame_equal(a.bars, b.bars, check_exact=True)
    pd.testing.assert_series_equal(a.truth, b.truth, check_exact=True)
    assert (a.ic == 0.08).all()


def test_synthetic_changes_sign_flip_keeps_truth_the_oracle():
    market = synthetic_market(
        n_symbols=30, n_bars=400, seed=1, alpha_ic=0.06, changes=[Change(at=250, kind="sign_flip")]
    )
    ic = _ic(market.truth, market).dropna()
    np.testing.assert_allclose(ic.to_numpy(), 0.06, atol=1e-9)  # truth is the new truth
    formula = _ic(planted_alpha(market.bars), market)  # what a model fitted before learned
    np.testing.assert_allclose(formula.iloc[5:250].to_numpy(), 0.06, atol=1e-9)
    np.testing.assert_allclose(formula.iloc[250:-1].to_numpy(), -0.06, atol=1e-9)
    sign = np.where(market.bars.index.get_level_values("timestamp") >= market.ic.index[250], -1, 1)
    pd.testing.assert_series_equal(market.truth, planted_alpha(market.bars) * sign, rtol=1e-9)


def test_synthetic_changes_strength_multiplies_the_ic_exactly():
    market = synthetic_market(
        n_symbols=30,
        n_bars=300,
        seed=2,
        alpha_ic=0.08,
        changes=[{"at": 200, "kind": "strength", "factor": 0.5}],
    )
    ic = _ic(market.truth, market).iloc[:-1]
    expected = market.ic.iloc[:-1]
    assert expected.iloc[199] == 0.08 and expected.iloc[200] == 0.04
    np.testing.assert_allclose(ic.iloc[5:].to_numpy(), expected.iloc[5:].to_numpy(), atol=1e-9)
    # Bars before the change are the unchanged market's.
    base = synthetic_market(n_symbols=30, n_bars=300, seed=2, alpha_ic=0.08)
    stamps = market.ic.index
    early = market.bars.index.get_level_values("timestamp") <= stamps[200]
    pd.testing.assert_frame_equal(market.bars[early], base.bars[early], check_exact=True)
    assert not market.bars["close"][~early].equals(base.bars["close"][~early])


def test_synthetic_changes_feature_shift_moves_volatility_not_the_signal():
    shifted = synthetic_market(
        n_symbols=30,
        n_bars=600,
        seed=3,
        alpha_ic=0.05,
        changes=[Change(at=300, kind="feature_shift", factor=2.0)],
    )
    ic = _ic(shifted.truth, shifted).dropna()
    np.testing.assert_allclose(ic.to_numpy(), 0.05, atol=1e-9)
    returns = np.log(to_wide(shifted.bars, "close")).diff()
    ratio = returns.iloc[300:].abs().mean().mean() / returns.iloc[1:300].abs().mean().mean()
    assert 1.6 < ratio < 2.5
    volume = to_wide(shifted.bars, "volume")
    assert volume.iloc[300:].mean().mean() > 1.5 * volume.iloc[:300].mean().mean()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"at": 0, "kind": "sign_flip"}, "at must be an integer"),
        ({"at": 100, "kind": "sign_flip"}, r"n_bars=100"),
        ({"at": 10, "kind": "flip"}, "kind must be one of"),
        ({"at": 10, "kind": "strength", "factor": float("nan")}, "factor must be finite"),
        ({"at": 10, "kind": "strength", "factor": 30.0}, "must stay in"),
        ({"at": 10, "kind": "sign_flip", "factor": 2.0}, "does not apply"),
    ],
)
def test_synthetic_changes_invalid_change_raises_naming_it(change, match):
    with pytest.raises(ValueError, match=match):
        synthetic_market(n_symbols=5, n_bars=100, alpha_ic=0.05, changes=[change])
