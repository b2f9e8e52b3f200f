from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import (
    CrossSectionalRank,
    NotFittedError,
    RollingZScore,
    Standardizer,
    build_features,
)


@pytest.fixture
def feats(bars):
    return build_features(bars, ["ret_1", "rsi_14", "cc_vol_20"])


def _split(frame: pd.DataFrame, frac: float = 0.6):
    ts = frame.index.get_level_values("timestamp")
    cut = ts.unique()[int(len(ts.unique()) * frac)]
    return frame[ts < cut], frame[ts >= cut]


def test_standardizer_uses_training_slice_only(feats):
    train, test = _split(feats)
    scaler = Standardizer().fit(train)
    z_train = scaler.transform(train)
    np.testing.assert_allclose(z_train.mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(z_train.std(), 1.0, atol=1e-4)
    z_test = scaler.transform(test)
    expected = (test - train.mean()) / train.std()
    np.testing.assert_allclose(z_test, expected, rtol=1e-4, atol=1e-5)
    # refitting on another slice changes the result: state comes from fit only
    assert not np.allclose(Standardizer().fit(test).mean_, scaler.mean_)
    assert z_test.dtypes.eq(np.float32).all()


def test_rolling_zscore_matches_per_symbol_pandas(feats):
    z = RollingZScore(window=30).fit(feats).transform(feats)
    col = feats["rsi_14"].astype(np.float64).unstack("symbol")
    expected = ((col - col.rolling(30).mean()) / col.rolling(30).std()).stack()
    got = z["rsi_14"].astype(np.float64)
    pd.testing.assert_series_equal(
        got.dropna(), expected.reindex(got.index).dropna().rename("rsi_14"),
        check_dtype=False, rtol=1e-4, atol=1e-5, check_index_type=False, check_names=False)


def test_cross_sectional_rank_per_timestamp(feats):
    ranked = CrossSectionalRank().fit(feats).transform(feats)
    expected = feats.groupby(level="timestamp").rank(pct=False)
    counts = feats.groupby(level="timestamp").transform("count")
    expected = (expected - 1) / (counts - 1) - 0.5
    mask = counts > 1
    np.testing.assert_allclose(ranked[mask].to_numpy(np.float64),
                               expected[mask].to_numpy(np.float64), atol=1e-6)
    assert ranked.min().min() >= -0.5 and ranked.max().max() <= 0.5


def test_normalizers_before_fit_raise(feats):
    for norm in (Standardizer(), RollingZScore(window=5), CrossSectionalRank()):
        with pytest.raises(NotFittedError, match="fit"):
            norm.transform(feats)


def test_normalizer_column_mismatch_raises(feats):
    scaler = Standardizer().fit(feats)
    with pytest.raises(ValueError, match="missing"):
        scaler.transform(feats.drop(columns="ret_1"))
