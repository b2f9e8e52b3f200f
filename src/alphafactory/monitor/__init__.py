"""Monitoring a stored model: data drift, concept drift, sequential detectors, alerts.

Reference statistics are computed at training time (:mod:`alphafactory.models.reference`) and
stored with the artifact; everything here works from them and from new bars, scores and matured
labels only.
"""

from __future__ import annotations

from alphafactory.monitor.alerts import (
    Alert,
    AlertDispatcher,
    AlertSink,
    EmailSink,
    LogSink,
    WebhookSink,
)
from alphafactory.monitor.concept import ConceptConfig, ConceptDriftMonitor, ConceptState
from alphafactory.monitor.detectors import (
    Adwin,
    AlwaysFire,
    CountingDetector,
    Cusum,
    Detector,
    DetectorState,
    NeverFire,
    PageHinkley,
)
from alphafactory.monitor.drift import DataDriftMonitor, DriftConfig, DriftResult, data_drift
from alphafactory.monitor.evaluate import DetectionSummary, detection_summary, gaussian_ic_series
from alphafactory.monitor.reference import ColumnReference, Reference, load_reference
from alphafactory.monitor.state import AlertStore

__all__ = [
    "Adwin",
    "Alert",
    "AlertDispatcher",
    "AlertSink",
    "AlertStore",
    "AlwaysFire",
    "ColumnReference",
    "ConceptConfig",
    "ConceptDriftMonitor",
    "ConceptState",
    "CountingDetector",
    "Cusum",
    "DataDriftMonitor",
    "DetectionSummary",
    "Detector",
    "DetectorState",
    "DriftConfig",
    "DriftResult",
    "EmailSink",
    "LogSink",
    "NeverFire",
    "PageHinkley",
    "Reference",
    "WebhookSink",
    "data_drift",
    "detection_summary",
    "gaussian_ic_series",
    "load_reference",
]
