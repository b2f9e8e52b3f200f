from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.errors import ConfigError
from alphafactory.evaluation import sharpe_ratio
from alphafactory.factory.gate import (
    RULES,
    GateConfig,
    GateDecision,
    evaluate_gate,
    naive_gate,
)

FAST = GateConfig(n_boot=200, pbo_splits=8)
SEARCH = pd.bdate_range("2019-01-01", periods=756)
WITHHELD = pd.bdate_range(SEARCH[-1] + pd.offsets.BDay(), periods=504)


def with_sharpe(sharpe: float, index: pd.Index, seed: int, vol: float = 0.01) -> pd.Series:
    """Daily returns whose sample annualized Sharpe is exactly ``sharpe``."""
    z = np.random.default_rng(seed).standard_normal(len(index))
    z = (z - z.mean()) / z.std(ddof=1)
    return pd.Series(vol * (z + sharpe / math.sqrt(252.0)), index=index)


def noise_trials(n: int, seed: int, index: pd.Index = SEARCH) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(0.0, 0.01, (len(index), n))
    return pd.DataFrame(values, index=index, columns=[f"trial_{i}" for i in range(n)])


def gate(candidate: pd.Series, **overrides) -> GateDecision:
    kwargs = dict(
        candidate_returns=candidate,
        trial_returns=noise_trials(20, seed=1),
        n_trials=25,
        champion_returns=None,
        checks={"causality": None, "data": None},
        config=FAST,
    )
    return evaluate_gate(**(kwargs | overrides))


@pytest.fixture(scope="module")
def skilled() -> pd.Series:
    return with_sharpe(3.0, WITHHELD, seed=7)


def test_gate_skilled_candidate_without_champion_is_promoted(skilled):
    decision = gate(skilled, config=GateConfig())
    assert decision.passed, decision.summary()
    assert decision.summary() == "promote: all 5 rules passed"
    assert [r.name for r in decision.rules] == list(RULES)
    assert decision.rule("champion").detail == "no champion"
    record = decision.to_dict()
    assert record["inputs"]["n_trials"] == 25 and record["inputs"]["n_completed"] == 20
    assert record["inputs"]["withheld_rows"] == 504
    assert record["inputs"]["withheld_start"] == WITHHELD[0].isoformat()
    assert record["inputs"]["candidate_sharpe"] == pytest.approx(3.0)


def test_gate_best_of_30_noise_trials_fails_dsr_where_naive_gate_promotes():
    trials = noise_trials(30, seed=3, index=WITHHELD)
    sharpes = trials.apply(lambda r: sharpe_ratio(r, 252.0))
    best = trials[sharpes.idxmax()]
    assert naive_gate(float(sharpes.max()))  # the factory we replace would promote it
    decision = gate(best, trial_returns=trials, n_trials=30)
    assert not decision.passed
    assert "dsr" in decision.failed
    assert decision.summary().startswith("keep champion: failed dsr (")
    # the same returns judged as a single trial would look far better: deflation did it
    single = gate(best, trial_returns=trials[[best.name]], n_trials=1)
    assert single.passed and single.rule("dsr").value > decision.rule("dsr").value


def test_gate_candidate_equal_to_champion_fails_only_the_champion_rule(skilled):
    decision = gate(skilled, champion_returns=skilled.copy())
    assert decision.failed == ("champion",)
    outcome = decision.rule("champion")
    assert outcome.value == pytest.approx(0.0) and outcome.threshold == pytest.approx(0.30)
    assert decision.summary() == "keep champion: failed champion (0.00 < 0.30)"


@pytest.mark.parametrize(
    ("candidate", "champion", "passes"),
    [
        (3.0, 2.75, False),  # needs 10% of 2.75 = 0.275 > 0.10
        (3.0, 2.70, True),  # needs 0.27
        (0.62, 0.50, True),  # needs the absolute 0.10
        (0.58, 0.50, False),
        (0.0, -0.50, True),  # |champion|: needs max(0.10, 0.05)
    ],
)
def test_gate_champion_margin_is_the_larger_of_absolute_and_relative(candidate, champion, passes):
    decision = gate(
        with_sharpe(candidate, WITHHELD, seed=11),
        champion_returns=with_sharpe(champion, WITHHELD, seed=12),
    )
    assert decision.rule("champion").passed is passes


