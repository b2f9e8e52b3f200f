"""The JSON sidecar of a signal file: what it must hold, and that it still describes its file.

``<file name>.meta.json`` is written by :func:`~alphafactory.signals.export_signals`. On load,
a sidecar that is empty, binary, not a JSON object, of another schema version, or with a
malformed field is a :class:`SignalFileError` naming the sidecar, the field and what it holds.
With ``verify`` (the default) the file must still be the one the sidecar describes: same
SHA-256, same number of rows, same models, same columns. A sidecar without ``sha256`` (written
by hand, or by a tool that never recorded one) is read with a :class:`SignalSidecarWarning`:
its rows and models are still checked, but an edit that keeps them cannot be detected.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.signals.schema import SignalFileError

SCHEMA_VERSION = 1
FORMATS = ("csv", "parquet")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class SignalSidecarWarning(UserWarning):
    """A signal sidecar lacks a checksum, so edits to its file cannot all be detected."""


def sidecar_path(path: str | Path) -> Path:
    """Return the sidecar path of a signal file: ``<name>.meta.json`` next to it."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def sha256(path: Path) -> str:
    """Hex SHA-256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sidecar(path: Path, *, require: bool, verify: bool) -> dict[str, Any] | None:
    """Read and check the sidecar of signal file ``path`` (None when absent and not required).

    With ``verify`` the file's SHA-256 must match the recorded one (missing: a warning).
    """
    side = sidecar_path(path)
    if not side.exists():
        if require:
            raise SignalFileError(
                f"{path}: no sidecar {side.name}; export with export_signals(...) or pass "
                "require_sidecar=False (CLI: --no-sidecar) for a file made elsewhere"
            )
        return None
    meta = _parse(side)
    _check_fields(meta, side)
    if verify:
        if "sha256" not in meta:
            warnings.warn(
                f"{side}: no sha256 field; {path.name} cannot be checked for edits made since "
                "export (re-export it to record one)",
                SignalSidecarWarning, stacklevel=3,
            )  # fmt: skip
        elif meta["sha256"] != sha256(path):
            raise SignalFileError(
                f"{path}: changed after export: its SHA-256 differs from the one in {side.name}; "
                "re-export it, or pass verify_checksum=False to read it anyway"
            )
    return meta


def _parse(side: Path) -> dict[str, Any]:
    if not side.is_file():
        raise SignalFileError(f"{side}: the sidecar is not a file")
    data = side.read_bytes()
    if not data.strip():
        raise SignalFileError(f"{side}: the sidecar is empty; expected a JSON object")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignalFileError(
            f"{side}: the sidecar is not UTF-8 text (byte {exc.start}: {data[exc.start]:#04x}); "
            "expected a JSON object"
        ) from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SignalFileError(
            f"{side}: the sidecar is not valid JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno})"
        ) from None
    if not isinstance(meta, dict):
        raise SignalFileError(
            f"{side}: the sidecar must hold a JSON object, got a {type(meta).__name__}"
        )
    return meta


def _field_error(side: Path, name: str, rule: str, value: Any) -> SignalFileError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return SignalFileError(f"{side}: field {name!r} must be {rule}, got {shown}")


def _check_fields(meta: dict[str, Any], side: Path) -> None:
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise SignalFileError(
            f"{side}: schema_version {version!r} is not supported; this version reads "
            f"{SCHEMA_VERSION}"
        )
    if meta.get("format") not in FORMATS:
        raise _field_error(side, "format", "'csv' or 'parquet'", meta.get("format"))
    rows = meta.get("rows")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise _field_error(side, "rows", "an integer >= 1", rows)
    models = meta.get("models")
    if not (isinstance(models, list) and models
            and all(isinstance(m, str) and m.strip() for m in models)):  # fmt: skip
        raise _field_error(side, "models", "a non-empty list of model names", models)
    columns = meta.get("columns")
    if columns is not None and not (
        isinstance(columns, list) and all(isinstance(c, str) for c in columns)
    ):
        raise _field_error(side, "columns", "a list of column names", columns)
    if "sha256" in meta and not (
        isinstance(meta["sha256"], str) and _SHA256.fullmatch(meta["sha256"])
    ):
        raise _field_error(side, "sha256", "64 lowercase hex digits", meta["sha256"])


def check_matches(frame: pd.DataFrame, meta: dict[str, Any], path: Path) -> None:
    """Raise when the loaded ``frame`` has other rows, models or columns than ``meta`` says."""
    side = sidecar_path(path).name
    if meta["rows"] != len(frame):
        raise SignalFileError(
            f"{path}: {side} records rows={meta['rows']}, the file holds {len(frame)}; the "
            "sidecar describes another file (re-export it)"
        )
    models = sorted(frame["model"].unique().tolist())
    if sorted(meta["models"]) != models:
        raise SignalFileError(
            f"{path}: {side} records models {sorted(meta['models'])[:5]}, the file holds "
            f"{models[:5]}; the sidecar describes another file (re-export it)"
        )
    columns = meta.get("columns")
    if columns is not None and sorted(columns) != sorted(map(str, frame.columns)):
        raise SignalFileError(
            f"{path}: {side} records columns {columns}, the file holds "
            f"{list(map(str, frame.columns))}; the sidecar describes another file (re-export it)"
        )
