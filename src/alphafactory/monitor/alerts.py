"""Alerts and where they go: a log line, a webhook (Slack-compatible JSON), email (SMTP).

An :class:`Alert` says what drifted, by how much, since when and for which model version. A
sink's ``send`` never raises for a delivery failure (a monitor must keep monitoring when Slack
is down): it logs the error and returns False. :class:`AlertDispatcher` de-duplicates through an
:class:`~alphafactory.monitor.state.AlertStore`: an alert is sent when its condition is new, after
it cleared, or after ``repeat_after`` while it persists; conditions absent from a dispatch are
cleared.
"""

from __future__ import annotations

import abc
import json
import logging
import math
import smtplib
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.monitor.state import AlertStore

__all__ = ["Alert", "AlertDispatcher", "AlertSink", "EmailSink", "LogSink", "WebhookSink"]

logger = logging.getLogger("alphafactory.monitor")

REPEAT_AFTER = pd.Timedelta(hours=24)  # default interval before an active condition re-alerts
Severity = Literal["info", "warning", "critical"]
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """One drift condition.

    Attributes
    ----------
    kind : str
        ``"data_drift"``, ``"score_drift"``, ``"concept_drift"``, or a caller's own.
    subject : str
        What drifted: a feature name, ``"score"``, ``"ic"``, ``"dataset"``.
    statistic : float
        How much: the test statistic or metric value.
    threshold : float or None
        What it was compared with.
    since : Timestamp or None
        When the drift started (the detector's estimate, or the window's start).
    model_version : str or None
        The monitored model (registry version, alias or artifact path).
    severity : {"info", "warning", "critical"}
    message : str
        One human sentence; a default is built from the fields when empty.
    """

    kind: str
    subject: str
    statistic: float
    threshold: float | None = None
    since: pd.Timestamp | None = None
    model_version: str | None = None
    severity: Severity = "warning"
    message: str = ""

    def __post_init__(self) -> None:
        if self.severity not in _LEVELS:
            raise ConfigError(
                f"Alert.severity must be one of {sorted(_LEVELS)}; got {self.severity!r}."
            )

    @property
    def key(self) -> str:
        """De-duplication key: the same condition of the same model."""
        return f"{self.model_version or '-'}:{self.kind}:{self.subject}"

    def text(self) -> str:
        """One-line summary (the Slack ``text``)."""
        if self.message:
            return self.message
        parts = [f"[{self.severity}] {self.kind} on {self.subject}"]
        if self.model_version:
            parts.append(f"model {self.model_version}")
        stat = f"{self.statistic:.4g}"
        if self.threshold is not None:
            stat += f" (threshold {self.threshold:.4g})"
        parts.append(stat)
        if self.since is not None:
            parts.append(f"since {pd.Timestamp(self.since).isoformat()}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields plus ``key`` and ``text``."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "key": self.key,
            "kind": self.kind,
            "subject": self.subject,
            "statistic": num(self.statistic),
            "threshold": num(self.threshold),
            "since": None if self.since is None else pd.Timestamp(self.since).isoformat(),
            "model_version": self.model_version,
            "severity": self.severity,
            "text": self.text(),
        }


class AlertSink(abc.ABC):
    """Where alerts go."""

    @abc.abstractmethod
    def send(self, alert: Alert) -> bool:
        """Deliver ``alert``; return False (after logging why) when it could not be delivered."""


class LogSink(AlertSink):
    """A log line on ``alphafactory.monitor`` at the alert's severity."""

    def send(self, alert: Alert) -> bool:
        logger.log(_LEVELS[alert.severity], "drift alert: %s", alert.text())
        return True


