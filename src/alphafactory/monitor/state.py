"""Alert state in a small SQLite file, so separate (cron-style) monitor runs de-duplicate alerts.

One row per alert key: whether the condition is active, when it was first seen, when it was
last sent, when it cleared, how many times it was sent. :meth:`AlertStore.claim` decides and
records a send in one ``BEGIN IMMEDIATE`` transaction, so two processes racing on the same key
send it once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

__all__ = ["AlertStore"]

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_state (
    key TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_sent TEXT,
    cleared_at TEXT,
    sent_count INTEGER NOT NULL DEFAULT 0
)
"""


class AlertStore:
    """De-duplication state of alerts, kept in the SQLite file ``path`` (created when missing).

    Parameters
    ----------
    path : str or Path
        The database file (``":memory:"`` keeps it in this object only).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._memory = sqlite3.connect(":memory:") if self.path == ":memory:" else None
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _run(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                out = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return out
        finally:
            if self._memory is None:
                conn.close()

    def claim(self, key: str, now: pd.Timestamp, repeat_after: pd.Timedelta | None) -> bool:
        """Mark ``key`` active at ``now`` and return whether its alert should be sent now.

        Sent when the key is new, has cleared since its last send, or was last sent at least
        ``repeat_after`` ago (None: never repeats while active). A True answer records the send.
        """
        stamp = pd.Timestamp(now).isoformat()

        def step(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT active, last_sent FROM alert_state WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO alert_state (key, active, first_seen, last_sent, sent_count) "
                    "VALUES (?, 1, ?, ?, 1)",
                    (key, stamp, stamp),
                )
                return True
            active, last_sent = row
            due = (
                not active
                or last_sent is None
                or (
                    repeat_after is not None
                    and pd.Timestamp(now) - pd.Timestamp(last_sent) >= repeat_after
                )
            )
            if due:
                first = "first_seen" if active else "?"
                conn.execute(
                    f"UPDATE alert_state SET active = 1, last_sent = ?, cleared_at = NULL, "
                    f"sent_count = sent_count + 1, first_seen = {first} WHERE key = ?",
                    (stamp, key) if active else (stamp, stamp, key),
                )
            return bool(due)

        return self._run(step)

    def clear(self, key: str, now: pd.Timestamp) -> bool:
        """Mark ``key``'s condition cleared; return whether it was active."""
        stamp = pd.Timestamp(now).isoformat()

        def step(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE alert_state SET active = 0, cleared_at = ? WHERE key = ? AND active = 1",
                (stamp, key),
            )
            return cur.rowcount > 0

        return self._run(step)

    def active_keys(self) -> list[str]:
        """Keys whose condition is active, sorted."""
        return self._run(
            lambda c: [
                r[0] for r in c.execute("SELECT key FROM alert_state WHERE active = 1 ORDER BY key")
            ]
        )

    def table(self) -> pd.DataFrame:
        """The whole state, one row per key (for reports and the dashboard)."""
        return self._run(lambda c: pd.read_sql_query("SELECT * FROM alert_state ORDER BY key", c))
