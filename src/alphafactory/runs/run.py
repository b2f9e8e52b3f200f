"""A run directory: create one, write its artifacts, find and read runs.

See the package docstring (``alphafactory.runs``) for the directory contract.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import RunError
from alphafactory.runs._io import atomic_write, read_json, read_parquet_file, write_json
from alphafactory.runs.manifest import merged_manifest
from alphafactory.runs.staging import (
    STAGING_PREFIX,
    RunState,
    check_writable,
    fresh_directory,
    marker_state,
    publish_to_fresh,
    staging_dir,
    sweep,
    writable,
)
from alphafactory.runs.toml_io import read_toml, to_toml_value, write_toml

__all__ = [
    "MANIFEST_SCHEMA",
    "RUNS_ROOT_ENV",
    "TABLES",
    "Run",
    "RunNotFoundError",
    "check_run_target",
    "runs_root",
]

MANIFEST_SCHEMA = 1

# The tables of the contract, by name (file ``<name>.parquet`` in the run directory).
TABLES: tuple[str, ...] = (
    "predictions",
    "equity",
    "trades",
    "folds",
    "training_curves",
    "robustness",
    "validation",
    "execution/fills",
    "execution/book",
    "execution/shortfall",
    "execution/cost_attribution",
)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_TABLE_RE = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)?$")
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP_RE = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")
RUNS_ROOT_ENV = "ALPHAFACTORY_RUNS"


def runs_root(root: str | Path | None = None) -> Path:
    """Return the runs root: ``root`` if given, else ``$ALPHAFACTORY_RUNS``, else ``./runs``."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get(RUNS_ROOT_ENV) or "runs")


def check_run_target(root: str | Path | None = None, path: str | Path | None = None) -> None:
    """Raise RunError, before any work, when a run could not be written to ``path`` (an exact
    directory) or under ``root`` (the runs root); the message names the directory."""
    check_writable(Path(path).parent if path is not None else runs_root(root))


