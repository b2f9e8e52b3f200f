"""Small helpers shared by the family modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from alphafactory.features.registry import FeatureContext, FeatureDef

Compute = Callable[[FeatureContext], np.ndarray]


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with NaN where ``b`` is 0 or non-finite (no warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / b, np.nan)


def log(x: np.ndarray) -> np.ndarray:
    """Natural log, NaN for non-positive inputs (no warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


def ratio_minus_one(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b - 1``: the distance of ``a`` above ``b`` as a fraction of ``b``."""
    return div(a, b) - 1.0


class Builder:
    """Collects :class:`FeatureDef` rows of one family."""

    def __init__(self, family: str) -> None:
        self.family = family
        self.defs: list[FeatureDef] = []
        self._names: set[str] = set()

    def add(
        self,
        name: str,
        warmup: int,
        description: str,
        compute: Compute,
        *,
        convergence: int = 0,
        cross_sectional: bool = False,
        **params: Any,
    ) -> None:
        """Register one output column (a name already added is skipped).

        ``convergence`` is the recursive-smoothing allowance and ``cross_sectional`` marks a
        feature that compares symbols at each timestamp (see ``FeatureDef``).
        """
        if name in self._names:
            return
        self._names.add(name)
        self.defs.append(
            FeatureDef(
                name=name,
                family=self.family,
                params=params,
                warmup=int(warmup),
                description=description,
                compute=compute,
                convergence=int(convergence),
                cross_sectional=cross_sectional,
            )
        )
