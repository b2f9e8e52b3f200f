"""A real uvicorn on an ephemeral loopback port, real WebSocket clients: subscribe, stream,
unsubscribe, slow-client eviction and a hot swap. Loops are bounded by timeouts; nothing here
asserts how long anything took."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time

import pytest

from alphafactory.serve import SLOW_CLIENT_CODE, WebSocketLimits, artifact_version, create_app

from .conftest import HISTORY, N_SYMBOLS, live_server, make_config, retrained

websockets = pytest.importorskip("websockets")
httpx = pytest.importorskip("httpx2")
TIMEOUT = 20.0


async def recv_json(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def command(ws, action: str, symbols: list[str]) -> dict:
    await ws.send(json.dumps({"action": action, "symbols": symbols}))
    return await recv_json(ws)


def test_stream_subscribe_receive_unsubscribe(artifact_dir, feed, market, tmp_path):
    app = create_app(make_config(artifact_dir, tmp_path), feed)
    version = artifact_version(artifact_dir)

    async def scenario(host: str) -> None:
        async with websockets.connect(f"ws://{host}/ws/stream") as ws:
            ack = await command(ws, "subscribe", ["S01", "S02", "ZZZ"])
            assert ack == {"seq": 1, "type": "subscribed", "symbols": ["S01", "S02"],
                           "unknown": ["ZZZ"]}  # fmt: skip
            feed.push(market.bar(0))
            got = [await recv_json(ws) for _ in range(2)]
            assert [m["seq"] for m in got] == [2, 3]
            assert {m["symbol"] for m in got} == {"S01", "S02"}
            for m in got:
                assert m["type"] == "signal" and m["version"] == version
                assert m["timestamp"] == market.stamps[HISTORY].isoformat()
                assert m["bar_received_at"] <= m["published_at"]
            ack = await command(ws, "unsubscribe", ["S01"])
            assert ack["type"] == "unsubscribed" and ack["symbols"] == ["S02"]
            feed.push(market.bar(1))
            only = await recv_json(ws)
            assert only["symbol"] == "S02" and only["seq"] == 5
            assert only["timestamp"] == market.stamps[HISTORY + 1].isoformat()
            bad = await command(ws, "dance", [])
            assert bad["type"] == "error" and "action" in bad["detail"]

    with live_server(app) as host:
        asyncio.run(scenario(host))


class RawClient:
    """A WebSocket client on a bare socket with a tiny receive buffer, so that not reading
    stalls the server's sends after a few kilobytes (a library client reads ahead)."""

    def __init__(self, host: str) -> None:
        address, port = host.split(":")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((address, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())  # fmt: skip
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = b""

    def send_json(self, doc: dict) -> None:
        payload = json.dumps(doc).encode()
        mask = os.urandom(4)
        assert len(payload) < 65536
        size = bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x81]) + size + mask + masked)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the socket")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload)."""
        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, self._read(size)

    def close(self) -> None:
        self.sock.close()


def test_slow_client_is_dropped_and_others_get_every_message(artifact_dir, feed, market, tmp_path):
    limits = WebSocketLimits(queue_size=2 * N_SYMBOLS, send_timeout=0.5)
    app = create_app(make_config(artifact_dir, tmp_path, websocket=limits), feed)
    symbols = sorted({str(s) for s in market.bars.index.get_level_values(1)})
    n_bars = 60

    async def scenario(host: str, slow: RawClient) -> None:
        async with websockets.connect(f"ws://{host}/ws/stream") as fast:
            slow.send_json({"action": "subscribe", "symbols": symbols})
            assert json.loads(slow.frame()[1])["type"] == "subscribed"
            await command(fast, "subscribe", symbols)
            seqs = []
            for k in range(n_bars):  # the slow client reads nothing from here on
                feed.push(market.bar(k))
                for _ in range(N_SYMBOLS):
                    message = await recv_json(fast)
                    assert message["timestamp"] == market.stamps[HISTORY + k].isoformat()
                    seqs.append(message["seq"])
            assert seqs == list(range(2, 2 + n_bars * N_SYMBOLS))  # in order, no gap
    with live_server(app, sndbuf=4096) as host:
        slow = RawClient(host)
        try:
            asyncio.run(scenario(host, slow))
            for _ in range(int(TIMEOUT / 0.05)):  # a blocked send times out on its own
                metrics = httpx.get(f"http://{host}/metrics").text
                if "alphafactory_ws_evicted_clients_total 1.0" in metrics:
                    break
                time.sleep(0.05)
            assert "alphafactory_ws_evicted_clients_total 1.0" in metrics
            assert "alphafactory_ws_clients 0.0" in metrics
            opcode, payload = slow.frame()
            while opcode != 0x8:  # the signals it did not read, then the close frame
                assert opcode == 0x1 and json.loads(payload)["type"] == "signal"
                opcode, payload = slow.frame()
        finally:
            slow.close()
    assert struct.unpack("!H", payload[:2])[0] == SLOW_CLIENT_CODE
    assert "slow consumer" in payload[2:].decode()


def test_hot_swap_serves_the_new_version_and_streams_it(trained, artifact_dir, feed, market,
                                                        tmp_path):  # fmt: skip
    app = create_app(make_config(artifact_dir, tmp_path, watch_seconds=0.05), feed)
    old = artifact_version(artifact_dir)

    async def scenario(host: str) -> None:
        async with websockets.connect(f"ws://{host}/ws/stream") as ws, \
                httpx.AsyncClient(base_url=f"http://{host}") as http:  # fmt: skip
            await command(ws, "subscribe", ["S01"])
            first = (await http.post("/predict", json={"symbol": "S01"})).json()
            assert first["version"] == old
            retrained(trained, seed=7).save(artifact_dir, overwrite=True)
            new = artifact_version(artifact_dir)
            assert new != old
            for _ in range(int(TIMEOUT / 0.05)):
                body = (await http.post("/predict", json={"symbol": "S01"})).json()
                assert body["version"] in (old, new)
                if body["version"] == new:
                    break
                await asyncio.sleep(0.05)
            assert body["version"] == new
            models = (await http.get("/models")).json()
            assert models["champion"]["version"] == new
            feed.push(market.bar(0))
            pushed = await recv_json(ws)
            assert pushed["version"] == new and pushed["symbol"] == "S01"

    with live_server(app) as host:
        asyncio.run(scenario(host))
