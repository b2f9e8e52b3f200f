"""Classification targets: direction with a dead zone (return or volatility units) on hand-built
bars, and the ``[labels]`` settings that choose the target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.labels import direction, forward_returns, triple_barrier
from alphafactory.training.experiment import ExperimentConfig, LabelSettings


def _bars(closes: list[float]) -> pd.DataFrame:
    """One symbol, open = close of the same bar, a tight high/low."""
    close = np.asarray(closes, dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(close), freq="D", name="timestamp")
    return pd.DataFrame(
        {"open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
         "volume": 1e6},
        index=index,
    )  # fmt: skip


def test_direction_dead_zone_in_return_units_marks_small_moves_flat():
    bars = _bars([100.0, 101.0, 100.9, 99.0, 99.0, 100.5])
    # forward simple returns: +1%, -0.099%, -1.88%, 0%, +1.52%, NaN
    label = direction(bars, 1, threshold=0.005)
    np.testing.assert_array_equal(label.to_numpy(), [1.0, 0.0, -1.0, 0.0, 1.0, np.nan])
    no_zone = direction(bars, 1)
    np.testing.assert_array_equal(no_zone.to_numpy(), [1.0, -1.0, -1.0, 0.0, 1.0, np.nan])


def test_direction_dead_zone_is_inclusive_at_the_threshold():
    bars = _bars([100.0, 125.0, 93.75])  # exactly +25%, then exactly -25%
    label = direction(bars, 1, threshold=0.25)
    np.testing.assert_array_equal(label.to_numpy()[:2], [0.0, 0.0])


def test_direction_dead_zone_in_volatility_units_scales_by_trailing_sigma():
    rng = np.random.default_rng(0)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 80)))
    bars = _bars(list(closes))
    label = direction(bars, 2, threshold=0.5, vol_scaled=True, vol_window=10, kind="log")
    log_ret = np.log(bars["close"])
    sigma = log_ret.diff().rolling(10).std()
    scaled = (log_ret.shift(-2) - log_ret) / (sigma * np.sqrt(2))
    expected = np.where(scaled > 0.5, 1.0, np.where(scaled < -0.5, -1.0, 0.0))
    expected = np.where(scaled.notna(), expected, np.nan)
    np.testing.assert_array_equal(label.to_numpy(), expected)
    assert (label == 0).sum() > 10 and label.attrs["horizon"] == 2


def test_direction_negative_threshold_raises(small_market):
    with pytest.raises(ValueError, match="threshold"):
        direction(small_market.bars, 1, threshold=-0.1)


def test_label_settings_default_target_is_todays_forward_return(small_market):
    bars = small_market.bars
    settings = LabelSettings()
    got = settings.build(bars)
    expected = forward_returns(bars, 1, kind="log", entry="next_open", demean=True)
    pd.testing.assert_series_equal(got, expected)
    assert settings.trade_returns(bars) is None and not settings.is_classification
    doc = ExperimentConfig(model="ridge").to_mapping()["labels"]
    assert doc == {"horizon": 1, "kind": "log", "entry": "next_open", "demean": True,
                   "target": "returns"}  # fmt: skip


def test_label_settings_direction_and_triple_barrier_targets(small_market):
    bars = small_market.bars
    up_down = LabelSettings(target="direction", horizon=2, dead_zone=0.3,
                            dead_zone_units="volatility").build(bars)  # fmt: skip
    expected = direction(bars, 2, entry="next_open", kind="log", demean=True, threshold=0.3,
                         vol_scaled=True)  # fmt: skip
    pd.testing.assert_series_equal(up_down, expected)
    settings = LabelSettings(target="triple_barrier", horizon=5, pt=1.5, sl=1.0)
    barrier = settings.build(bars)
    frame = triple_barrier(bars, pt=1.5, sl=1.0, horizon=5, entry="next_open")
    np.testing.assert_array_equal(barrier.to_numpy(), frame["label"].to_numpy())
    assert barrier.attrs["horizon"] == 5 and barrier.attrs["kind"] == "triple_barrier"
    np.testing.assert_array_equal(settings.trade_returns(bars).to_numpy(), frame["ret"])


def test_label_settings_of_another_target_or_unknown_keys_raise():
    with pytest.raises(ConfigError, match="pt is a setting of target triple_barrier"):
        LabelSettings(target="direction", pt=2.0)
    with pytest.raises(ConfigError, match="dead_zone is a setting of target direction"):
        LabelSettings(dead_zone=0.1)
    with pytest.raises(ConfigError, match="target must be one of"):
        LabelSettings(target="sign")
    with pytest.raises(ConfigError, match="dead_zone_units"):
        LabelSettings(target="direction", dead_zone_units="sigma")
    with pytest.raises(ConfigError, match=r"dead_zon.*\[labels\]"):
        ExperimentConfig.from_mapping(
            {"model": {"name": "logistic"}, "labels": {"target": "direction", "dead_zon": 0.1}}
        )
    config = ExperimentConfig.from_mapping(
        {"model": {"name": "logistic"}, "labels": {"target": "direction", "dead_zone": 0.1}}
    )
    assert ExperimentConfig.from_mapping(config.to_mapping()) == config
