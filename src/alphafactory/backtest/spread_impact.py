"""Half spread (given, or estimated by Corwin-Schultz) plus linear impact in participation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel, CostParameters
from alphafactory.backtest.market import trailing_mean_volume
from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError

_K = 3.0 - 2.0 * np.sqrt(2.0)


def corwin_schultz_spread(high: np.ndarray, low: np.ndarray, window: int = 20) -> np.ndarray:
    """Estimate the relative bid-ask spread from daily highs and lows (Corwin and Schultz 2012).

    For each pair of bars (t-1, t): ``beta = ln(H_{t-1}/L_{t-1})^2 + ln(H_t/L_t)^2``,
    ``gamma = ln(max(H_{t-1}, H_t) / min(L_{t-1}, L_t))^2``,
    ``alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))`` and
    ``S = 2 (e^alpha - 1) / (1 + e^alpha)``, floored at 0; the estimate at t is the mean of the
    two-bar estimates over the ``window`` bars before t (not including t), back-filled at the start.

    Parameters
    ----------
    high, low : ndarray
        ``[T, N]`` bar highs and lows.
    window : int
        Bars averaged.

    Returns
    -------
    ndarray
        ``[T, N]`` full relative spread (fraction of price); the half spread is half of it.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        hl = np.log(high / low) ** 2
        beta = hl[1:] + hl[:-1]
        h2 = np.fmax(high[1:], high[:-1])
        l2 = np.fmin(low[1:], low[:-1])
        gamma = np.log(h2 / l2) ** 2
        alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / _K - np.sqrt(gamma / _K)
        pair = 2.0 * (np.exp(alpha) - 1.0) / (1.0 + np.exp(alpha))
    pair = np.where(np.isfinite(pair), np.maximum(pair, 0.0), np.nan)
    pair = np.vstack([np.full((1, high.shape[1]), np.nan), pair])
    spread = pd.DataFrame(pair).rolling(window, min_periods=1).mean().shift(1).bfill()
    return spread.fillna(0.0).to_numpy(dtype=np.float64)


def check_cost_fields(model: object, who: str, *, rates: tuple[str, ...],
                      windows: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` naming the first bad field: ``rates`` finite and >= 0 (a
    half spread in bps may also be None or a frame), ``windows`` whole numbers >= 1 (bars)."""
    for name in rates:
        value = getattr(model, name)
        if value is None or isinstance(value, pd.DataFrame):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                np.isfinite(value) and value >= 0):
            raise ConfigError(f"{who}: {name} must be a finite number >= 0, got {value!r}.")
    for name in windows:
        value = getattr(model, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{who}: {name} must be a whole number of bars >= 1, got "
                              f"{value!r}.")


def half_spread_fraction(
    market: Panel, half_spread_bps: float | pd.DataFrame | None, window: int, who: str
) -> np.ndarray | float:
    """Half spread as a fraction of price: constant bps, a wide frame of bps, or Corwin-Schultz."""
    if half_spread_bps is None:
        high = market.require("high", f"{who} with the Corwin-Schultz spread estimate")
        low = market.require("low", f"{who} with the Corwin-Schultz spread estimate")
        return 0.5 * corwin_schultz_spread(high, low, window)
    if isinstance(half_spread_bps, pd.DataFrame):
        aligned = half_spread_bps.reindex(index=market.timestamps, columns=market.symbols)
        values = aligned.ffill().to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            raise ValueError(
                f"{who}: the half-spread frame leaves cells without a value (before its first "
                "row or for missing symbols); give a value for every traded cell."
            )
        return np.ascontiguousarray(values * 1e-4)
    if not np.isfinite(half_spread_bps) or half_spread_bps < 0:
        raise ValueError(f"{who}: half_spread_bps must be >= 0, got {half_spread_bps}.")
    return float(half_spread_bps) * 1e-4


def adv_or_raise(market: Panel, window: int, who: str) -> np.ndarray:
    """Trailing mean bar volume ``[T, N]``; raise when a symbol never trades."""
    volume = market.require("volume", who)
    adv = trailing_mean_volume(volume, window)
    empty = np.isnan(adv).all(axis=0)
    if empty.any():
        names = list(market.symbols[empty][:5])
        raise ValueError(f"{who}: symbol(s) {names} have no positive volume to estimate ADV from.")
    return adv


@dataclass(frozen=True, kw_only=True, slots=True)
class SpreadImpact(CostModel):
    """Half spread plus impact linear in participation of average volume.

    Cost fraction of notional for ``q`` shares: ``half_spread + impact * |q| / ADV`` where ADV is
    the mean bar volume over ``adv_window`` bars before t.

    Parameters
    ----------
    half_spread_bps : float, DataFrame or None
        Half spread in basis points: a constant, a wide ``T x N`` frame (forward-filled), or None
        to estimate it from highs and lows with :func:`corwin_schultz_spread`.
    impact : float
        Cost fraction at 100% participation of ADV (0.1 = 10 bps per 1% of ADV).
    adv_window, spread_window : int
        Trailing windows in bars.
    """

    half_spread_bps: float | pd.DataFrame | None = None
    impact: float = 0.1
    adv_window: int = 20
    spread_window: int = 20

    def __post_init__(self) -> None:
        check_cost_fields(self, "SpreadImpact", rates=("half_spread_bps", "impact"),
                          windows=("adv_window", "spread_window"))

    def parameters(self, market: Panel) -> CostParameters:
        half = half_spread_fraction(
            market, self.half_spread_bps, self.spread_window, "SpreadImpact"
        )
        if self.impact == 0:
            return CostParameters(half_spread=half)
        adv = adv_or_raise(market, self.adv_window, "SpreadImpact")
        return CostParameters(
            half_spread=half,
            impact_coef=np.ascontiguousarray(np.nan_to_num(self.impact / adv)),
            impact_exponent=1.0,
        )
