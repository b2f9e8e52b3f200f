"""Pairs: selection on the training slice only, the rolling hedge ratio, dollar-neutral legs."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.strategies import Pairs

pytest.importorskip("statsmodels")


def _bars(make_bars, make_pair, **kwargs):
    closes, beta = make_pair(**kwargs)
    return make_bars(closes), beta


@pytest.mark.parametrize("method", ["engle_granger", "johansen", "both"])
def test_pairs_selects_the_cointegrated_pair_only(method, make_bars, make_pair):
    bars, beta = _bars(make_bars, make_pair, n=400, noise=4)
    source = Pairs(method=method, min_correlation=0.3, window=60).fit(bars)
    assert [{r.y, r.x} for r in source.pairs_.itertuples()] == [{"Y", "X"}]
    if method != "johansen":  # Johansen is symmetric: it does not say which leg is y
        assert tuple(source.pairs_.loc[0, ["y", "x"]]) == ("Y", "X")
        assert source.pairs_["beta"].iloc[0] == pytest.approx(beta, rel=0.1)


def test_pairs_rolling_hedge_ratio_tracks_beta(make_bars, make_pair):
    bars, beta = _bars(make_bars, make_pair, n=400, noise=0)
    source = Pairs(window=120).fit(bars)
    hedge = source.hedge_ratios(bars)["Y/X"].dropna()
    assert len(hedge) == 400 - 119
    assert hedge.median() == pytest.approx(beta, rel=0.15)


def test_pairs_legs_are_dollar_neutral_and_trade(make_bars, make_pair):
    bars, _ = _bars(make_bars, make_pair, n=400, noise=2)
    out = Pairs(window=40).fit(bars).scores(bars)
    assert set(out.index.get_level_values("symbol")) == {"X", "Y"}
    net = out["target_weight"].groupby(level="timestamp").sum()
    np.testing.assert_allclose(net, 0.0, atol=1e-15)
    gross = out["target_weight"].abs().groupby(level="timestamp").sum()
    assert set(np.round(gross, 12)) <= {0.0, 1.0} and (gross == 1.0).mean() > 0.05
    y, x = out.xs("Y", level="symbol"), out.xs("X", level="symbol")
    np.testing.assert_array_equal(y["score"], -x["score"])
    np.testing.assert_array_equal(np.sign(y["target_weight"]), y["score"])


def test_pairs_selection_ignores_rows_after_the_training_slice(make_bars, make_pair):
    bars, _ = _bars(make_bars, make_pair, n=400, noise=4)
    ts = bars.index.get_level_values("timestamp")
    cut = ts.unique()[299]
    poisoned = bars.copy()
    after = np.asarray(ts > cut)
    rng = np.random.default_rng(9)
    poisoned.loc[after, ["open", "high", "low", "close"]] *= np.exp(
        rng.normal(0, 0.3, (after.sum(), 1))
    )
    clean = Pairs(min_correlation=0.3).fit(bars[ts <= cut])
    # a source fitted on the training rows never sees the test rows, poisoned or not
    dirty = Pairs(min_correlation=0.3).fit(poisoned[ts <= cut])
    assert clean.pairs_.equals(dirty.pairs_)
    # and fitting on everything (the poisoned test rows included) does change the choice
    leaky = Pairs(min_correlation=0.3).fit(poisoned)
    assert not leaky.pairs_.equals(clean.pairs_)


def test_pairs_respects_groups_and_symbol_reuse(make_bars, make_pair):
    closes, _ = make_pair(n=300, noise=0)
    closes["Z"] = closes["X"] * np.exp(np.random.default_rng(1).normal(0, 0.003, 300))
    bars = make_bars(closes)
    one_each = Pairs(min_correlation=0.3, max_pairs=3).fit(bars).pairs_
    symbols = [*one_each["y"], *one_each["x"]]
    assert len(symbols) == len(set(symbols))
    reused = Pairs(min_correlation=0.3, max_pairs=3, reuse_symbols=True).fit(bars).pairs_
    assert len(reused) > len(one_each)
    apart = Pairs(min_correlation=0.3, groups={"X": "a", "Y": "b", "Z": "a"}).fit(bars).pairs_
    assert {frozenset((r.y, r.x)) for r in apart.itertuples()} == {frozenset(("X", "Z"))}
