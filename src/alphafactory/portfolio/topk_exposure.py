"""The top-K rule of the minute-bar system: a filtered rank buffer, a capped exposure, no churn.

At each decision row t:

1. *eligible*: names with a score that pass the technical filter ``mask[t]`` (a boolean
   ``T x N`` frame from the caller; every name passes without one);
2. *candidates*: the ``k`` best eligible scores;
3. *positions*: held names that are still candidates stay (best first, at most
   ``max_positions``); the best new candidates fill the free slots;
4. *size*: each position targets ``exposure / max_positions`` of equity, ``exposure`` being a
   fraction of equity or, with ``exposure_in = "currency"``, an amount of currency
   (``w = exposure / (max_positions * equity_t)``); fewer positions than slots leave the rest in
   cash, so the book never exceeds ``exposure``;
5. *adjust*: a held name whose change is smaller than ``min_trade_value`` in currency (or
   ``min_trade_weight``) keeps its drifted weight (see :mod:`alphafactory.portfolio.limits`):
   positions are only adjusted when the difference is worth a trade.

Ranks are computed for the whole panel at once; steps 3 and 5 depend on the book and walk the
decision rows. ``equity_t`` starts at the state's equity and moves with the book's returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import PortfolioRule, PortfolioState, check_scores
from alphafactory.portfolio.limits import drifted


@dataclass(frozen=True, kw_only=True, slots=True)
class TopKExposure(PortfolioRule):
    """Top ``k`` filtered names, at most ``max_positions``, equal shares of ``exposure``."""

    name: ClassVar[str] = "topk_exposure"
    k: int = 6
    max_positions: int = 6
    exposure: float = 1.0
    exposure_in: str = "fraction"
    min_trade_value: float = 0.0
    min_trade_weight: float = 0.0
    mask: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.k < 1 or self.max_positions < 1:
            raise ValueError(f"need k >= 1 and max_positions >= 1, got {self.k}, "
                             f"{self.max_positions}.")  # fmt: skip
        if self.exposure_in not in ("fraction", "currency"):
            raise ValueError(f"exposure_in must be 'fraction' or 'currency', got "
                             f"{self.exposure_in!r}.")  # fmt: skip
        if not (np.isfinite(self.exposure) and self.exposure > 0):
            raise ValueError(f"exposure must be > 0, got {self.exposure}.")
        for name in ("min_trade_value", "min_trade_weight"):
            value = getattr(self, name)
            if not value >= 0:  # NaN included
                raise ValueError(f"{name} must be >= 0, got {value!r}.")
        if self.mask is not None and not isinstance(self.mask, pd.DataFrame):
            raise TypeError(f"mask must be a boolean T x N DataFrame, got "
                            f"{type(self.mask).__name__}.")  # fmt: skip

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        state = state or PortfolioState()
        values = check_scores(scores)
        decisions = np.flatnonzero(np.isfinite(values).any(axis=1))
        if self.mask is not None:
            passes = self.mask.reindex(index=scores.index, columns=scores.columns)
            values[~passes.fillna(False).to_numpy(dtype=bool)] = np.nan
        rank = _rank_desc(values)
        px = None
        if prices is not None:
            px = prices.reindex(columns=scores.columns).ffill().reindex(index=scores.index)
            px = px.to_numpy(dtype=np.float64)
        out = np.full(values.shape, np.nan)
        held, equity, last = state.held(scores.columns), state.equity, None
        for t in decisions:  # a row whose names all fail the filter decides: flat
            if px is not None and last is not None:
                held, book = drifted(held, px[t] / px[last])
                equity *= max(book, 0.0)
            target = self._targets(rank[t], held != 0, equity)
            change = np.abs(target - held)
            small = (change < self.min_trade_weight) | (change * equity < self.min_trade_value)
            out[t] = np.where(small, held, target)
            held, last = out[t], t
        return pd.DataFrame(out, index=scores.index, columns=scores.columns)

    def _targets(self, rank: np.ndarray, holding: np.ndarray, equity: float) -> np.ndarray:
        candidate = rank < self.k
        order = np.argsort(rank, kind="stable")  # best first; non-candidates rank n
        keep = order[(candidate & holding)[order]][: self.max_positions]
        new = order[(candidate & ~holding)[order]][: self.max_positions - keep.size]
        share = self.exposure / self.max_positions
        if self.exposure_in == "currency":
            share = share / equity if equity > 0 else 0.0
        target = np.zeros(rank.shape)
        target[np.concatenate([keep, new])] = share
        return target


def _rank_desc(values: np.ndarray) -> np.ndarray:
    """0 for the highest finite value of each row, 1 for the next...; ``N`` where not finite."""
    valid = np.isfinite(values)
    order = np.argsort(np.where(valid, -values, np.inf), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(values.shape[1])[None, :], axis=1)
    return np.where(valid, rank, values.shape[1])
