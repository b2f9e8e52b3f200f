"""What a monitor watches and what a drift verdict does: the ``[monitor]`` table of a factory or
workflow file, and the alert settings (``[monitor.alerts]`` or a file of its own).

```toml
[monitor]
on_drift = "retrain"        # "none" | "alert" (default) | "retrain" (start a factory cycle)
on = "concept"              # which verdict triggers it: "concept" (default) | "data" | "either"
window = 60                 # bars in the data-drift window and in the rolling IC
fdr = 0.002                 # Benjamini-Hochberg level of the data-drift test
detectors = ["cusum", "page_hinkley"]   # the first one decides the concept verdict
[monitor.detector_params]
cusum = { k = 0.25, h = 12.0 }

[monitor.alerts]            # or the same keys at the top of an --alerts FILE
log = true
webhook = "https://hooks.slack.com/services/..."
repeat_after_hours = 24
[monitor.alerts.email]
host = "smtp.example.com"
port = 587
sender = "monitor@example.com"
recipients = ["desk@example.com"]
username = "monitor"
password_env = "SMTP_PASSWORD"   # the password is read from this environment variable
starttls = true
```

Secrets come only from environment variables (``password_env``, ``webhook_env`` for a webhook
URL holding a token); they are never written to a report or a log.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.monitor.alerts import AlertSink, EmailSink, LogSink, WebhookSink
from alphafactory.monitor.detectors import (
    Adwin,
    AlwaysFire,
    Cusum,
    Detector,
    NeverFire,
    PageHinkley,
)

__all__ = [
    "DETECTORS",
    "AlertsConfig",
    "MonitorPolicy",
    "make_detector",
]

ON_DRIFT = ("none", "alert", "retrain")
ON = ("concept", "data", "either")
# The explicit registry of detector names a [monitor] table may use.
DETECTORS: dict[str, type[Detector]] = {
    "cusum": Cusum,
    "page_hinkley": PageHinkley,
    "adwin": Adwin,
    "always": AlwaysFire,
    "never": NeverFire,
}


def make_detector(name: str, params: Mapping[str, Any] | None = None) -> Detector:
    """Build the detector ``name`` of :data:`DETECTORS` with keyword ``params``."""
    if name not in DETECTORS:
        raise ConfigError(f"unknown detector {name!r}; choose from {sorted(DETECTORS)}.")
    try:
        return DETECTORS[name](**dict(params or {}))
    except TypeError as exc:
        raise ConfigError(f"detector {name!r}: {exc}") from None


@dataclass(frozen=True, kw_only=True, slots=True)
class MonitorPolicy:
    """The ``[monitor]`` table (see the module docstring).

    Attributes
    ----------
    on_drift : {"none", "alert", "retrain"}
        What a drift verdict does: nothing beyond the report, alerts, or alerts and a factory
        cycle (whose gate still decides promotion).
    on : {"concept", "data", "either"}
        Which verdict counts as drift for ``on_drift``.
    window : int
        Bars in the data-drift window and in the rolling IC, Rank IC and hit rate.
    fdr : float
        Benjamini-Hochberg false discovery rate of the data-drift test.
    metric : {"ic", "rank_ic"}
        The realized series the detectors watch.
    detectors : tuple of str
        Detector names (:data:`DETECTORS`); the first decides the concept verdict, the others
        are reported beside it.
    detector_params : mapping
        Keyword arguments per detector name.
    alerts : mapping or None
        The alert settings (:class:`AlertsConfig`'s keys).
    """

    on_drift: str = "alert"
    on: str = "concept"
    window: int = 60
    fdr: float = 0.002
    metric: str = "ic"
    detectors: tuple[str, ...] = ("cusum", "page_hinkley")
    detector_params: Mapping[str, Any] = field(default_factory=dict)
    alerts: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.on_drift not in ON_DRIFT:
            raise ConfigError(f"on_drift must be one of {list(ON_DRIFT)}; got {self.on_drift!r}.")
        if self.on not in ON:
            raise ConfigError(f"on must be one of {list(ON)}; got {self.on!r}.")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 2:
            raise ConfigError(f"window must be an integer >= 2; got {self.window!r}.")
        if not (math.isfinite(self.fdr) and 0.0 < self.fdr < 1.0):
            raise ConfigError(f"fdr must lie in (0, 1); got {self.fdr!r}.")
        if self.metric not in ("ic", "rank_ic"):
            raise ConfigError(f"metric must be 'ic' or 'rank_ic'; got {self.metric!r}.")
        if not self.detectors:
            raise ConfigError("detectors must name at least one detector.")
        for name in (*self.detectors, *self.detector_params):
            if name not in DETECTORS:
                raise ConfigError(f"unknown detector {name!r}; choose from {sorted(DETECTORS)}.")
        for name, params in self.detector_params.items():
            if not isinstance(params, Mapping):
                raise ConfigError(f"detector_params.{name} must be a table; got {params!r}.")
        if self.alerts is not None:
            AlertsConfig.from_mapping(self.alerts)  # fail on load, not at the first drift

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], where: str = "[monitor]") -> MonitorPolicy:
        """Build from a TOML table; unknown keys raise."""
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{where} must be a table; got {doc!r}.")
        known = {"on_drift", "on", "window", "fdr", "metric", "detectors", "detector_params",
                 "alerts"}  # fmt: skip
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; known: {sorted(known)}.")
        kwargs = dict(doc)
        if "detectors" in kwargs:
            kwargs["detectors"] = tuple(kwargs["detectors"])
        try:
            return cls(**kwargs)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def make_detectors(self) -> dict[str, Detector]:
        """A fresh detector per name, in order (the first decides the verdict)."""
        return {n: make_detector(n, self.detector_params.get(n)) for n in self.detectors}

    def triggered(self, data: bool, concept: bool) -> bool:
        """Whether the verdicts count as drift for ``on_drift``."""
        return {"concept": concept, "data": data, "either": data or concept}[self.on]


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertsConfig:
    """Where alerts go and how often they repeat (see the module docstring).

    Attributes
    ----------
    log : bool
        A log line per alert (``alphafactory.monitor`` logger).
    webhook : str or None
        A URL receiving a JSON POST (Slack-compatible ``text``).
    webhook_env : str or None
        Environment variable holding the webhook URL (for URLs that carry a token).
    email : mapping or None
        ``host, port, sender, recipients, username, password_env, starttls``.
    repeat_after_hours : float or None
        An active condition is sent again after this many hours (None: only after it clears).
    """

    log: bool = True
    webhook: str | None = None
    webhook_env: str | None = None
    email: Mapping[str, Any] | None = None
    repeat_after_hours: float | None = 24.0

    def __post_init__(self) -> None:
        if self.repeat_after_hours is not None and not (
            math.isfinite(self.repeat_after_hours) and self.repeat_after_hours > 0
        ):
            raise ConfigError(
                f"repeat_after_hours must be > 0 or left out; got {self.repeat_after_hours!r}."
            )
        if self.email is not None:
            known = {"host", "port", "sender", "recipients", "username", "password_env",
                     "starttls", "timeout"}  # fmt: skip
            unknown = sorted(set(self.email) - known)
            if unknown:
                raise ConfigError(f"email: unknown keys {unknown}; known: {sorted(known)} "
                                  "(a password is read from password_env, never written).")
            missing = [k for k in ("host", "sender", "recipients") if k not in self.email]
            if missing:
                raise ConfigError(f"email needs {missing}.")

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], where: str = "alerts") -> AlertsConfig:
        """Build from a TOML table (``[monitor.alerts]`` or an alerts file); unknown keys raise."""
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{where} must be a table; got {doc!r}.")
        doc = dict(doc.get("alerts", doc)) if set(doc) == {"alerts"} else dict(doc)
        known = {"log", "webhook", "webhook_env", "email", "repeat_after_hours"}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; known: {sorted(known)}.")
        if "repeat_after_hours" in doc and doc["repeat_after_hours"] is not None:
            doc["repeat_after_hours"] = float(doc["repeat_after_hours"])
        try:
            return cls(**doc)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    @property
    def repeat_after(self) -> pd.Timedelta | None:
        """The repeat interval as a Timedelta."""
        hours = self.repeat_after_hours
        return None if hours is None else pd.Timedelta(hours=hours)

    def sinks(self, environ: Mapping[str, str] | None = None) -> list[AlertSink]:
        """The configured sinks; secrets are read from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        out: list[AlertSink] = [LogSink()] if self.log else []
        url = self.webhook
        if self.webhook_env is not None:
            url = env.get(self.webhook_env)
            if not url:
                raise ConfigError(f"webhook_env: ${self.webhook_env} is not set.")
        if url:
            out.append(WebhookSink(url))
        if self.email is not None:
            e = self.email
            password = None
            if e.get("password_env"):
                password = env.get(str(e["password_env"]))
                if password is None:
                    raise ConfigError(f"email.password_env: ${e['password_env']} is not set.")
            out.append(EmailSink(
                str(e["host"]), int(e.get("port", 25)), str(e["sender"]),
                [str(r) for r in e["recipients"]], username=e.get("username"),
                password=password if e.get("username") is not None else None,
                starttls=bool(e.get("starttls", False)), timeout=float(e.get("timeout", 10.0)),
            ))  # fmt: skip
        return out
