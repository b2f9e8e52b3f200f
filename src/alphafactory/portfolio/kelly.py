"""Fractional Kelly sizing from scores calibrated to expected returns.

Scores are ranks of belief, not returns, so the rule first maps them to expected returns with a
pooled linear calibration fitted on pairs whose outcome is known at the decision:

* a pair is ``(s[u, i], r[u, i])`` with ``r[u, i] = p[u + h, i] / p[u, i] - 1`` the forward
  return over ``horizon = h`` bars; it is known at row ``u + h``;
* at decision t the map ``mu = a + b s`` is the least-squares fit over the pairs known at t
  (``b = cov(s, r) / var(s)``, ``a = mean(r) - b mean(s)``), all of them or those of the last
  ``calibration_window`` rows; with ``calibrate_until`` the map stops learning at that timestamp
  (the end of a validation slice) and is the one fitted there for every later decision;
* before ``min_pairs`` pairs are known a decision is flat.

The sums behind the fit are cumulative sums over rows, so the whole panel is vectorized. Kelly's
growth-optimal weight of independent bets is ``mu_i / sigma_i^2`` per period; the rule holds
``w_i = fraction * mu_i / sigma_i^2`` with ``sigma_i^2`` the variance of h-bar returns estimated
as ``h`` times the variance of the last ``window`` one-bar returns, then its limits (by default
gross <= 1). ``long_only`` drops names with ``mu_i <= 0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import (
    PortfolioRule,
    PortfolioState,
    aligned_returns,
    check_scores,
)
from alphafactory.portfolio.limits import Limits


@dataclass(frozen=True, kw_only=True, slots=True)
class LinearCalibration:
    """Per score row, the coefficients ``(a, b)`` of ``mu = a + b s`` and the pairs behind them."""

    intercept: np.ndarray
    slope: np.ndarray
    pairs: np.ndarray

    def expected(self, scores: np.ndarray) -> np.ndarray:
        """Expected h-bar return of each cell of ``scores`` (``[T, N]``)."""
        return self.intercept[:, None] + self.slope[:, None] * scores


def calibrate_scores(
    scores: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    horizon: int = 1,
    window: int | None = None,
    until: str | pd.Timestamp | None = None,
) -> LinearCalibration:
    """Fit the causal linear score-to-return map at every row of ``scores`` (see the module).

    Parameters
    ----------
    scores : DataFrame
        ``T x N`` scores; their rows must be rows of ``prices``.
    prices : DataFrame
        Wide closes, rows up to the last score row at least.
    horizon : int
        Bars of the forward return a score predicts.
    window : int, optional
        Pairs of the last ``window`` price rows only (None: all known pairs).
    until : str or Timestamp, optional
        Freeze the map at this timestamp (end of the calibration slice).
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}.")
    px = prices.reindex(columns=scores.columns)
    px_values = np.where(px.to_numpy(dtype=np.float64) > 0, px.to_numpy(dtype=np.float64), np.nan)
    s = scores.reindex(index=px.index).to_numpy(dtype=np.float64)
    forward = np.full(px_values.shape, np.nan)
    forward[:-horizon] = px_values[horizon:] / px_values[:-horizon] - 1.0
    ok = np.isfinite(s) & np.isfinite(forward)
    s, r = np.where(ok, s, 0.0), np.where(ok, forward, 0.0)
    # A pair of row u is known at row u + horizon: shift its contribution down by horizon rows.
    rows = np.stack([ok.sum(1), s.sum(1), r.sum(1), (s * s).sum(1), (s * r).sum(1)], axis=1)
    known = np.zeros_like(rows)
    known[horizon:] = rows[:-horizon]
    total = np.cumsum(known, axis=0)
    if window is not None:
        lagged = np.zeros_like(total)
        lagged[window:] = total[:-window]
        total = total - lagged
    if until is not None:
        stop = px.index.searchsorted(pd.Timestamp(until), side="right") - 1
        if stop >= 0:
            total[stop + 1 :] = total[stop]
    n, sum_s, sum_r, sum_ss, sum_sr = total.T
    with np.errstate(divide="ignore", invalid="ignore"):
        var_s = sum_ss / n - (sum_s / n) ** 2
        slope = np.where(var_s > 0, (sum_sr / n - sum_s * sum_r / n**2) / var_s, 0.0)
        intercept = np.where(n > 0, sum_r / n - slope * sum_s / n, 0.0)
    at = px.index.get_indexer(scores.index)
    return LinearCalibration(intercept=np.nan_to_num(intercept[at]),
                             slope=np.nan_to_num(slope[at]), pairs=n[at])  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class FractionalKelly(PortfolioRule):
    """``w_i = fraction * mu_i / sigma_i^2`` with ``mu`` calibrated from scores (see the module)."""

    name: ClassVar[str] = "kelly"
    needs_prices: ClassVar[bool] = True
    fraction: float = 0.25
    horizon: int = 1
    window: int = 60
    calibration_window: int | None = None
    calibrate_until: str | None = None
    min_pairs: int = 100
    long_only: bool = False
    limits: Limits = field(default_factory=lambda: Limits(max_gross=1.0))

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction}.")
        if self.window < 2 or self.min_pairs < 2:
            raise ValueError(f"need window >= 2 and min_pairs >= 2, got {self.window}, "
                             f"{self.min_pairs}.")  # fmt: skip

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        values = check_scores(scores)
        returns, rows = aligned_returns(scores, prices, self.name)
        fit = calibrate_scores(scores, prices, horizon=self.horizon,
                               window=self.calibration_window,
                               until=self.calibrate_until)  # fmt: skip
        var = pd.DataFrame(returns).rolling(self.window, min_periods=2).var().to_numpy()
        var = var[rows] * self.horizon
        mu = fit.expected(values)
        if self.long_only:
            mu = np.where(mu > 0, mu, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(var > 0, self.fraction * mu / var, 0.0)
        w = np.where(np.isfinite(w) & (fit.pairs >= self.min_pairs)[:, None], w, 0.0)
        decision = np.isfinite(values).any(axis=1)
        frame = pd.DataFrame(np.where(decision[:, None], w, np.nan), index=scores.index,
                             columns=scores.columns)  # fmt: skip
        return self.limits.apply(frame, prices, state)
