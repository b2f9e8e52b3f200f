"""The ``[selection]`` table of workflow and experiment files: a static filter, fitted steps.

::

    [selection]
    exclude = ["obv"]                    # dropped before any data is seen
    exclude_families = ["candlestick"]
    steps = [                            # fitted per fold on the training rows only
      {step = "cs_zscore"},
      {step = "ic_screen", k = 40},
      {step = "cluster", threshold = 0.8},
    ]

``steps`` name entries of :data:`~alphafactory.models.selection.SELECTION_STEPS`; every other
key of a step is one of its arguments (unknown names and keys raise). Left out, a config that
trains on every registered feature gets :data:`~alphafactory.models.selection.DEFAULT_SELECTION`
and any other none; ``steps = []`` asks for none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alphafactory.errors import ConfigError
from alphafactory.models.selection import DEFAULT_SELECTION, build_steps

__all__ = ["SelectionSettings"]


@dataclass(frozen=True, kw_only=True, slots=True)
class SelectionSettings:
    """Which built features enter the models, and the selection fitted per fold.

    ``exclude`` drops features by name and ``exclude_families`` by family, before any data is
    seen. ``steps`` are the fold steps fitted on each fold's training rows (see the module
    docstring): None (left out) means :data:`DEFAULT_SELECTION` for a config training on every
    registered feature and none otherwise.
    """

    exclude: tuple[str, ...] = ()
    exclude_families: tuple[str, ...] = ()
    steps: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        for key in ("exclude", "exclude_families"):
            value = getattr(self, key)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{key} must be a list of strings, got {value!r}")
            object.__setattr__(self, key, tuple(value))
        if self.steps is not None:
            build_steps(self.steps, "steps")  # unknown step names, keys and values raise here
            object.__setattr__(self, "steps", tuple(dict(s) for s in self.steps))

    def fold_steps(self, all_features: bool = False) -> list[Any] | None:
        """Unfitted steps for ``walk_forward(selection=...)``, or None for no selection.

        ``all_features``: the config trains on every registered feature (then left-out steps
        mean :data:`DEFAULT_SELECTION`).
        """
        specs: Sequence[Mapping[str, Any]] | None = self.steps
        if specs is None:
            specs = DEFAULT_SELECTION if all_features else None
        if specs is None:
            return None
        return build_steps(specs, "steps") or None

    def filter(self, names: Sequence[str]) -> list[str]:
        """Return ``names`` less the excluded names and families (registry families)."""
        from alphafactory.features import list_features

        if not self.exclude and not self.exclude_families:
            return list(names)
        registry = list_features("default")
        family_of = dict(zip(registry["name"], registry["family"], strict=True))
        unknown = sorted(set(self.exclude_families) - set(registry["family"]))
        if unknown:
            raise ConfigError(f"[selection] exclude_families: unknown {unknown}")
        dropped, families = set(self.exclude), set(self.exclude_families)
        return [n for n in names if n not in dropped and family_of.get(n) not in families]

    def to_mapping(self) -> dict[str, Any]:
        """Return the TOML table (``steps`` left out when None)."""
        out: dict[str, Any] = {"exclude": list(self.exclude),
                               "exclude_families": list(self.exclude_families)}  # fmt: skip
        if self.steps is not None:
            out["steps"] = [dict(s) for s in self.steps]
        return out
