"""A lock so that two cycles of one workflow never run at once (cron, scheduler or by hand)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from alphafactory.errors import RunError

__all__ = ["cycle_lock"]


@contextlib.contextmanager
def cycle_lock(path: str | Path) -> Iterator[Path]:
    """Hold an exclusive, non-blocking lock on ``path`` for the duration of the block.

    The lock is the kernel's (``flock``), so it is released when the holder exits, crashes or
    is killed: a stale file never blocks a later cycle.

    Raises
    ------
    RunError
        When another process holds the lock (its pid is named when it wrote one).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunError(f"{path}: a cycle is already running (pid {holder}); "
                           "two cycles of one workflow never overlap") from None  # fmt: skip
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield path
    finally:
        handle.close()
