"""Find runs: every complete run directory under a runs root, newest last."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alphafactory.runs.run import Run, runs_root
from alphafactory.runs.staging import marker_state

__all__ = ["latest_run", "list_runs"]


def list_runs(root: str | Path | None = None, *, incomplete: bool = False) -> list[Run]:
    """Return the runs under ``root``, oldest first.

    Parameters
    ----------
    root : str or Path, optional
        Runs root; ``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted. A missing root has no runs.
    incomplete : bool
        Also return runs whose job is still running or was stopped mid-run (a ``RUNNING``
        marker; see :attr:`Run.state`). Staging directories and other dot-names are never
        runs.

    Returns
    -------
    list of Run
        Every direct subdirectory holding ``manifest.json`` or ``config.toml``, ordered by
        creation time, then directory name.
    """
    base = runs_root(root)
    if not base.is_dir():
        return []
    runs = [
        Run(p) for p in base.iterdir()
        if not p.name.startswith(".") and p.is_dir()
        and ((p / "manifest.json").is_file() or (p / "config.toml").is_file())
        and (incomplete or marker_state(p) == "complete")
    ]
    epoch = pd.Timestamp(0, tz="UTC")

    def key(run: Run) -> tuple[pd.Timestamp, str]:
        try:
            created = run.created_at
        except ValueError:  # an unreadable manifest sorts first rather than hiding the run
            created = None
        return (created if created is not None else epoch, run.path.name)

    return sorted(runs, key=key)


def latest_run(root: str | Path | None = None) -> Run | None:
    """Return the newest complete run under ``root``, or None when there is none.

    Runs still running or stopped mid-run and staging directories are skipped (see
    :func:`list_runs`), so a killed job never shows up as the newest run.
    """
    runs = list_runs(root)
    return runs[-1] if runs else None
