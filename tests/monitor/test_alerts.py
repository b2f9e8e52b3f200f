"""Alerts: sinks tested offline (local HTTP receiver, local SMTP server) and de-duplication."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.monitor import (
    Alert,
    AlertDispatcher,
    AlertSink,
    AlertStore,
    EmailSink,
    LogSink,
    WebhookSink,
)

T0 = pd.Timestamp("2024-01-02 21:00", tz="UTC")
ALERT = Alert(
    kind="concept_drift",
    subject="ic",
    statistic=-0.04,
    threshold=10.0,
    since=T0 - pd.Timedelta(days=20),
    model_version="lstm@3",
    severity="critical",
)


class _Recorder(AlertSink):
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> bool:
        self.sent.append(alert)
        return True


@pytest.fixture
def receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "type": self.headers["Content-Type"]})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_webhook_sink_posts_slack_text_and_structured_alert(receiver):
    url, received = receiver
    assert WebhookSink(url).send(ALERT)
    (msg,) = received
    assert msg["type"] == "application/json"
    assert "concept_drift on ic" in msg["body"]["text"] and "lstm@3" in msg["body"]["text"]
    assert msg["body"]["alert"]["since"] == "2023-12-13T21:00:00+00:00"
    assert msg["body"]["alert"]["key"] == "lstm@3:concept_drift:ic"


def test_webhook_sink_logs_and_returns_false_when_unreachable(caplog):
    port = _free_port()
    with caplog.at_level(logging.ERROR, logger="alphafactory.monitor"):
        assert WebhookSink(f"http://127.0.0.1:{port}/", timeout=2.0).send(ALERT) is False
    assert "not delivered" in caplog.text


def test_email_sink_delivers_through_local_smtp_server():
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages = []

        def handle_message(self, message) -> None:
            self.messages.append(message)

    handler = Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sink = EmailSink("127.0.0.1", port, "monitor@example.com", ["desk@example.com"])
        assert sink.send(ALERT)
    finally:
        controller.stop()
    (message,) = handler.messages
    assert message["To"] == "desk@example.com"
    assert message["Subject"] == "[alphafactory critical] concept_drift: ic"
    assert "lstm@3" in message.get_payload()


def _free_port() -> int:
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()  # nothing listens there now
    return port


def test_email_sink_failure_is_logged_not_raised(caplog):
    port = _free_port()
    with caplog.at_level(logging.ERROR, logger="alphafactory.monitor"):
        assert not EmailSink("127.0.0.1", port, "a@b.c", ["d@e.f"], timeout=2.0).send(ALERT)
    assert "not delivered" in caplog.text


def test_log_sink_logs_at_the_alert_severity(caplog):
    with caplog.at_level(logging.INFO, logger="alphafactory.monitor"):
        LogSink().send(ALERT)
    assert caplog.records[-1].levelno == logging.CRITICAL


def test_dispatcher_deduplicates_across_processes_until_cleared_or_interval(tmp_path):
    path = tmp_path / "monitor" / "alerts.sqlite"
    first, second = _Recorder(), _Recorder()
    hourly = pd.Timedelta(hours=1)
    run_a = AlertDispatcher([first], AlertStore(path), repeat_after=hourly)
    run_b = AlertDispatcher([second], AlertStore(path), repeat_after=hourly)  # another cron run
    assert run_a.dispatch([ALERT], now=T0) == [ALERT]
    assert run_b.dispatch([ALERT], now=T0 + pd.Timedelta(minutes=10)) == []  # still active
    assert run_b.dispatch([ALERT], now=T0 + pd.Timedelta(minutes=61)) == [ALERT]  # interval
    assert run_a.dispatch([], now=T0 + pd.Timedelta(minutes=70)) == []  # cleared
    assert AlertStore(path).active_keys() == []
    assert run_b.dispatch([ALERT], now=T0 + pd.Timedelta(minutes=71)) == [ALERT]  # came back
    assert len(first.sent) == 1 and len(second.sent) == 2
    table = AlertStore(path).table()
    assert table.loc[0, "sent_count"] == 3 and table.loc[0, "active"] == 1


def test_dispatcher_without_interval_repeats_only_after_clear():
    sink = _Recorder()
    dispatcher = AlertDispatcher([sink], AlertStore(":memory:"), repeat_after=None)
    for hours in range(48):
        dispatcher.dispatch([ALERT], now=T0 + pd.Timedelta(hours=hours))
    assert len(sink.sent) == 1


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: WebhookSink("ftp://x"), "http"),
        (lambda: EmailSink("h", 25, "a@b", "c@d"), "recipients"),
        (lambda: EmailSink("h", 25, "a@b", ["c@d"], username="u"), "both username"),
        (lambda: Alert(kind="k", subject="s", statistic=1.0, severity="loud"), "severity"),
        (lambda: AlertDispatcher([], AlertStore(":memory:"), repeat_after=pd.Timedelta(0)),
         "repeat_after"),
    ],
)
def test_alert_configuration_errors_name_the_setting(make, match):
    with pytest.raises(ConfigError, match=match):
        make()
