"""Crash safety: the bot killed with SIGKILL at random points of a replayed session and
restarted ends with no duplicate order, no lost fill, and the positions of an uninterrupted run;
the kill switch cancels and halts."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from alphafactory.execution import BarVenue, OrderStatus
from alphafactory.live import PaperBroker, TradingStore
from alphafactory.live.config import TradingConfig
from alphafactory.live.manager import _order
from alphafactory.live.session import open_session, request_stop, run_session

TRADING_FILE = """
[bot]
name = "crash"
data = "sample"
history = 30
bars = {bars}
rebalance = 1

[model]
momentum = 5

[portfolio]
rule = "topk"
params = {{ k = 2, long_only = true }}

[costs]
bps = 5.0
commission_per_share = 0.005
commission_min = 1.0
"""


def write_file(tmp_path: Path, bars: int) -> Path:
    path = tmp_path / "crash.toml"
    path.write_text(TRADING_FILE.format(bars=bars))
    return path


def reference(path: Path, tmp_path: Path) -> dict:
    session = open_session(TradingConfig.read(path), store_url=f"sqlite:///{tmp_path}/ref.db")
    return run_session(session)


def check_books(url: str, path: Path, expected: dict) -> dict:
    config = TradingConfig.read(path)
    session = open_session(config, store_url=url)
    store, venue = session.store, session.bot.venue
    assert isinstance(venue, PaperBroker) and isinstance(venue.venue, BarVenue)
    orders = store.orders("crash")
    # zero duplicate orders: one order per decision and symbol, each sent to the venue once
    assert not orders.duplicated(["decision_ts", "symbol", "leg"]).any()
    ledger = venue.venue._ledger.orders
    assert sorted(ledger) == sorted(orders["client_order_id"])
    # zero lost fills: the store holds every venue fill, once, in sequence
    fills = store.fills("crash")
    assert fills["sequence"].tolist() == [f.sequence for f in venue.fills()]
    assert fills["client_order_id"].tolist() == [f.client_order_id for f in venue.fills()]
    assert set(orders["status"]) <= {"filled"}
    got = {s: p.quantity for s, p in venue.positions().items()}
    assert got.keys() == expected["positions"].keys()
    for s, q in expected["positions"].items():
        assert got[s] == pytest.approx(q, rel=1e-12)
    assert venue.account().equity == pytest.approx(expected["equity"], rel=1e-12)
    return {"orders": len(orders), "fills": len(fills)}


def decided(url: str) -> int:
    """Decisions in the store, read without creating anything (the child owns the schema)."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            return db.execute("SELECT count(*) FROM decisions WHERE bot = 'crash'").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0


def kill_and_restart(path: Path, url: str, kills: int, seed: int, *, speed: float = 0.0,
                     startup_every: int = 5) -> int:
    """Run ``trade run`` in a child, SIGKILL it at random points and restart it until ``kills``
    kills were made (or a run ends by itself), then let it finish; the number of kills.

    Most kills land mid-session: after the child wrote a new decision, a random 0 to 0.25 s
    later (anywhere in the next decisions: between writing a decision and sending its orders,
    mid-send, mid-collect). Every ``startup_every``-th kill lands at a random time in the first
    3 s instead (imports, reconciliation, the paper broker's journal replay)."""
    rng = random.Random(seed)
    cmd = [sys.executable, "-m", "alphafactory", "trade", "run", str(path), "--paper",
           "--store", url, "--speed", str(speed)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    killed, log = 0, path.parent / "child.log"
    db = Path(url.removeprefix("sqlite:///"))
    while True:
        before = decided(url)
        with log.open("wb") as err:
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        if killed < kills:
            early = (killed + 1) % startup_every == 0
            deadline = time.monotonic() + (rng.uniform(0.3, 3.0) if early else 300.0)
            while child.poll() is None and time.monotonic() < deadline and (
                    early or not db.exists() or decided(url) == before):
                time.sleep(0.02)
            if child.poll() is None:
                if not early:
                    time.sleep(rng.uniform(0.0, 0.25))
                child.send_signal(signal.SIGKILL)
                child.wait()
                killed += 1
                continue
        child.wait(timeout=600)
        assert child.returncode == 0, log.read_text()[-2000:]
        return killed


@pytest.mark.parametrize("kills,least,bars,speed", [
    pytest.param(3, 1, 40, 0.0, id="3-kills"),
    # paced at 0.05 s a bar (a daily bar is 6.5 h at --speed) so the session outlasts 100 kills
    pytest.param(100, 100, 400, 6.5 * 3600 / 0.05, id="100-kills",
                 marks=[pytest.mark.soak, pytest.mark.timeout(3600)])])
def test_bot_killed_and_restarted_equals_uninterrupted_run(tmp_path, kills, least, bars, speed):
    path = write_file(tmp_path, bars=bars)
    expected = reference(path, tmp_path)
    url = f"sqlite:///{tmp_path}/killed.db"
    killed = kill_and_restart(path, url, kills, seed=kills, speed=speed)
    counts = check_books(url, path, expected)
    print(f"\n{killed} kills: {counts['orders']} orders, {counts['fills']} fills, "
          "0 duplicates, 0 lost")
    assert least <= killed <= kills


def test_restart_resends_a_planned_decision_idempotently(tmp_path):
    path = write_file(tmp_path, bars=10)
    expected = reference(path, tmp_path)
    url = f"sqlite:///{tmp_path}/planned.db"
    session = open_session(TradingConfig.read(path), store_url=url)
    bot = session.bot
    bot.start()
    sent = bot.orders.send_planned
    calls = []

    def crash_after_first(ts):  # the decision is stored; one order goes out, then "crash"
        orders = session.store.orders("crash", decision_ts=ts)
        first = orders.iloc[0]
        calls.append(first.client_order_id)
        session.store.transition("crash", first.client_order_id, OrderStatus.SUBMITTED, ts)
        bot.venue.submit(_order(first))
        raise KeyboardInterrupt

    bot.orders.send_planned = crash_after_first
    with pytest.raises(KeyboardInterrupt):
        bot.step()
    bot.orders.send_planned = sent
    session.store.close()
    restarted = open_session(TradingConfig.read(path), store_url=url)
    summary = run_session(restarted)
    assert calls and summary["positions"].keys() == expected["positions"].keys()
    for s, q in expected["positions"].items():
        assert summary["positions"][s] == pytest.approx(q, rel=1e-12)
    check_books(url, path, expected)


def test_kill_switch_cancels_open_orders_and_halts(tmp_path):
    path = write_file(tmp_path, bars=10)
    url = f"sqlite:///{tmp_path}/stop.db"
    store = TradingStore(url)
    request_stop(store, "crash")
    summary = run_session(open_session(TradingConfig.read(path), store_url=url))
    assert summary["halted"] and summary["bars"] == 0
    assert np.isclose(summary["equity"], 1e6)
