"""A monitor run: one model over a span of bars, its alerts, and its report in a run directory.

Report contract (the dashboard's Monitor page reads it; one run directory per monitor run,
``manifest.json`` with ``"job": "monitor"``):

``drift.json``
    ``{"model": {"ref", "path", "version", "name"},
    "window": {"start", "end", "bars"},
    "data_drift": DriftResult.to_dict(),
    "concept_drift": {"detectors": {name: {alarm, statistic, since, n, parameters, alarms,
    last_alarm, decides}}, "ic", "rank_ic", "hit_rate" (rolling means over the window),
    "reference_ic", "reference_ic_std", "alarm", "since", "realized_bars", "horizon", "note"},
    "verdict": {"data": bool, "concept": bool},
    "alerts": [Alert.to_dict() + {"sent": bool}],
    "policy": {"on_drift", "on", "triggered", "action", "cycle": null | {"decision",
    "version", "alias"}}}``
``drift/features.parquet``
    ``timestamp, feature, ks, psi, p_value, drifted``: one row per feature (and ``score``)
    per evaluated bar (the window ending at that bar).
``drift/concept.parquet``
    ``timestamp, ic, rank_ic, hit_rate`` and per detector ``<name>_statistic``,
    ``<name>_alarm``: one row per realized bar.
``drift/alerts.parquet``
    ``time, kind, subject, severity, message, model_version, sent``.

Which bars: data drift on the newest ``window`` bars, evaluated at each of the last
``history`` bars; concept drift on every bar after the model's training window (the newest
``window`` bars when the span is shorter), with labels realized only once their horizon has
passed within the bars given.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import DataError
from alphafactory.models.artifact import ModelArtifact
from alphafactory.monitor.alerts import Alert, AlertDispatcher
from alphafactory.monitor.model_monitor import ALERT_COLUMNS, ModelMonitor, MonitoredModel
from alphafactory.monitor.policy import AlertsConfig, MonitorPolicy
from alphafactory.monitor.state import AlertStore

__all__ = [
    "DEFAULT_STATE",
    "dispatch_alerts",
    "label_series",
    "monitor_bars",
    "step_bar",
    "write_report",
]

DEFAULT_STATE = Path("mlruns") / "monitor" / "alerts.sqlite"


def label_series(artifact: ModelArtifact, bars: pd.DataFrame, horizon: int) -> pd.Series:
    """The realized labels a monitor judges ``artifact`` on: forward returns of ``horizon``
    with the artifact's return kind and entry (NaN while a bar's horizon has not passed).

    A target that is not a forward return (a triple barrier) is judged on the simple forward
    return of the same horizon, as its reference IC was.
    """
    from alphafactory.labels import forward_returns

    kind = artifact.label.kind if artifact.label.kind in ("simple", "log") else "simple"
    entry = artifact.label.entry if artifact.label.entry in ("close", "next_open") else "close"
    return forward_returns(bars, horizon=horizon, kind=kind, entry=entry)


def _stamps(bars: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(bars.index.get_level_values("timestamp").unique()).sort_values()


def concept_span(artifact: ModelArtifact, stamps: pd.DatetimeIndex, window: int) -> pd.Index:
    """Bars after the artifact's training window, or the newest ``window`` when fewer."""
    end = artifact.window.val_end or artifact.window.train_end
    after = stamps[stamps > pd.Timestamp(end)] if end is not None else stamps[:0]
    return after if len(after) >= window else stamps[-window:]


