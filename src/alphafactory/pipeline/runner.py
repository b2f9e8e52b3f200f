"""Run a workflow: its declared steps, once per dataset, into one run directory.

``run_workflow(config)`` checks the whole config first (feature names, cost model, weight rule),
then per dataset: load -> validate -> features and labels -> models walk-forward (or a signal
file's scores) -> ensemble -> signal export -> weights -> backtest -> book execution, and last
the report step writes the run directory. Nothing is written to the runs root before every step
has succeeded, and a failure while writing removes the half-written directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alphafactory.pipeline.report import RunRecord, summary_table, write_run
from alphafactory.pipeline.sections import ExecutionSection, WalkForwardSettings
from alphafactory.pipeline.steps import (
    Dataset,
    Log,
    Scores,
    add_ensemble,
    build_inputs,
    export_dataset_signals,
    fit_final_models,
    load_dataset,
    log_info,
    model_scores,
    read_signal_scores,
    signal_path,
    validate_dataset,
    walk_models,
)
from alphafactory.pipeline.strategies import (
    backtest_strategy,
    cost_model,
    score_metrics,
    strategy_metrics,
    strategy_weights,
)
from alphafactory.pipeline.strategy_sources import strategy_target_weights
from alphafactory.pipeline.workflow import WorkflowConfig
from alphafactory.runs import Run


@dataclass(frozen=True, slots=True)
class WorkflowOutcome:
    """What a workflow produced: its run, the summary table and the exported signal files."""

    run: Run
    summary: pd.DataFrame
    signal_files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def check_config(
    config: WorkflowConfig,
    signal_dir: str | Path | None = None,
    *,
    path: str | Path | None = None,
    name: str | None = None,
) -> list[str] | None:
    """Check what can be checked before any data is loaded; return the feature names.

    Raises
    ------
    ConfigError
        For an unknown feature, family, cost model field or weight-rule parameter, a signal
        file that exists without ``[signals] overwrite``, a run name the runs root cannot hold,
        or a run directory ``path`` that is not new or empty.
    """
    import re

    from alphafactory.errors import ConfigError
    from alphafactory.pipeline.workflow import check_references

    if config.search is not None:
        raise ConfigError("this is a factory file ([search]): run it with `alphafactory factory "
                          "run`, or remove [search] and [gate] to run it as a workflow")
    name = name or config.name
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$", name):
        raise ConfigError(f"name {name!r}: a run name is 1-80 letters, digits, '_', '.', '-'")
    if path is not None and Path(path).exists() and (
        not Path(path).is_dir() or any(Path(path).iterdir())
    ):
        raise ConfigError(f"run directory {path} already exists and is not empty")
    if path is not None:
        from alphafactory.runs import check_run_target

        check_run_target(path=path)

    scored = config.models is not None or config.strategies is not None
    if scored and config.signals.export and not config.signals.overwrite:
        for section in config.data:
            target = signal_path(config.signals, section.name, signal_dir)
            if target.exists():
                raise ConfigError(f"[signals]: {target} exists; set overwrite = true or "
                                  "choose another dir or file")  # fmt: skip
    return check_references(config)


def run_workflow(
    config: WorkflowConfig,
    *,
    root: str | Path | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    signal_dir: str | Path | None = None,
    log: Log = log_info,
) -> WorkflowOutcome:
    """Run every declared step of ``config`` and write one run directory.

    Parameters
    ----------
    config : WorkflowConfig
        The job (see :func:`alphafactory.pipeline.load_workflow`).
    root : path, optional
        Runs root (``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted).
    path : path, optional
        An exact, new run directory instead of ``<root>/<utc-time>-<name>``.
    name : str, optional
        The run's name; ``config.name`` by default.
    signal_dir : path, optional
        Replaces ``[signals] dir`` (where exported signal files go).
    log : callable
        Receives one line per step and per fold.
    """
    from alphafactory.runs import check_run_target

    started = time.perf_counter()
    features = check_config(config, signal_dir, path=path, name=name)
    check_run_target(root, path)  # an unwritable runs root fails now, not after the models
    record = RunRecord(several=len(config.data) > 1)
    signal_files: dict[str, Path] = {}
    for section in config.data:
        t0 = time.perf_counter()
        data = load_dataset(section)
        symbols = data.bars.index.get_level_values("symbol").nunique()
        issues = validate_dataset(data, config.validation)
        record.add_table("validation", issues)
        record.fingerprints[data.name] = data.fingerprint
        log(f"[{data.name}] {symbols} symbols, {len(data.bars)} bars "
            f"({time.perf_counter() - t0:.1f} s), validation: {len(issues)} issue(s)")  # fmt: skip
        scores = _scores(config, data, features, section.walk_forward, record, log)
        if config.ensemble is not None:
            scores = add_ensemble(scores, config.ensemble)
        if (config.models is not None or config.strategies is not None) and config.signals.export:
            path_ = signal_path(config.signals, data.name, signal_dir)
            signal_files[data.name] = export_dataset_signals(
                scores, path_, _signal_metadata(config, data), overwrite=config.signals.overwrite
            )
            log(f"[{data.name}] signals: {signal_files[data.name]}")
        _strategies(config, data, scores, record, log)
    if config.signals.source is not None:
        record.files["signals"] = Path(config.signals.source)
    for dataset, file in signal_files.items():
        record.files[dataset] = file
    seconds = time.perf_counter() - started
    run = write_run(config, record, root=root, path=path, name=name or config.name,
                    seconds=seconds)  # fmt: skip
    summary = summary_table(record.metrics, config.data[0].name)
    return WorkflowOutcome(run, summary, signal_files, seconds)


def _scores(
    config: WorkflowConfig,
    data: Dataset,
    features: list[str] | None,
    walk: WalkForwardSettings | None,
    record: RunRecord,
    log: Log,
) -> Scores:
    """The features, labels and models steps, or the scores of ``[signals] source``."""
    from alphafactory.labels import forward_returns

    if config.strategies is not None:
        return _with_strategies(config, data, features, walk, record, log)
    if config.models is None:
        labels = forward_returns(data.bars, **config.labels.forward_kwargs())
        scores = read_signal_scores(config.signals, data, labels)
        log(f"[{data.name}] scores of {list(scores.scores)} from {config.signals.source}")
        return scores
    assert features is not None
    from alphafactory.pipeline.steps import fold_selection

    selection = fold_selection(config.features, config.selection)  # fitted per fold
    t0 = time.perf_counter()
    inputs = build_inputs(data.bars, features, config.labels)
    log(f"[{data.name}] {inputs.features.shape[1]} features and {config.labels.horizon}-bar "
        f"labels in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    results = walk_models(inputs, config.models, walk or config.models.walk_forward,
                          seed=config.seed, log=log, dataset=data.name,
                          selection=selection)  # fmt: skip
    record.add_walk_forward(data.name, results, returns=inputs.returns)
    if config.models.save == "final":
        artifacts = fit_final_models(
            inputs, config.models, walk or config.models.walk_forward, seed=config.seed, log=log,
            dataset=data.name, data_fingerprint=data.fingerprint, results=results,
            selection=selection,
        )  # fmt: skip
        for model, artifact in artifacts.items():
            record.artifacts[record.key(data.name, model)] = artifact
    return model_scores(results, config.labels.horizon)


def _with_strategies(
    config: WorkflowConfig,
    data: Dataset,
    features: list[str] | None,
    walk: WalkForwardSettings | None,
    record: RunRecord,
    log: Log,
) -> Scores:
    """The models' scores (when ``[models]``) plus the ``[strategies]`` walked forward."""
    import dataclasses

    from alphafactory.pipeline.strategy_sources import (
        join_scores,
        strategy_labels,
        walk_strategies,
    )

    assert config.strategies is not None
    base = None
    if config.models is not None:
        base = _scores(dataclasses.replace(config, strategies=None), data, features, walk,
                       record, log)  # fmt: skip
    geometry = walk or (config.models.walk_forward if config.models is not None else None)
    geometry = geometry or config.strategies.walk_forward or WalkForwardSettings()
    labels = strategy_labels(config.labels, data.bars)
    results = walk_strategies(data.bars, config.strategies, geometry, labels, log=log,
                              dataset=data.name)  # fmt: skip
    record.add_walk_forward(data.name, results)
    scores, joined, weights = join_scores(
        base.scores if base is not None else {}, base.labels if base is not None else None,
        results,
    )  # fmt: skip
    return Scores(scores, joined, {**(base.results if base is not None else {}), **results},
                  weights)  # fmt: skip


