"""What a run manifest records about the code, the environment and the data.

Everything here is gathered without importing heavy libraries: versions come from the installed
distributions' metadata, the git commit from the ``git`` executable (when the package is imported
from a git work tree), and data fingerprints from content hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "TRACKED_DISTRIBUTIONS",
    "collect_environment",
    "command_line",
    "fingerprint",
    "git_state",
    "merged_manifest",
]

# Distributions whose versions change numbers; recorded in every manifest.
TRACKED_DISTRIBUTIONS: tuple[str, ...] = (
    "alphafactory",
    "numpy",
    "pandas",
    "pyarrow",
    "torch",
    "ta-lib",
    "exchange_calendars",
    "scipy",
    "plotly",
    "streamlit",
)

# Environment variables that change numerical results when set.
_REPRODUCIBILITY_ENV = (
    "PYTHONHASHSEED",
    "CUBLAS_WORKSPACE_CONFIG",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
)

_GIT_TIMEOUT_S = 5.0


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def git_state(path: str | Path | None = None) -> dict[str, Any] | None:
    """Return the git commit of the work tree holding ``path``, or None outside one.

    Parameters
    ----------
    path : str or Path, optional
        A file or directory inside the work tree; defaults to this package's source directory,
        so the commit is that of the code that ran, not of the caller's working directory.

    Returns
    -------
    dict or None
        ``{"commit": <40 hex>, "dirty": bool}`` where ``dirty`` says tracked files differ from
        the commit; None when git is missing, times out, or ``path`` is not in a work tree.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    if where.is_file():
        where = where.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False,
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = commit.stdout.strip()
    if len(sha) != 40:
        return None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"commit": sha, "dirty": dirty}


def command_line(argv: list[str] | None = None) -> dict[str, Any]:
    """Return the command that started this process.

    Returns
    -------
    dict
        ``argv`` (list), ``shell`` (the argv shell-quoted), ``executable`` (the interpreter)
        and ``cwd``.
    """
    args = [str(a) for a in (sys.argv if argv is None else argv)]
    return {
        "argv": args,
        "shell": shlex.join(args),
        "executable": sys.executable,
        "cwd": os.getcwd(),
    }


def collect_environment() -> dict[str, Any]:
    """Return the interpreter, platform and library versions of this process.

    Returns
    -------
    dict
        ``python`` (version string), ``implementation``, ``platform`` (``platform.platform()``),
        ``machine``, ``packages`` (distribution -> version, None when not installed),
        ``torch`` (threads and CUDA version, only when torch is already imported) and ``env``
        (the reproducibility-relevant environment variables that are set).
    """
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": {dist: _version(dist) for dist in TRACKED_DISTRIBUTIONS},
        "env": {k: os.environ[k] for k in _REPRODUCIBILITY_ENV if k in os.environ},
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        env["torch"] = {
            "threads": int(torch.get_num_threads()),
            "cuda": getattr(torch.version, "cuda", None),
            "cuda_available": bool(torch.cuda.is_available()),
        }
    return env


def _looks_like_bars(obj: object) -> bool:
    return (
        isinstance(obj, pd.DataFrame)
        and {"open", "high", "low", "close", "volume"} <= set(map(str, obj.columns))
        and tuple(obj.index.names) in (("timestamp",), ("timestamp", "symbol"))
    )


def fingerprint(obj: pd.DataFrame | pd.Series | np.ndarray | str | Path) -> str:
    """Return a content hash that identifies a dataset.

    Parameters
    ----------
    obj : DataFrame, Series, ndarray, or path to a file
        Bars (a frame with OHLCV columns on a ``timestamp`` or ``(timestamp, symbol)`` index)
        get :func:`alphafactory.data.fingerprint`, which is canonical across storage, so every
        job reports the same hash for the same bars. Other frames hash their index, column
        names, dtypes and values (the same data in the same layout gives the same hash across
        processes and machines); arrays hash dtype, shape and bytes; a path hashes the file's
        bytes.

    Returns
    -------
    str
        ``"sha256:<64 hex>"``.
    """
    h = hashlib.sha256()
    if isinstance(obj, (str, Path)):
        path = Path(obj)
        if not path.is_file():
            raise FileNotFoundError(f"cannot fingerprint {path}: not a file")
        h.update(b"file\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif _looks_like_bars(obj):
        from alphafactory.data.schema import fingerprint as bars_fingerprint

        return bars_fingerprint(obj)
    elif isinstance(obj, (pd.DataFrame, pd.Series)):
        h.update(b"frame\0")
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        h.update(repr([str(c) for c in frame.columns]).encode())
        h.update(repr([str(d) for d in frame.dtypes]).encode())
        h.update(repr(list(frame.index.names)).encode())
        h.update(str(frame.shape).encode())
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy()
        h.update(np.ascontiguousarray(rows).tobytes())
    elif isinstance(obj, np.ndarray):
        h.update(b"array\0")
        h.update(f"{obj.dtype.str}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    else:
        raise TypeError(
            "fingerprint expects a DataFrame, Series, ndarray or file path, "
            f"got {type(obj).__name__}"
        )
    return f"sha256:{h.hexdigest()}"


def merged_manifest(
    current: Mapping[str, Any],
    *,
    schema: int,
    data_fingerprints: Mapping[str, str] | None = None,
    n_trials: int | None = None,
    argv: list[str] | None = None,
    extra: Mapping[str, Any] | None = None,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest :meth:`alphafactory.runs.Run.write_manifest` writes: ``current`` merged
    with this call's entries and the environment, git state and command collected now."""
    manifest: dict[str, Any] = {"schema": schema}
    manifest.update({k: current[k] for k in ("name", "created_at", "seed") if k in current})
    manifest.update(base or {})
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
    return manifest
