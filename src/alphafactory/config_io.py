"""Helpers shared by the TOML-backed configs (frozen dataclasses): unknown keys raise."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from alphafactory.errors import ConfigError


def check_keys(doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Raise ``ConfigError`` (a ``ValueError``) naming ``where`` for keys outside ``allowed``."""
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise ConfigError(f"Unknown key(s) {unknown} in {where}; valid keys are {sorted(allowed)}.")


def from_section(cls: type, doc: Mapping[str, Any], where: str) -> Any:
    """Build dataclass ``cls`` from a TOML section (an instance passes through unchanged)."""
    if isinstance(doc, cls):
        return doc
    check_keys(doc, {f.name for f in dataclasses.fields(cls)}, where)
    return cls(**doc)


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    """Return ``d`` without its ``None`` values (TOML has no null)."""
    return {k: v for k, v in d.items() if v is not None}
