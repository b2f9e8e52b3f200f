"""The research pipeline's self-tests at CI size (the full-size check: research/model_zoo.py)."""

from __future__ import annotations

import functools
import importlib.util

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import DataError
from alphafactory.evaluation import deflated_sharpe_ratio
from alphafactory.features import Standardizer, list_features
from alphafactory.models.selection import DEFAULT_SELECTION, build_steps
from alphafactory.training import WalkForward, walk_forward
from alphafactory.training.selftest import (
    SelfTestSettings,
    drop_warmup,
    run_selftest,
    selftest_data,
    selftest_stats,
)

SMALL = SelfTestSettings.small()


@functools.cache
def _data(market: str):
    """One CI-size market of each kind for the whole module (every feature is built once)."""
    return selftest_data(SMALL, market)


MODELS = ["ridge", "mlp", "lstm", "tcn", "transformer", "cs_transformer", "lightgbm", "xgboost"]
N_TRIALS = len(MODELS)


def _config(name: str) -> dict | None:
    return None if name == "ridge" else {"preset": "ci"}


def _skip_missing(name: str) -> None:
    if name in ("lightgbm", "xgboost") and importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install 'alphafactory[gbm]')")


@pytest.mark.parametrize("name", MODELS)
def test_selftest_null_market_ic_within_3se_and_dsr_not_significant(name):
    _skip_missing(name)
    result = run_selftest(name, "null", SMALL, config=_config(name), data=_data("null"))
    assert SMALL.test < len(result.ic_series) <= 2 * SMALL.test  # NaN when scores tie
    assert abs(result.ic) < 3 * result.ic_se
    assert deflated_sharpe_ratio(result.long_short, N_TRIALS) < 0.95


@pytest.mark.parametrize(("name", "min_ratio"), [("ridge", 0.8), ("lstm", 0.6), ("tcn", 0.6),
                                                 ("transformer", 0.6)])  # fmt: skip
def test_selftest_planted_alpha_recovers_most_of_oracle_ic(name, min_ratio):
    result = run_selftest(name, "planted", SMALL, config=_config(name), data=_data("planted"))
    assert result.oracle_ic == pytest.approx(SMALL.alpha_ic, abs=0.01)
    assert result.ratio >= min_ratio
    assert result.t_stat > 3


def test_selftest_data_uses_every_registered_feature_from_the_end_of_the_warmup():
    _, features, _ = _data("null")
    assert list(features.columns) == list(list_features()["name"])
    first = features.xs(features.index[0][0], level="timestamp")
    assert first.notna().all(axis=1).mean() > 0.5
    assert len(drop_warmup(features)) == len(features)


def test_selftest_oracle_ic_is_planted_ic_on_the_same_timestamps():
    market, features, labels = _data("planted")
    result = walk_forward(features, labels, model="ridge", splitter=SMALL.splitter(), lookback=5)
    stats = selftest_stats(result, market.truth, "planted")
    truth = market.truth.reindex(result.predictions.index)
    frame = pd.concat([truth, result.predictions["label"]], axis=1)
    by_hand = frame.groupby(level="timestamp").apply(lambda f: f["truth"].corr(f["label"]))
    assert stats.oracle_ic == pytest.approx(by_hand.mean(), abs=1e-12)


# ------------------------------------------------------------------ leakage guard
def _null_t_stat(features: pd.DataFrame, labels: pd.Series, market, normalizer=None) -> float:
    result = walk_forward(
        features, labels, model="ridge", splitter=SMALL.splitter(), lookback=SMALL.lookback,
        normalizer=normalizer, selection=build_steps(DEFAULT_SELECTION),
    )  # fmt: skip
    return selftest_stats(result, market.truth, "null").t_stat


class _CentredSmoother(Standardizer):
    """A classic leak: 'smoothing' features with a centred two-bar mean (uses bar t+1)."""

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        ahead = frame.groupby(level="symbol").shift(-1)
        return super().transform((frame + ahead.fillna(frame)) / 2)


def test_leakage_guard_one_bar_label_leak_makes_null_ic_jump():
    market, features, labels = _data("null")
    honest = _null_t_stat(features, labels, market)
    # Bar t sees the return of bar t+1, blurred by noise so that walk_forward's own label-timing
    # check (which refuses an exact leak, below) lets it through: the null self-test catches it.
    noise = np.random.default_rng(0).normal(scale=labels.std(), size=len(labels))
    leaked = features.assign(leak=labels.fillna(0.0) + noise)
    assert abs(honest) < 3
    assert _null_t_stat(leaked, labels, market) > 10


def test_leakage_guard_exact_label_leak_is_refused_before_any_fit():
    market, features, labels = _data("null")
    with pytest.raises(DataError, match=r"labels: not strictly after the features.*'leak' at t"):
        _null_t_stat(features.assign(leak=labels), labels, market)


def test_leakage_guard_one_bar_normalizer_leak_makes_null_ic_jump():
    market, features, labels = _data("null")
    assert _null_t_stat(features, labels, market, normalizer=_CentredSmoother()) > 10


def test_leakage_guard_purge_below_horizon_is_refused():
    market, features, _ = _data("null")
    from alphafactory.labels import forward_returns

    labels5 = forward_returns(market.bars, 5, kind="log", demean=True)
    with pytest.raises(ValueError, match="shorter than the label horizon"):
        walk_forward(
            features, labels5, model="ridge",
            splitter=WalkForward(train=400, val=100, test=120, purge=1),
        )  # fmt: skip
