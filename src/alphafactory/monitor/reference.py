"""Reading the reference statistics a model artifact carries (``reference.json``, schema 1).

They are computed at training time by :mod:`alphafactory.models.reference`; this module turns the
JSON document into arrays the drift monitors use, and checks the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alphafactory.errors import ModelError
from alphafactory.models.artifact import REFERENCE_FILE, ModelArtifact
from alphafactory.models.reference import SCHEMA

__all__ = ["ColumnReference", "Reference", "load_reference"]


def _floats(values: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


@dataclass(frozen=True, kw_only=True, slots=True)
class ColumnReference:
    """Reference sketch, bins and null calibration of a set of columns (features or the score)."""

    names: tuple[str, ...]
    quantiles: np.ndarray  # [F, 101]
    edges: tuple[np.ndarray, ...]
    proportions: tuple[np.ndarray, ...]
    mean: np.ndarray
    std: np.ndarray
    nan_rate: np.ndarray
    ks_q99: np.ndarray
    psi_q99: np.ndarray
    ks_neff_per_bar: np.ndarray
    psi_neff_per_bar: np.ndarray

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> ColumnReference:
        """Build from the ``features`` or ``scores`` block of the document."""
        cal = block["calibration"]
        return cls(
            names=tuple(block["names"]),
            quantiles=np.array([_floats(q) for q in block["quantiles"]]).reshape(
                len(block["names"]), -1
            ),
            edges=tuple(_floats(e) for e in block["edges"]),
            proportions=tuple(_floats(p) for p in block["proportions"]),
            mean=_floats(block["mean"]),
            std=_floats(block["std"]),
            nan_rate=_floats(block["nan_rate"]),
            ks_q99=_floats(cal["ks_q99"]),
            psi_q99=_floats(cal["psi_q99"]),
            ks_neff_per_bar=_floats(cal["ks_neff_per_bar"]),
            psi_neff_per_bar=_floats(cal["psi_neff_per_bar"]),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    """A model's reference statistics.

    Attributes
    ----------
    features : ColumnReference
    scores : ColumnReference or None
    performance : mapping or None
        ``ic_mean, ic_std, rank_ic_mean, rank_ic_std, hit_rate_mean, hit_rate_std, n, horizon``.
    window : int
        Bars of the monitoring window the calibration was made for.
    start, end : str or None
        The reference window (ISO times).
    """

    features: ColumnReference
    scores: ColumnReference | None
    performance: Mapping[str, Any] | None
    window: int
    start: str | None
    end: str | None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Reference:
        """Parse a ``reference.json`` document; raise ModelError on a foreign schema."""
        schema = doc.get("schema")
        if schema != SCHEMA:
            raise ModelError(f"reference statistics have schema {schema!r}; this reads {SCHEMA}.")
        try:
            return cls(
                features=ColumnReference.from_block(doc["features"]),
                scores=None
                if doc.get("scores") is None
                else ColumnReference.from_block(doc["scores"]),
                performance=doc.get("performance"),
                window=int(doc["window"]),
                start=doc.get("start"),
                end=doc.get("end"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"corrupt reference statistics ({exc!r}).") from exc


def load_reference(source: ModelArtifact | Mapping[str, Any] | str | Path) -> Reference:
    """Reference statistics of an artifact, an artifact directory, a JSON file or a document.

    Raises
    ------
    ModelError
        When the source carries no reference statistics (the model was saved without them).
    """
    if isinstance(source, ModelArtifact):
        doc = source.reference
        if doc is None:
            raise ModelError(
                f"this {source.model} artifact carries no reference statistics; attach them with "
                "alphafactory.models.reference.attach_reference before saving."
            )
        return Reference.from_document(doc)
    if isinstance(source, Mapping):
        return Reference.from_document(source)
    path = Path(source)
    file = path / REFERENCE_FILE if path.is_dir() else path
    if not file.is_file():
        raise ModelError(f"{file}: no reference statistics (the model was saved without them).")
    try:
        return Reference.from_document(json.loads(file.read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{file}: not readable JSON ({exc}).") from exc
