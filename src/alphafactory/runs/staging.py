"""A run directory is complete or it is not a run: staging names, RUNNING markers, debris.

Batch jobs (``run``, ``demo``, ``train``, ``backtest``, ``execute``, factory cycles, a server's
backtest jobs) write their run under a staging name in the runs root,
``.staging-<final name>-<host hash>-<pid>-<k>``, and rename it to its final name only once
every artifact is written (:meth:`Run.publish <alphafactory.runs.Run.publish>`); a failure or
SIGTERM removes it (:meth:`Run.discard <alphafactory.runs.Run.discard>`). A SIGKILL leaves
only the staging directory, which readers never list (its name starts with a dot); the next
job that stages a run in that root sweeps it once its pid is dead on this host
(:func:`sweep`). Temporary files of :func:`~alphafactory.runs._io.atomic_write`
(``.<name>.<host hash>-<pid>.<random>``) are dotfiles too: readers ignore them, and the sweep
removes those of dead processes.

Long-running jobs (``monitor watch``) write their report into a run directory while they run;
such a directory holds a ``RUNNING`` marker (JSON: ``pid``, ``host``, ``job``, ``started_at``,
``heartbeat_at``, ``interval_s``) whose heartbeat a background thread refreshes every
``interval_s`` seconds (:class:`Heartbeat`); the marker is removed when the job ends. A run with a
marker is ``"running"`` while the heartbeat is fresh (within three intervals, and the pid alive
when it is on this host), else ``"stopped"`` (killed mid-run). Neither is a complete run:
:func:`~alphafactory.runs.list_runs` and :func:`~alphafactory.runs.latest_run` skip them unless
asked for ``incomplete=True``, and ``rerun`` refuses them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from alphafactory.errors import RunError

__all__ = [
    "MARKER",
    "STAGING_PREFIX",
    "Heartbeat",
    "RunState",
    "Terminated",
    "check_writable",
    "exit_on_sigterm",
    "file_mode",
    "fresh_directory",
    "marker_state",
    "pid_alive",
    "publish_to_fresh",
    "read_marker",
    "staging_dir",
    "sweep",
    "writable",
    "writer_tag",
]

STAGING_PREFIX = ".staging-"
MARKER = "RUNNING"
# A heartbeat older than this many intervals means the job died without removing its marker.
_MISSED_BEATS = 3

RunState = Literal["complete", "running", "stopped"]

# Debris is named after its writer, "<host hash>-<pid>", so a sweep removes only what a dead
# process of this host left (a runs root on a shared disk also holds other hosts' live jobs).
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_STAGING_RE = re.compile(r"^\.staging-.+-([0-9a-f]{8})-(\d+)-\d+$")
# atomic_write's temporary files: ".<name>.<host hash>-<pid>.<mkstemp's 8 random characters>"
_TEMP_RE = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)\.[A-Za-z0-9_]{8}$")
_counter = 0
_counter_lock = threading.Lock()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (threads share it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux: read by setting and restoring
    os.umask(mask)
    return mask


def file_mode(directory: bool = False) -> int:
    """The mode a new file (``0o666``) or directory (``0o777``) gets under the umask."""
    return (0o777 if directory else 0o666) & ~_umask()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a pid of another user's process counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def writer_tag() -> str:
    """``"<host hash>-<pid>"``: who writes a staging directory or temporary file."""
    return f"{_HOST}-{os.getpid()}"


def staging_dir(parent: Path, final_name: str) -> Path:
    """Create and return a fresh staging directory for ``parent/final_name``."""
    global _counter
    for _ in range(1000):
        with _counter_lock:
            _counter += 1
            k = _counter
        path = parent / f"{STAGING_PREFIX}{final_name}-{writer_tag()}-{k}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a staging directory for {final_name} in {parent}")


def _dead_writer(name: str, pattern: re.Pattern[str]) -> bool:
    m = pattern.match(name)
    return bool(m) and m.group(1) == _HOST and not pid_alive(int(m.group(2)))


def sweep(root: Path, *, temp_files: bool = True) -> list[Path]:
    """Remove what killed jobs left in ``root``: staging directories and, with
    ``temp_files``, atomic-write temporary files (top level and one folder down of each run)
    whose process is dead. Pass ``temp_files=False`` for a folder that is not a runs root (the
    parent of an exact ``--out`` directory), whose other folders are not runs.

    Returns the paths removed. Errors removing one (a permission) are skipped: debris is
    invisible to readers, so failing a new job over it would be worse than leaving it.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(STAGING_PREFIX):
            if entry.is_dir() and _dead_writer(entry.name, _STAGING_RE):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            continue
        if not temp_files or entry.name.startswith(".") or not entry.is_dir():
            continue
        for folder in (entry, *(p for p in _subdirs(entry))):
            for temp in _children(folder):
                if temp.is_file() and _dead_writer(temp.name, _TEMP_RE):
                    try:
                        temp.unlink(missing_ok=True)
                    except OSError:
                        continue
                    removed.append(temp)
    return removed


