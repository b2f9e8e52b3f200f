"""Concept drift: labels used only once mature; a sign flip of the planted alpha is detected."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.data import planted_alpha, synthetic_market
from alphafactory.data.changes import Change
from alphafactory.errors import DataError, ModelError
from alphafactory.models.reference import compute_reference, outcome_metrics
from alphafactory.monitor import ConceptConfig, ConceptDriftMonitor, Cusum, load_reference

from .conftest import bars_between, next_log_return

AT = 500


@pytest.fixture(scope="module")
def flipped():
    m = synthetic_market(n_symbols=50, n_bars=800, seed=8, alpha_ic=0.1, exact_ic=False,
                         changes=[Change(at=AT, kind="sign_flip")])  # fmt: skip
    scores = planted_alpha(m.bars)  # the model learned the formula before the flip
    labels = next_log_return(m.bars)
    window = bars_between(scores.to_frame("f"), 30, 400)
    doc = compute_reference(window, scores.loc[window.index], labels.loc[window.index])
    return m, scores, labels, load_reference(doc)


def test_concept_monitor_refuses_immature_labels(flipped):
    _, scores, labels, ref = flipped
    mon = ConceptDriftMonitor(ref, config=ConceptConfig(horizon=2))
    stamps = scores.index.get_level_values("timestamp").unique()
    for t in stamps[100:102]:
        mon.observe(t, scores.xs(t, level="timestamp"))
    with pytest.raises(DataError, match="matures at bar 2"):
        mon.realize(stamps[100], labels.xs(stamps[100], level="timestamp"))
    mon.observe(stamps[102], scores.xs(stamps[102], level="timestamp"))
    assert mon.mature() == [stamps[100]]
    state = mon.realize(stamps[100], labels.xs(stamps[100], level="timestamp"))
    assert state.timestamp == stamps[100]
    with pytest.raises(DataError, match="never observed or already realized"):
        mon.realize(stamps[100], labels.xs(stamps[100], level="timestamp"))


def test_concept_monitor_detects_sign_flip_soon_after_it(flipped):
    _, scores, labels, ref = flipped
    assert ref.performance["ic_mean"] == pytest.approx(0.1, abs=0.02)
    mon = ConceptDriftMonitor(ref, Cusum())
    stamps = scores.index.get_level_values("timestamp").unique()
    alarms, states = [], []
    for k, t in enumerate(stamps[400:700], start=400):
        for state in mon.update(t, scores.xs(t, level="timestamp"), labels):
            states.append(state)
            if state.alarm:
                alarms.append((k, state))
    assert states[0].timestamp == stamps[400]  # realized one bar later, in order
    assert alarms, "the flip was not detected"
    first_bar = stamps.get_loc(alarms[0][1].timestamp)
    assert AT <= first_bar <= AT + 60
    assert alarms[0][1].since is not None and alarms[0][1].since >= stamps[AT - 10]
    assert states[-1].rolling_ic < 0 < states[AT - 400 - 1].rolling_ic  # 60-bar means
    metrics = outcome_metrics(scores, labels)
    assert states[0].ic == pytest.approx(metrics.loc[stamps[400], "ic"])
    assert states[0].to_dict()["detector"]["n"] == 1


def test_concept_monitor_needs_reference_performance(flipped):
    _, scores, _, _ = flipped
    window = bars_between(scores.to_frame("f"), 30, 100)
    with pytest.raises(ModelError, match="ic mean and standard deviation"):
        ConceptDriftMonitor(load_reference(compute_reference(window)))
    assert np.isfinite(window.to_numpy()).all()
