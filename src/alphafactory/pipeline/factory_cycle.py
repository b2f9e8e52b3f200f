"""One factory cycle: ingest -> search -> candidate -> gate on withheld bars -> registry.

``run_cycle(config)`` takes a workflow file with ``[search]`` (and optionally ``[gate]``):

1. **Ingest** the dataset (appended to the factory's cached bars) and validate it.
2. **Split**: the last ``[search] withheld`` timestamps are withheld; the search sees only the
   bars before them (features and labels are built from those bars alone).
3. **Search**: an Optuna study whose trials are purged walk-forwards on the search window
   (:mod:`alphafactory.pipeline.factory_trials`), pruned on fold IC.
4. **Candidate**: the best trial's parameters refitted on the whole search window.
5. **Gate** on the withheld window against the current champion on the same bars
   (:func:`alphafactory.factory.evaluate_gate`), every trial of the study counted.
6. **Registry**: the study, its trials and the candidate go to MLflow; the candidate becomes a
   model version, ``champion`` when the gate passes, else ``challenger``. The cycle also writes a
   run directory (trials, withheld returns, the decision, the candidate model).

A lock keeps two cycles of one workflow from overlapping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError, ModelError
from alphafactory.pipeline.factory_checks import (
    causality_check,
    champion_returns,
    data_check,
    leakage_check,
    withheld_returns,
)
from alphafactory.pipeline.factory_report import write_cycle_run
from alphafactory.pipeline.factory_trials import TrialData, TrialParams, fit_candidate
from alphafactory.pipeline.sections import BacktestSection
from alphafactory.pipeline.steps import Log, feature_names, log_info
from alphafactory.pipeline.workflow import WorkflowConfig

__all__ = ["CycleOutcome", "run_cycle"]


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """What a cycle decided and where it left its records."""

    decision: Any  # GateDecision
    alias: str | None  # "champion", "challenger" or None (nothing registered)
    version: str | None
    naive_passed: bool
    best: TrialParams | None
    best_value: float | None
    n_trials: int
    counts: dict[str, int]
    run: Any  # alphafactory.runs.Run
    mlflow_run_id: str | None
    seconds: float

    def summary(self) -> str:
        """One line for a terminal or a log."""
        what = (f"version {self.version} is {self.alias}" if self.version
                else "nothing registered")  # fmt: skip
        return f"{self.decision.summary()}; {what} ({self.n_trials} trials, {self.seconds:.0f} s)"


def check_factory_config(config: WorkflowConfig) -> None:
    """What a factory file needs beyond a workflow file."""
    if config.search is None:
        raise ConfigError("a factory file needs a [search] section")
    if config.models is None:
        raise ConfigError("a factory file needs a [models] section (the models to search)")
    if len(config.data) != 1:
        raise ConfigError(f"a factory cycle runs on one dataset, got {len(config.data)}")
    config.search.check_models(config.models.names)


def run_cycle(
    config: WorkflowConfig,
    *,
    store: Any = None,
    runs_root: str | Path | None = None,
    executor: str | int | None = None,
    incremental: bool = False,
    log: Log = log_info,
) -> CycleOutcome:
    """Run one factory cycle of ``config`` (see the module docstring).

    Parameters
    ----------
    store : FactoryStore, optional
        Tracking database, artifact root and Optuna storage (default under ``./mlruns``).
    runs_root : path, optional
        Where the cycle's run directory goes (``$ALPHAFACTORY_RUNS`` or ``./runs``).
    executor : None, int, "processes" or a Dask scheduler address
        Replaces ``[search] executor``.
    incremental : bool
        The nightly update: no search; the champion's parameters are refitted on the newest
        search window (one more trial of the study that chose them, counted by the gate on
        top of that study's trials) and face the same gate against the champion itself.
    """
    from alphafactory.factory import FactoryStore, cycle_lock

    check_factory_config(config)
    store = store or FactoryStore()
    store.prepare()
    with cycle_lock(_state_dir(store) / f"{config.name}.lock"):
        return _cycle(config, store, runs_root, executor, incremental, log)


def _state_dir(store: Any) -> Path:
    """Where the cycle keeps its lock and cached bars: beside the registry's download cache."""
    return Path(store.cache_root).parent / "factory"


def _cycle(
    config: WorkflowConfig, store: Any, runs_root: Any, executor: Any, incremental: bool,
    log: Log,
) -> CycleOutcome:
    from alphafactory.factory import Registry, ingest, run_study

    started = time.perf_counter()
    search = config.search
    assert search is not None and config.models is not None
    section = config.data[0]
    registry = Registry(store)
    enqueue, prior_trials = (None, 0)
    if incremental:
        enqueue, prior_trials = _champion_params(registry, config.name)
        log(f"incremental: refitting the champion's parameters {enqueue} "
            f"({prior_trials} trials behind them)")  # fmt: skip
    bars, report = ingest(section.source.load(),
                          _state_dir(store) / f"{config.name}-{section.name}.parquet")  # fmt: skip
    log(f"[{section.name}] ingest: {report.appended} new bar rows appended to "
        f"{report.cached} cached ({report.path})")  # fmt: skip
    stamps = bars.index.get_level_values("timestamp").unique().sort_values()
    if search.history is not None and len(stamps) > search.history:
        stamps = stamps[-search.history:]
        bars = bars[bars.index.get_level_values("timestamp") >= stamps[0]]
        log(f"[{section.name}] history: the newest {search.history} bars, from {stamps[0].date()}")
    if len(stamps) <= search.withheld + config.models.walk_forward.train:
        raise ConfigError(
            f"[search] withheld = {search.withheld} leaves {len(stamps) - search.withheld} "
            f"search bars of {len(stamps)}; the walk-forward needs more than "
            f"train = {config.models.walk_forward.train}"
        )
    data_issue = data_check(config, section.name, bars, section.source.calendar)
    withheld_start = stamps[len(stamps) - search.withheld]
    search_bars = bars[bars.index.get_level_values("timestamp") < withheld_start]
    log(f"[{section.name}] search window {stamps[0].date()} .. "
        f"{stamps[len(stamps) - search.withheld - 1].date()}, withheld {withheld_start.date()} .. "
        f"{stamps[-1].date()} ({search.withheld} bars)")  # fmt: skip

    data = _trial_data(config, search_bars, section.walk_forward or config.models.walk_forward)
    log(f"[{section.name}] {data.features.shape[1]} features on the search window")
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S%f")
    study_name = f"{config.name}-{'nightly-' if incremental else ''}{stamp}"
    from alphafactory.pipeline.factory_trials import run_trial

    outcome = run_study(
        run_trial, data, name=study_name, storage=store.optuna_storage,
        n_trials=1 if incremental else search.n_trials, sampler=search.sampler,
        pruner="none" if incremental else search.pruner, prune_after=search.prune_after,
        seed=config.seed, executor=None if incremental else (
            executor if executor is not None else search.executor),
        timeout_minutes=search.timeout_minutes, enqueue=enqueue,
    )  # fmt: skip
    study = outcome.study
    counts = _counts(study)
    log(f"study {study_name}: {counts} in {outcome.seconds:.1f} s")
    client = registry.client
    experiment = registry.experiment_id(config.name)
    from alphafactory.data import fingerprint
    from alphafactory.factory.tracking import log_trials, start_cycle_run

    parent = start_cycle_run(
        client, experiment, name=f"cycle-{study_name}",
        tags={"af.workflow": config.name, "af.study": study_name,
              "af.data_fingerprint": fingerprint(bars)},
        params={"n_trials": search.n_trials, "sampler": search.sampler,
                "pruner": search.pruner, "withheld": search.withheld,
                "withheld_start": str(withheld_start), "seed": config.seed,
                "models": list(config.models.names)},
    )  # fmt: skip
    log_trials(client, experiment, parent, study, outcome.artifacts)
    return _decide(config, store, registry, parent, bars, data, outcome, counts,
                   withheld_start, data_issue, started, log, runs_root, prior_trials)  # fmt: skip


def _champion_params(registry: Any, workflow: str) -> tuple[dict[str, Any], int]:
    """The Optuna parameters of the champion and the number of trials that chose them."""
    import json

    from alphafactory.factory import model_name

    version = registry.alias_version(workflow, "champion")
    if version is None:
        raise ModelError(f"an incremental cycle refits the champion, and "
                         f"{model_name(workflow)} has none yet: run a full cycle first")
    tags = registry.client.get_model_version(model_name(workflow), version).tags
    if "af.optuna_params" not in tags:
        raise ModelError(f"champion version {version} was not registered by a factory cycle "
                         "(no af.optuna_params tag): run a full cycle")  # fmt: skip
    return json.loads(tags["af.optuna_params"]), int(tags.get("af.n_trials", "1"))


def _decide(
    config: WorkflowConfig,
    store: Any,
    registry: Any,
    parent: str,
    bars: pd.DataFrame,
    data: TrialData,
    outcome: Any,
    counts: dict[str, int],
    withheld_start: pd.Timestamp,
    data_issue: str | None,
    started: float,
    log: Log,
    runs_root: Any,
    prior_trials: int = 0,
) -> CycleOutcome:
    from alphafactory.data import fingerprint
    from alphafactory.factory.gate import (
        GateConfig,
        GateDecision,
        RuleOutcome,
        evaluate_gate,
        naive_gate,
    )
    from alphafactory.factory.tracking import end_cycle_run, log_json

    gate = config.gate or GateConfig()
    study = outcome.study
    n_trials = len(study.trials) + prior_trials  # an incremental refit adds to its study's
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    trial_returns = pd.DataFrame({t.number: outcome.artifacts[t.number].returns
                                  for t in complete if t.number in outcome.artifacts})  # fmt: skip
    periods = config.backtest.periods_per_year if config.backtest else None
    best, best_value, artifact, tables, raw = None, None, None, {}, {}
    if not complete:
        decision = GateDecision(passed=False, config=gate, inputs={"n_trials": n_trials},
                                rules=(RuleOutcome(name="search", passed=False, value=None,
                                                   threshold=None,
                                                   detail=f"no trial completed ({counts})"),))
        naive = False
    else:
        best_trial = max(complete, key=lambda t: t.value)
        best = TrialParams.from_dict(best_trial.user_attrs["params"])
        raw = dict(best_trial.params)
        best_value = float(best_trial.value)
        log(f"candidate: trial {best_trial.number} ({best.flat()}), search Sharpe "
            f"{best_value:.2f}; refit on the search window ...")  # fmt: skip
        chosen = outcome.artifacts.get(best_trial.number)
        artifact = fit_candidate(
            data, best, data_fingerprint=fingerprint(data.bars),
            oos_scores=None if chosen is None else chosen.predictions["score"],
        )  # fmt: skip
        withheld = withheld_returns(data, bars, artifact, withheld_start)
        champion, champion_note = champion_returns(registry, config.name, data, bars,
                                                    withheld_start)  # fmt: skip
        checks = {"data": data_issue, "causality": causality_check(artifact, bars),
                  "leakage": leakage_check(artifact, withheld_start)}
        decision = evaluate_gate(
            candidate_returns=withheld, trial_returns=trial_returns, n_trials=n_trials,
            champion_returns=champion, checks=checks, config=gate,
            periods_per_year=periods or _periods(bars), seed=config.seed,
        )  # fmt: skip
        naive = naive_gate(best_value, gate.naive_threshold)
        tables["withheld_returns"] = pd.DataFrame(
            {"candidate": withheld, **({"champion": champion} if champion is not None else {})}
        )  # fmt: skip
        if champion_note:
            log(champion_note)
    record = {**decision.to_dict(), "naive_gate_passed": naive, "workflow": config.name,
              "study": study.study_name, "n_trials": n_trials, "counts": counts,
              "best_trial": None if best is None else best.to_dict(),
              "best_search_sharpe": best_value,
              "withheld_start": str(withheld_start)}  # fmt: skip
    client = registry.client
    log_json(client, parent, "decision.json", record)
    alias = version = None
    if artifact is not None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            artifact.save(Path(tmp) / "model")
            version = registry.register_candidate(
                config.name, Path(tmp) / "model", run_id=parent,
                tags={"af.study": study.study_name, "af.params": _short(best.to_dict()),
                      "af.optuna_params": _short(raw), "af.n_trials": str(n_trials)},
            )  # fmt: skip
        registry.record_decision(config.name, version, record)
        alias = "champion" if decision.passed else "challenger"
        registry.set_alias(config.name, alias, version,
                           kind="gate" if decision.passed else "challenger",
                           reason=decision.summary(), decision=record)  # fmt: skip
    end_cycle_run(client, parent, {"n_trials": n_trials, "best_search_sharpe": best_value or
                                   float("nan")},
                  {"af.decision": "promote" if decision.passed else "keep",
                   "af.version": version or "", "af.naive_gate": str(naive)})  # fmt: skip
    seconds = time.perf_counter() - started
    run = write_cycle_run(config, study, outcome, record, artifact, tables, seconds, runs_root)
    log(f"{decision.summary()}; run {run.path}")
    return CycleOutcome(decision, alias, version, naive, best, best_value, n_trials, counts, run,
                        parent, seconds)  # fmt: skip


def _short(doc: Any) -> str:
    import json

    return json.dumps(doc, default=str)[:4000]


def _counts(study: Any) -> dict[str, int]:
    counts = {"complete": 0, "pruned": 0, "fail": 0}
    for trial in study.trials:
        key = trial.state.name.lower()
        counts[key] = counts.get(key, 0) + 1
    return counts


def _periods(bars: pd.DataFrame) -> float:
    from alphafactory.evaluation import infer_periods_per_year

    return float(infer_periods_per_year(bars.index.get_level_values("timestamp").unique()))


def _trial_data(config: WorkflowConfig, bars: pd.DataFrame, walk: Any) -> TrialData:
    """Build every feature a trial may use once, on the search window's bars."""
    from alphafactory.features import build_features, list_features
    from alphafactory.labels import forward_returns

    search = config.search
    assert search is not None and config.models is not None
    registry = list_features("default")
    family_of = dict(zip(registry["name"], registry["family"], strict=True))
    unknown = sorted(set(search.families) - set(family_of.values()))
    if unknown:
        raise ConfigError(f"[search] families: unknown {unknown}; see `alphafactory features list`")
    names = feature_names(config.features, config.selection)
    if search.families:
        names = list(dict.fromkeys(
            [*names, *(n for n in registry["name"] if family_of[n] in set(search.families))]
        ))  # fmt: skip
    eval_labels = forward_returns(bars, **config.labels.forward_kwargs())
    return TrialData(
        bars=bars, features=build_features(bars, names), families=family_of,
        eval_labels=eval_labels, base_label=config.labels, search=search, models=config.models,
        walk=walk, portfolio=config.portfolio, risk=config.risk,
        backtest=config.backtest or BacktestSection(), seed=config.seed,
    )  # fmt: skip
