"""Each optimizer gives the weights of the same problem posed directly in skfolio."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from alphafactory.portfolio import RULES, build_rule
from alphafactory.portfolio.optimizers import expected_returns

skfolio = pytest.importorskip("skfolio")
from skfolio import RiskMeasure  # noqa: E402
from skfolio.moments import LedoitWolf  # noqa: E402
from skfolio.optimization import (  # noqa: E402
    HierarchicalRiskParity,
    MaximumDiversification,
    MeanRisk,
    ObjectiveFunction,
)
from skfolio.prior import BlackLitterman, EmpiricalPrior  # noqa: E402

WINDOW, T = 60, 150


def _direct(name: str, x: pd.DataFrame, scores: np.ndarray):
    """The problem of each optimizer, written against skfolio's API by hand."""
    lw = EmpiricalPrior(covariance_estimator=LedoitWolf())
    bounds = {"min_weights": 0.0, "max_weights": 0.3}
    mu = 0.05 * x.std(ddof=1).to_numpy() * (scores - scores.mean()) / scores.std()
    if name == "mean_variance":
        return MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_UTILITY, risk_aversion=1.0,
                        overwrite_expected_return=lambda w: mu @ w, prior_estimator=lw,
                        **bounds)  # fmt: skip
    if name == "min_variance":
        return MeanRisk(prior_estimator=lw, **bounds)
    if name == "min_cvar":
        return MeanRisk(risk_measure=RiskMeasure.CVAR, prior_estimator=lw, **bounds)
    if name == "max_diversification":
        return MaximumDiversification(prior_estimator=lw, **bounds)
    if name == "hrp":
        return HierarchicalRiskParity(prior_estimator=lw, **bounds)
    views = [f"{c} = {m:.12f}" for c, m in zip(x.columns, mu, strict=True)]
    confidence = 0.05 / (0.05 + 1 - 0.05**2)
    prior = BlackLitterman(views=views, view_confidences=[confidence] * len(views), tau=0.05,
                           prior_estimator=lw)  # fmt: skip
    return MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_UTILITY, prior_estimator=prior,
                    **bounds)  # fmt: skip


OPTIMIZERS = sorted(n for n, c in RULES.items() if c.family == "optimizer")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_equals_the_same_problem_solved_directly_in_skfolio(name, panel):
    scores, prices = panel
    rule = build_rule(name, {"window": WINDOW, "max_weight": 0.3})
    ours = rule.weights(scores.iloc[[T]], prices).iloc[0].to_numpy()
    returns = prices.pct_change().iloc[T - WINDOW + 1 : T + 1]
    x = pd.DataFrame(returns.to_numpy(), columns=[f"x{i}" for i in range(returns.shape[1])])
    direct = _direct(name, x, scores.iloc[T].to_numpy()).fit(x).weights_
    np.testing.assert_allclose(ours, direct, atol=1e-6)
    assert ours.sum() == pytest.approx(1.0, abs=1e-6) and ours.max() <= 0.3 + 1e-6


def test_expected_returns_follow_grinolds_rule():
    returns = np.random.default_rng(0).normal(0, [0.01, 0.02, 0.04], (500, 3))
    mu = expected_returns(np.array([-1.0, 0.0, 1.0]), returns, ic=0.1)
    sigma = returns.std(axis=0, ddof=1)
    np.testing.assert_allclose(mu, 0.1 * sigma * np.array([-1, 0, 1]) / np.std([-1, 0, 1]))


@pytest.mark.parametrize("name", ["min_variance", "mean_variance", "black_litterman"])
def test_infeasible_solve_falls_back_logs_and_never_aborts_the_rebalance(name, panel, caplog):
    scores, prices = panel
    # 8 names with at least 0.2 each cannot sum to 1: infeasible by construction
    rule = build_rule(name, {"window": WINDOW, "min_weight": 0.2,
                             "fallback": {"rule": "equal_weight", "k": 4}})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="alphafactory.portfolio"):
        w = rule.weights(scores.iloc[[T, T + 5]], prices)
    best = scores.iloc[T].nlargest(4).index
    assert w.iloc[0][best].tolist() == [0.25] * 4 and w.iloc[0].drop(best).eq(0).all()
    assert np.isfinite(w.to_numpy()).all()
    failures = [r for r in caplog.records if "solve failed" in r.getMessage()]
    assert len(failures) == 2 and name in failures[0].getMessage()