def _children(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.name.startswith(".")]
    except OSError:
        return []


def _subdirs(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []


# -- final names -----------------------------------------------------------------------------
def fresh_directory(base: Path, stem: str) -> Path:
    """Create ``base/stem`` (or ``stem-2``, ``stem-3`` ... when taken) and return it."""
    base.mkdir(parents=True, exist_ok=True)
    for k in range(1, 1000):
        path = base / (stem if k == 1 else f"{stem}-{k}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a fresh run directory for {stem} in {base}")


def publish_to_fresh(staged: Path, base: Path, stem: str) -> Path:
    """Rename ``staged`` to ``base/stem`` (or ``stem-2`` ... when taken) and return that."""
    for k in range(1, 1000):
        path = base / (stem if k == 1 else f"{stem}-{k}")
        if path.exists():
            continue
        try:
            os.rename(staged, path)
            return path
        except OSError as exc:  # taken between the check and the rename
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    raise FileExistsError(f"could not find a free run directory name for {stem} in {base}")


def writable(make: Any, where: Path) -> Any:
    """Run ``make()`` (a mkdir); an OSError becomes a RunError naming the directory."""
    try:
        return make()
    except FileExistsError:
        raise
    except OSError as exc:
        raise RunError(
            f"cannot create a run directory in {where}: {exc.strerror or exc}"
        ) from exc



def check_writable(directory: Path) -> None:
    """RunError when a run directory could not be created in ``directory`` (checked before a
    job's work, so a bad ``--runs-dir`` fails in a second, not after the training)."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise RunError(f"cannot create a run directory in {directory}: {probe} is not a "
                       "directory")  # fmt: skip
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunError(f"cannot create a run directory in {directory}: permission denied "
                       f"({probe} is not writable)")  # fmt: skip


# -- RUNNING markers -------------------------------------------------------------------------
def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _write_marker(run_dir: Path, doc: dict[str, Any]) -> None:
    from alphafactory.runs._io import write_json

    write_json(run_dir / MARKER, doc)


def read_marker(run_dir: Path) -> dict[str, Any] | None:
    """The ``RUNNING`` marker of ``run_dir`` ({} when unreadable), or None when it has none."""
    path = run_dir / MARKER
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a marker torn by a crash still says the job did not finish
    return doc if isinstance(doc, dict) else {}


def marker_state(run_dir: Path, now: dt.datetime | None = None) -> RunState:
    """``"complete"`` (no marker), ``"running"`` (fresh heartbeat) or ``"stopped"``."""
    doc = read_marker(run_dir)
    if doc is None:
        return "complete"
    try:
        beat = dt.datetime.fromisoformat(str(doc["heartbeat_at"]))
        interval = float(doc.get("interval_s", 30.0))
        pid = int(doc["pid"])
    except (KeyError, TypeError, ValueError):
        return "stopped"
    if beat.tzinfo is None:
        return "stopped"
    if doc.get("host") == socket.gethostname() and not pid_alive(pid):
        return "stopped"
    age = ((now or _now()) - beat).total_seconds()
    return "running" if age <= _MISSED_BEATS * interval else "stopped"


class Heartbeat:
    """Mark ``run_dir`` as running for the duration of a ``with`` block.

    Writes the ``RUNNING`` marker on entry, refreshes its ``heartbeat_at`` every ``interval_s``
    seconds from a daemon thread (so a job blocked on a slow feed still looks alive), and
    removes it on exit, also when the block raises. A killed process leaves the marker with an
    old heartbeat: readers then call the run ``"stopped"``.
    """

    def __init__(self, run_dir: str | Path, job: str, interval_s: float = 30.0) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0; got {interval_s}")
        self.run_dir = Path(run_dir)
        self.job = job
        self.interval_s = float(interval_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._doc: dict[str, Any] = {}

    def beat(self) -> None:
        """Refresh the heartbeat now."""
        self._doc["heartbeat_at"] = _now().isoformat()
        try:
            _write_marker(self.run_dir, self._doc)
        except OSError as exc:
            if exc.errno != errno.ENOENT:  # the run directory was removed under us: stop
                raise

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.beat()
            except OSError:
                return

    def __enter__(self) -> Heartbeat:
        started = _now().isoformat()
        self._doc = {"pid": os.getpid(), "host": socket.gethostname(), "job": self.job,
                     "started_at": started, "heartbeat_at": started,
                     "interval_s": self.interval_s}  # fmt: skip
        _write_marker(self.run_dir, self._doc)
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{self.job}",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        (self.run_dir / MARKER).unlink(missing_ok=True)


class Terminated(SystemExit):
    """SIGTERM arrived: unwinds the job like any exception, so staging directories are
    discarded on the way out; exits with status 143 (128 + SIGTERM)."""


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration of the block (main thread only).

    Without it SIGTERM ends the process on the spot and a batch job's staging directory stays
    behind until the next job sweeps it; with it the job's ``except BaseException`` clean-up
    runs. The previous handler is restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
