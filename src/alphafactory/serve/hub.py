"""WebSocket fan-out: per-client bounded queues, one writer task each, slow clients dropped.

A published message is serialized once per symbol; each subscriber of that symbol gets it with
its own sequence number (``seq`` counts every message meant for the client, so a message dropped
for a full queue shows as a gap). Publishing never waits on a client: it only puts into queues.
A client whose queue stays full for ``send_timeout`` seconds, or one of whose sends blocks that
long, is closed with code 4008 and a reason, and the others are not delayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from alphafactory.serve.config import WebSocketLimits

__all__ = ["SLOW_CLIENT_CODE", "Hub", "Subscriber"]

log = logging.getLogger(__name__)
SLOW_CLIENT_CODE = 4008


class Socket(Protocol):
    """What the hub needs of a WebSocket (Starlette's has it)."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class HubMetrics(Protocol):
    def client_count(self, n: int) -> None: ...

    def dropped(self, n: int) -> None: ...

    def evicted(self) -> None: ...


class Subscriber:
    """One connected client: its subscriptions, queue, sequence counter and writer task."""

    def __init__(self, ws: Socket, limits: WebSocketLimits, hub: Hub) -> None:
        self.ws, self.limits, self.hub = ws, limits, hub
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limits.queue_size)
        self.symbols: set[str] = set()
        self.seq = 0
        self.dropped = 0
        self.full_since: float | None = None
        self.closed = False
        self.close_reason: str | None = None
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def offer(self, body: str) -> bool:
        """Queue a message (``body`` is a JSON object without ``seq``); False when dropped."""
        if self.closed:
            return False
        self.seq += 1
        text = f'{{"seq":{self.seq},{body[1:]}' if len(body) > 2 else f'{{"seq":{self.seq}}}'
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped += 1
            self.hub.metrics.dropped(1)
            now = time.monotonic()
            if self.full_since is None:
                self.full_since = now
            elif now - self.full_since >= self.limits.send_timeout:
                self.evict(f"slow consumer: queue full for {self.limits.send_timeout:g}s")
            return False
        self.full_since = None
        return True

    def reply(self, message: Mapping[str, Any]) -> None:
        """Queue a control message (acknowledgement, error) through the same writer."""
        self.offer(json.dumps(dict(message), separators=(",", ":")))

    async def _write(self) -> None:
        while True:
            text = await self.queue.get()
            try:
                await asyncio.wait_for(self.ws.send_text(text), self.limits.send_timeout)
            except asyncio.TimeoutError:
                self.evict(f"slow consumer: a send blocked for {self.limits.send_timeout:g}s")
                return
            except Exception:  # the connection went away; the endpoint's reader cleans up
                self.hub.remove(self)
                return

    def evict(self, reason: str) -> None:
        """Drop the client: stop its writer, close with 4008 and ``reason``."""
        if self.closed:
            return
        self.closed, self.close_reason = True, reason
        self.hub.remove(self)
        self.hub.metrics.evicted()
        log.info("websocket client dropped: %s", reason)
        current = asyncio.current_task()
        if self.writer is not current:
            self.writer.cancel()
        asyncio.get_running_loop().create_task(self._close(reason))

    async def _close(self, reason: str) -> None:
        # The close frame waits behind what the client has not read: it arrives when the client
        # reads again, or the server's ping timeout ends the connection first.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=SLOW_CLIENT_CODE, reason=reason), 120.0)

    async def stop(self) -> None:
        """The client left: stop the writer."""
        self.closed = True
        self.hub.remove(self)
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.writer


class Hub:
    """Subscribers by symbol; :meth:`publish` puts each symbol's message into their queues."""

    def __init__(self, limits: WebSocketLimits, metrics: HubMetrics) -> None:
        self.limits, self.metrics = limits, metrics
        self.subscribers: set[Subscriber] = set()
        self.by_symbol: dict[str, set[Subscriber]] = {}

    def connect(self, ws: Socket) -> Subscriber:
        sub = Subscriber(ws, self.limits, self)
        self.subscribers.add(sub)
        self.metrics.client_count(len(self.subscribers))
        return sub

    def remove(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            for symbol in sub.symbols:
                group = self.by_symbol.get(symbol)
                if group is not None:
                    group.discard(sub)
                    if not group:
                        del self.by_symbol[symbol]
            self.metrics.client_count(len(self.subscribers))

    def subscribe(self, sub: Subscriber, symbols: Iterable[str]) -> list[str]:
        """Add subscriptions (up to the limit); return the symbols added."""
        added = []
        for symbol in symbols:
            if symbol in sub.symbols:
                continue
            if len(sub.symbols) >= self.limits.max_symbols:
                break
            sub.symbols.add(symbol)
            self.by_symbol.setdefault(symbol, set()).add(sub)
            added.append(symbol)
        return added

    def unsubscribe(self, sub: Subscriber, symbols: Iterable[str]) -> list[str]:
        removed = []
        for symbol in symbols:
            if symbol in sub.symbols:
                sub.symbols.discard(symbol)
                group = self.by_symbol.get(symbol, set())
                group.discard(sub)
                if not group:
                    self.by_symbol.pop(symbol, None)
                removed.append(symbol)
        return removed

    def publish(self, bodies: Mapping[str, str]) -> int:
        """Queue each symbol's message (a JSON object text) for its subscribers; return how
        many were queued."""
        queued = 0
        for symbol, body in bodies.items():
            for sub in tuple(self.by_symbol.get(symbol, ())):
                queued += sub.offer(body)
        return queued

    async def close_all(self) -> None:
        for sub in tuple(self.subscribers):
            await sub.stop()
