"""ASGI middleware of the app: request size limit, metrics per endpoint, no stack traces out."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from alphafactory.serve.metrics import ServerMetrics

__all__ = ["GuardMiddleware"]

log = logging.getLogger(__name__)
Scope = dict[str, Any]


class _TooLarge(Exception):
    pass


async def _send_json(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Outermost HTTP layer.

    Refuses bodies over ``max_body`` bytes with 413 (by ``Content-Length`` or while reading a
    chunked body), counts requests and times them per endpoint, and turns any unhandled error
    into ``500 {"detail": "internal error"}`` (the traceback goes to the server log only).
    """

    def __init__(self, app: Any, metrics: ServerMetrics, max_body: int) -> None:
        self.app, self.metrics, self.max_body = app, metrics, max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        length = dict(scope.get("headers") or []).get(b"content-length")
        try:
            too_long = length is not None and int(length) > self.max_body
        except ValueError:
            too_long = True
        seen = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
            await send(message)

        try:
            if too_long:
                status["code"] = 413
                await _send_json(send, 413, f"request body larger than {self.max_body} bytes")
                return
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            status["code"] = 413
            if not status["sent"]:
                await _send_json(send, 413, f"request body larger than {self.max_body} bytes")
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            status["code"] = 500
            if not status["sent"]:
                await _send_json(send, 500, "internal error")
        finally:
            endpoint = scope.get("endpoint")
            name = getattr(endpoint, "__name__", "unmatched")
            self.metrics.requests.labels(name, scope.get("method", ""), str(status["code"])).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)
