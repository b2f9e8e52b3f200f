"""The hub on fake sockets: sequence numbers, drops on a full queue, eviction after the timeout."""

from __future__ import annotations

import asyncio
import json

from alphafactory.serve import SLOW_CLIENT_CODE, WebSocketLimits
from alphafactory.serve.hub import Hub
from alphafactory.serve.metrics import ServerMetrics


class FakeSocket:
    def __init__(self, stalled: bool = False) -> None:
        self.sent: list[dict] = []
        self.closed: tuple[int, str] | None = None
        self.stalled = stalled

    async def send_text(self, data: str) -> None:
        if self.stalled:
            await asyncio.Event().wait()  # never returns: a client that does not read
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason or "")


def test_publish_numbers_messages_drops_when_full_and_evicts_a_stalled_client():
    async def scenario():
        metrics = ServerMetrics()
        hub = Hub(WebSocketLimits(queue_size=2, send_timeout=0.2), metrics)
        good, bad = FakeSocket(), FakeSocket(stalled=True)
        fast, slow = hub.connect(good), hub.connect(bad)
        hub.subscribe(fast, ["A", "B"])
        hub.subscribe(slow, ["A", "B"])
        for k in range(3):
            hub.publish({"A": json.dumps({"k": k, "s": "A"}), "B": json.dumps({"k": k, "s": "B"})})
            await asyncio.sleep(0.01)  # the fast writer drains its queue between bars
        assert [m["seq"] for m in good.sent] == [1, 2, 3, 4, 5, 6]
        assert [(m["k"], m["s"]) for m in good.sent][:2] == [(0, "A"), (0, "B")]
        assert slow.dropped > 0 and slow.seq == 6  # numbers kept counting: the client sees gaps
        for _ in range(100):
            if bad.closed:
                break
            await asyncio.sleep(0.02)
        assert bad.closed is not None and bad.closed[0] == SLOW_CLIENT_CODE
        assert "slow consumer" in bad.closed[1]
        assert slow not in hub.subscribers and fast in hub.subscribers
        assert hub.by_symbol["A"] == {fast}
        hub.unsubscribe(fast, ["A"])
        assert "A" not in hub.by_symbol
        await hub.close_all()
        text = metrics.render().decode()
        assert "alphafactory_ws_evicted_clients_total 1.0" in text
        assert "alphafactory_ws_clients 0.0" in text

    asyncio.run(scenario())


def test_subscriptions_stop_at_the_limit():
    async def scenario():
        hub = Hub(WebSocketLimits(max_symbols=2), ServerMetrics())
        sub = hub.connect(FakeSocket())
        assert hub.subscribe(sub, ["A", "B", "C"]) == ["A", "B"]
        assert hub.subscribe(sub, ["A"]) == []
        await hub.close_all()

    asyncio.run(scenario())
