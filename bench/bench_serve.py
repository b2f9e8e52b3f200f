"""Signal server benchmark: a real ``alphafactory serve`` (uvicorn on 127.0.0.1), load from
another process.

Run alone: ``.venv/bin/python bench/bench_serve.py [--quick]``. Traffic goes to loopback only and
every phase is bounded (seconds or bars). The model is the default LSTM of ``bench_scoring``
(9 features, lookback 20, a short fit: latency does not depend on the weights) on a synthetic
panel written to Parquet and replayed by the server (``--feed replay``).

1. ``POST /predict`` of one symbol out of 500, latest scores warm (the replay is paused):
   throughput and p50/p99 at 1, 16 and 64 connections, by ``wrk`` when installed (else an
   asyncio httpx client), against ``GET /health`` under the same load (the framework's floor).
2. New bar -> scored -> pushed: a WebSocket client subscribed to every symbol measures, for each
   of 200 replayed bars, the time from the bar's arrival to the last of its signals received,
   for 50 and 500 symbols; the reference is ``score()`` alone on the same tail in this process
   (the part of the latency that scoring takes).
3. Fan-out: 500 WebSocket subscribers, one symbol each, every message checked in order (seq
   without gaps, timestamps increasing); delivery p50/p99 (signal published -> received) without
   and with one stalled subscriber that subscribes to everything and never reads; the stalled
   one must be dropped (close code 4008) and the others' p99 stay put.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SLOW_CLIENT_CODE = 4008


# -- the load generator (runs in its own process: bench_serve.py --client ...) ----------------
async def predict_load(url: str, path: str, body: str | None, connections: int,
                       seconds: float) -> dict:  # fmt: skip
    import httpx2 as httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                if body is None:
                    response = await client.get(path)
                else:
                    response = await client.post(path, content=body,
                                                 headers={"content-type": "application/json"})
                latencies.append(time.perf_counter() - start)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1e3
    return {"rps": len(ms) / elapsed, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "errors": errors}  # fmt: skip


async def stream_latency(url: str, symbols: list[str], n_bars: int, timeout: float) -> dict:
    """Per bar: arrival -> last signal received, and arrival -> published (scored)."""
    import websockets

    bars: dict[str, dict] = {}
    complete: list[dict] = []
    async with websockets.connect(url, max_size=None, max_queue=None) as ws:
        await ws.send(json.dumps({"action": "subscribe", "symbols": symbols}))
        deadline = time.monotonic() + timeout
        while len(complete) < n_bars and time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            now = time.time()
            if message.get("type") != "signal":
                continue
            bar = bars.setdefault(message["timestamp"], {"n": 0,
                                                         "arrived": message["bar_received_at"],
                                                         "published": message["published_at"]})
            bar["n"] += 1
            if bar["n"] == len(symbols):
                bar["pushed"] = now
                complete.append(bars.pop(message["timestamp"]))
    pushed = np.array([(b["pushed"] - b["arrived"]) * 1e3 for b in complete])
    scored = np.array([(b["published"] - b["arrived"]) * 1e3 for b in complete])
    return {"bars": len(complete), "p50": float(np.percentile(pushed, 50)),
            "p99": float(np.percentile(pushed, 99)), "scored_p50": float(np.median(scored))}


def raw_stalled_client(host: str, port: int, symbols: list[str]) -> socket.socket:
    """A WebSocket handshake on a bare socket with a tiny receive buffer; then it never reads."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())  # fmt: skip
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    payload = json.dumps({"action": "subscribe", "symbols": symbols}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + mask + masked)
    return sock


