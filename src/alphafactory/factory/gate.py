"""The promotion gate: may a searched candidate replace the champion?

One function, :func:`evaluate_gate`, its rules in :class:`GateConfig` (the ``[gate]`` table of a
workflow file) and its verdict a :class:`GateDecision` whose ``to_dict()`` is the audit record the
registry stores. The candidate is judged on the **withheld window** (after the search window,
never seen by the search); every rule is always evaluated, so a refusal lists every reason.

1. ``dsr``: the deflated Sharpe ratio of the candidate's net withheld returns, deflated by the
   number of trials of the **whole study** (completed, pruned and failed) and by ``V``, the
   variance across completed trials of their per-period Sharpe ratios on the search window
   (constant trials left out; fewer than 2 left: the DSR's default ``1 / (n - 1)``, the spread
   of unskilled trials). Passes when ``DSR >= min_dsr``.
2. ``pbo``: the probability of backtest overfitting by CSCV over the completed trials' search
   window returns (rows with a NaN in any trial dropped). Passes when ``PBO <= max_pbo``.
   Trials whose returns correlate at ``pbo_cluster_corr`` or more are one configuration (their
   mean return is its series): CSCV assumes distinct configurations, and a search that
   converged proposes near-copies of one model, whose in-sample ranking is noise, so their PBO
   would be a coin flip whatever the skill. With fewer than 2 configurations there was no
   selection among returns to overfit: the rule passes and says so (the DSR still charges for
   every trial run, near-copies included). A search window shorter than
   ``2 * pbo_splits`` rows uses the largest even number of blocks that fits (at least 2); one
   shorter than 4 rows fails the rule.
3. ``sharpe_ci``: the lower bound of the stationary block-bootstrap interval (``ci_level``) of
   the candidate's annualized net Sharpe must be ``> min_sharpe_lower``.
4. ``champion``: on the timestamps both have, ``candidate - champion >= max(champion_margin,
   champion_margin_pct * |champion|)`` in annualized net Sharpe: the larger of the absolute and
   relative margins, so a weak champion is beaten by ``champion_margin`` and a strong one by
   ``champion_margin_pct`` of its Sharpe. No champion: passes ("no champion"). A constant
   champion (it did not trade) counts as Sharpe 0.
5. ``checks``: every named data and causality check maps to ``None`` (passed) or a failure
   message. No check at all fails the rule: nothing was shown to pass.

Degenerate candidates (empty, constant, fewer than ``MIN_WITHHELD_ROWS`` withheld rows) never
raise and never pass: rules 1, 3 and 4 fail naming the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.evaluation import (
    sharpe_ratio,
)
from alphafactory.factory.gate_rules import (
    MIN_WITHHELD_ROWS,
    RuleOutcome,
    degenerate,
    json_number,
    outcome,
    rule_champion,
    rule_checks,
    rule_dsr,
    rule_pbo,
    rule_sharpe_ci,
    sharpe_variance,
)

__all__ = ["MIN_WITHHELD_ROWS", "RULES", "GateConfig", "GateDecision", "RuleOutcome",
           "evaluate_gate", "naive_gate"]  # fmt: skip

RULES = ("dsr", "pbo", "sharpe_ci", "champion", "checks")
_MAX_PBO_SPLITS = 20  # C(20, 10) = 184,756 combinations; more is slow and memory-hungry


@dataclass(frozen=True, kw_only=True, slots=True)
class GateConfig:
    """The gate's rules: the ``[gate]`` table of a workflow file (Sharpes annualized, net)."""

    min_dsr: float = 0.95  # rule 1: least deflated Sharpe ratio, in [0, 1]
    max_pbo: float = 0.5  # rule 2: largest probability of backtest overfitting, in [0, 1]
    pbo_splits: int = 16  # rule 2: CSCV blocks S, even, in [2, 20]
    pbo_cluster_corr: float = 0.9  # rule 2: trials this correlated are one configuration; 1 = off
    min_sharpe_lower: float = 0.0  # rule 3: the interval's lower bound must be strictly above
    n_boot: int = 1000  # rule 3: bootstrap resamples, >= 10
    ci_level: float = 0.95  # rule 3: coverage of the interval, in (0, 1)
    champion_margin: float = 0.10  # rule 4: absolute margin over the champion's Sharpe, >= 0
    champion_margin_pct: float = 0.10  # rule 4: relative margin, fraction of |champion|, >= 0
    naive_threshold: float = 1.0  # not a rule: the naive baseline's threshold (naive_gate)

    def __post_init__(self) -> None:
        inf = math.inf
        _check("min_dsr", self.min_dsr, 0.0, 1.0)
        _check("max_pbo", self.max_pbo, 0.0, 1.0)
        _check("pbo_splits", self.pbo_splits, 2, _MAX_PBO_SPLITS, kind="int")
        if self.pbo_splits % 2:
            raise ConfigError(f"[gate] pbo_splits must be even; got {self.pbo_splits!r}.")
        _check("pbo_cluster_corr", self.pbo_cluster_corr, 0.0, 1.0, kind="left-open")
        _check("min_sharpe_lower", self.min_sharpe_lower, -inf, inf)
        _check("n_boot", self.n_boot, 10, inf, kind="int")
        _check("ci_level", self.ci_level, 0.0, 1.0, kind="open")
        _check("champion_margin", self.champion_margin, 0.0, inf)
        _check("champion_margin_pct", self.champion_margin_pct, 0.0, inf)
        _check("naive_threshold", self.naive_threshold, -inf, inf)


