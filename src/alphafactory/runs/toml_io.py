"""TOML reading and writing for run configs.

Reading uses the standard library's ``tomllib`` (``tomli`` on Python 3.10); writing uses
``tomli-w``. TOML has no null, so a ``None`` anywhere in a config is an error that names the key
rather than a value silently dropped or invented.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from alphafactory.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = ["read_toml", "to_toml_value", "write_toml"]


def to_toml_value(value: Any, key: str = "") -> Any:
    """Convert a config value to the types TOML can hold.

    Dataclass instances become tables, tuples and numpy arrays become arrays, numpy scalars
    become Python scalars, paths and enums become strings.

    Parameters
    ----------
    value : Any
        The value to convert.
    key : str
        Dotted key of ``value`` inside the document, used in error messages.

    Returns
    -------
    Any
        A value made of ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and
        ``datetime`` objects only.

    Raises
    ------
    TypeError
        If a value is ``None`` (TOML has no null) or of a type TOML cannot represent.
    """
    where = f"key {key!r}" if key else "the document"
    if value is None:
        raise TypeError(
            f"TOML has no null: {where} is None; give it a value or leave the key out"
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"TOML keys are strings; got {k!r} ({type(k).__name__}) in {where}")
            out[k] = to_toml_value(v, f"{key}.{k}" if key else k)
        return out
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_toml_value(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, enum.Enum):
        value = value.value if isinstance(value.value, (str, int, float)) else value.name
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return value  # TOML spells it nan
    if isinstance(value, (str, bool, int, float, dt.datetime, dt.date, dt.time)):
        return value
    raise TypeError(
        f"cannot write {where} to TOML: expected a str, number, bool, datetime, list, mapping "
        f"or dataclass, got {type(value).__name__}"
    )


def write_toml(path: str | Path, data: Mapping[str, Any] | Any) -> Path:
    """Write a mapping (or a dataclass instance) to a TOML file.

    Parameters
    ----------
    path : str or Path
        Destination file; its parent directory must exist.
    data : Mapping or dataclass instance
        The document. Nested mappings become tables.

    Returns
    -------
    Path
        The path written.
    """
    doc = to_toml_value(data)
    if not isinstance(doc, dict):
        raise TypeError(f"a TOML document is a mapping, got {type(data).__name__}")
    from alphafactory.runs._io import atomic_write

    path = Path(path)
    text = tomli_w.dumps(doc)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict.

    Raises
    ------
    ConfigError
        If the file is not UTF-8 TOML; the message names the file (a ``ValueError``).
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