def _strategies(
    config: WorkflowConfig, data: Dataset, scores: Scores, record: RunRecord, log: Log
) -> None:
    """Weights, backtest, book execution and metrics of every strategy of one dataset."""
    n_trials = len(scores.scores)
    record.n_trials = max(record.n_trials, n_trials)
    executed = _execution_target(config.execution, scores)
    for strategy, strategy_scores in scores.scores.items():
        key = record.key(data.name, strategy)
        labels = scores.labels.reindex(strategy_scores.index)
        if config.backtest is None:
            record.metrics[key] = {**score_metrics(strategy_scores, labels), "n_trials": n_trials}
            continue
        if strategy in scores.target_weights:  # a source that sizes its own positions
            weights = strategy_target_weights(scores.target_weights[strategy], config.risk)
        else:
            weights = strategy_weights(strategy_scores, config.portfolio, config.risk,
                                       data.bars, cash=config.backtest.cash)
        result, interventions = backtest_strategy(data.bars, weights, config.backtest,
                                                  config.risk)
        record.metrics[key] = strategy_metrics(
            strategy_scores, labels, result, n_trials=n_trials, seed=config.seed,
            n_boot=config.report.n_boot,
        )  # fmt: skip
        if interventions is not None:
            record.add_table("risk/interventions", interventions.assign(model=key))
            record.metrics[key].update(
                risk_interventions=len(interventions),
                risk_halts=int((interventions["action"] == "halt").sum()),
            )
        record.add_backtest(key, result, tearsheet=config.report.tearsheets)
        if strategy == executed:
            assert config.execution is not None
            _execute(config, data, key, strategy_scores, weights, record, log)
    if scores.results and config.ensemble is not None:
        ensemble = scores.scores[config.ensemble.name]
        record.add_table("predictions", ensemble.to_frame("score").reset_index().assign(
            model=record.key(data.name, config.ensemble.name), fold=-1,
            label=scores.labels.reindex(ensemble.index).to_numpy(),
        ))  # fmt: skip


