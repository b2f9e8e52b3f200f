"""The five rules of the promotion gate, each a function of its inputs to a :class:`RuleOutcome`
(the module docstring of :mod:`alphafactory.factory.gate` says what each one checks)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.evaluation import (
    block_bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    sharpe_ratio,
)

__all__ = ["MIN_WITHHELD_ROWS", "RuleOutcome", "degenerate", "json_number", "outcome",
           "rule_champion",
           "rule_checks", "rule_dsr", "rule_pbo", "rule_sharpe_ci", "sharpe_variance"]  # fmt: skip

MIN_WITHHELD_ROWS = 10
# How a failed rule's value compares with its threshold, for the one-line summary.
_FAILED_AS = {"dsr": "<", "pbo": ">", "sharpe_ci": "<=", "champion": "<"}


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleOutcome:
    """One rule's verdict: ``value`` against ``threshold`` (``None`` when not computable)."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (no NaN: a missing number is ``None``)."""
        numbers = {"value": json_number(self.value), "threshold": json_number(self.threshold)}
        return asdict(self) | numbers

    def reason(self) -> str:
        """Say why the rule failed, briefly: ``"0.41 < 0.95"`` or its detail."""
        op = _FAILED_AS.get(self.name)
        if op is None or self.value is None or self.threshold is None:
            return self.detail
        return f"{self.value:.2f} {op} {self.threshold:.2f}"


def rule_dsr(candidate, problem, n_trials, variance, n_completed, config, inputs) -> RuleOutcome:
    if problem:
        return _not_computable("dsr", config.min_dsr, problem)
    dsr = deflated_sharpe_ratio(candidate.to_numpy(), n_trials, variance)
    v = 1.0 / (len(candidate) - 1.0) if variance is None else variance
    sr0 = expected_max_sharpe(n_trials, v)
    inputs["expected_max_sharpe"] = sr0
    source = (
        f"across {n_completed} completed trials"
        if variance is not None
        else "default 1/(n-1): fewer than 2 non-constant completed trials"
    )
    detail = (
        f"DSR of per-period Sharpe {candidate.mean() / candidate.std(ddof=1):.4f} against "
        f"SR0 {sr0:.4f} (n_trials={n_trials}, V={v:.3g} {source})"
    )
    if not math.isfinite(dsr):
        return _not_computable("dsr", config.min_dsr, detail)
    return outcome("dsr", dsr >= config.min_dsr, dsr, config.min_dsr, detail)


