"""Limits on single positions and groups: max weight, max group weight, max open positions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from alphafactory.errors import ConfigError
from alphafactory.risk.limit import (
    TOLERANCE,
    Action,
    Breach,
    Reset,
    RiskContext,
    RiskLimit,
    check_common,
    check_positive,
    within,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxPositionWeight(RiskLimit):
    """``|w_i| <= max_weight`` for every position; a breach clips each offending weight.

    Parameters
    ----------
    max_weight : float
        Largest absolute weight of one position, fraction of equity (0.10 = 10%).
    """

    name: ClassVar[str] = "max_position_weight"
    max_weight: float = 0.10
    action: Action = "scale"
    reset: Reset = "next_session"

    def __post_init__(self) -> None:
        check_positive(self, "max_weight")
        check_common(self)

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        largest = float(np.max(np.abs(weights), initial=0.0))
        if within(largest, self.max_weight):
            return None
        flagged = np.flatnonzero(np.abs(weights) > self.max_weight)
        over = [context.symbols[i] for i in flagged[:5]] + (["..."] if len(flagged) > 5 else [])
        return Breach(
            measure=largest,
            threshold=self.max_weight,
            weights=np.clip(weights, -self.max_weight, self.max_weight),
            reason=f"|weight| {largest:.4g} > {self.max_weight:.4g} ({', '.join(over)})",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxGroupWeight(RiskLimit):
    """``sum_{i in g} |w_i| <= max_weight`` for every group ``g`` (a sector, a country).

    A breach scales the members of each offending group by ``max_weight / sum |w_i|``.

    Parameters
    ----------
    groups : mapping of str to str
        Symbol -> group. Symbols not in the map belong to no group (this limit ignores them).
    max_weight : float
        Largest gross weight of one group, fraction of equity.
    """

    name: ClassVar[str] = "max_group_weight"
    groups: Mapping[str, str] = field(default_factory=dict)
    max_weight: float = 0.30
    action: Action = "scale"
    reset: Reset = "next_session"
    _codes: dict[tuple[str, ...], tuple[tuple[str, ...], np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_positive(self, "max_weight")
        check_common(self)
        if not isinstance(self.groups, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.groups.items()
        ):
            raise ConfigError("MaxGroupWeight groups must map symbol names to group names.")
        object.__setattr__(self, "groups", dict(self.groups))

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        if context.symbols not in self._codes:  # a cache of the symbol -> group index
            self._codes.clear()
            self._codes[context.symbols] = _group_codes(self.groups, context.symbols)
        names, codes = self._codes[context.symbols]
        member = codes >= 0
        gross = np.bincount(codes[member], weights=np.abs(weights[member]),
                            minlength=len(names))
        over = gross > self.max_weight * (1.0 + TOLERANCE)
        if not over.any():
            return None
        scale = np.where(over, self.max_weight / np.where(over, gross, 1.0), 1.0)
        factor = np.where(member, scale[np.maximum(codes, 0)], 1.0)
        listed = ", ".join(f"{names[g]} {gross[g]:.4g}" for g in np.flatnonzero(over))
        return Breach(
            measure=float(gross.max()),
            threshold=self.max_weight,
            weights=weights * factor,
            reason=f"group gross weight > {self.max_weight:.4g}: {listed}",
        )


def _group_codes(mapping: Mapping[str, str], symbols: tuple[str, ...]
                 ) -> tuple[tuple[str, ...], np.ndarray]:
    """Group names, and each symbol's group index (-1: in no group)."""
    names = tuple(sorted(set(mapping.values())))
    index = {name: k for k, name in enumerate(names)}
    codes = np.array([index[mapping[s]] if s in mapping else -1 for s in symbols], dtype=np.intp)
    return names, codes


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxPositions(RiskLimit):
    """At most ``max_positions`` non-zero weights; a breach keeps the largest ``|w|``.

    Ties keep the symbol that comes first; the dropped weights are not redistributed.
    """

    name: ClassVar[str] = "max_positions"
    max_positions: int = 10
    action: Action = "scale"
    reset: Reset = "next_session"

    def __post_init__(self) -> None:
        if isinstance(self.max_positions, bool) or not isinstance(self.max_positions, int) or (
            self.max_positions < 1
        ):
            raise ConfigError(f"MaxPositions max_positions must be an int >= 1, got "
                             f"{self.max_positions!r}.")
        check_common(self)

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        held = int(np.count_nonzero(weights))
        if held <= self.max_positions:
            return None
        keep = np.argsort(-np.abs(weights), kind="stable")[: self.max_positions]
        out = np.zeros_like(weights)
        out[keep] = weights[keep]
        return Breach(
            measure=float(held),
            threshold=float(self.max_positions),
            weights=out,
            reason=f"{held} positions > {self.max_positions}; kept the largest",
        )
