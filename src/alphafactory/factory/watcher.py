"""Follow a registry alias: when ``champion`` (or ``challenger``) moves, fetch the new version.

:class:`ChampionWatcher` polls :meth:`Registry.alias_version` every ``every`` seconds in a daemon
thread; when the alias points at a version it has not delivered, it downloads it
(:meth:`Registry.download`, cached by version) and calls ``on_new(path, version)`` in that
thread. A failure (registry unreachable, download or ``on_new`` raising) is logged and the same
version is tried again at the next poll; the thread outlives every error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from alphafactory.factory.registry import Registry

__all__ = ["ChampionWatcher"]

log = logging.getLogger("alphafactory.factory")


class ChampionWatcher:
    """Poll one alias of one workflow and hand each new version to ``on_new``.

    Parameters
    ----------
    registry : Registry
    workflow : str
    alias : str
        The alias followed (default ``champion``).
    on_new : callable
        ``on_new(path, version)``: the downloaded artifact directory and its version string.
    every : float
        Seconds between polls.
    current : str, optional
        The version already in use (not delivered again).
    """

    def __init__(self, registry: Registry, workflow: str, *, alias: str = "champion",
                 on_new: Callable[[Path, str], None], every: float = 5.0,
                 current: str | None = None) -> None:  # fmt: skip
        self.registry, self.workflow, self.alias, self.every = registry, workflow, alias, every
        self.current = current
        self._on_new = on_new
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> str | None:
        """Poll once; deliver and return the new version, or None when nothing changed."""
        version = self.registry.alias_version(self.workflow, self.alias)
        if version is None or version == self.current:
            return None
        path = self.registry.download(self.workflow, version)
        self._on_new(path, version)
        self.current = version
        return version

    def start(self) -> ChampionWatcher:
        """Poll in a daemon thread until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"watch-{self.workflow}-{self.alias}")
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the polling thread (waits for a poll in progress, at most 5 s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad version or outage
                log.exception("watching %s of %s failed once; retrying in %.0f s",
                              self.alias, self.workflow, self.every)  # fmt: skip
