"""The ``backtest`` and ``execute`` jobs: a signal file traded on bars, written as a run.

:class:`BacktestJob` and :class:`ExecuteJob` are the typed configs the ``alphafactory backtest``
and ``execute`` flags build (one key per flag, plus ``job`` and ``[data]``, the resolved bars
source); they are the run's ``config.toml``, so ``alphafactory rerun`` calls the same
:func:`backtest_job` / :func:`execute_job` on the run's own copy of the signal file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.config_io import check_keys
from alphafactory.errors import ConfigError
from alphafactory.pipeline.steps import Log, log_info
from alphafactory.pipeline.workflow import check_value
from alphafactory.runs import Run, check_run_target

RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "topk": ("k", "long_only"),
    "quantile": ("quantiles", "long_only"),
    "proportional": ("max_weight",),
    "threshold": ("threshold",),
}
COSTS: tuple[str, ...] = ("sqrt", "fixed", "spread")


@dataclass(frozen=True, kw_only=True, slots=True)
class StrategyFields:
    """What ``backtest`` and ``execute`` share: bars, the signal file and the score -> weight rule.

    ``rule`` is any registered portfolio rule; ``k``, ``long_only``, ``quantiles``,
    ``threshold`` and ``max_weight`` are the flag-backed parameters of the four score rules and
    ``params`` any rule's parameters (see :func:`rule_params`).
    """

    data: Any
    signals: str
    model: str | None = None
    rule: str = "topk"
    k: int = 1
    long_only: bool = False
    quantiles: int = 5
    threshold: float = 0.0
    max_weight: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    rebalance: str = "1"
    execution: str = "next_open"
    cash: float = 1e6

    def __post_init__(self) -> None:
        _check_choices(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class BacktestJob(StrategyFields):
    """``alphafactory backtest``: signals -> weights -> vectorized backtest with a cost model."""

    cost: str = "sqrt"
    bps: float = 10.0
    eta: float = 1.0
    borrow_bps: float = 0.0
    participation_cap: float | None = None
    max_gross_leverage: float | None = 1.0

    def __post_init__(self) -> None:
        StrategyFields.__post_init__(self)  # zero-argument super() breaks in slotted dataclasses
        if self.cost not in COSTS:
            raise ConfigError(f"cost must be one of {list(COSTS)}, got {self.cost!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecuteJob(StrategyFields):
    """``alphafactory execute``: the same orders through the C++ book, PnL attributed."""

    algo: str = "twap"
    style: str = "passive"
    slices: int = 10
    horizon: float = 600.0
    participation: float = 0.1
    half_spread_bps: float | None = None
    eta: float = 1.0
    seed: int = 0


StrategyJob = BacktestJob | ExecuteJob
JOB_CLASSES: dict[str, type[BacktestJob] | type[ExecuteJob]] = {
    "backtest": BacktestJob,
    "execute": ExecuteJob,
}


def _check_choices(job: StrategyFields) -> None:
    from alphafactory.portfolio import RULES, build_rule

    if job.rule not in RULES:
        raise ConfigError(f"rule must be a registered rule {sorted(RULES)}, got {job.rule!r}")
    build_rule(job.rule, rule_params(job))  # unknown or bad parameters raise, naming the rule
    if job.execution not in ("next_open", "next_close", "close"):
        raise ConfigError(f"execution must be next_open, next_close or close: {job.execution!r}")


def rule_params(job: StrategyFields) -> dict[str, Any]:
    """The rule's parameters: its flag-backed ones (``k``, ``quantiles``, ...) and ``params``."""
    flagged = {name: getattr(job, name) for name in RULE_PARAMS.get(job.rule, ())}
    return {**flagged, **dict(job.params)}


def job_kind(job: StrategyJob) -> str:
    """``"backtest"`` or ``"execute"``."""
    return "execute" if isinstance(job, ExecuteJob) else "backtest"


