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

from alphafactory.runs._io import atomic_write, read_json, write_json
from alphafactory.runs.manifest import collect_environment, command_line, git_state
from alphafactory.runs.toml_io import read_toml, to_toml_value, write_toml

__all__ = [
    "MANIFEST_SCHEMA",
    "RUNS_ROOT_ENV",
    "TABLES",
    "Run",
    "latest_run",
    "list_runs",
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


def _fresh_directory(base: Path, stem: str) -> Path:
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


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """Handle on one run directory; see ``alphafactory.runs`` for what it holds.

    Create one with :meth:`Run.create` (a new directory) or :meth:`Run.open` (an existing one).
    """

    path: Path

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

        Returns
        -------
        Run
            The new run. Two runs created in the same second with the same name get distinct
            directories (a ``-2``, ``-3`` ... suffix).
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
        if path is not None:
            target = Path(path)
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise FileExistsError(
                    f"run directory {target} already exists and is not empty; choose a new path"
                )
            target.mkdir(parents=True, exist_ok=True)
        else:
            target = _fresh_directory(runs_root(root), f"{created.strftime(_STAMP_FORMAT)}-{name}")
        run = cls(target)
        write_toml(target / "config.toml", doc)
        run.write_manifest(
            _base={"name": name, "created_at": created.isoformat(), "seed": int(seed)}
        )
        return run

    @classmethod
    def open(cls, path: str | Path) -> Run:
        """Open an existing run directory (one holding ``manifest.json`` or ``config.toml``)."""
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"run directory {path} does not exist")
        if not ((path / "manifest.json").is_file() or (path / "config.toml").is_file()):
            raise ValueError(
                f"{path} is not a run directory: it has neither manifest.json nor config.toml"
            )
        return cls(path)

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
            return pd.Timestamp(manifest["created_at"]).tz_convert("UTC")
        m = _STAMP_RE.match(self.path.name)
        if m:
            return pd.Timestamp(dt.datetime.strptime(m.group(1), _STAMP_FORMAT), tz="UTC")
        return None

    # -- config, manifest, metrics ------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        """The parsed ``config.toml`` (empty dict when absent)."""
        path = self.path / "config.toml"
        return read_toml(path) if path.is_file() else {}

    @property
    def manifest(self) -> dict[str, Any] | None:
        """The parsed ``manifest.json`` or None."""
        return read_json(self.path / "manifest.json")

    @property
    def metrics(self) -> dict[str, Any] | None:
        """The parsed ``metrics.json`` or None."""
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
        current = self.manifest or {}
        manifest: dict[str, Any] = {"schema": MANIFEST_SCHEMA}
        manifest.update({k: current[k] for k in ("name", "created_at", "seed") if k in current})
        manifest.update(_base or {})
        fingerprints = dict(current.get("data_fingerprints") or {})
        fingerprints.update(data_fingerprints or {})
        manifest["data_fingerprints"] = fingerprints
        manifest["n_trials"] = n_trials if n_trials is not None else current.get("n_trials")
        manifest["updated_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
        if argv is not None or "command" not in current:
            manifest["command"] = command_line(argv)
        else:
            manifest["command"] = current["command"]
        manifest["git"] = git_state()
        manifest.update(collect_environment())
        owned = set(manifest)
        for k, v in current.items():
            if k not in owned:
                manifest[k] = v
        for k, v in (extra or {}).items():
            if k in owned:
                raise ValueError(f"manifest key {k!r} is written by write_manifest itself")
            manifest[k] = v
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
        """Read table ``name``, or None when the run does not have it."""
        path = self.table_path(name)
        if not path.is_file():
            return None
        return pd.read_parquet(path, engine="pyarrow")

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


def list_runs(root: str | Path | None = None) -> list[Run]:
    """Return the runs under ``root``, oldest first.

    Parameters
    ----------
    root : str or Path, optional
        Runs root; ``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted. A missing root has no runs.

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
        if p.is_dir() and ((p / "manifest.json").is_file() or (p / "config.toml").is_file())
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
    """Return the newest run under ``root``, or None when there is none."""
    runs = list_runs(root)
    return runs[-1] if runs else None