def _check(key: str, value: Any, low: float, high: float, *, kind: str = "closed") -> None:
    """Raise ``ConfigError`` unless ``value`` is a finite number (an integer for ``kind="int"``)
    in ``[low, high]`` (``(low, high)`` for ``kind="open"``)."""
    ok = isinstance(value, int if kind == "int" else int | float) and not isinstance(value, bool)
    if ok and math.isfinite(value):
        ok = (low < value < high if kind == "open" else low < value <= high
              if kind == "left-open" else low <= value <= high)
        if ok:
            return
    what = "an integer" if kind == "int" else "a finite number"
    if math.isfinite(low) or math.isfinite(high):
        what += f" in ({low:g}, {high:g})" if kind == "open" else f" in [{low:g}, {high:g}]"
    raise ConfigError(f"[gate] {key} must be {what}; got {value!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class GateDecision:
    """The gate's verdict, its rules in order, its configuration and a summary of its inputs.

    ``passed`` is true exactly when every rule passed; ``to_dict()`` is the registry's audit
    record and :meth:`from_dict` reads it back.
    """

    passed: bool
    rules: tuple[RuleOutcome, ...]
    config: GateConfig
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if bool(self.passed) != all(rule.passed for rule in self.rules):
            raise ValueError(
                f"a decision passes exactly when every rule passed; got passed={self.passed} "
                f"with failed rules {list(self.failed)}."
            )

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the failed rules, in rule order."""
        return tuple(rule.name for rule in self.rules if not rule.passed)

    def rule(self, name: str) -> RuleOutcome:
        """Return the outcome of rule ``name`` (one of :data:`RULES`)."""
        return {rule.name: rule for rule in self.rules}[name]

    def summary(self) -> str:
        """One line: ``"promote: all 5 rules passed"`` or ``"keep champion: failed ..."``."""
        if self.passed:
            return f"promote: all {len(self.rules)} rules passed"
        reasons = ", ".join(f"{r.name} ({r.reason()})" for r in self.rules if not r.passed)
        return f"keep champion: failed {reasons}"

    def to_dict(self) -> dict[str, Any]:
        """Return the audit record: JSON-safe (``json.dumps(..., allow_nan=False)`` works)."""
        return {
            "passed": bool(self.passed),
            "summary": self.summary(),
            "failed": list(self.failed),
            "rules": [rule.to_dict() for rule in self.rules],
            "config": asdict(self.config),
            "inputs": {key: _json_value(value) for key, value in self.inputs.items()},
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> GateDecision:
        """Rebuild a decision from :meth:`to_dict`'s record (``summary``/``failed`` derived)."""
        rules = tuple(
            outcome(r["name"], r["passed"], r["value"], r["threshold"], r["detail"])
            for r in record["rules"]
        )
        return cls(
            passed=bool(record["passed"]),
            rules=rules,
            config=GateConfig(**record["config"]),
            inputs=dict(record.get("inputs", {})),
        )


def naive_gate(best_in_sample_sharpe: float, threshold: float = 1.0) -> bool:
    """The factory we replace: promote when the best trial's in-sample Sharpe exceeds ``threshold``.

    No correction for the number of trials, no withheld window, no costs check: the baseline the
    research compares the gate against. NaN never passes.
    """
    return bool(math.isfinite(best_in_sample_sharpe) and best_in_sample_sharpe > threshold)


def evaluate_gate(
    *,
    candidate_returns: pd.Series,
    trial_returns: pd.DataFrame,
    n_trials: int,
    champion_returns: pd.Series | None,
    checks: Mapping[str, str | None],
    config: GateConfig = GateConfig(),
    periods_per_year: float = 252.0,
    seed: int = 0,
) -> GateDecision:
    """Decide whether the candidate may become champion (module docstring: the five rules).

    Parameters
    ----------
    candidate_returns : Series
        The candidate's net (after costs) per-period returns on the withheld window, indexed by
        timestamp; NaN dropped.
    trial_returns : DataFrame
        ``[T, K]`` net out-of-sample per-period returns on the search window of the ``K``
        completed trials, one column each.
    n_trials : int
        Every trial the study ran (completed, pruned, failed); ``>= max(1, K)``.
    champion_returns : Series or None
        The current champion's net per-period returns on the withheld window; ``None``: none.
    checks : mapping of str to str or None
        Data and causality checks: ``None`` passed, a message failed.
    config : GateConfig
        The rules' thresholds.
    periods_per_year : float
        Annualization of Sharpe ratios (``sqrt(P)``).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    GateDecision
        Every rule's outcome; ``passed`` iff all passed.
    """
    candidate = _as_returns(candidate_returns, "candidate_returns")
    if not isinstance(trial_returns, pd.DataFrame):
        raise TypeError(f"trial_returns must be a DataFrame; got {type(trial_returns).__name__}.")
    n_completed = trial_returns.shape[1]
    if isinstance(n_trials, bool) or int(n_trials) != n_trials or n_trials < max(1, n_completed):
        raise ValueError(
            f"n_trials must be an integer >= 1 and >= the {n_completed} completed trials "
            f"(columns of trial_returns); got {n_trials!r}."
        )
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValueError(f"periods_per_year must be a positive number; got {periods_per_year!r}.")
    champion = None if champion_returns is None else _as_returns(champion_returns, "champion")
    search = trial_returns.astype(np.float64).dropna(how="any")

    problem = degenerate(candidate)
    sharpe = math.nan if problem else sharpe_ratio(candidate.to_numpy(), periods_per_year)
    variance = sharpe_variance(search)
    inputs: dict[str, Any] = {
        "n_trials": int(n_trials),
        "n_completed": int(n_completed),
        "withheld_start": candidate.index[0] if len(candidate) else None,
        "withheld_end": candidate.index[-1] if len(candidate) else None,
        "withheld_rows": len(candidate),
        "search_start": search.index[0] if len(search) else None,
        "search_end": search.index[-1] if len(search) else None,
        "search_rows": len(search),
        "candidate_sharpe": sharpe,
        "sharpe_variance": variance,
        "periods_per_year": float(periods_per_year),
        "seed": int(seed),
        "check_names": sorted(checks),
    }
    rules = (
        rule_dsr(candidate, problem, int(n_trials), variance, n_completed, config, inputs),
        rule_pbo(search, n_completed, config, inputs),
        rule_sharpe_ci(candidate, problem, config, periods_per_year, seed),
        rule_champion(candidate, champion, config, periods_per_year, inputs),
        rule_checks(checks),
    )
    return GateDecision(
        passed=all(r.passed for r in rules), rules=rules, config=config, inputs=inputs
    )


def _as_returns(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"{name} must be a pandas Series; got {type(values).__name__}.")
    if not values.index.is_unique:
        raise ValueError(f"{name} has a duplicated index; expected one return per timestamp.")
    out = values.astype(np.float64).dropna().sort_index()
    if np.isinf(out.to_numpy()).any():
        raise ValueError(f"{name} holds infinite values; expected finite returns or NaN.")
    return out


def _json_value(value: Any) -> Any:
    """A JSON-safe form of an input's summary: numbers finite or None, timestamps ISO 8601."""
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, float | np.floating | np.integer) and not isinstance(value, bool):
        return int(value) if isinstance(value, np.integer) else json_number(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return value.isoformat() if isinstance(value, pd.Timestamp) else str(value)
