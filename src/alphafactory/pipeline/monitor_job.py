"""The monitor job: watch a stored model on new bars, alert, and retrain through the factory.

``run_monitor(job)`` runs once (cron-friendly): the model's data and concept drift on the
newest bars (:func:`alphafactory.monitor.run.monitor_bars`), its alerts sent through the
configured sinks (de-duplicated through the alert store across runs), and, when the policy says
``on_drift = "retrain"`` and the verdict it watches is on, one factory cycle of the factory file
(:func:`alphafactory.pipeline.factory_cycle.run_cycle`): the cycle's gate decides whether the
retrained model replaces the champion, so a retrain cannot promote a worse model. The report
goes to a run directory (format in :mod:`alphafactory.monitor.run`).

``watch_monitor(job, feed)`` does the same on every new bar of a feed, writing the report every
``report_every`` bars (and at the end); a retrain runs at most once per drift episode.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.data.sources import BarsSource
from alphafactory.errors import ModelError
from alphafactory.monitor.alerts import Alert
from alphafactory.monitor.model_monitor import ModelMonitor, MonitoredModel
from alphafactory.monitor.policy import AlertsConfig, MonitorPolicy
from alphafactory.monitor.run import DEFAULT_STATE, dispatch_alerts, monitor_bars, step_bar
from alphafactory.monitor.run import write_report as write_drift_report
from alphafactory.pipeline.steps import Log, log_info
from alphafactory.pipeline.workflow import WorkflowConfig

__all__ = ["MonitorJob", "MonitorOutcome", "open_monitor_feed", "run_monitor", "watch_monitor"]


@dataclass(frozen=True, kw_only=True, slots=True)
class MonitorJob:
    """What a monitor run watches and what it may do.

    Attributes
    ----------
    artifact : str
        A model artifact directory, or ``champion`` / ``challenger`` / ``vN`` of ``workflow``.
    source : BarsSource
        The bars (the newest ones are monitored).
    policy : MonitorPolicy
    workflow : str or None
        The registry workflow a registry reference names.
    store : FactoryStore or None
        The factory's store (registry, and where a retrain's cycle runs); default ``mlruns/``.
    alerts : AlertsConfig or None
        Alert sinks; None: ``policy.alerts``, else a log line per alert.
    factory : WorkflowConfig or None
        The factory file a retrain runs a cycle of.
    state : Path
        The alert de-duplication store (SQLite).
    history : int
        Data-drift evaluations kept in the report (the last ``history`` bars).
    runs_root : Path or None
        Where run directories go.
    """

    artifact: str
    source: BarsSource
    policy: MonitorPolicy = field(default_factory=MonitorPolicy)
    workflow: str | None = None
    store: Any = None
    alerts: AlertsConfig | None = None
    factory: WorkflowConfig | None = None
    state: Path = DEFAULT_STATE
    history: int = 1
    runs_root: Path | None = None

    def alerts_config(self) -> AlertsConfig:
        if self.alerts is not None:
            return self.alerts
        if self.policy.alerts is not None:
            return AlertsConfig.from_mapping(self.policy.alerts, "[monitor.alerts]")
        return AlertsConfig()

    def to_mapping(self) -> dict[str, Any]:
        """The run's ``config.toml`` (no secrets: the alert settings name env variables)."""
        doc: dict[str, Any] = {
            "job": "monitor", "artifact": self.artifact, "bars": self.source.to_config(),
            "monitor": _drop_none(dataclasses.asdict(self.policy)), "history": self.history,
            "state": str(self.state),
        }  # fmt: skip
        if self.workflow:
            doc["workflow"] = self.workflow
        if self.factory is not None:
            doc["factory"] = self.factory.name
        return doc


@dataclass(frozen=True, slots=True)
class MonitorOutcome:
    """What a monitor run found and did."""

    run: Any  # alphafactory.runs.Run
    document: dict[str, Any]
    triggered: bool
    cycle: Any  # CycleOutcome or None

    def summary(self) -> str:
        """One line for a terminal or a cron log."""
        v = self.document["verdict"]
        c = self.document["concept_drift"]
        ic = "n/a" if c["ic"] is None else f"{c['ic']:.4f}"
        ref = "n/a" if c["reference_ic"] is None else f"{c['reference_ic']:.4f}"
        drifted = self.document["data_drift"]["drifted_features"]
        data = f"data drift on {len(drifted)} feature(s)" if v["data"] else "no data drift"
        concept = "concept drift" if v["concept"] else "no concept drift"
        return (f"{self.document['model']['version']}: {data}, {concept} (IC {ic} vs {ref}); "
                f"{self.document['policy']['action']}; report {self.run.path}")  # fmt: skip


