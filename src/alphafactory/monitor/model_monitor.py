"""One stored model watched bar by bar: data drift, concept drift, and the alerts they raise.

:class:`ModelMonitor` holds a model's reference statistics, a rolling
:class:`~alphafactory.monitor.DataDriftMonitor` over its features and score, and one
:class:`~alphafactory.monitor.ConceptDriftMonitor` per detector of the policy (the first
decides the verdict, the others are reported beside it). Callers feed it each bar's feature
cross-section and scores, and the realized labels as they mature; it keeps the rows of the
report tables (``drift/features``, ``drift/concept``) and builds the ``drift.json`` document
(:mod:`alphafactory.monitor.run` writes it).

The concept verdict is an alarm of the deciding detector within the last ``window`` realized
bars: a detector restarts after an alarm, so a change that persists alarms again within about
one detection delay and the verdict stays on; it clears ``window`` bars after the last alarm.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.errors import ModelError
from alphafactory.models.artifact import ModelArtifact
from alphafactory.monitor.alerts import Alert
from alphafactory.monitor.concept import ConceptConfig, ConceptDriftMonitor, ConceptState
from alphafactory.monitor.drift import DataDriftMonitor, DriftConfig, DriftResult
from alphafactory.monitor.policy import MonitorPolicy
from alphafactory.monitor.reference import load_reference

__all__ = ["ModelMonitor", "MonitoredModel"]

FEATURE_COLUMNS = ["timestamp", "feature", "ks", "psi", "p_value", "drifted"]
ALERT_COLUMNS = ["time", "kind", "subject", "severity", "message", "model_version", "sent"]


@dataclass(frozen=True, kw_only=True, slots=True)
class MonitoredModel:
    """Which model a report is about (``drift.json``'s ``model``).

    Attributes
    ----------
    ref : str
        What the user named: a path, ``champion``, ``challenger`` or ``vN``.
    path : str
        The local artifact directory.
    version : str
        The registry version, or ``<model>@<hash of artifact.json>`` for a directory.
    name : str
        The registered workflow name, or the artifact's model for a directory.
    """

    ref: str
    path: str
    version: str
    name: str

    @classmethod
    def at(cls, path: str | Path, *, ref: str | None = None, version: str | None = None,
           name: str | None = None) -> MonitoredModel:  # fmt: skip
        """Describe the artifact at ``path`` (version and name from its ``artifact.json``
        unless given)."""
        path = Path(path)
        try:
            doc = (path / "artifact.json").read_bytes()
        except OSError as exc:
            raise ModelError(f"{path}: no readable artifact.json ({exc.strerror}).") from None
        model = str(json.loads(doc).get("model", "model"))
        return cls(ref=str(ref if ref is not None else path), path=str(path),
                   version=version or f"{model}@{hashlib.sha256(doc).hexdigest()[:12]}",
                   name=name or model)  # fmt: skip

    def to_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "path": self.path, "version": self.version, "name": self.name}


def _num(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


class ModelMonitor:
    """Data and concept drift of one model, updated bar by bar (see the module docstring).

    Parameters
    ----------
    artifact : ModelArtifact
        Must carry reference statistics (``reference.json``).
    model : MonitoredModel
    policy : MonitorPolicy, optional

    Raises
    ------
    ModelError
        When the artifact has no reference statistics.
    """

    def __init__(
        self, artifact: ModelArtifact, model: MonitoredModel, policy: MonitorPolicy | None = None
    ) -> None:
        self.artifact, self.model = artifact, model
        self.policy = policy or MonitorPolicy()
        self.reference = load_reference(artifact)
        window = self.policy.window
        self.data = DataDriftMonitor(self.reference, DriftConfig(
            window=window, fdr=self.policy.fdr, min_bars=min(20, window)))  # fmt: skip
        perf = dict(self.reference.performance or {})
        self.horizon = int(perf.get("horizon") or artifact.label.horizon)
        self.concept: dict[str, ConceptDriftMonitor] = {}
        self.concept_note: str | None = None
        config = ConceptConfig(horizon=self.horizon, window=window, metric=self.policy.metric)
        try:
            for name, detector in self.policy.make_detectors().items():
                self.concept[name] = ConceptDriftMonitor(self.reference, detector, config)
        except ModelError as exc:  # a reference without outcomes: data drift only
            self.concept, self.concept_note = {}, str(exc)
        self.result: DriftResult = self.data.result()
        self.latest: dict[str, ConceptState] = {}
        self._recent: collections.deque[ConceptState] = collections.deque(maxlen=window)
        self._alarms: dict[str, int] = dict.fromkeys(self.concept, 0)
        self._last_alarm: dict[str, pd.Timestamp | None] = dict.fromkeys(self.concept)
        self.feature_rows: list[dict[str, Any]] = []
        self.concept_rows: list[dict[str, Any]] = []
        self.first: pd.Timestamp | None = None

    @property
    def features(self) -> list[str]:
        """The features the reference summarizes (the artifact's)."""
        return list(self.reference.features.names)

    # -- updates --------------------------------------------------------------------------------
    def update_data(
        self, timestamp: pd.Timestamp, features: pd.DataFrame, scores: pd.Series | None,
        *, record: bool = True,
    ) -> DriftResult:
        """Add one bar's feature cross-section (rows symbols) and scores to the data window;
        ``record`` keeps this evaluation's per-feature rows for ``drift/features``."""
        self.result = self.data.update(timestamp, features, scores)
        self.first = self.first or pd.Timestamp(timestamp)
        if record:
            stamp = pd.Timestamp(timestamp)
            rows = self.result.table.to_dict(orient="records")
            if self.result.score is not None:
                rows.append({**self.result.score, "column": "score"})
            for r in rows:
                self.feature_rows.append({
                    "timestamp": stamp, "feature": r["column"], "ks": r["ks"], "psi": r["psi"],
                    "p_value": r["p"], "drifted": bool(r["drifted"]),
                })  # fmt: skip
        return self.result

    def update_concept(
        self, timestamp: pd.Timestamp, scores: pd.Series, labels: pd.Series | None
    ) -> list[ConceptState]:
        """Observe bar ``timestamp``'s scores (indexed by symbol) and realize every bar whose
        label has matured (``labels`` indexed ``(timestamp, symbol)``, NaN while unknown)."""
        if not self.concept:
            return []
        per = {name: m.update(timestamp, scores, labels) for name, m in self.concept.items()}
        primary = next(iter(self.concept))
        out = per[primary]
        for k, state in enumerate(out):
            row: dict[str, Any] = {"timestamp": state.timestamp, "ic": state.ic,
                                   "rank_ic": state.rank_ic, "hit_rate": state.hit_rate}
            for name, states in per.items():
                s = states[k]
                row[f"{name}_statistic"] = s.detector.statistic
                row[f"{name}_alarm"] = bool(s.alarm)
                if s.alarm:
                    self._alarms[name] += 1
                    self._last_alarm[name] = s.timestamp
                self.latest[name] = s
            self.concept_rows.append(row)
            self._recent.append(state)
        return out

    # -- verdicts -------------------------------------------------------------------------------
    @property
    def data_drifted(self) -> bool:
        return bool(self.result.drifted)

    @property
    def concept_alarm(self) -> bool:
        """An alarm of the deciding detector within the last ``window`` realized bars."""
        return any(s.alarm for s in self._recent)

    @property
    def concept_since(self) -> pd.Timestamp | None:
        """When the deciding detector dates the change of its latest alarm in the window."""
        alarms = [s for s in self._recent if s.alarm]
        if not alarms:
            return None
        return alarms[-1].since or alarms[-1].timestamp

    def concept_summary(self) -> dict[str, Any]:
        """``drift.json``'s ``concept_drift``."""
        primary = next(iter(self.concept), None)
        state = self.latest.get(primary) if primary else None
        detectors = {}
        for name, monitor in self.concept.items():
            s = self.latest.get(name)
            last = self._last_alarm[name]
            detectors[name] = {
                **(s.detector.to_dict() if s else {"alarm": False, "statistic": None,
                                                   "since": None, "n": 0}),
                "parameters": monitor.detector.parameters, "alarms": self._alarms[name],
                "last_alarm": None if last is None else last.isoformat(),
                "decides": name == primary,
            }  # fmt: skip
        perf = self.reference.performance or {}
        since = self.concept_since
        return {
            "detectors": detectors,
            "ic": _num(state.rolling_ic) if state else None,
            "rank_ic": _num(state.rolling_rank_ic) if state else None,
            "hit_rate": _num(state.rolling_hit_rate) if state else None,
            "reference_ic": _num(perf.get("ic_mean")),
            "reference_ic_std": _num(perf.get("ic_std")),  # the per-bar spread: control limits
            "alarm": self.concept_alarm,
            "since": None if since is None else since.isoformat(),
            "realized_bars": len(self.concept_rows),
            "horizon": self.horizon,
            "note": self.concept_note,
        }

    def alerts(self) -> list[Alert]:
        """The drift conditions active now, as alerts (de-duplicated by the dispatcher)."""
        out = []
        version, r = self.model.version, self.result
        if r.drifted:
            names = r.drifted_features
            top = r.table.set_index("column")
            detail = ", ".join(f"{n} KS {top.at[n, 'ks']:.2f} PSI {top.at[n, 'psi']:.2f}"
                               for n in names[:3])  # fmt: skip
            if names:
                out.append(Alert(
                    kind="data_drift", subject="features", statistic=float(len(names)),
                    threshold=self.policy.fdr, since=r.start, model_version=version,
                    severity="critical" if r.severity == "critical" else "warning",
                    message=(f"[{r.severity}] data drift on {len(names)} of {len(top)} features "
                             f"of model {version} ({detail}{', ...' if len(names) > 3 else ''}) "
                             f"in the {r.n_bars} bars since {_iso(r.start)}"),
                ))  # fmt: skip
            if r.score is not None and r.score.get("drifted"):
                out.append(Alert(
                    kind="score_drift", subject="score", statistic=float(r.score["ks"]),
                    since=r.start, model_version=version, severity="critical",
                    message=(f"[critical] score distribution of model {version} drifted: KS "
                             f"{r.score['ks']:.3f}, PSI {r.score['psi']:.3f} in the {r.n_bars} "
                             f"bars since {_iso(r.start)}"),
                ))  # fmt: skip
        if self.concept_alarm:
            c = self.concept_summary()
            primary = next(iter(self.concept))
            ic, ref = c["ic"], c["reference_ic"]
            out.append(Alert(
                kind="concept_drift", subject=self.policy.metric,
                statistic=math.nan if ic is None else ic, threshold=ref,
                since=self.concept_since, model_version=version, severity="critical",
                message=(f"[critical] concept drift of model {version}: rolling "
                         f"{self.policy.metric} {_fmt(ic)} over {len(self._recent)} realized bars "
                         f"against {_fmt(ref)} out of sample ({primary} alarm), since "
                         f"{c['since']}"),
            ))  # fmt: skip
        return out

    def document(self) -> dict[str, Any]:
        """``drift.json`` without ``alerts`` and ``policy`` (the job adds them)."""
        r = self.result
        return {
            "model": self.model.to_dict(),
            "window": {"start": _iso(r.start), "end": _iso(r.end), "bars": r.n_bars},
            "data_drift": r.to_dict(),
            "concept_drift": self.concept_summary(),
            "verdict": {"data": self.data_drifted, "concept": self.concept_alarm},
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``drift/features`` and ``drift/concept`` (columns as documented, rows so far)."""
        features = pd.DataFrame(self.feature_rows, columns=FEATURE_COLUMNS)
        names = list(self.concept)
        cols = ["timestamp", "ic", "rank_ic", "hit_rate",
                *(c for n in names for c in (f"{n}_statistic", f"{n}_alarm"))]  # fmt: skip
        concept = pd.DataFrame(self.concept_rows, columns=cols)
        for n in names:
            concept[f"{n}_alarm"] = concept[f"{n}_alarm"].astype(bool)
        return {"drift/features": features, "drift/concept": concept}


def _iso(stamp: Any) -> str | None:
    return None if stamp is None else pd.Timestamp(stamp).isoformat()


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
