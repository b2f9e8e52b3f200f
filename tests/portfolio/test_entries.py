from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.portfolio import (
    RULES,
    weights_from_entries,
    weights_from_scores,
    weights_from_thresholds,
)
from alphafactory.signals import rebalance_every, threshold_long_flat

T = pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC", name="timestamp")


def _frame(columns: dict[str, list[int]]) -> pd.DataFrame:
    return pd.DataFrame({k: np.array(v, dtype=bool) for k, v in columns.items()}, index=T)


def _reference_state(le, lx, se, sx) -> np.ndarray:
    """The documented state machine, bar by bar (the oracle for the vectorized version)."""
    out = np.zeros(le.shape)
    for j in range(le.shape[1]):
        pos = 0.0
        for t in range(le.shape[0]):
            long_in = le[t, j] and not lx[t, j]
            long_out = lx[t, j] and not le[t, j]
            short_in = se[t, j] and not sx[t, j]
            short_out = sx[t, j] and not se[t, j]
            if long_in and short_in:
                long_in = short_in = False
            if long_in:
                pos = 1.0
            elif short_in:
                pos = -1.0
            elif (long_out and pos == 1.0) or (short_out and pos == -1.0):
                pos = 0.0
            out[t, j] = pos
    return out


def test_entries_hold_between_events_and_exit_only_its_side():
    entries = _frame({"A": [0, 1, 0, 0, 0, 0, 1, 1], "B": [0, 0, 0, 0, 0, 0, 0, 0]})
    exits = _frame({"A": [0, 0, 0, 1, 0, 0, 1, 0], "B": [1, 0, 0, 0, 1, 0, 0, 0]})
    short_entries = _frame({"A": [0, 0, 0, 0, 1, 0, 0, 1], "B": [0, 0, 1, 0, 0, 0, 0, 0]})
    short_exits = _frame({"A": [0, 0, 0, 0, 0, 0, 0, 0], "B": [0, 0, 0, 0, 0, 1, 0, 0]})
    w = weights_from_entries(
        entries, exits, size=0.5, short_entries=short_entries, short_exits=short_exits
    )
    # A: long at 1, held at 2, exit at 3, short at 4 and 5, entry+exit conflict at 6 (hold the
    # short), long and short entry at 7 (conflict: hold).
    assert w["A"].tolist() == [0, 0.5, 0.5, 0, -0.5, -0.5, -0.5, -0.5]
    # B: a long exit does not close a short (4); the short exit does (5).
    assert w["B"].tolist() == [0, 0, -0.5, -0.5, -0.5, 0, 0, 0]
    assert w.index.equals(T) and list(w.columns) == ["A", "B"]


def test_entries_opposite_entry_reverses_and_equal_size_splits():
    entries = _frame({"A": [1, 0, 0, 0, 0, 0, 0, 0], "B": [0, 0, 1, 0, 0, 0, 0, 0]})
    short_entries = _frame({"A": [0, 0, 0, 1, 0, 0, 0, 0], "B": [0, 0, 0, 0, 0, 0, 0, 0]})
    w = weights_from_entries(entries, short_entries=short_entries)
    assert w["A"].tolist() == [1, 1, 0.5, -0.5, -0.5, -0.5, -0.5, -0.5]
    assert w["B"].tolist() == [0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    np.testing.assert_allclose(w.abs().sum(axis=1).to_numpy(), 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_entries_match_the_bar_by_bar_state_machine(seed):
    rng = np.random.default_rng(seed)
    shape = (200, 6)
    events = [rng.random(shape) < p for p in (0.08, 0.06, 0.07, 0.05)]
    index = pd.date_range("2020-01-01", periods=shape[0], freq="h", tz="UTC")
    frames = [pd.DataFrame(e, index=index, columns=list("abcdef")) for e in events]
    w = weights_from_entries(
        frames[0], frames[1], size=1.0, short_entries=frames[2], short_exits=frames[3]
    )
    np.testing.assert_array_equal(w.to_numpy(), _reference_state(*events))


def test_entries_reject_misaligned_or_non_boolean_frames():
    entries = _frame({"A": [1, 0, 0, 0, 0, 0, 0, 0]})
    with pytest.raises(ValueError, match=r"exits: index and columns must equal"):
        weights_from_entries(entries, entries.iloc[:-1])
    with pytest.raises(ValueError, match=r"short_exits: column 'A' is not boolean"):
        weights_from_entries(entries, short_exits=entries.astype(float))
    with pytest.raises(ValueError, match=r"size must be a positive number or 'equal'"):
        weights_from_entries(entries, size=0.0)
    with pytest.raises(ValueError, match=r"size must be a positive number or 'equal'"):
        weights_from_entries(entries, size="all")


def test_thresholds_hysteresis_long_and_short():
    scores = pd.DataFrame(
        {"A": [0.0, 1.5, 0.8, 0.2, -0.2, -1.2, -0.7, -0.1]}, index=T
    )
    w = weights_from_thresholds(scores, enter=1.0, exit=0.5, size=1.0)
    # long above 1 until below 0.5; short below -1 until above -0.5
    assert w["A"].tolist() == [0, 1, 1, 0, 0, -1, -1, 0]
    flat = weights_from_thresholds(scores, enter=1.0, exit=0.5, long_only=True, size=1.0)
    assert flat["A"].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]


def test_thresholds_long_only_equal_matches_threshold_long_flat():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(120, 5))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[7] = np.nan  # a bar without any score: no decision
    scores = pd.DataFrame(values, index=pd.date_range("2021-01-01", periods=120, tz="UTC"))
    ours = weights_from_thresholds(scores, enter=0.8, exit=-0.2, long_only=True)
    theirs = threshold_long_flat(scores, enter=0.8, exit=-0.2)
    pd.testing.assert_frame_equal(ours, theirs)
    assert ours.iloc[7].isna().all()


def test_thresholds_reject_bad_bands():
    scores = pd.DataFrame({"A": [0.0, 1.0]}, index=T[:2])
    with pytest.raises(ValueError, match=r"exit \(2\.0\) must be <= enter"):
        weights_from_thresholds(scores, enter=1.0, exit=2.0)
    with pytest.raises(ValueError, match="enter must be > 0 for long-short"):
        weights_from_thresholds(scores, enter=-0.5)


def test_registry_hysteresis_rule_applies_universe_and_rebalance():
    assert "hysteresis" in RULES
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(40, 4)), columns=list("WXYZ"),
                          index=pd.date_range("2022-01-03", periods=40, tz="UTC"))
    universe = pd.DataFrame(True, index=scores.index, columns=scores.columns)
    universe.loc[universe.index[10:], "Z"] = False
    got = weights_from_scores(scores, "hysteresis", universe=universe, rebalance=5,
                              enter=0.5, exit=0.0, size=0.25)
    expected = weights_from_thresholds(scores.where(universe), enter=0.5, exit=0.0, size=0.25)
    pd.testing.assert_frame_equal(got, rebalance_every(expected, 5))
    assert (got["Z"].iloc[10:].dropna() == 0).all()
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['enterr'\]"):
        weights_from_scores(scores, "hysteresis", enterr=1.0)