class WebhookSink(AlertSink):
    """JSON POST of ``{"text": ..., "alert": {...}}``: Slack incoming webhooks read ``text``,
    other receivers the structured ``alert``.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` endpoint.
    timeout : float
        Seconds before giving up on the request.
    headers : mapping, optional
        Extra HTTP headers (e.g. an authorization token).
    """

    def __init__(
        self, url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"WebhookSink.url must be http(s)://...; got {url!r}.")
        if not (math.isfinite(timeout) and timeout > 0):
            raise ConfigError(f"WebhookSink.timeout must be > 0; got {timeout!r}.")
        self.url, self.timeout, self.headers = url, float(timeout), dict(headers or {})

    def send(self, alert: Alert) -> bool:
        body = json.dumps({"text": alert.text(), "alert": alert.to_dict()}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **self.headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            logger.error("webhook %s: alert %s not delivered (%s)", self.url, alert.key, exc)
            return False
        if not ok:
            logger.error(
                "webhook %s answered %s for alert %s", self.url, response.status, alert.key
            )
        return ok


class EmailSink(AlertSink):
    """An email per alert through an SMTP server.

    Parameters
    ----------
    host, port : str, int
        The SMTP server.
    sender : str
        The From address.
    recipients : sequence of str
        To addresses (at least one).
    username, password : str, optional
        Login, when the server needs one.
    starttls : bool
        Upgrade the connection with STARTTLS before logging in.
    timeout : float
        Seconds for the connection.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if isinstance(recipients, str) or not recipients:
            raise ConfigError(
                f"EmailSink.recipients must be a list of addresses; got {recipients!r}."
            )
        if not 0 < int(port) < 65536:
            raise ConfigError(f"EmailSink.port must lie in 1..65535; got {port!r}.")
        if (username is None) != (password is None):
            raise ConfigError("EmailSink: give both username and password, or neither.")
        self.host, self.port, self.sender = host, int(port), sender
        self.recipients = list(recipients)
        self.username, self.password = username, password
        self.starttls, self.timeout = bool(starttls), float(timeout)

    def send(self, alert: Alert) -> bool:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = f"[alphafactory {alert.severity}] {alert.kind}: {alert.subject}"
        message.set_content(alert.text() + "\n\n" + json.dumps(alert.to_dict(), indent=1))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            logger.error(
                "email via %s:%s: alert %s not delivered (%s)", self.host, self.port, alert.key, exc
            )
            return False
        return True


class AlertDispatcher:
    """Send the alerts that are due through every sink, de-duplicated across processes.

    Parameters
    ----------
    sinks : sequence of AlertSink
    store : AlertStore
        Shared de-duplication state (one SQLite file for every cron run of a monitor).
    repeat_after : Timedelta or None
        An active condition is sent again after this long; None: only after it cleared.
    """

    def __init__(
        self,
        sinks: Sequence[AlertSink],
        store: AlertStore,
        *,
        repeat_after: pd.Timedelta | None = REPEAT_AFTER,
    ) -> None:
        if repeat_after is not None and pd.Timedelta(repeat_after) <= pd.Timedelta(0):
            raise ConfigError(f"repeat_after must be positive or None; got {repeat_after!r}.")
        self.sinks, self.store = list(sinks), store
        self.repeat_after = None if repeat_after is None else pd.Timedelta(repeat_after)

    def dispatch(
        self,
        alerts: Sequence[Alert],
        *,
        now: pd.Timestamp | None = None,
        scope: str | None = None,
    ) -> list[Alert]:
        """Send the due ones among the currently active ``alerts``; return those sent.

        Every active key in the store that starts with ``scope`` (every key when None) and is
        absent from ``alerts`` is cleared, so it alerts again when it comes back. Pass
        ``scope=f"{model_version}:"`` when several models share one store.
        """
        now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
        sent = []
        for alert in alerts:
            if self.store.claim(alert.key, now, self.repeat_after):
                for sink in self.sinks:
                    sink.send(alert)
                sent.append(alert)
        current = {a.key for a in alerts}
        for key in self.store.active_keys():
            if key not in current and (scope is None or key.startswith(scope)):
                self.store.clear(key, now)
        return sent
