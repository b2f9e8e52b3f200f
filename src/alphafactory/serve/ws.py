"""``/ws/stream``: subscribe and unsubscribe to symbols, signals pushed on each new bar.

Client messages: ``{"action": "subscribe" | "unsubscribe", "symbols": [...]}``. Server messages
(each with ``seq``, 1, 2, ... per connection; a gap means messages were dropped):
``{"type": "subscribed" | "unsubscribed", "symbols": [...current...], "unknown": [...]}``,
``{"type": "signal", "symbol", "score", "rank", "action", "confidence", "timestamp", "model",
"version", "bar_received_at", "published_at"}`` and ``{"type": "error", "detail"}``.
Credentials as for REST (headers), or ``?token=KEY_OR_JWT`` for clients that cannot set headers;
refused connections are closed with 1008. A client that cannot keep up is closed with 4008.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket, WebSocketDisconnect

from alphafactory.serve.auth import Authenticator, AuthError, RateLimiter

if TYPE_CHECKING:
    from alphafactory.serve.service import SignalService

__all__ = ["stream_endpoint"]

POLICY_VIOLATION = 1008
MAX_MESSAGE = 256 * 1024


def _parse(text: str) -> tuple[str, list[str]]:
    """The action and symbols of a client message; ValueError says what is wrong."""
    if len(text) > MAX_MESSAGE:
        raise ValueError(f"message longer than {MAX_MESSAGE} characters")
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("message is not JSON") from None
    if not isinstance(doc, dict):
        raise ValueError("message must be a JSON object")
    action = doc.get("action")
    if action not in ("subscribe", "unsubscribe"):
        raise ValueError("field 'action' must be 'subscribe' or 'unsubscribe'")
    symbols = doc.get("symbols")
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise ValueError("field 'symbols' must be a list of strings")
    return action, symbols


async def stream_endpoint(ws: WebSocket, service: SignalService, auth: Authenticator,
                          limiter: RateLimiter) -> None:  # fmt: skip
    client = ws.client.host if ws.client else "unknown"
    try:
        principal = auth.authenticate(ws.headers, client, token=ws.query_params.get("token"))
    except AuthError as exc:
        await ws.close(code=POLICY_VIOLATION, reason=str(exc))
        return
    await ws.accept()
    sub = service.hub.connect(ws)
    try:
        while True:
            text = await ws.receive_text()
            if limiter.take(principal.name) > 0:
                sub.reply({"type": "error", "detail": "rate limit exceeded"})
                continue
            try:
                action, symbols = _parse(text)
            except ValueError as exc:
                sub.reply({"type": "error", "detail": str(exc)})
                continue
            known = service.book.symbols if service.book is not None else frozenset()
            unknown = [s for s in symbols if s not in known]
            wanted = [s for s in symbols if s in known]
            if action == "subscribe":
                service.hub.subscribe(sub, wanted)
            else:
                service.hub.unsubscribe(sub, wanted)
            sub.reply({"type": f"{action}d", "symbols": sorted(sub.symbols), "unknown": unknown})
    except WebSocketDisconnect:
        pass
    except RuntimeError:  # receive after the hub closed a slow client
        pass
    finally:
        await sub.stop()