def _drop_none(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _drop_none(v) for k, v in doc.items() if v is not None}
    if isinstance(doc, (list, tuple)):
        return [_drop_none(v) for v in doc]
    return doc


def resolve_model(job: MonitorJob) -> tuple[Any, MonitoredModel]:
    """Load the job's artifact and describe it (registry version and workflow when it is a
    registry reference); ModelError naming the fix when it has no reference statistics."""
    from alphafactory.factory.registry import Registry, is_registry_ref, resolve_artifact
    from alphafactory.models import load

    path = resolve_artifact(job.artifact, workflow=job.workflow, store=job.store)
    version = name = None
    if is_registry_ref(job.artifact):
        version = Registry(job.store).version_of(str(job.workflow), str(job.artifact))
        name = job.workflow
    artifact = load(path)
    if artifact.reference is None:
        raise ModelError(f"{job.artifact}: the model carries no reference statistics "
                         "(reference.json); re-save it with this version (train it again, or "
                         "run a factory cycle) to monitor it.")  # fmt: skip
    return artifact, MonitoredModel.at(path, ref=job.artifact, version=version, name=name)


def _apply_policy(
    job: MonitorJob, monitor: ModelMonitor, log: Log, *, retrain: bool = True
) -> tuple[list[tuple[pd.Timestamp, Alert, bool]], dict[str, Any], Any]:
    """Alerts and the retrain decision of the monitor's current verdict."""
    policy = job.policy
    data, concept = monitor.data_drifted, monitor.concept_alarm
    triggered = policy.triggered(data, concept)
    alerts = monitor.alerts()
    sent = dispatch_alerts(alerts, job.alerts_config(), job.state,
                           scope=f"{monitor.model.version}:",
                           send=policy.on_drift != "none")  # fmt: skip
    at = monitor.result.end or pd.Timestamp.now(tz="UTC")  # the bar the alerts are about
    rows = [(at, a, s) for a, s in sent]
    action, cycle, outcome = "none", None, None
    if policy.on_drift == "alert" and alerts:
        action = f"alert: {sum(s for _, s in sent)} sent, {len(alerts) - sum(s for _, s in sent)}"\
                 " already active"
    if policy.on_drift == "retrain" and triggered:
        if not retrain:
            action = "retrain: already started for this drift"
        elif job.factory is None:
            action = "retrain skipped: no factory file (--factory FILE)"
        else:
            from alphafactory.pipeline.factory_cycle import run_cycle

            log(f"monitor: {policy.on} drift on {monitor.model.version}; starting a factory "
                f"cycle of {job.factory.name}")  # fmt: skip
            try:
                outcome = run_cycle(job.factory, store=job.store, runs_root=job.runs_root,
                                    log=log)  # fmt: skip
            except Exception as exc:  # the report records why; the monitor keeps running
                action = f"retrain failed: {type(exc).__name__}: {exc}"
            else:
                decision = "promote" if outcome.decision.passed else "keep"
                cycle = {"decision": decision, "version": outcome.version,
                         "alias": outcome.alias, "summary": outcome.summary(),
                         "run": str(outcome.run.path)}  # fmt: skip
                action = (f"retrain: version {outcome.version} is {outcome.alias}"
                          if outcome.version else "retrain: nothing registered")
    elif policy.on_drift == "retrain" and alerts:
        action = f"alert only: {policy.on} drift not detected"
    record = {"on_drift": policy.on_drift, "on": policy.on, "triggered": triggered,
              "action": action, "cycle": cycle}  # fmt: skip
    return rows, record, outcome


def _new_run(job: MonitorJob, model: MonitoredModel, monitor: ModelMonitor, rows: list,
             record: dict[str, Any]) -> tuple[Any, dict]:
    """Write the first report under a staging name and publish it: all or nothing."""
    from alphafactory.runs import Run

    safe = "".join(ch if ch.isalnum() or ch in "_.-" else "-" for ch in model.name)[:60]
    run = Run.create(f"monitor-{safe}", job.to_mapping(), seed=0, root=job.runs_root,
                     staged=True)  # fmt: skip
    try:
        doc = _write(run, monitor, rows, record)
    except BaseException:
        run.discard()
        raise
    return run.publish(), doc


def _write(run: Any, monitor: ModelMonitor, rows: list, record: dict[str, Any]) -> dict:
    import json

    path = write_drift_report(run, monitor, rows, record)
    run.write_manifest(extra={"job": "monitor", "model": monitor.model.to_dict()})
    return json.loads(path.read_text())