def job_to_mapping(job: StrategyJob) -> dict[str, Any]:
    """The TOML document of a strategy job (the run's ``config.toml``)."""
    doc: dict[str, Any] = {"job": job_kind(job)}
    for f in dataclasses.fields(job):
        value = getattr(job, f.name)
        if f.name == "data":
            value = value.to_config()
        if value is not None:
            doc[f.name] = value
    return doc


def job_from_mapping(doc: Mapping[str, Any], where: str) -> StrategyJob:
    """Build a strategy job from its TOML document; unknown keys raise naming ``where``."""
    from alphafactory.data.sources import BarsSource

    doc = dict(doc)
    kind = doc.pop("job", None)
    if kind not in JOB_CLASSES:
        raise ConfigError(f"{where}: job must be 'backtest' or 'execute', got {kind!r}")
    cls = JOB_CLASSES[kind]
    check_keys(doc, {f.name for f in dataclasses.fields(cls)}, where)
    data = BarsSource.from_config(doc.pop("data", {"spec": "sample"}), where=f"[data] of {where}")
    fields = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    typed = {key: check_value(value, fields[key], key, where) for key, value in doc.items()}
    try:
        return cls(data=data, **typed)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def recorded_source(signals: str | Path) -> Any:
    """The bars source recorded in a signal file's sidecar (its run's config), or None.

    A workflow's sidecar records ``model_config.data`` as a bars source table; a ``train``
    run's config has the same ``[data]`` table; a workflow run's config (exported with
    ``signals export``) has ``[[data]]`` tables with a ``name``, usable when there is one.
    """
    from alphafactory.data.sources import BarsSource
    from alphafactory.signals import sidecar_path
    from alphafactory.signals.sidecar import read_sidecar

    side = sidecar_path(signals)
    # The sidecar's own reader: a binary or torn sidecar is one line naming it.
    meta = read_sidecar(Path(signals), require=False, verify=False) or {}
    recorded = (meta.get("model_config") or {}).get("data")
    if isinstance(recorded, list) and len(recorded) == 1:
        recorded = recorded[0]
    if not isinstance(recorded, Mapping):
        return None
    table = {k: v for k, v in recorded.items() if k not in ("name", "walk_forward")}
    return BarsSource.from_config(table, where=f"the [data] source recorded in {side}")


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    """What a strategy job computed and the run it wrote (None with ``write=False``)."""

    run: Run | None
    bars: pd.DataFrame
    scores: pd.DataFrame
    weights: pd.DataFrame
    result: Any
    note: str | None


def strategy_inputs(
    job: StrategyJob,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str | None]:
    """Load bars and signals and turn the scores into weights.

    Returns ``(bars, scores, weights, note)``; ``note`` says when the bars differ from those the
    signals were made from (their sidecar's fingerprint).
    """
    from alphafactory.data import fingerprint, to_wide
    from alphafactory.portfolio import PortfolioState, weights_from_scores
    from alphafactory.signals import load_signals, scores_wide, universe_from_prices

    bars = job.data.load()
    signals = load_signals(job.signals, bars=bars)
    expected = (signals.attrs.get("metadata") or {}).get("data_fingerprint")
    note = None
    if expected and expected != fingerprint(bars):
        note = (f"note: the bars of {job.data.spec!r} differ from those the signals were made "
                "from (fingerprint in the sidecar); updated data?")  # fmt: skip
    scores = scores_wide(signals, model=job.model)
    close = to_wide(bars, "close")
    scores = scores.reindex(index=close.index, columns=close.columns)
    params = rule_params(job)
    every: int | str = int(job.rebalance) if job.rebalance.isdigit() else job.rebalance
    weights = weights_from_scores(scores, job.rule, universe=universe_from_prices(close),
                                  rebalance=every, prices=close,
                                  state=PortfolioState(equity=job.cash), **params)  # fmt: skip
    return bars, scores, weights, note


