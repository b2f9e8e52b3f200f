"""Atomic file writes and strict JSON for run directories."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import RunError

__all__ = ["atomic_write", "json_safe", "read_json", "read_parquet_file", "write_json"]


def json_safe(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths, timestamps and non-finite floats for strict JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [json_safe(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through a temporary file in the same directory, then rename over ``path``.

    The temporary file is a dotfile named ``.<name>.<host hash>-<pid>.<random>``: readers skip
    dotfiles, and :func:`alphafactory.runs.staging.sweep` removes those a killed process left.
    The file gets the mode the umask gives a new file (``mkstemp`` creates 0600, which would
    make run files private while the rest of the directory is not).
    """
    from alphafactory.runs.staging import file_mode, writer_tag

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{writer_tag()}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    text = json.dumps(json_safe(obj), indent=2, sort_keys=False, allow_nan=False) + "\n"
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def read_json(path: Path) -> dict[str, Any] | None:
    """Read a JSON object, None when the file is absent; RunError naming the file when it is
    not UTF-8 JSON holding an object (a truncated write, a hand edit)."""
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RunError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise RunError(f"{path}: not valid JSON (truncated or edited?): {exc}") from exc
    except RecursionError as exc:
        raise RunError(f"{path}: JSON nested too deeply to read") from exc
    except OSError as exc:
        raise RunError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if not isinstance(doc, dict):
        raise RunError(f"{path}: expected a JSON object, got a {type(doc).__name__}")
    return doc


def read_parquet_file(path: Path) -> pd.DataFrame:
    """Read a run's Parquet file; RunError naming it when it is not a readable table."""
    import pyarrow as pa

    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, pa.ArrowException) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise RunError(f"{path}: not a readable Parquet table (truncated or overwritten?): "
                       f"{detail[:200]}") from exc  # fmt: skip