def run_monitor(job: MonitorJob, *, log: Log = log_info) -> MonitorOutcome:
    """Monitor the job's model once on the newest bars; write the run (see the module
    docstring)."""
    artifact, model = resolve_model(job)
    bars = job.source.load()
    monitor = monitor_bars(artifact, model, bars, job.policy, history=job.history)
    rows, record, outcome = _apply_policy(job, monitor, log)
    run, doc = _new_run(job, model, monitor, rows, record)
    return MonitorOutcome(run, doc, record["triggered"], outcome)


def watch_monitor(
    job: MonitorJob,
    feed: Any,
    *,
    report_every: int = 1,
    max_bars: int | None = None,
    log: Log = log_info,
    heartbeat_s: float = 30.0,
) -> MonitorOutcome:
    """Monitor the job's model on each new bar of ``feed`` (a
    :class:`~alphafactory.feeds.BarFeed`) until it ends or ``max_bars`` bars arrived.

    While it runs, the run directory holds a ``RUNNING`` marker refreshed every
    ``heartbeat_s`` seconds (see :mod:`alphafactory.runs.staging`)."""
    if report_every < 1:
        raise ValueError(f"report_every must be >= 1; got {report_every}.")
    artifact, model = resolve_model(job)
    history = feed.history()
    monitor = monitor_bars(artifact, model, history, job.policy, history=1)
    rows, record, outcome = _apply_policy(job, monitor, log)
    retrained = outcome is not None
    run, doc = _new_run(job, model, monitor, rows, record)
    book = history
    keep = artifact.warmup_bars + monitor.horizon + 2

    async def loop() -> None:
        nonlocal book, rows, record, outcome, retrained, doc
        n = 0
        while max_bars is None or n < max_bars:
            event = await feed.next_event()
            if event is None:
                break
            n += 1
            book = pd.concat([book, event.bars]).sort_index()
            stamps = book.index.get_level_values("timestamp").unique().sort_values()
            book = book[book.index.get_level_values("timestamp") >= stamps[max(0, len(stamps)
                                                                               - keep)]]
            step_bar(monitor, artifact, book, event.timestamp)
            new_rows, record, out = _apply_policy(job, monitor, log, retrain=not retrained)
            rows = rows + [r for r in new_rows if r[2]]  # the history of what was sent
            if out is not None:
                outcome, retrained = out, True
            if not monitor.policy.triggered(monitor.data_drifted, monitor.concept_alarm):
                retrained = False  # the episode ended: a new drift may retrain again
            if n % report_every == 0:
                doc = _write(run, monitor, rows, record)
        doc = _write(run, monitor, rows, record)

    from alphafactory.runs.staging import Heartbeat

    # The report is rewritten while the watch runs: a RUNNING marker with a heartbeat says so,
    # and a killed watch leaves a "stopped" run that readers do not take for a finished one.
    try:
        with Heartbeat(run.path, "monitor-watch", interval_s=heartbeat_s):
            asyncio.run(loop())
    finally:
        feed.close()
    return MonitorOutcome(run, doc, bool(record["triggered"]), outcome)


def open_monitor_feed(
    source: BarsSource,
    kind: str = "replay",
    *,
    history: int,
    replay_bars: int = 250,
    bars_per_second: float = 0.0,
    poll_seconds: float = 60.0,
) -> Any:
    """The feed ``monitor watch`` reads: ``replay`` (the last ``replay_bars`` timestamps of the
    source replayed, the rest history; at least ``history`` bars of it) or ``yfinance`` (the
    ``yfinance:SYM,...`` source polled)."""
    from alphafactory.errors import ConfigError
    from alphafactory.feeds import ReplayConfig, ReplayFeed, YFinanceConfig, YFinancePollFeed

    if kind == "yfinance":
        if source.kind != "yfinance":
            raise ConfigError(f"--feed yfinance needs --bars yfinance:SYM,...; "
                              f"got {source.spec!r}.")
        start = source.start or (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=800)).strftime(
            "%Y-%m-%d")
        return YFinancePollFeed(YFinanceConfig(
            symbols=source.symbols(), start=start, interval=source.interval or "1d",
            poll_seconds=poll_seconds, calendar=source.calendar or "XNYS"))  # fmt: skip
    if kind != "replay":
        raise ConfigError(f"feed must be 'replay' or 'yfinance'; got {kind!r}.")
    if replay_bars < 1:
        raise ConfigError(f"replay_bars must be >= 1; got {replay_bars}.")
    bars = source.load()
    n = len(bars.index.get_level_values("timestamp").unique())
    if n - replay_bars < history:
        raise ConfigError(f"bars source {source.spec!r} has {n} timestamps: replaying "
                          f"{replay_bars} leaves {max(n - replay_bars, 0)} of history, fewer "
                          f"than the {history} the monitor needs; lower --replay-bars.")
    return ReplayFeed(bars, ReplayConfig(start=-replay_bars, bars_per_second=bars_per_second))