def test_gate_champion_compared_on_shared_timestamps_only(skilled):
    champion = with_sharpe(1.0, WITHHELD[-300:], seed=5)
    decision = gate(skilled, champion_returns=champion)
    assert decision.to_dict()["inputs"]["common_rows"] == 300
    assert "300 shared timestamps" in decision.rule("champion").detail


def test_gate_constant_champion_counts_as_zero_sharpe(skilled):
    decision = gate(skilled, champion_returns=pd.Series(0.0, index=WITHHELD))
    assert decision.rule("champion").passed
    assert "counts as 0" in decision.rule("champion").detail


def test_gate_failed_checks_fail_rule_five_listing_them(skilled):
    checks = {"causality": "feature rsi uses t+1 close", "data": None, "gaps": "12 missing bars"}
    decision = gate(skilled, checks=checks)
    assert decision.failed == ("checks",)
    detail = decision.rule("checks").detail
    assert "2 of 3 failed" in detail and "rsi uses t+1" in detail and "gaps" in detail
    assert not gate(skilled, checks={}).rule("checks").passed  # nothing shown to pass


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (pd.Series([], dtype=float), "only 0 withheld rows"),
        (pd.Series(0.001, index=WITHHELD[:5]), "only 5 withheld rows"),
        (pd.Series(0.0, index=WITHHELD), "constant"),
        (pd.Series(np.nan, index=WITHHELD), "only 0 withheld rows"),
    ],
)
def test_gate_degenerate_candidate_fails_without_raising(candidate, reason):
    decision = gate(candidate, champion_returns=with_sharpe(1.0, WITHHELD, seed=2))
    assert not decision.passed
    assert {"dsr", "sharpe_ci", "champion"} <= set(decision.failed)
    assert reason in decision.rule("dsr").detail and reason in decision.rule("sharpe_ci").detail
    json.dumps(decision.to_dict(), allow_nan=False)


def test_gate_pbo_with_one_trial_passes_and_says_why(skilled):
    decision = gate(skilled, trial_returns=noise_trials(1, seed=4), n_trials=8)
    outcome = decision.rule("pbo")
    assert outcome.passed and outcome.value is None
    assert outcome.detail == "one configuration: no selection to overfit"


def test_gate_pbo_short_search_window_reduces_blocks(skilled):
    trials = noise_trials(5, seed=6, index=SEARCH[:21]).assign(trial_0=np.nan)
    trials.iloc[1:, 0] = 0.001 * np.arange(20)  # row 0 holds a NaN: dropped, 20 rows left
    decision = gate(skilled, trial_returns=trials, config=GateConfig(n_boot=50))
    assert decision.to_dict()["inputs"]["pbo_splits_used"] == 10
    assert "reduced from 16" in decision.rule("pbo").detail
    tiny = gate(skilled, trial_returns=noise_trials(5, seed=6, index=SEARCH[:3]))
    assert "pbo" in tiny.failed and "not computable" in tiny.rule("pbo").detail


def test_gate_rejects_fewer_trials_than_completed_columns(skilled):
    with pytest.raises(ValueError, match="n_trials"):
        gate(skilled, n_trials=19)
    with pytest.raises(ValueError, match="n_trials"):
        gate(skilled, trial_returns=noise_trials(0, seed=1), n_trials=0)


def test_gate_decision_round_trips_through_json(skilled):
    decision = gate(
        skilled,
        champion_returns=skilled.copy(),
        checks={"causality": "look-ahead in labels", "data": None},
    )
    text = json.dumps(decision.to_dict(), allow_nan=False)
    back = GateDecision.from_dict(json.loads(text))
    assert back.to_dict() == decision.to_dict()
    assert back.failed == decision.failed == ("champion", "checks")
    assert back.config == decision.config and back.summary() == decision.summary()


