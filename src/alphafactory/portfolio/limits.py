"""Limits on a rule's targets: position, gross and net caps, and a minimum trade (no churn).

Caps apply to every decision row at once (vectorized):

* position: ``w_i <- clip(w_i, -max_weight, max_weight)``;
* net: when ``|sum w| > max_net`` the larger leg is scaled by ``1 - (|sum w| - max_net) / leg``;
* gross: when ``sum |w| > max_gross`` the row is scaled by ``max_gross / sum |w|``.

The minimum trade is path dependent, so it walks the decision rows: between decisions the held
weights drift with prices, ``h_i = w_i g_i / (1 + sum_j w_j (g_j - 1))`` with ``g_i`` the price
ratio of symbol i since the last decision (cash earns 0), and the equity moves by the same
``1 + sum_j w_j (g_j - 1)``. A name whose change ``|target_i - h_i|`` is below
``min_trade_weight``, or below ``min_trade_value`` in currency (``|target_i - h_i| * equity``), is
left at ``h_i``: the book does not trade it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import PortfolioState


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    """Caps and the minimum trade of a sizing rule (each off when None or 0).

    Parameters
    ----------
    max_weight : float, optional
        Largest ``|w_i|``.
    max_gross : float, optional
        Largest ``sum |w_i|`` (1 = fully invested, no leverage).
    max_net : float, optional
        Largest ``|sum w_i|``.
    min_trade_weight : float
        Smallest change of a weight worth trading.
    min_trade_value : float
        Smallest change worth trading, in currency of the book's equity.
    """

    max_weight: float | None = None
    max_gross: float | None = None
    max_net: float | None = None
    min_trade_weight: float = 0.0
    min_trade_value: float = 0.0

    def __post_init__(self) -> None:
        for key in ("max_weight", "max_gross", "max_net", "min_trade_weight", "min_trade_value"):
            value = getattr(self, key)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ValueError(f"limits: {key} must be finite and >= 0, got {value!r}.")

    @property
    def trades_all(self) -> bool:
        """Whether every change is traded (no minimum trade)."""
        return self.min_trade_weight == 0 and self.min_trade_value == 0

    def apply(
        self,
        weights: pd.DataFrame,
        prices: pd.DataFrame | None = None,
        state: PortfolioState | None = None,
    ) -> pd.DataFrame:
        """Cap every decision row, then hold back trades below the minimum (see the module)."""
        values = cap_weights(weights.to_numpy(dtype=np.float64), self)
        if not self.trades_all:
            state = state or PortfolioState()
            values = hold_small_trades(values, _prices_at(weights, prices),
                                       state.held(weights.columns), state.equity,
                                       self.min_trade_weight, self.min_trade_value)  # fmt: skip
        return pd.DataFrame(values, index=weights.index, columns=weights.columns)


def cap_weights(values: np.ndarray, limits: Limits) -> np.ndarray:
    """Apply position, net and gross caps to the decision rows of ``values`` (``[T, N]``)."""
    out = values.copy()
    decided = np.isfinite(out).any(axis=1)
    w = np.nan_to_num(out[decided])
    if limits.max_weight is not None:
        w = np.clip(w, -limits.max_weight, limits.max_weight)
    if limits.max_net is not None:
        longs = np.where(w > 0, w, 0.0).sum(axis=1)
        shorts = -np.where(w < 0, w, 0.0).sum(axis=1)
        excess = np.abs(longs - shorts) - limits.max_net
        leg = np.where(longs > shorts, longs, shorts)
        scale = np.where(excess > 0, 1.0 - excess / np.where(leg > 0, leg, 1.0), 1.0)
        cut_long = (longs > shorts)[:, None] & (w > 0)
        cut_short = (shorts > longs)[:, None] & (w < 0)
        w = np.where(cut_long | cut_short, w * scale[:, None], w)
    if limits.max_gross is not None:
        gross = np.abs(w).sum(axis=1)
        w = w * np.where(gross > limits.max_gross, limits.max_gross / np.where(gross > 0, gross,
                                                                                1.0), 1.0)[:, None]
    out[decided] = w
    return out


def drifted(held: np.ndarray, growth: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights after prices moved by ``growth`` (``p_now / p_then``) and the book's growth.

    ``h_i = w_i g_i / b`` with ``b = 1 + sum_j w_j (g_j - 1)`` (cash earns 0); returns ``(h, b)``.
    """
    growth = np.where(np.isfinite(growth), growth, 1.0)
    book = 1.0 + float(np.sum(held * (growth - 1.0)))
    if book <= 0:
        return np.zeros_like(held), 0.0
    return held * growth / book, book


def hold_small_trades(
    targets: np.ndarray,
    prices: np.ndarray | None,
    held: np.ndarray,
    equity: float,
    min_weight: float,
    min_value: float,
) -> np.ndarray:
    """Keep the drifted held weight of every name whose trade would be below the minimum.

    Parameters
    ----------
    targets : ndarray, shape (T, N)
        Target weights; all-NaN rows are no decision.
    prices : ndarray, shape (T, N), optional
        Closes at the rows of ``targets`` (forward filled); None: no drift.
    held, equity : ndarray of shape (N,), float
        Held weights and the book's equity before the first row.
    min_weight, min_value : float
        Minimum trade as a weight and in currency.
    """
    out = np.full(targets.shape, np.nan)
    last = None
    for t in np.flatnonzero(np.isfinite(targets).any(axis=1)):
        if prices is not None and last is not None:
            held, book = drifted(held, prices[t] / prices[last])
            equity *= max(book, 0.0)
        target = np.nan_to_num(targets[t])
        change = np.abs(target - held)
        small = (change < min_weight) | (change * equity < min_value)
        out[t] = np.where(small, held, target)
        held, last = out[t], t
    return out


def _prices_at(weights: pd.DataFrame, prices: pd.DataFrame | None) -> np.ndarray | None:
    if prices is None:
        return None
    px = prices.reindex(columns=weights.columns).ffill().reindex(index=weights.index)
    return px.to_numpy(dtype=np.float64)
