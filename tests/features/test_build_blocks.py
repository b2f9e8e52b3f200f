"""build_features computes per-symbol features on blocks of symbol columns: the values must be
exactly those of the whole-panel computation, on dense and on gappy, shuffled bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alphafactory.features.build as build_module
from alphafactory.data.wide import load_panel
from alphafactory.features import build_features
from alphafactory.features.cross_section import _row_ranks
from alphafactory.features.registry import FeatureContext, resolve_spec
from alphafactory.features.rolling import _cumsum
from alphafactory.features.volatility import close_to_close


def _whole_panel(bars: pd.DataFrame) -> np.ndarray:
    """Every feature computed on the whole panel at once (the build before column blocks)."""
    defs = resolve_spec("default")
    panel = load_panel(bars)
    ctx = FeatureContext(panel.fields)
    out = np.empty((len(defs), len(panel.rows)))
    family = None
    for j, d in enumerate(defs):
        if d.family != family:
            ctx.release()
            family = d.family
        panel.gather(np.asarray(d.compute(ctx), dtype=np.float64), out=out[j])
    return out.T


def _gappy(bars: pd.DataFrame) -> pd.DataFrame:
    """Drop a few rows inside the histories (one symbol keeps all) and shuffle the rows."""
    rng = np.random.default_rng(3)
    keep = (rng.random(len(bars)) > 0.03) | (bars.index.get_level_values("symbol") == "S5")
    return bars[keep].sample(frac=1.0, random_state=0)


@pytest.mark.parametrize("gappy", [False, True])
def test_build_features_column_blocks_equal_whole_panel(bars_factory, monkeypatch, gappy):
    bars = bars_factory(n_symbols=13, n_bars=300, seed=7, ragged=gappy)
    if gappy:
        bars = _gappy(bars)
    # blocks of 4 symbols and a last block of one
    monkeypatch.setattr(build_module, "BLOCK_BYTES", 8 * 300 * 4)
    got = build_features(bars, dtype=np.float64)
    assert got.index.equals(bars.index)
    np.testing.assert_array_equal(got.to_numpy(), _whole_panel(bars))


def test_by_columns_equals_whole_panel_and_is_column_major(bars_factory):
    fields = load_panel(bars_factory(n_symbols=7, n_bars=80, seed=2)).fields
    whole = FeatureContext(fields)
    blocked = FeatureContext(fields, block_columns=3)
    for fn in (lambda c: close_to_close(c.fields["close"], 5),
               lambda c: c.talib("RSI", timeperiod=6)[0]):
        got = blocked.by_columns(fn)
        np.testing.assert_array_equal(got, fn(whole))
        assert got.flags.f_contiguous


def test_across_is_computed_once_on_the_whole_panel(bars_factory):
    fields = load_panel(bars_factory(n_symbols=5, n_bars=50, seed=1)).fields
    whole = FeatureContext(fields)
    seen = []

    def width(ctx: FeatureContext) -> int:
        seen.append(ctx.shape)
        return ctx.shape[1]

    assert [whole.columns(a, a + 2).across("w", width) for a in (0, 2)] == [5, 5]
    assert seen == [(50, 5)]


def test_row_ranks_equal_pandas_average_ranks_with_ties_nan_and_inf():
    rng = np.random.default_rng(0)
    values = np.array([0.0, -0.0, 1.0, 2.5, np.nan, np.inf, -np.inf])
    for shape in ((1, 1), (3, 1), (1, 9), (20, 13)):
        ties = rng.choice(values, size=shape)
        smooth = rng.normal(size=shape)
        for arr in (ties, smooth, np.asfortranarray(ties)):
            expected = pd.DataFrame(arr).rank(axis=1, method="average").to_numpy()
            np.testing.assert_array_equal(_row_ranks(arr), expected)


def test_compiled_cumsum_is_numpy_cumsum_bit_for_bit():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 11))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[rng.random(x.shape) < 0.1] = -0.0
    x[0, 3], x[5, 4] = np.inf, -np.inf
    for arr in (x, np.asfortranarray(x), x[::3], x[:, 2], np.asfortranarray(x)[4:]):
        got, expected = _cumsum(arr), np.cumsum(arr, axis=0)
        assert got.view(np.int64).tolist() == expected.view(np.int64).tolist()
        assert got.flags.f_contiguous == expected.flags.f_contiguous
