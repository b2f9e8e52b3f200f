"""Rules that scale another rule's book: volatility targeting and optimal-f.

Both run their ``base`` rule and multiply each decision row by a scale known at t:

* ``vol_target`` (:func:`alphafactory.signals.vol_target`): the base book's close-to-close
  returns ``r_p[s] = sum_i w[s-1, i] r[s, i]`` give the scale
  ``target_vol / (std(r_p[t-lookback+1..t]) sqrt(periods_per_year))``, at most ``max_leverage``;
* ``optimal_f`` (Vince 1990): the base book's *trades* are its compounded returns over
  consecutive blocks of ``holding`` bars, each known when its block ends. Over the trades
  ``x_1..x_n`` of the last ``window`` bars with worst loss ``L = min x_j < 0``,
  ``f* = argmax_{0 < f <= 1} sum_j log(1 + f x_j / |L|)`` (a grid of ``grid`` values) and the scale
  is ``fraction * f* / |L|``, at most ``max_leverage``: the book risks ``fraction * f*`` of equity
  on a repeat of its worst trade. Before ``min_trades`` trades, or without a loss, the scale
  is 1 (the base book as it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import PortfolioRule, PortfolioState, aligned_returns
from alphafactory.portfolio.limits import Limits
from alphafactory.portfolio.score_rules import TopK
from alphafactory.signals import vol_target


def _default_base() -> PortfolioRule:
    return TopK(k=5, long_only=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class VolTarget(PortfolioRule):
    """Scale the ``base`` rule's book to ``target_vol`` annualized (trailing realized vol)."""

    name: ClassVar[str] = "vol_target"
    needs_prices: ClassVar[bool] = True
    base: PortfolioRule = field(default_factory=_default_base)
    target_vol: float = 0.10
    lookback: int = 20
    periods_per_year: float = 252.0
    max_leverage: float = 2.0
    limits: Limits = field(default_factory=Limits)

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        aligned_returns(scores, prices, self.name)
        base = self.base.weights(scores, prices, state)
        scaled = vol_target(base, prices, target_vol=self.target_vol, lookback=self.lookback,
                            periods_per_year=self.periods_per_year,
                            max_leverage=self.max_leverage)  # fmt: skip
        scaled[base.isna().all(axis=1).to_numpy()] = np.nan
        return self.limits.apply(scaled, prices, state)


@dataclass(frozen=True, kw_only=True, slots=True)
class OptimalF(PortfolioRule):
    """Scale the ``base`` rule's book by ``fraction * f* / |worst trade|`` (see the module)."""

    name: ClassVar[str] = "optimal_f"
    needs_prices: ClassVar[bool] = True
    base: PortfolioRule = field(default_factory=_default_base)
    holding: int = 5
    window: int = 504
    min_trades: int = 20
    fraction: float = 0.5
    max_leverage: float = 2.0
    grid: int = 200
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.holding < 1 or self.min_trades < 2 or self.grid < 2:
            raise ValueError("need holding >= 1, min_trades >= 2, grid >= 2; got "
                             f"{self.holding}, {self.min_trades}, {self.grid}.")  # fmt: skip
        if self.window < self.holding * self.min_trades:
            raise ValueError(f"window ({self.window}) must hold min_trades ({self.min_trades}) "
                             f"trades of holding ({self.holding}) bars.")  # fmt: skip
        if not 0 < self.fraction <= 1 or self.max_leverage <= 0:
            raise ValueError(f"need 0 < fraction <= 1 and max_leverage > 0, got {self.fraction}, "
                             f"{self.max_leverage}.")  # fmt: skip

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        aligned_returns(scores, prices, self.name)
        base = self.base.weights(scores, prices, state)
        book = base.to_numpy(dtype=np.float64)
        held = pd.DataFrame(book).ffill().fillna(0.0).to_numpy()
        px = prices.reindex(columns=scores.columns).ffill().reindex(index=scores.index)
        px = px.to_numpy(dtype=np.float64)
        # The book's return from score row t-1 to t: the weights held since t-1 times the
        # symbols' price changes over the same rows.
        step = np.zeros(len(book))
        with np.errstate(invalid="ignore", divide="ignore"):
            step[1:] = (held[:-1] * np.nan_to_num(px[1:] / px[:-1] - 1.0)).sum(axis=1)
        scale = self.scales(step)
        out = book * scale[:, None]
        return self.limits.apply(pd.DataFrame(out, index=base.index, columns=base.columns),
                                 prices, state)  # fmt: skip

    def scales(self, step: np.ndarray) -> np.ndarray:
        """The scale at every row from the book's one-bar returns ``step`` (rows <= t only)."""
        n_blocks = len(step) // self.holding
        growth = np.prod(1.0 + step[: n_blocks * self.holding].reshape(n_blocks, self.holding),
                         axis=1) - 1.0  # fmt: skip
        known_at = (np.arange(n_blocks) + 1) * self.holding - 1  # the block's last row
        per_block = np.ones(n_blocks)
        grid = np.linspace(1.0 / self.grid, 1.0, self.grid)
        per_window = self.window // self.holding
        for b in range(n_blocks):
            trades = growth[max(0, b + 1 - per_window) : b + 1]
            worst = trades.min() if trades.size else 0.0
            if trades.size < self.min_trades or worst >= 0:
                continue
            hpr = 1.0 + grid[:, None] * trades[None, :] / -worst
            score = np.where(hpr > 0, np.log(np.where(hpr > 0, hpr, 1.0)), -np.inf).sum(axis=1)
            best = grid[int(np.argmax(score))]
            per_block[b] = min(self.fraction * best / -worst, self.max_leverage)
        scale = np.ones(len(step))
        if n_blocks:
            index = np.searchsorted(known_at, np.arange(len(step)), side="right") - 1
            scale = np.where(index >= 0, per_block[np.maximum(index, 0)], 1.0)
        return scale
