"""Change points of a synthetic market (see :mod:`alphafactory.data.synthetic`).

A change is in force from its bar on and composes with the earlier ones: two sign flips cancel,
strength factors multiply, volatility factors multiply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["CHANGE_KINDS", "Change", "change_paths", "check_changes"]

ChangeKind = Literal["sign_flip", "strength", "feature_shift"]
CHANGE_KINDS = ("sign_flip", "strength", "feature_shift")


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """A change point of a synthetic market, in force from bar ``at`` on.

    Attributes
    ----------
    at : int
        First bar (0-based position) the change applies to; ``1 <= at < n_bars``.
    kind : {"sign_flip", "strength", "feature_shift"}
        Negate the planted relation; multiply the planted IC by ``factor``; multiply the bar
        volatility by ``factor`` (a feature-distribution shift that leaves the signal alone).
    factor : float
        ``> 0`` and finite; ignored (must stay 1) for ``"sign_flip"``.
    """

    at: int
    kind: ChangeKind
    factor: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"Change.kind must be one of {CHANGE_KINDS}; got {self.kind!r}.")
        if isinstance(self.at, bool) or not isinstance(self.at, (int, np.integer)) or self.at < 1:
            raise ValueError(f"Change.at must be an integer bar index >= 1; got {self.at!r}.")
        if not (np.isfinite(self.factor) and self.factor > 0.0):
            raise ValueError(f"Change.factor must be finite and > 0; got {self.factor!r}.")
        if self.kind == "sign_flip" and self.factor != 1.0:
            raise ValueError(f"Change.factor does not apply to a sign_flip; got {self.factor!r}.")


def check_changes(changes: Sequence[Change | Mapping[str, Any]], n_bars: int) -> tuple[Change, ...]:
    """Return the changes as ``Change`` objects sorted by bar; raise when one is past the end."""
    out = tuple(c if isinstance(c, Change) else Change(**dict(c)) for c in changes)
    for c in out:
        if c.at >= n_bars:
            raise ValueError(f"Change.at must lie in [1, n_bars={n_bars}); got {c.at}.")
    return tuple(sorted(out, key=lambda c: c.at))


def change_paths(
    changes: Sequence[Change], n_bars: int, alpha_ic: float
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Per bar: the signal's sign (None: no flip), the planted IC, the volatility multiplier
    (None: no shift). Raise when strength changes take the IC out of ``(-1, 1)``."""
    sign = np.ones(n_bars)
    rho = np.full(n_bars, float(alpha_ic))
    vol = np.ones(n_bars)
    for c in changes:
        if c.kind == "sign_flip":
            sign[c.at :] *= -1.0
        elif c.kind == "strength":
            rho[c.at :] *= c.factor
        else:
            vol[c.at :] *= c.factor
    peak = float(np.abs(rho).max())
    if not peak < 1.0:
        raise ValueError(
            f"strength changes take the planted IC to {peak!r} (alpha_ic={alpha_ic!r}); it must "
            "stay in (-1, 1)."
        )
    flips = any(c.kind == "sign_flip" for c in changes)
    shifts = any(c.kind == "feature_shift" for c in changes)
    return (sign if flips else None), rho, (vol if shifts else None)