def _execution_target(section: ExecutionSection | None, scores: Scores) -> str | None:
    from alphafactory.errors import ConfigError

    if section is None:
        return None
    target = section.strategy or list(scores.scores)[-1]
    if target not in scores.scores:
        raise ConfigError(f"[execution] strategy {target!r} is not one of {list(scores.scores)}")
    return target


def _execute(
    config: WorkflowConfig,
    data: Dataset,
    key: str,
    scores: pd.Series,
    weights: pd.DataFrame,
    record: RunRecord,
    log: Log,
) -> None:
    from alphafactory.pipeline.config import ExecutionSettings, PortfolioSettings
    from alphafactory.pipeline.execution_step import execute_in_book

    assert config.execution is not None and config.backtest is not None
    t0 = time.perf_counter()
    cost = cost_model(config.backtest)
    portfolio = PortfolioSettings(cash=config.backtest.cash, eta=float(cost.eta),  # type: ignore[attr-defined]
                                  half_spread_bps=float(cost.half_spread_bps))  # type: ignore[attr-defined]
    section = config.execution
    settings = ExecutionSettings(algo=section.algo, style=section.style, slices=section.slices,
                                 horizon_seconds=section.horizon_seconds)  # fmt: skip
    executed = execute_in_book(data.bars, weights, scores.unstack("symbol"), portfolio=portfolio,
                               settings=settings, model=key, seed=config.seed)  # fmt: skip
    record.metrics[key].update(shortfall_bps=executed.shortfall_bps,
                               fill_ratio=executed.fill_ratio, n_parents=executed.n_parents)
    for table, frame in executed.tables.items():
        record.add_table(table, frame)
    log(f"[{data.name}] book execution of {key.split(':')[-1]}: {executed.n_parents} parents, "
        f"shortfall {executed.shortfall_bps:.1f} bps in {time.perf_counter() - t0:.1f} s")


def _signal_metadata(config: WorkflowConfig, data: Dataset) -> dict[str, object]:
    model_config: dict[str, object] = {
        "models": list(config.models.names) if config.models is not None else [],
        "dataset": data.name,
        "seed": config.seed,
        "data": data.source_config,
    }
    if config.models is not None:
        model_config["preset"] = config.models.preset
    if config.strategies is not None:
        model_config["strategies"] = list(config.strategies.names)
    if config.ensemble is not None:
        model_config["ensemble"] = config.ensemble.method
    return {
        "model_config": model_config,
        "data_fingerprint": data.fingerprint,
        "description": f"Out-of-sample walk-forward scores on the {data.name} dataset "
        f"({config.name}).",
    }
