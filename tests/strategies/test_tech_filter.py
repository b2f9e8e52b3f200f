"""The ``tech_filter`` feature: price > MA5 > MA15, positive 5-bar momentum, RSI > 45."""

from __future__ import annotations

import numpy as np

from alphafactory.features import build_features, check_causal, list_features


def test_tech_filter_passes_an_uptrend_and_fails_a_downtrend(make_bars):
    up = 100 * np.exp(np.linspace(0, 0.2, 40) + 0.002 * np.sin(np.arange(40)))
    bars = make_bars({"UP": up, "DOWN": up[::-1].copy()})
    values = build_features(bars, ["tech_filter"], dtype=np.float64)["tech_filter"]
    warmup = int(list_features(["tech_filter"])["warmup"].iloc[0])
    for symbol, expected in (("UP", 1.0), ("DOWN", 0.0)):
        column = values.xs(symbol, level="symbol").to_numpy()
        assert np.isnan(column[:warmup]).all()
        assert (column[warmup:] == expected).all()


def test_tech_filter_each_condition_can_fail_it(make_bars):
    rising = 100 * np.exp(np.linspace(0, 0.2, 40))
    # the last bar dips below its 5-bar moving average: price > MA5 fails, the rest holds
    dip = rising.copy()
    dip[-1] = dip[-5]
    # a flat series: MA5 == MA15 is not strictly above
    flat = np.full(40, 50.0)
    bars = make_bars({"DIP": dip, "FLAT": flat, "RISE": rising})
    last = build_features(bars, ["tech_filter"]).xs(bars.index[-1][0], level="timestamp")
    assert last["tech_filter"].to_dict() == {"DIP": 0.0, "FLAT": 0.0, "RISE": 1.0}


def test_tech_filter_is_registered_and_causal(bars_factory):
    table = list_features().set_index("name")
    assert table.loc["tech_filter", "family"] == "filters"
    bars = bars_factory(n_symbols=3, n_bars=200, seed=5)
    assert check_causal("tech_filter", bars, n_cuts=5).ok