def test_transaction_costs_in_the_objective_cut_turnover(panel):
    scores, prices = panel
    rows = scores.iloc[100:200:5]

    def turnover(costs: float) -> float:
        rule = build_rule("mean_variance", {"window": WINDOW, "ic": 0.2,
                                            "transaction_costs": costs})  # fmt: skip
        w = rule.weights(rows, prices).to_numpy()
        return float(np.abs(np.diff(w, axis=0)).sum())

    assert turnover(0.01) < 0.5 * turnover(0.0)


def test_optimizer_k_restricts_the_universe_to_the_best_scores(panel):
    scores, prices = panel
    w = build_rule("min_variance", {"window": WINDOW, "k": 3}).weights(scores.iloc[[T]], prices)
    chosen = set(scores.iloc[T].nlargest(3).index)
    assert set(w.columns[w.iloc[0] > 1e-9]) <= chosen


class _Fake:
    """A stand-in estimator: warns like skfolio on an inaccurate solve, returns given weights."""

    def __init__(self, weights, warn):
        self.weights, self.warn = weights, warn

    def fit(self, x):
        if self.warn:
            warnings.warn("Solution may be inaccurate.", UserWarning, stacklevel=2)
        self.weights_ = np.full(x.shape[1], self.weights)
        return self


@pytest.mark.parametrize(("weight", "warn", "kept"), [(0.125, True, True), (0.5, False, False)])
def test_solver_output_is_kept_only_when_feasible(weight, warn, kept, panel, caplog, monkeypatch):
    scores, prices = panel
    from alphafactory.portfolio.optimizers import MinVariance

    monkeypatch.setattr(MinVariance, "estimator", lambda self, *a: _Fake(weight, warn))
    rule = build_rule("min_variance", {"window": WINDOW, "fallback": {"rule": "topk", "k": 1,
                                                                       "long_only": True}})
    with caplog.at_level(logging.WARNING, logger="alphafactory.portfolio"):
        w = rule.weights(scores.iloc[[T]], prices).iloc[0]
    messages = " ".join(r.getMessage() for r in caplog.records)
    if kept:  # inaccurate but feasible (8 x 0.125 = 1): kept, the warning logged, not raised
        assert (w == 0.125).all() and "solver warning, weights kept" in messages
    else:  # 8 x 0.5 = 4 misses the budget: the fallback decides
        assert w[scores.iloc[T].idxmax()] == 1.0 and "miss the constraints by 3" in messages


def test_one_bar_call_with_trailing_prices_equals_the_panel_row(panel):
    # the trading loop's use: one row of scores, the closes up to t, the live state
    scores, prices = panel
    rule = build_rule("min_cvar", {"window": WINDOW})
    rows = scores.iloc[[T - 10, T]]
    panel_row = rule.weights(rows, prices).iloc[1]
    live = rule.weights(scores.iloc[[T]], prices.iloc[T - WINDOW : T + 1])
    pd.testing.assert_series_equal(live.iloc[0], panel_row)


def test_black_litterman_tilts_further_toward_the_views_with_a_higher_ic(panel):
    scores, prices = panel
    row = scores.iloc[[T]]
    best = row.iloc[0].idxmax()
    low, high = (build_rule("black_litterman", {"window": WINDOW, "ic": ic}).weights(row, prices)
                 for ic in (0.01, 0.3))  # fmt: skip
    assert high.iloc[0][best] > low.iloc[0][best]
    assert build_rule("black_litterman", {"ic": 0.3}).confidence > \
        build_rule("black_litterman", {"ic": 0.01}).confidence  # fmt: skip