class RunNotFoundError(RunError, FileNotFoundError):
    """A run directory that does not exist (a ``FileNotFoundError`` too, as it was before)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """Handle on one run directory; see ``alphafactory.runs`` for what it holds.

    Create one with :meth:`Run.create` (a new directory) or :meth:`Run.open` (an existing one).
    """

    path: Path
    # Where publish() renames a staged run to: (parent, name, exact); None when not staged.
    _publish: tuple[Path, str, bool] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    # -- creating and opening ---------------------------------------------------------------
    @classmethod
    def create(
        cls,
        name: str,
        config: Mapping[str, Any] | Any,
        seed: int,
        root: str | Path | None = None,
        *,
        now: dt.datetime | None = None,
        path: str | Path | None = None,
        staged: bool = False,
    ) -> Run:
        """Create ``<root>/<utc-time>-<name>/`` with ``config.toml`` and a first ``manifest.json``.

        Parameters
        ----------
        name : str
            Job name: letters, digits, ``_ . -``, at most 80 characters.
        config : Mapping or dataclass instance
            The job's full configuration, written to ``config.toml`` (no ``None`` values).
        seed : int
            The seed the job uses; recorded in the manifest.
        root : str or Path, optional
            Runs root; ``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted. Created if missing.
        now : datetime, optional
            Creation time (UTC); the current time when omitted.
        path : str or Path, optional
            An exact directory to use instead of ``<root>/<utc-time>-<name>`` (e.g. a CLI's
            ``--out``); it must not exist yet or be empty. ``root`` is ignored then.
        staged : bool
            Write under a staging name (``.staging-<final name>-<pid>-<k>`` next to the final
            directory, invisible to readers) until :meth:`publish` renames it; a batch job
            calls :meth:`discard` when it fails. Staging first sweeps what killed jobs left
            in that directory (see :mod:`alphafactory.runs.staging`).

        Returns
        -------
        Run
            The new run. Two runs created in the same second with the same name get distinct
            directories (a ``-2``, ``-3`` ... suffix).

        Raises
        ------
        RunError
            When the directory cannot be created (the message names it and the OS error).
        """
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ValueError(
                f"run name must be 1-80 characters of letters, digits, '_', '.', '-' starting "
                f"with a letter or digit; got {name!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        doc = to_toml_value(config)  # a config TOML cannot hold fails before any directory
        if not isinstance(doc, dict):
            raise TypeError(f"config must be a mapping or dataclass, got {type(config).__name__}")
        created = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        stem = f"{created.strftime(_STAMP_FORMAT)}-{name}"
        if path is not None:
            target = Path(path)
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise FileExistsError(
                    f"run directory {target} already exists and is not empty; choose a new path"
                )
            parent, final, exact = target.parent, target.name, True
        else:
            parent, final, exact = runs_root(root), stem, False
        if staged:
            writable(lambda: parent.mkdir(parents=True, exist_ok=True), parent)
            sweep(parent, temp_files=not exact)
            target = writable(lambda: staging_dir(parent, final), parent)
            run = cls(target, (parent, final, exact))
        else:
            if exact:
                writable(lambda: target.mkdir(parents=True, exist_ok=True), target)
            else:
                target = writable(lambda: fresh_directory(parent, stem), parent)
            run = cls(target)
        try:
            write_toml(target / "config.toml", doc)
            run.write_manifest(
                _base={"name": name, "created_at": created.isoformat(), "seed": int(seed)}
            )
        except BaseException:
            if staged:
                run.discard()
            raise
        return run

    @property
    def staged(self) -> bool:
        """Whether this run is still under its staging name (see :meth:`publish`)."""
        return self._publish is not None

    def publish(self) -> Run:
        """Rename a staged run to its final name and return the run there (self if not staged).

        The rename is atomic: readers see the complete directory or nothing.
        """
        if self._publish is None:
            return self
        parent, final, exact = self._publish
        if exact:
            try:
                os.rename(self.path, parent / final)  # onto a missing or empty directory
            except OSError as exc:
                raise RunError(
                    f"cannot publish the run to {parent / final}: {exc.strerror or exc} "
                    f"(it stays complete in {self.path})"
                ) from exc
            return Run(parent / final)
        return Run(publish_to_fresh(self.path, parent, final))

    def discard(self) -> None:
        """Remove this run's directory (a failed job's staging directory)."""
        shutil.rmtree(self.path, ignore_errors=True)

    @classmethod
    def open(cls, path: str | Path) -> Run:
        """Open an existing run directory (one holding ``manifest.json`` or ``config.toml``).

        Raises
        ------
        RunError
            When ``path`` is missing, not a directory, or holds neither file. A run that is
            still running or was stopped mid-run opens (see :attr:`state`).
        """
        path = Path(path)
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            raise RunNotFoundError(f"run directory {path} {what}")
        if path.name.startswith(STAGING_PREFIX):
            raise RunError(
                f"{path} is not a run directory: it is a job's staging directory (the job is "
                "still writing it, or was killed before it finished)"
            )
        if not ((path / "manifest.json").is_file() or (path / "config.toml").is_file()):
            raise RunError(
                f"{path} is not a run directory: it has neither manifest.json nor config.toml"
            )
        return cls(path)

    @property
    def state(self) -> RunState:
        """``"complete"``, ``"running"`` (a live job's ``RUNNING`` marker) or ``"stopped"``
        (a marker whose heartbeat stopped: the job was killed mid-run)."""
        return marker_state(self.path)

    # -- identity -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The job name (from the manifest, else from the directory name)."""
        manifest = self.manifest
        if manifest and manifest.get("name"):
            return str(manifest["name"])
        m = _STAMP_RE.match(self.path.name)
        return m.group(2) if m else self.path.name

    @property
    def created_at(self) -> pd.Timestamp | None:
        """Creation time (UTC) from the manifest, else from the directory name, else None."""
        manifest = self.manifest
        if manifest and manifest.get("created_at"):
            try:
                stamp = pd.Timestamp(manifest["created_at"])
            except (TypeError, ValueError) as exc:
                raise RunError(f"{self.path / 'manifest.json'}: created_at is not a time: "
                               f"{manifest['created_at']!r}") from exc  # fmt: skip
            if stamp is pd.NaT or stamp.tzinfo is None:
                raise RunError(f"{self.path / 'manifest.json'}: created_at "
                               f"{manifest['created_at']!r} is not an ISO time with an offset")
            return stamp.tz_convert("UTC")
        m = _STAMP_RE.match(self.path.name)
        if m:
            return pd.Timestamp(dt.datetime.strptime(m.group(1), _STAMP_FORMAT), tz="UTC")
        return None

    # -- config, manifest, metrics ------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        """The parsed ``config.toml`` (empty dict when absent); RunError when damaged."""
        path = self.path / "config.toml"
        if not path.is_file():
            return {}
        try:
            return read_toml(path)
        except (OSError, ValueError) as exc:
            raise RunError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from exc

    @property
    def manifest(self) -> dict[str, Any] | None:
        """The parsed ``manifest.json`` or None; RunError naming the file when damaged."""
        return read_json(self.path / "manifest.json")

    @property
    def metrics(self) -> dict[str, Any] | None:
        """The parsed ``metrics.json`` or None; RunError naming the file when damaged."""
        return read_json(self.path / "metrics.json")

    def write_manifest(
        self,
        *,
        data_fingerprints: Mapping[str, str] | None = None,
        n_trials: int | None = None,
        argv: list[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        _base: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write ``manifest.json``, merging with what an earlier call wrote.

        The environment (versions, python, platform), the git state of the package and the
        command line are collected here, on every call.

        Parameters
        ----------
        data_fingerprints : Mapping[str, str], optional
            Dataset name -> fingerprint (see :func:`alphafactory.runs.fingerprint`); merged
            with earlier ones.
        n_trials : int, optional
            Number of configurations tried (the deflated Sharpe ratio's trial count).
        argv : list of str, optional
            The command line; when omitted, the one recorded earlier, else ``sys.argv``.
        extra : Mapping, optional
            Further job-specific entries (e.g. ``{"data": {"source": "bundled", ...}}``),
            merged at the top level; they may not overwrite the keys this method owns.
        """
        manifest = merged_manifest(self.manifest or {}, schema=MANIFEST_SCHEMA,
                                   data_fingerprints=data_fingerprints, n_trials=n_trials,
                                   argv=argv, extra=extra, base=_base)  # fmt: skip
        path = self.path / "manifest.json"
        write_json(path, manifest)
        return path

    def write_metrics(self, metrics: Mapping[str, Any]) -> Path:
        """Write ``metrics.json`` (replacing it); NaN and infinities become ``null``."""
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics must be a mapping, got {type(metrics).__name__}")
        path = self.path / "metrics.json"
        write_json(path, metrics)
        return path

    # -- tables and files ---------------------------------------------------------------------
    def table_path(self, name: str) -> Path:
        """Path of table ``name`` (``"equity"``, ``"execution/fills"``, ...) in this run."""
        name = name.removesuffix(".parquet")
        if not _TABLE_RE.match(name):
            raise ValueError(
                f"table name must be lowercase words joined by '_', optionally under one folder "
                f"('execution/fills'); got {name!r}"
            )
        return self.path / f"{name}.parquet"

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """Write a DataFrame to ``<name>.parquet`` (index included), atomically.

        Readers never see a half-written file: the table is written next to its destination
        and renamed over it.
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"write_table expects a DataFrame, got {type(df).__name__}")
        path = self.table_path(name)
        atomic_write(path, lambda p: df.to_parquet(p, engine="pyarrow"))
        return path

    def read_table(self, name: str) -> pd.DataFrame | None:
        """Read table ``name``, or None when the run does not have it.

        Raises
        ------
        RunError
            When the file is not a readable Parquet table (truncated, overwritten); the
            message names the file.
        """
        path = self.table_path(name)
        if not path.is_file():
            return None
        return read_parquet_file(path)

    def has_table(self, name: str) -> bool:
        """Whether the run holds table ``name``."""
        return self.table_path(name).is_file()

    def copy_file(self, src: str | Path, name: str | None = None) -> Path:
        """Copy a file (e.g. the exported ``signals.csv``) into the run; returns the copy."""
        src = Path(src)
        if not src.is_file():
            raise FileNotFoundError(f"cannot copy {src} into run {self.path.name}: not a file")
        dest = self.path / (name or src.name)
        if not dest.resolve().is_relative_to(self.path.resolve()):
            raise ValueError(f"destination {name!r} lies outside the run directory")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return dest

    @property
    def figures_dir(self) -> Path:
        """The ``figures/`` folder (created on first access)."""
        path = self.path / "figures"
        path.mkdir(exist_ok=True)
        return path

    def figures(self) -> list[Path]:
        """Image and HTML files in ``figures/``, sorted by name."""
        folder = self.path / "figures"
        if not folder.is_dir():
            return []
        kinds = {".png", ".jpg", ".jpeg", ".svg", ".html"}
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in kinds)