def test_gate_decision_rejects_passed_with_a_failed_rule(skilled):
    record = gate(skilled, checks={"data": "bad"}).to_dict()
    with pytest.raises(ValueError, match="every rule passed"):
        GateDecision.from_dict(record | {"passed": True})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("min_dsr", math.nan),
        ("min_dsr", 1.5),
        ("max_pbo", -0.1),
        ("pbo_splits", 3),
        ("pbo_splits", 0),
        ("n_boot", 5),
        ("ci_level", 1.0),
        ("champion_margin", -0.1),
        ("champion_margin_pct", math.nan),
        ("min_sharpe_lower", math.inf),
        ("naive_threshold", math.nan),
    ],
)
def test_gate_config_invalid_value_raises_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=rf"\[gate\] {key} .*got {value!r}"):
        GateConfig(**{key: value})


def test_naive_gate_is_a_strict_threshold():
    assert naive_gate(1.2) and not naive_gate(1.0) and not naive_gate(math.nan)
    assert naive_gate(0.6, threshold=0.5)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    drift=st.floats(-0.002, 0.004),
    rows=st.integers(0, 80),
    n_completed=st.integers(0, 4),
    extra_trials=st.integers(0, 50),
    champion=st.booleans(),
    check_fails=st.booleans(),
)
def test_gate_passes_iff_no_rule_failed_and_more_trials_never_help(
    seed, drift, rows, n_completed, extra_trials, champion, check_fails
):
    rng = np.random.default_rng(seed)
    candidate = pd.Series(rng.normal(drift, 0.01, rows), index=WITHHELD[:rows])
    kwargs = dict(
        candidate_returns=candidate,
        trial_returns=noise_trials(n_completed, seed=seed, index=SEARCH[:40]),
        champion_returns=pd.Series(rng.normal(0, 0.01, 504), index=WITHHELD) if champion else None,
        checks={"data": "bad bars" if check_fails else None},
        config=GateConfig(n_boot=10, pbo_splits=4),
    )
    few = evaluate_gate(n_trials=max(1, n_completed), **kwargs)
    many = evaluate_gate(n_trials=max(1, n_completed) + extra_trials, **kwargs)
    for decision in (few, many):
        assert decision.passed == (not decision.failed)
        assert decision.failed == tuple(r.name for r in decision.rules if not r.passed)
        json.dumps(decision.to_dict(), allow_nan=False)
    if not few.rule("dsr").passed:
        assert not many.rule("dsr").passed
    if few.rule("dsr").value is not None:
        assert many.rule("dsr").value <= few.rule("dsr").value + 1e-12


def test_near_copies_of_one_model_are_one_configuration_for_cscv():
    """A converged search proposes near-copies: their in-sample ranking is noise, so CSCV over
    them is a coin flip whatever the skill; clustered they are one configuration."""
    rng = np.random.default_rng(7)
    base = rng.normal(0.002, 0.01, 800)
    copies = pd.DataFrame({k: base + rng.normal(0, 0.001, 800) for k in range(8)},
                          index=pd.date_range("2020-01-01", periods=800, freq="B", tz="UTC"))
    candidate = pd.Series(rng.normal(0.002, 0.01, 300),
                          index=pd.date_range("2023-01-02", periods=300, freq="B", tz="UTC"))
    kwargs = dict(candidate_returns=candidate, trial_returns=copies, n_trials=8,
                  champion_returns=None, checks={"data": None})
    clustered = evaluate_gate(**kwargs)
    assert clustered.rule("pbo").passed and "one configuration" in clustered.rule("pbo").detail
    assert clustered.inputs["pbo_configurations"] == 1
    unclustered = evaluate_gate(**kwargs, config=GateConfig(pbo_cluster_corr=1.0))
    assert unclustered.inputs["pbo_configurations"] == 8
    assert unclustered.rule("pbo").value is not None
    # distinct noise trials are not merged
    noise = pd.DataFrame(rng.normal(0, 0.01, (800, 6)), index=copies.index)
    assert evaluate_gate(**{**kwargs, "trial_returns": noise, "n_trials": 6}).inputs[
        "pbo_configurations"] == 6