def rule_pbo(search: pd.DataFrame, n_completed: int, config, inputs) -> RuleOutcome:
    if n_completed < 2:
        what = "one configuration" if n_completed else "no completed trial"
        return outcome("pbo", True, None, config.max_pbo, f"{what}: no selection to overfit")
    configurations = _cluster(search, config.pbo_cluster_corr)
    inputs["pbo_configurations"] = configurations.shape[1]
    if configurations.shape[1] < 2:
        return outcome("pbo", True, None, config.max_pbo,
                        f"{n_completed} trials are one configuration (returns correlate >= "
                        f"{config.pbo_cluster_corr:g}): no selection to overfit")  # fmt: skip
    rows = len(search)
    splits = min(config.pbo_splits, (rows // 2) // 2 * 2)
    if splits < 2:
        return _not_computable("pbo", config.max_pbo, f"{rows} search rows without NaN, need 4")
    inputs["pbo_splits_used"] = splits
    pbo = probability_of_backtest_overfitting(configurations.to_numpy(), splits).pbo
    detail = (f"CSCV over {configurations.shape[1]} configurations of {n_completed} trials, "
              f"{rows} rows, {splits} blocks")  # fmt: skip
    if splits < config.pbo_splits:
        detail += f" (fewer than 2 x {config.pbo_splits} rows: reduced from {config.pbo_splits})"
    return outcome("pbo", pbo <= config.max_pbo, pbo, config.max_pbo, detail)


def _cluster(search: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Group trials whose returns correlate at ``threshold`` or more (greedy, in trial order);
    each group's mean return is one configuration. ``threshold = 1`` groups exact copies only."""
    values = search.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(values, rowvar=False) if values.shape[1] > 1 else np.ones((1, 1))
    corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
    unassigned = list(range(values.shape[1]))
    groups = []
    while unassigned:
        head = unassigned[0]
        members = [j for j in unassigned if j == head or corr[head, j] >= threshold - 1e-12]
        groups.append(members)
        unassigned = [j for j in unassigned if j not in members]
    return pd.DataFrame({f"config_{k}": values[:, members].mean(axis=1)
                         for k, members in enumerate(groups)}, index=search.index)  # fmt: skip


def rule_sharpe_ci(candidate, problem, config, periods_per_year, seed) -> RuleOutcome:
    threshold = config.min_sharpe_lower
    if problem:
        return _not_computable("sharpe_ci", threshold, problem)
    try:
        ci = block_bootstrap_ci(
            candidate.to_numpy(),
            lambda r: sharpe_ratio(r, periods_per_year),
            n_boot=config.n_boot,
            seed=seed,
            alpha=1.0 - config.ci_level,
        )
    except ValueError as err:
        return _not_computable("sharpe_ci", threshold, str(err))
    detail = (
        f"{config.ci_level:.0%} stationary bootstrap interval of the annualized net Sharpe "
        f"[{ci.low:.2f}, {ci.high:.2f}] (block {ci.block}, {ci.n_boot} resamples)"
    )
    return outcome("sharpe_ci", ci.low > threshold, ci.low, threshold, detail)


def rule_champion(candidate, champion, config, periods_per_year, inputs) -> RuleOutcome:
    if champion is None:
        inputs["champion_sharpe"] = None
        return outcome("champion", True, None, None, "no champion")
    both = pd.concat({"c": candidate, "h": champion}, axis=1, join="inner").dropna()
    inputs["common_rows"] = len(both)
    problem = degenerate(both["c"], "timestamps shared with the champion")
    if problem:
        return _not_computable("champion", None, problem)
    cand = sharpe_ratio(both["c"].to_numpy(), periods_per_year)
    champ = sharpe_ratio(both["h"].to_numpy(), periods_per_year)
    note = ""
    if not math.isfinite(champ):
        champ, note = 0.0, "; the champion's returns are constant there: its Sharpe counts as 0"
    inputs["champion_sharpe"], inputs["candidate_sharpe_common"] = champ, cand
    required = max(config.champion_margin, config.champion_margin_pct * abs(champ))
    detail = (
        f"net Sharpe {cand:.2f} vs champion {champ:.2f} on {len(both)} shared timestamps: "
        f"gain {cand - champ:+.2f}, needs >= {required:.2f} = max({config.champion_margin}"
        f", {config.champion_margin_pct} x |champion|){note}"
    )
    return outcome("champion", cand - champ >= required, cand - champ, required, detail)


def rule_checks(checks: Mapping[str, str | None]) -> RuleOutcome:
    if not checks:
        return outcome("checks", False, None, None, "no data or causality check was run")
    failures = [
        f"{name}: {msg or '(no message)'}" for name, msg in checks.items() if msg is not None
    ]
    if failures:
        detail = f"{len(failures)} of {len(checks)} failed: " + "; ".join(failures)
        return outcome("checks", False, len(failures), 0.0, detail)
    return outcome("checks", True, 0.0, 0.0, f"all {len(checks)} passed: {', '.join(checks)}")


def outcome(name, passed, value, threshold, detail) -> RuleOutcome:
    """A rule's outcome with its numbers made JSON-safe."""
    return RuleOutcome(name=name, passed=bool(passed), value=json_number(value),
                       threshold=json_number(threshold), detail=detail)  # fmt: skip


def _not_computable(name: str, threshold: float | None, why: str) -> RuleOutcome:
    return outcome(name, False, None, threshold, f"not computable: {why}")


def degenerate(returns: pd.Series, rows: str = "withheld rows") -> str | None:
    """Why these returns cannot be judged, or ``None``."""
    if len(returns) < MIN_WITHHELD_ROWS:
        return f"only {len(returns)} {rows}, need >= {MIN_WITHHELD_ROWS}"
    if returns.max() == returns.min():
        return "the returns are constant (no trade, or no variation): the Sharpe is undefined"
    return None


def sharpe_variance(search: pd.DataFrame) -> float | None:
    """Variance (``ddof=1``) of the non-constant trials' per-period Sharpes, or ``None``."""
    if len(search) < 2:
        return None
    ok = search.max() > search.min()
    if ok.sum() < 2:
        return None
    sharpes = search.mean()[ok] / search.std(ddof=1)[ok]
    return float(sharpes.var(ddof=1))


def json_number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
