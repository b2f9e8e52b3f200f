"""Data drift against stored reference statistics: shifts flagged, stationary windows not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError, DataError
from alphafactory.models.reference import ReferenceConfig, compute_reference
from alphafactory.monitor import DataDriftMonitor, DriftConfig, data_drift, load_reference

from .conftest import AT, bars_between

CONFIG = ReferenceConfig(window=60, n_boot=100)


@pytest.fixture(scope="module")
def reference(shifted):
    _, features = shifted
    return load_reference(compute_reference(bars_between(features, 60, 540), config=CONFIG))


def test_data_drift_flags_volatility_shift_but_not_standardized_feature(shifted, reference):
    _, features = shifted
    result = data_drift(reference, bars_between(features, AT + 20, AT + 79))
    assert result.drifted and result.ready and result.n_bars == 60
    assert {"ret_1", "bb_width_10", "dc_width_10"} <= set(result.drifted_features)
    assert result.drifted_features[0] == "dc_width_10"  # the volatility features lead
    table = result.table.set_index("column")
    assert table.loc["dc_width_10", "psi"] > 1.5 * table.loc["dc_width_10", "psi_q99"]
    # Cross-sectional z-scores do not move with volatility: PSI inside its bootstrap range
    # (their KS can still notice the regime's effect on the cross-sectional shape).
    assert table.loc["cs_z_ret_1", "psi"] < table.loc["cs_z_ret_1", "psi_q99"]
    doc = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert doc["drifted"] and doc["severity"] in ("warning", "critical")


@pytest.mark.parametrize("start", [541, 560])
def test_data_drift_quiet_on_windows_before_the_shift(shifted, reference, start):
    _, features = shifted
    result = data_drift(reference, bars_between(features, start, start + 59))
    assert not result.drifted, result.table


def test_rolling_monitor_equals_one_shot_on_the_same_window(shifted, reference):
    _, features = shifted
    monitor = DataDriftMonitor(reference, DriftConfig(window=60))
    rolling = monitor.update_frame(bars_between(features, 500, AT + 79))
    once = data_drift(reference, bars_between(features, AT + 20, AT + 79))
    assert rolling.start == once.start and rolling.end == once.end
    pd.testing.assert_frame_equal(rolling.table, once.table, rtol=1e-9)


def test_rolling_monitor_not_ready_until_min_bars(shifted, reference):
    _, features = shifted
    monitor = DataDriftMonitor(reference, DriftConfig(min_bars=20))
    result = monitor.update_frame(bars_between(features, AT, AT + 9))
    assert not result.ready and not result.drifted and result.severity == "none"


def test_rolling_monitor_rejects_out_of_order_and_missing_columns(shifted, reference):
    _, features = shifted
    monitor = DataDriftMonitor(reference)
    stamps = features.index.get_level_values("timestamp").unique()
    cross = features.xs(stamps[100], level="timestamp")
    monitor.update(stamps[100], cross)
    with pytest.raises(DataError, match="time order"):
        monitor.update(stamps[99], cross)
    with pytest.raises(DataError, match="ret_5"):
        monitor.update(stamps[101], cross.drop(columns="ret_5"))


def test_score_drift_is_tested_on_its_own(shifted):
    _, features = shifted
    window = bars_between(features, 60, 540)
    scores = pd.Series(np.random.default_rng(0).normal(size=len(window)), index=window.index)
    ref = load_reference(compute_reference(window, scores, config=CONFIG))
    new = bars_between(features, 560, 589)
    noise = np.random.default_rng(1).normal(size=len(new))
    same = data_drift(ref, new, pd.Series(noise, new.index))
    moved = data_drift(ref, new, pd.Series(noise + 1.0, new.index))
    assert not same.score["drifted"] and moved.score["drifted"]
    assert moved.severity == "critical"


def test_drift_config_rejects_bad_fdr():
    with pytest.raises(ConfigError, match=r"fdr.*1\.5"):
        DriftConfig(fdr=1.5)
