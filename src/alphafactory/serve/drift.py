"""Drift monitoring inside the server: the champion watched on every bar the feed delivers.

:func:`attach_drift_monitor` wires a :class:`ServerDrift` into an app built by
:func:`~alphafactory.serve.create_app`: it follows the bars the service receives (its history at
start, then each new bar), monitors whatever model is the served champion (a hot swap starts a
fresh monitor for the new version, from the bars kept), serves the latest report at
``GET /drift`` (``drift.json``'s format without ``alerts`` and ``policy``, see
:mod:`alphafactory.monitor.run`) and exports gauges at ``/metrics``:

``alphafactory_drift_data`` / ``alphafactory_drift_concept``
    1 while the data / concept verdict is on, by model version.
``alphafactory_drift_features``
    Drifted features in the data-drift window.
``alphafactory_drift_ic`` / ``alphafactory_drift_reference_ic``
    Rolling realized IC over the window, and the model's out-of-sample IC.
``alphafactory_drift_ks`` / ``alphafactory_drift_psi``
    Per feature (and ``score``) in the current window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pandas as pd
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alphafactory.errors import ModelError
from alphafactory.monitor.model_monitor import ModelMonitor, MonitoredModel
from alphafactory.monitor.policy import MonitorPolicy
from alphafactory.monitor.run import monitor_bars, step_bar

__all__ = ["ServerDrift", "attach_drift_monitor"]

log = logging.getLogger(__name__)


class ServerDrift(Collector):
    """The served champion's drift, updated bar by bar (see the module docstring).

    Parameters
    ----------
    service : SignalService
        The app's service (``app.state.service``): its champion snapshot names the model.
    policy : MonitorPolicy, optional
        Window, detectors and test level.
    """

    def __init__(self, service: Any, policy: MonitorPolicy | None = None) -> None:
        self.service, self.policy = service, policy or MonitorPolicy()
        self.monitor: ModelMonitor | None = None
        self.error: str | None = None
        self._bars: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def on_bars(self, bars: pd.DataFrame) -> None:
        """Take new bars (the history at start, then each bar); update the champion's monitor.

        Never raises: a failure is logged and shown at ``/drift`` (serving goes on)."""
        try:
            with self._lock:
                self._update(bars)
                self.error = None
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("drift monitor: %s", self.error)

    def _update(self, bars: pd.DataFrame) -> None:
        book = bars if self._bars is None else pd.concat([self._bars, bars]).sort_index()
        snap = self.service.snapshots.get("champion")
        if snap is None:
            self._bars = book
            return
        served = snap.served
        keep = served.artifact.warmup_bars + 2 * self.policy.window + 8
        stamps = book.index.get_level_values("timestamp").unique().sort_values()
        book = book[book.index.get_level_values("timestamp") >= stamps[max(0, len(stamps) - keep)]]
        self._bars = book
        if self.monitor is None or self.monitor.model.version != served.version:
            model = MonitoredModel.at(served.path, ref=served.alias, version=served.version)
            if served.artifact.reference is None:
                raise ModelError(f"{served.version} carries no reference statistics "
                                 "(reference.json); re-save it with this version.")  # fmt: skip
            self.monitor = monitor_bars(served.artifact, model, book, self.policy)
        else:
            step_bar(self.monitor, served.artifact, book, stamps[-1])

    def document(self) -> dict[str, Any]:
        """The ``GET /drift`` body."""
        with self._lock:
            if self.monitor is None:
                return {"ready": False, "error": self.error}
            return {**self.monitor.document(), "ready": True, "error": self.error}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        monitor = self.monitor
        if monitor is None:
            return
        v = monitor.model.version
        c = monitor.concept_summary()
        r = monitor.result
        for name, doc, value in (
            ("data", "1 while the data-drift verdict is on", float(monitor.data_drifted)),
            ("concept", "1 while the concept-drift verdict is on", float(monitor.concept_alarm)),
            ("features", "drifted features in the window", float(len(r.drifted_features))),
            ("ic", "rolling realized IC", _nan(c["ic"])),
            ("reference_ic", "out-of-sample IC of the model", _nan(c["reference_ic"])),
        ):
            gauge = GaugeMetricFamily(f"alphafactory_drift_{name}", doc, labels=["version"])
            gauge.add_metric([v], value)
            yield gauge
        rows = r.table[["column", "ks", "psi"]].to_dict(orient="records")
        if r.score is not None:
            rows.append({"column": "score", "ks": r.score["ks"], "psi": r.score["psi"]})
        for stat in ("ks", "psi"):
            gauge = GaugeMetricFamily(f"alphafactory_drift_{stat}", f"{stat.upper()} in the "
                                      "window by feature", labels=["version", "feature"])
            for row in rows:
                gauge.add_metric([v, str(row["column"])], _nan(row[stat]))
            yield gauge


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def attach_drift_monitor(app: Any, policy: MonitorPolicy | None = None) -> ServerDrift:
    """Monitor the app's champion: ``GET /drift``, drift gauges at ``/metrics``, updated on
    every bar (call before the app starts)."""
    from alphafactory.serve.app import set_drift_provider

    service = app.state.service
    drift = ServerDrift(service, policy)
    service.metrics.add_collector(drift)
    service.bar_hooks.append(drift.on_bars)
    set_drift_provider(app, drift.document)
    return drift
