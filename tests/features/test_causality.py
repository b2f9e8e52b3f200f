from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import FeatureDef, NotCausalError, check_causal, list_features
from alphafactory.features.rolling import rolling_mean, shift


@pytest.fixture(scope="module")
def causal_bars(bars_factory):
    """Ragged panel (late listing, early delisting) with missing bars inside a history."""
    bars = bars_factory(n_symbols=5, n_bars=420, seed=3)
    ts = bars.index.get_level_values("timestamp").unique()
    holes = pd.MultiIndex.from_product([ts[[150, 151, 290]], ["S3"]])
    return bars.drop(holes)


def test_every_registered_feature_is_causal(causal_bars):
    report = check_causal(list(list_features()["name"]), causal_bars, n_cuts=20, seed=1)
    assert report.ok, report.failures[:5]
    assert len(report.cuts) == 20
    # cuts late enough to test the longest warm-ups (252 bars)
    assert max(report.cuts) > causal_bars.index.get_level_values(0).unique()[300]


def test_every_registered_feature_is_causal_on_synthetic_market(small_market):
    bars = small_market.bars
    ts = bars.index.get_level_values("timestamp")
    bars = bars[ts <= ts.unique()[299]]  # 20 symbols x 300 bars
    report = check_causal(list(list_features()["name"]), bars, n_cuts=8, seed=2)
    assert report.ok, report.failures[:5]


def test_single_registered_name_report(causal_bars):
    report = check_causal("rsi_14", causal_bars, n_cuts=5)
    assert report.ok and report.feature == "rsi_14" and report.offending == ()
    assert report.first_difference is None


def _lookahead(bars: pd.DataFrame) -> pd.Series:
    return bars["close"].groupby(level="symbol").shift(-1).rename("lookahead")


def _full_sample_zscore(bars: pd.DataFrame) -> pd.Series:
    close = bars["close"]
    grouped = close.groupby(level="symbol")
    return ((close - grouped.transform("mean")) / grouped.transform("std")).rename("zfull")


def _trailing_mean(bars: pd.DataFrame) -> pd.DataFrame:
    close = bars["close"].groupby(level="symbol")
    return pd.DataFrame({
        "mean5": close.transform(lambda s: s.rolling(5).mean()),
        "centered": close.transform(lambda s: s.rolling(5, center=True).mean()),
    })


def test_leaky_lookahead_feature_is_caught(causal_bars):
    report = check_causal(_lookahead, causal_bars, n_cuts=4)
    assert not report.ok
    assert report.offending == ("lookahead",)
    assert {f.check for f in report.failures} >= {"noise", "nan"}
    # the value at the cut itself used the next bar
    assert all(f.first_difference == f.cut for f in report.failures)
    with pytest.raises(NotCausalError, match="lookahead"):
        check_causal(_lookahead, causal_bars, n_cuts=2, raise_on_failure=True)


def test_full_sample_normalization_is_caught_by_truncation(causal_bars):
    report = check_causal(_full_sample_zscore, causal_bars, n_cuts=3)
    assert not report.ok and "truncate" in {f.check for f in report.failures}
    assert report.first_difference == causal_bars.index.get_level_values(0).min()


def test_user_callable_reports_only_leaky_columns(causal_bars):
    report = check_causal(_trailing_mean, causal_bars, n_cuts=4)
    assert report.offending == ("centered",)


def test_leaky_feature_def_is_caught_on_wide_path(causal_bars):
    leaky = FeatureDef(name="future_mean", family="test", params={}, warmup=0,
                       description="mean of the next 3 closes",
                       compute=lambda ctx: shift(rolling_mean(ctx.fields["close"], 3), -3))
    report = check_causal(leaky, causal_bars, n_cuts=3)
    assert report.offending == ("future_mean",)
    honest = FeatureDef(name="past_mean", family="test", params={}, warmup=2,
                        description="mean of the last 3 closes",
                        compute=lambda ctx: rolling_mean(ctx.fields["close"], 3))
    assert check_causal(honest, causal_bars, n_cuts=3).ok


def test_check_causal_bad_checks_raise(causal_bars):
    with pytest.raises(ValueError, match="checks"):
        check_causal("rsi_14", causal_bars, checks=("astral",))
    with pytest.raises(ValueError, match="n_cuts"):
        check_causal("rsi_14", causal_bars, n_cuts=0)


def test_single_symbol_bars_callable(single_bars):
    report = check_causal(lambda b: np.log(b["close"]).diff().rename("r"), single_bars, n_cuts=3)
    assert report.ok


def test_callable_whose_output_starts_after_a_cut_is_checked_from_its_first_row(causal_bars):
    """A feature with a long warm-up that leaves its first rows out (rather than NaN) has nothing
    to compare at an early cut: no crash, and a causal one passes."""
    stamps = causal_bars.index.get_level_values(0)
    start = stamps.unique()[len(stamps.unique()) // 2]

    def late(bars: pd.DataFrame) -> pd.Series:
        out = bars["close"].groupby(level="symbol").pct_change(fill_method=None)
        return out[out.index.get_level_values(0) >= start]

    report = check_causal(late, causal_bars, n_cuts=6, seed=0)
    assert report.ok and min(report.cuts) < start