def close_code_of(sock: socket.socket, timeout: float) -> int | None:
    """Read everything the server sent; the close frame's code (None if none came)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(1 << 20):
            data += chunk
    except (TimeoutError, ConnectionError):
        pass
    pos = 0  # the handshake response was read by raw_stalled_client
    while pos + 2 <= len(data):
        opcode, size = data[pos] & 0x0F, data[pos + 1] & 0x7F
        pos += 2
        if size == 126:
            size, pos = int.from_bytes(data[pos:pos + 2], "big"), pos + 2
        elif size == 127:
            size, pos = int.from_bytes(data[pos:pos + 8], "big"), pos + 8
        if opcode == 0x8:
            return int.from_bytes(data[pos:pos + 2], "big")
        pos += size
    return None


async def fan_out(url: str, symbols: list[str], subscribers: int, n_bars: int, stall: bool,
                  timeout: float) -> dict:  # fmt: skip
    import websockets

    host, port = url.split("//")[1].split("/")[0].split(":")
    stalled = raw_stalled_client(host, int(port), symbols) if stall else None
    latencies: list[float] = []
    problems: list[str] = []

    async def subscriber(i: int, ready: asyncio.Event) -> None:
        async with websockets.connect(url, max_queue=None) as ws:
            mine = [symbols[i % len(symbols)]]
            await ws.send(json.dumps({"action": "subscribe", "symbols": mine}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            last_seq, last_time, got = ack["seq"], "", 0
            await ready.wait()
            while got < n_bars:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
                latencies.append((time.time() - message["published_at"]) * 1e3)
                if message["seq"] != last_seq + 1 or message["timestamp"] <= last_time:
                    problems.append(f"subscriber {i}: seq {message['seq']} after {last_seq}")
                last_seq, last_time, got = message["seq"], message["timestamp"], got + 1

    ready = asyncio.Event()
    tasks = [asyncio.create_task(subscriber(i, ready)) for i in range(subscribers)]
    await asyncio.sleep(0)
    ready.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout * 4)
    ms = np.asarray(latencies)
    code = close_code_of(stalled, 15.0) if stalled is not None else None
    return {"messages": len(ms), "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "problems": problems[:5],
            "n_problems": len(problems), "stalled_close_code": code}  # fmt: skip


def client_main(args: argparse.Namespace) -> None:
    spec = json.loads(args.client)
    kind = spec.pop("kind")
    fn = {"predict": predict_load, "stream": stream_latency, "fanout": fan_out}[kind]
    print(json.dumps(asyncio.run(fn(**spec))))


# -- the orchestrator -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(artifact: Path, bars: Path, rate: float, replay: int, tmp: Path):
    port = free_port()
    log = open(tmp / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "alphafactory", "serve", "--artifact", str(artifact), "--bars",
         str(bars), "--replay-rate", str(rate), "--replay-bars", str(replay), "--port", str(port),
         "--cache", "off", "--rate-limit", "0", "--watch-seconds", "0", "--runs-dir",
         str(tmp / "runs")], stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {log.name}") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_client(spec: dict, timeout: float = 600) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__)), "--client", json.dumps(spec)],
                         capture_output=True, text=True, timeout=timeout)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wrk(port: int, path: str, body: str | None, connections: int, seconds: float,
        tmp: Path) -> dict:  # fmt: skip
    script = tmp / "post.lua"
    script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f"wrk.body = {json.dumps(body)}\n" if body else "")  # fmt: skip
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                          "-s", str(script), f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=seconds + 60).stdout  # fmt: skip

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50"),
            "p99": ms("99"), "errors": int(errors.group(1)) if errors else 0}  # fmt: skip


def load(port: int, path: str, body: str | None, connections: int, seconds: float,
         tmp: Path) -> dict:  # fmt: skip
    if shutil.which("wrk"):
        return wrk(port, path, body, connections, seconds, tmp)
    return run_client({"kind": "predict", "url": f"http://127.0.0.1:{port}", "path": path,
                       "body": body, "connections": connections, "seconds": seconds})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases (a smoke run)")
    parser.add_argument("--part", type=int, choices=(1, 2, 3), action="append",
                        help="run only these parts (repeatable; default all)")
    parser.add_argument("--client", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        client_main(args)
        return
    sys.path.insert(0, str(HERE))
    from bench_scoring import default_lstm_artifact

    from alphafactory.data import synthetic_market, write_parquet

    seconds = 2.0 if args.quick else 5.0
    n_push = 40 if args.quick else 200
    n_fan = 20 if args.quick else 80
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    artifact = default_lstm_artifact()
    model = artifact.save(tmp / "model")
    warm = artifact.warmup_bars
    print(f"default LSTM, warmup {warm} bars; wrk: {'yes' if shutil.which('wrk') else 'no'}; "
          f"{os.cpu_count()} cores shared by the server and the load generator")
    panels = {}
    for n in (50, 500):
        market = synthetic_market(n, warm + n_push + 60, seed=3, alpha_ic=0.05).bars
        write_parquet(market, tmp / f"bars{n}.parquet")
        panels[n] = (tmp / f"bars{n}.parquet", market,
                     sorted({str(s) for s in market.index.get_level_values(1)}))

    parts = set(args.part or (1, 2, 3))
    try:
        if 1 in parts:
            predict_table(model, panels[500], seconds, n_push, tmp)
        if 2 in parts:
            push_table(artifact, model, panels, n_push, 10 if args.quick else 30, tmp)
        if 3 in parts:
            fan_out_table(model, panels[50], n_fan, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def predict_table(model: Path, panel: tuple, seconds: float, n_push: int, tmp: Path) -> None:
    print("\n1. POST /predict, one symbol of 500, scores warm")
    print(f"{'connections':>12}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'/health req/s':>15}"
          f"{'p99 ms':>9}{'ratio':>7}{'errors':>8}")  # fmt: skip
    body = json.dumps({"symbol": panel[2][123]})
    with server(model, panel[0], 1e-4, n_push, tmp) as port:
        for c in (1, 16, 64):
            p = load(port, "/predict", body, c, seconds, tmp)
            h = load(port, "/health", None, c, seconds, tmp)
            print(f"{c:>12}{p['rps']:>10.0f}{p['p50']:>9.2f}{p['p99']:>9.2f}{h['rps']:>15.0f}"
                  f"{h['p99']:>9.2f}{p['rps'] / h['rps']:>7.2f}{p['errors']:>8}")  # fmt: skip
    print("ratio: /predict req/s over /health req/s at the same load")


def push_table(artifact, model: Path, panels: dict, n_push: int, repeats: int,
               tmp: Path) -> None:  # fmt: skip
    from alphafactory.models import score

    warm = artifact.warmup_bars
    print(f"\n2. new bar -> scored -> pushed, {n_push} bars, every symbol subscribed")
    print(f"{'symbols':>8}{'p50 ms':>9}{'p99 ms':>9}{'scored p50':>12}{'score() p50':>13}"
          f"{'ratio':>7}")  # fmt: skip
    for n, rate in ((50, 5.0), (500, 2.0)):
        path, market, symbols = panels[n]
        stamps = market.index.get_level_values(0).unique()
        tail = market[market.index.get_level_values(0) >= stamps[-warm]]
        ref = []
        for _ in range(repeats):
            started = time.perf_counter()
            score(artifact, tail)
            ref.append((time.perf_counter() - started) * 1e3)
        with server(model, path, rate, n_push + 30, tmp) as port:
            r = run_client({"kind": "stream", "url": f"ws://127.0.0.1:{port}/ws/stream",
                            "symbols": symbols, "n_bars": n_push, "timeout": 120.0})  # fmt: skip
        ref50 = float(np.median(ref))
        print(f"{n:>8}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['scored_p50']:>12.1f}{ref50:>13.1f}"
              f"{r['p50'] / ref50:>7.2f}   ({r['bars']} bars at {rate:g}/s)")  # fmt: skip

    print("scored: bar arrival -> signals published; ratio: p50 over score() p50 in-process")


def fan_out_table(model: Path, panel: tuple, n_fan: int, tmp: Path) -> None:
    print(f"\n3. fan-out to 500 subscribers (one symbol each of 50), {n_fan} bars at 5/s")
    print(f"{'':>22}{'messages':>10}{'p50 ms':>9}{'p99 ms':>9}{'gaps':>6}  stalled client")
    results = {}
    for stall in (False, True):
        with server(model, panel[0], 5.0, n_fan + 40, tmp) as port:
            r = run_client({"kind": "fanout", "url": f"ws://127.0.0.1:{port}/ws/stream",
                            "symbols": panel[2], "subscribers": 500, "n_bars": n_fan,
                            "stall": stall, "timeout": 60.0})  # fmt: skip
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        evicted = re.search(r"^alphafactory_ws_evicted_clients_total (\S+)", metrics, re.M)
        results[stall] = r
        label = "with one stalled" if stall else "no stalled client"
        fate = (f"dropped by the hub: {int(float(evicted.group(1)))}, close code seen: "
                f"{r['stalled_close_code']}") if stall else "-"  # fmt: skip
        print(f"{label:>22}{r['messages']:>10}{r['p50']:>9.1f}{r['p99']:>9.1f}"
              f"{r['n_problems']:>6}  {fate}")  # fmt: skip
    print(f"ratio p99 with / without the stalled client: "
          f"{results[True]['p99'] / results[False]['p99']:.2f} (close 4008: dropped by the hub; "
          "1011: uvicorn's keepalive ping timed out first, the 4008 frame still queued behind "
          "the data the client never read)")


if __name__ == "__main__":
    main()