def backtest_job(
    job: BacktestJob,
    *,
    root: str | Path | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    write: bool = True,
    log: Log = log_info,
) -> StrategyOutcome:
    """Backtest the job's signals and write the run (``equity``, ``trades``, metrics, tearsheet)."""
    from alphafactory.backtest import FixedBps, SpreadImpact, SquareRootImpact, backtest

    if write:
        check_run_target(root, path)
    bars, scores, weights, note = strategy_inputs(job)
    cost = {"sqrt": SquareRootImpact(eta=job.eta, half_spread_bps=None),
            "fixed": FixedBps(job.bps), "spread": SpreadImpact()}[job.cost]  # fmt: skip
    result = backtest(bars, weights, cost=cost, execution=job.execution, cash=job.cash,
                      borrow_bps=job.borrow_bps, participation_cap=job.participation_cap,
                      max_gross_leverage=job.max_gross_leverage)
    log(f"backtest of {job.signals}: {len(result.trades)} trades")
    run = None
    if write:
        run = _write(job, bars, result, {"cost_model": job.cost}, root, path, name or "backtest")
    return StrategyOutcome(run, bars, scores, weights, result, note)


def execute_job(
    job: ExecuteJob,
    *,
    root: str | Path | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    write: bool = True,
    log: Log = log_info,
) -> StrategyOutcome:
    """Execute the job's orders through the simulated book and write the run.

    The run holds the vectorized backtest of the same weights (``equity``, ``trades``,
    metrics), ``execution/cost_attribution``, ``execution/shortfall`` and ``attribution``.
    """
    from alphafactory.backtest import SquareRootImpact
    from alphafactory.execution import lob_backtest
    from alphafactory.execution.run_tables import cost_attribution_table, shortfall_table

    if write:
        check_run_target(root, path)
    bars, scores, weights, note = strategy_inputs(job)
    cost = SquareRootImpact(eta=job.eta, half_spread_bps=job.half_spread_bps)
    result = lob_backtest(
        bars, weights, cost=cost, scores=scores, execution=job.execution, cash=job.cash,
        algo=job.algo, style=job.style, n_slices=job.slices, horizon_seconds=job.horizon,
        participation=job.participation, half_spread_bps=job.half_spread_bps, seed=job.seed,
    )  # fmt: skip
    log(f"executed {len(result.parents)} parent orders of {job.signals} ({job.algo})")
    run = None
    if write:
        tables = {"execution/cost_attribution": cost_attribution_table(result.attribution),
                  "attribution": result.attribution}  # fmt: skip
        if len(result.parents):
            tables["execution/shortfall"] = shortfall_table(result.parents)
        run = _write(job, bars, result.vectorized, {"algo": job.algo}, root, path,
                     name or "execute", tables)  # fmt: skip
    return StrategyOutcome(run, bars, scores, weights, result, note)


def _write(
    job: StrategyJob,
    bars: pd.DataFrame,
    result: Any,
    extra: dict[str, Any],
    root: str | Path | None,
    path: str | Path | None,
    name: str,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> Run:
    """Create the run, copy the signals (and sidecar) in, record the backtest; all or nothing."""
    from alphafactory.backtest import record_backtest
    from alphafactory.data import fingerprint
    from alphafactory.signals import sidecar_path

    seed = job.seed if isinstance(job, ExecuteJob) else 0
    run = Run.create(name, job_to_mapping(job), seed=seed, root=root, path=path, staged=True)
    try:
        run.write_manifest(data_fingerprints={"bars": fingerprint(bars)},
                           extra={"data": job.data.to_config(), "job": job_kind(job)})
        copy = run.copy_file(job.signals, "signals.csv")
        if sidecar_path(job.signals).is_file():
            run.copy_file(sidecar_path(job.signals), sidecar_path(copy).name)
        record_backtest(run, result, extra=extra)
        for table, frame in (tables or {}).items():
            run.write_table(table, frame)
    except BaseException:
        run.discard()
        raise
    return run.publish()
