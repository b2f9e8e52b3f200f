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
    block_bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    sharpe_ratio,
)

__all__ = ["MIN_WITHHELD_ROWS", "RULES", "GateConfig", "GateDecision", "RuleOutcome",
           "evaluate_gate", "naive_gate"]  # fmt: skip

MIN_WITHHELD_ROWS = 10
RULES = ("dsr", "pbo", "sharpe_ci", "champion", "checks")
# How a failed rule's value compares with its threshold, for the one-line summary.
_FAILED_AS = {"dsr": "<", "pbo": ">", "sharpe_ci": "<=", "champion": "<"}
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
class RuleOutcome:
    """One rule's verdict: ``value`` against ``threshold`` (``None`` when not computable)."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (no NaN: a missing number is ``None``)."""
        return asdict(self) | {"value": _num(self.value), "threshold": _num(self.threshold)}

    def reason(self) -> str:
        """Say why the rule failed, briefly: ``"0.41 < 0.95"`` or its detail."""
        op = _FAILED_AS.get(self.name)
        if op is None or self.value is None or self.threshold is None:
            return self.detail
        return f"{self.value:.2f} {op} {self.threshold:.2f}"


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
            _outcome(r["name"], r["passed"], r["value"], r["threshold"], r["detail"])
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

    problem = _degenerate(candidate)
    sharpe = math.nan if problem else sharpe_ratio(candidate.to_numpy(), periods_per_year)
    variance = _sharpe_variance(search)
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
        _rule_dsr(candidate, problem, int(n_trials), variance, n_completed, config, inputs),
        _rule_pbo(search, n_completed, config, inputs),
        _rule_sharpe_ci(candidate, problem, config, periods_per_year, seed),
        _rule_champion(candidate, champion, config, periods_per_year, inputs),
        _rule_checks(checks),
    )
    return GateDecision(
        passed=all(r.passed for r in rules), rules=rules, config=config, inputs=inputs
    )


def _rule_dsr(candidate, problem, n_trials, variance, n_completed, config, inputs) -> RuleOutcome:
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
    return _outcome("dsr", dsr >= config.min_dsr, dsr, config.min_dsr, detail)


def _rule_pbo(search: pd.DataFrame, n_completed: int, config, inputs) -> RuleOutcome:
    if n_completed < 2:
        what = "one configuration" if n_completed else "no completed trial"
        return _outcome("pbo", True, None, config.max_pbo, f"{what}: no selection to overfit")
    configurations = _cluster(search, config.pbo_cluster_corr)
    inputs["pbo_configurations"] = configurations.shape[1]
    if configurations.shape[1] < 2:
        return _outcome("pbo", True, None, config.max_pbo,
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
    return _outcome("pbo", pbo <= config.max_pbo, pbo, config.max_pbo, detail)


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


def _rule_sharpe_ci(candidate, problem, config, periods_per_year, seed) -> RuleOutcome:
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
    return _outcome("sharpe_ci", ci.low > threshold, ci.low, threshold, detail)


def _rule_champion(candidate, champion, config, periods_per_year, inputs) -> RuleOutcome:
    if champion is None:
        inputs["champion_sharpe"] = None
        return _outcome("champion", True, None, None, "no champion")
    both = pd.concat({"c": candidate, "h": champion}, axis=1, join="inner").dropna()
    inputs["common_rows"] = len(both)
    problem = _degenerate(both["c"], "timestamps shared with the champion")
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
    return _outcome("champion", cand - champ >= required, cand - champ, required, detail)


def _rule_checks(checks: Mapping[str, str | None]) -> RuleOutcome:
    if not checks:
        return _outcome("checks", False, None, None, "no data or causality check was run")
    failures = [
        f"{name}: {msg or '(no message)'}" for name, msg in checks.items() if msg is not None
    ]
    if failures:
        detail = f"{len(failures)} of {len(checks)} failed: " + "; ".join(failures)
        return _outcome("checks", False, len(failures), 0.0, detail)
    return _outcome("checks", True, 0.0, 0.0, f"all {len(checks)} passed: {', '.join(checks)}")


def _outcome(name, passed, value, threshold, detail) -> RuleOutcome:
    return RuleOutcome(
        name=name, passed=bool(passed), value=_num(value), threshold=_num(threshold), detail=detail
    )


def _not_computable(name: str, threshold: float | None, why: str) -> RuleOutcome:
    return _outcome(name, False, None, threshold, f"not computable: {why}")


def _as_returns(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"{name} must be a pandas Series; got {type(values).__name__}.")
    if not values.index.is_unique:
        raise ValueError(f"{name} has a duplicated index; expected one return per timestamp.")
    out = values.astype(np.float64).dropna().sort_index()
    if np.isinf(out.to_numpy()).any():
        raise ValueError(f"{name} holds infinite values; expected finite returns or NaN.")
    return out


def _degenerate(returns: pd.Series, rows: str = "withheld rows") -> str | None:
    """Why these returns cannot be judged, or ``None``."""
    if len(returns) < MIN_WITHHELD_ROWS:
        return f"only {len(returns)} {rows}, need >= {MIN_WITHHELD_ROWS}"
    if returns.max() == returns.min():
        return "the returns are constant (no trade, or no variation): the Sharpe is undefined"
    return None


def _sharpe_variance(search: pd.DataFrame) -> float | None:
    """Variance (``ddof=1``) of the non-constant trials' per-period Sharpes, or ``None``."""
    if len(search) < 2:
        return None
    ok = search.max() > search.min()
    if ok.sum() < 2:
        return None
    sharpes = search.mean()[ok] / search.std(ddof=1)[ok]
    return float(sharpes.var(ddof=1))


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_value(value: Any) -> Any:
    """A JSON-safe form of an input's summary: numbers finite or None, timestamps ISO 8601."""
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, float | np.floating | np.integer) and not isinstance(value, bool):
        return int(value) if isinstance(value, np.integer) else _num(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return value.isoformat() if isinstance(value, pd.Timestamp) else str(value)