def monitor_bars(
    artifact: ModelArtifact,
    model: MonitoredModel,
    bars: pd.DataFrame,
    policy: MonitorPolicy | None = None,
    *,
    history: int = 1,
) -> ModelMonitor:
    """Run a :class:`ModelMonitor` over ``bars`` (see the module docstring for which bars).

    Parameters
    ----------
    artifact : ModelArtifact
        The model, with reference statistics.
    model : MonitoredModel
        How the report names it.
    bars : DataFrame
        Long ``(timestamp, symbol)`` bars, newest last, with enough history before the window
        for the features (``artifact.warmup_bars``).
    policy : MonitorPolicy, optional
    history : int
        Data-drift evaluations kept in ``drift/features`` (the last ``history`` bars).
    """
    from alphafactory.features import build_features
    from alphafactory.models import score

    monitor = ModelMonitor(artifact, model, policy)
    window = monitor.policy.window
    if isinstance(history, bool) or not isinstance(history, int) or history < 1:
        raise ValueError(f"history must be an integer >= 1; got {history!r}.")
    stamps = _stamps(bars)
    need = window + history - 1
    if len(stamps) < window:
        raise DataError(f"the bars hold {len(stamps)} timestamps, fewer than the monitoring "
                        f"window of {window}.")  # fmt: skip
    data_stamps = stamps[-min(need, len(stamps)):]
    concept = concept_span(artifact, stamps, window) if monitor.concept else stamps[:0]
    wanted = data_stamps.union(concept)
    first = stamps.get_loc(wanted[0])
    tail = bars[bars.index.get_level_values("timestamp")
                >= stamps[max(0, first - artifact.warmup_bars)]]  # fmt: skip
    dtype = np.dtype(artifact.feature_dtype).type
    features = build_features(tail, monitor.features, dtype=dtype)
    scores = score(artifact, tail, at=wanted)
    by_stamp = dict(list(features.groupby(level="timestamp")))
    score_by = dict(list(scores.groupby(level="timestamp")))
    empty = pd.Series(dtype=np.float64)
    recorded = set(data_stamps[-history:])
    for stamp in data_stamps:
        frame = by_stamp[stamp].droplevel("timestamp")
        s = score_by.get(stamp)
        monitor.update_data(stamp, frame, None if s is None else s.droplevel("timestamp"),
                            record=stamp in recorded)  # fmt: skip
    if len(concept):
        labels = label_series(artifact, tail, monitor.horizon)
        for stamp in concept:
            s = score_by.get(stamp)
            monitor.update_concept(stamp, empty if s is None else s.droplevel("timestamp"),
                                   labels)  # fmt: skip
    return monitor


def step_bar(
    monitor: ModelMonitor, artifact: ModelArtifact, book: pd.DataFrame, stamp: pd.Timestamp
) -> None:
    """Update ``monitor`` with bar ``stamp``, the newest of ``book`` (a tail of the bars holding
    at least ``artifact.warmup_bars + horizon + 1`` timestamps)."""
    from alphafactory.features import build_features
    from alphafactory.models import score

    stamp = pd.Timestamp(stamp)
    features = build_features(book, monitor.features,
                              dtype=np.dtype(artifact.feature_dtype).type)  # fmt: skip
    frame = features.xs(stamp, level="timestamp")
    scores = score(artifact, book, at="last").droplevel("timestamp")
    monitor.update_data(stamp, frame, scores)
    if monitor.concept:
        labels = label_series(artifact, book, monitor.horizon)
        monitor.update_concept(stamp, scores, labels)


def dispatch_alerts(
    alerts: Sequence[Alert],
    config: AlertsConfig | None,
    state: str | Path,
    *,
    scope: str | None = None,
    send: bool = True,
    now: pd.Timestamp | None = None,
) -> list[tuple[Alert, bool]]:
    """Send the due ``alerts`` through the configured sinks, de-duplicated through the store
    at ``state``; return each alert with whether it went out (``send=False``: none does)."""
    if not send:
        return [(a, False) for a in alerts]
    config = config or AlertsConfig()
    dispatcher = AlertDispatcher(config.sinks(), AlertStore(state),
                                 repeat_after=config.repeat_after)  # fmt: skip
    sent = {a.key for a in dispatcher.dispatch(alerts, scope=scope, now=now)}
    return [(a, a.key in sent) for a in alerts]


def alert_table(alerts: Sequence[tuple[pd.Timestamp, Alert, bool]]) -> pd.DataFrame:
    """``drift/alerts``: one row per (time, alert)."""
    rows = [{"time": pd.Timestamp(t), "kind": a.kind, "subject": a.subject,
             "severity": a.severity, "message": a.text(), "model_version": a.model_version,
             "sent": bool(sent)} for t, a, sent in alerts]  # fmt: skip
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def write_report(
    run: Any,
    monitor: ModelMonitor,
    alerts: Sequence[tuple[pd.Timestamp, Alert, bool]],
    policy: Mapping[str, Any],
) -> Path:
    """Write ``drift.json`` and the ``drift/*`` tables into ``run`` (a
    :class:`~alphafactory.runs.Run`); return the path of ``drift.json``."""
    doc = monitor.document()
    latest: dict[str, dict[str, Any]] = {}
    for _, alert, sent in alerts:  # the newest state of each condition
        item = latest.setdefault(alert.key, {**alert.to_dict(), "sent": False})
        item.update({k: v for k, v in alert.to_dict().items() if k != "key"})
        item["sent"] = item["sent"] or bool(sent)
    doc["alerts"] = list(latest.values())
    doc["policy"] = dict(policy)
    for name, frame in monitor.tables().items():
        run.write_table(name, frame)
    run.write_table("drift/alerts", alert_table(alerts))
    path = Path(run.path) / "drift.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str, allow_nan=False) + "\n",
                   encoding="utf-8")  # fmt: skip
    shutil.move(tmp, path)
    return path
