"""The portfolio-rule seam: scores (and prices) in, target weights out, behind one small interface.

A :class:`PortfolioRule` is a frozen, keyword-only dataclass (its fields are its configuration)
with one method, ``weights(scores, prices, state)``:

* ``scores`` is a wide ``T x N`` frame (index timestamps, one column a symbol). Row t is seen at
  the close of t; a row with at least one finite score is a *decision*, an all-NaN row is none.
* ``prices`` is a wide frame of closes covering at least the rows of ``scores`` (it may start
  earlier: rows before the first score warm up trailing windows). Rules that need no prices
  accept None.
* ``state`` is the :class:`PortfolioState` of the book before the first row: held weights and
  equity. A rule that is path dependent (trade thresholds, turnover penalties) carries its own
  state forward from its own decisions; the next call (the trading loop's next bar) passes the
  state that the book really has then.

The result has the index and columns of ``scores``: finite weights (fractions of equity, short
negative) on decision rows, NaN rows elsewhere (hold). **Causality**: output row t depends only
on score rows <= t and price rows <= t. Vectorized rules compute the whole panel at once;
:class:`DecisionRule` solves one decision row at a time (optimizers, path-dependent sizing).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioState:
    """The book before a decision: what a rule may know besides scores and prices.

    Parameters
    ----------
    weights : Series, optional
        Held weights by symbol (fractions of equity, signed); a missing symbol holds 0; None
        means a flat book.
    equity : float
        Value of the book in currency (> 0): what converts currency amounts (target exposure,
        minimum trade value) into weights. Within one call, the rules that use it move it with
        their own book's close-to-close returns (costs not counted); a caller that knows the
        real equity (the trading loop) decides one row at a time with the live state.

    Notes
    -----
    Trailing returns are not part of the state: they come from ``prices`` (rows <= t), which a
    one-bar caller passes as the trailing window of closes with a one-row ``scores``.
    """

    weights: pd.Series | None = None
    equity: float = 1.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.equity) or self.equity <= 0:
            raise ValueError(f"PortfolioState.equity must be finite and > 0, got {self.equity}.")

    def held(self, columns: pd.Index) -> np.ndarray:
        """Held weights as an array over ``columns`` (0 where none)."""
        if self.weights is None:
            return np.zeros(len(columns))
        return self.weights.reindex(columns).fillna(0.0).to_numpy(dtype=np.float64)


class PortfolioRule(ABC):
    """Interface of a score-to-weight rule; implementations are frozen keyword-only dataclasses.

    ``name`` is the registry name; ``row_by_row`` says that the rule works one decision row at a
    time, so :func:`~alphafactory.portfolio.weights_from_scores` hands it only the rebalance rows
    (for a vectorized rule it thins the output instead, which is the same for a memoryless rule
    and keeps hysteresis states exact); ``needs_prices`` that ``prices`` is required;
    ``family`` groups rules in ``alphafactory portfolio list`` (``rule`` or ``optimizer``).
    """

    name: ClassVar[str]
    family: ClassVar[str] = "rule"
    row_by_row: ClassVar[bool] = False
    needs_prices: ClassVar[bool] = False

    @abstractmethod
    def weights(
        self,
        scores: pd.DataFrame,
        prices: pd.DataFrame | None = None,
        state: PortfolioState | None = None,
    ) -> pd.DataFrame:
        """Return ``T x N`` target weights of ``scores`` (NaN rows: no decision)."""

    def parameters(self) -> dict[str, Any]:
        """The configuration as a plain mapping (what a workflow file's ``params`` holds)."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, PortfolioRule):
                value = {"rule": value.name, **value.parameters()}
            elif hasattr(value, "__dataclass_fields__"):
                value = {g.name: getattr(value, g.name) for g in fields(value)}
            out[f.name] = value
        return out


class DecisionRule(PortfolioRule):
    """A rule solved one decision row at a time on trailing returns (no look-ahead by design).

    Subclasses implement :meth:`decide`. The loop hands each decision row t the scores of row t,
    the returns of the last ``window`` bars ending at t (from ``prices``, rows <= t) and the
    weights the rule itself decided last (the state's weights before its first decision).
    """

    row_by_row: ClassVar[bool] = True
    needs_prices: ClassVar[bool] = True

    @property
    def lookback(self) -> int:
        """Trailing returns per decision (the ``window`` field when the rule has one)."""
        return int(getattr(self, "window", 252))

    @abstractmethod
    def decide(
        self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray, equity: float
    ) -> np.ndarray:
        """Return the weights of one decision.

        Parameters
        ----------
        scores : ndarray, shape (N,)
            Scores at t; NaN where a symbol has none (it must get weight 0).
        returns : ndarray, shape (W, N)
            Close-to-close simple returns of the last ``W <= window`` bars ending at t; NaN
            where a symbol had no price.
        previous : ndarray, shape (N,)
            Weights of the previous decision (the state's before the first).
        equity : float
            The book's value in currency at t.
        """

    def weights(
        self,
        scores: pd.DataFrame,
        prices: pd.DataFrame | None = None,
        state: PortfolioState | None = None,
    ) -> pd.DataFrame:
        state = state or PortfolioState()
        values = check_scores(scores)
        returns, rows = aligned_returns(scores, prices, self.name)
        out = np.full(values.shape, np.nan)
        previous = state.held(scores.columns)
        for t in np.flatnonzero(np.isfinite(values).any(axis=1)):
            end = rows[t] + 1
            window = returns[max(0, end - self.lookback) : end]
            decided = np.nan_to_num(self.decide(values[t], window, previous, state.equity))
            out[t] = np.where(np.isfinite(values[t]), decided, 0.0)
            previous = out[t]
        return pd.DataFrame(out, index=scores.index, columns=scores.columns)


def check_scores(scores: pd.DataFrame) -> np.ndarray:
    """Return the scores as float64 with non-finite values set to NaN; raise if not wide."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a wide T x N DataFrame, got {type(scores).__name__}.")
    values = scores.to_numpy(dtype=np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def aligned_returns(
    scores: pd.DataFrame, prices: pd.DataFrame | None, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Close-to-close returns over ``prices``' rows and the price row of each score row.

    ``r[s] = p[s] / p[s-1] - 1`` (NaN at the first row or where either price is missing), over
    the symbols of ``scores``. Returns ``(returns [P, N], rows [T])``: score row t is price row
    ``rows[t]``, so ``returns[: rows[t] + 1]`` is what is known at t.

    Raises
    ------
    ValueError
        Without prices, or when a score timestamp has no price row.
    """
    if prices is None:
        raise ValueError(f"rule {rule!r} needs prices (a wide T x N frame of closes).")
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(f"prices must be a wide T x N DataFrame, got {type(prices).__name__}.")
    rows = prices.index.get_indexer(scores.index)
    if (rows < 0).any():
        missing = scores.index[rows < 0][0]
        raise ValueError(f"rule {rule!r}: no price row at score timestamp {missing}.")
    px = prices.reindex(columns=scores.columns).to_numpy(dtype=np.float64)
    px = np.where(px > 0, px, np.nan)
    returns = np.full(px.shape, np.nan)
    returns[1:] = px[1:] / px[:-1] - 1.0
    return returns, rows
