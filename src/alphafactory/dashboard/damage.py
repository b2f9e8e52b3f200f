"""Show what a damaged run still holds: a run view whose readers never raise.

A killed job or a full disk can leave a truncated ``metrics.json``, an invalid manifest or a
truncated Parquet file. The library raises :class:`~alphafactory.errors.RunError` naming the
file; the dashboard must still draw everything else. :class:`ShownRun` reads through the same
:class:`~alphafactory.runs.Run` methods, turns a ``RunError`` into "absent", and records the
file and the problem in ``damaged`` (and calls ``on_damage`` once per file) so a page can name it
in one line. No Streamlit here, so it is tested directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.errors import RunError
from alphafactory.runs import Run

__all__ = ["ShownRun", "shown"]


@dataclasses.dataclass(frozen=True, slots=True)
class ShownRun(Run):
    """A :class:`Run` whose manifest, metrics, config and tables read as absent when damaged.

    Attributes
    ----------
    damaged : dict
        File name (relative to the run) -> the problem, for every damaged file read so far.
    on_damage : callable, optional
        Called with ``(file, problem)`` the first time a file is found damaged.
    """

    damaged: dict[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    on_damage: Callable[[str, str], None] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    def _tolerate(self, file: str, read: Callable[[], Any], default: Any) -> Any:
        try:
            return read()
        except RunError as exc:
            self.note_damage(file, str(exc))
            return default

    def note_damage(self, file: str, problem: str) -> None:
        """Record that ``file`` is damaged (and tell ``on_damage`` the first time)."""
        problem = " ".join(problem.split())
        if file not in self.damaged:
            self.damaged[file] = problem
            if self.on_damage is not None:
                self.on_damage(file, problem)

    @property
    def manifest(self) -> dict[str, Any] | None:
        return self._tolerate("manifest.json", lambda: Run.manifest.fget(self), None)

    @property
    def metrics(self) -> dict[str, Any] | None:
        return self._tolerate("metrics.json", lambda: Run.metrics.fget(self), None)

    @property
    def config(self) -> dict[str, Any]:
        return self._tolerate("config.toml", lambda: Run.config.fget(self), {})

    @property
    def created_at(self) -> pd.Timestamp | None:
        return self._tolerate("manifest.json", lambda: Run.created_at.fget(self), None)

    def read_table(self, name: str) -> pd.DataFrame | None:
        return self._tolerate(f"{name.removesuffix('.parquet')}.parquet",
                              lambda: Run.read_table(self, name), None)  # fmt: skip

    @property
    def state_label(self) -> str:
        """``""`` for a complete run, else ``"running"`` / ``"stopped mid-run"``."""
        state = self.state
        return "" if state == "complete" else ("running" if state == "running"
                                               else "stopped mid-run")


def shown(run: Run | str | Path, on_damage: Callable[[str, str], None] | None = None) -> ShownRun:
    """The damage-tolerant view of ``run`` (a :class:`Run` or its directory)."""
    path = run.path if isinstance(run, Run) else Path(run)
    return ShownRun(path, on_damage=on_damage)
