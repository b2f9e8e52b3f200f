"""Portfolio rules one row at a time: the last row of ``weights_from_scores`` from a bounded state.

A trading loop decides at each bar on the score history so far. ``weights_from_scores(history,
rule, rebalance=r, prices=closes)`` gives that decision as its last row, but reads every row each
time, so its cost grows with the session. :func:`rule_stepper` returns the rule's incremental
form: :meth:`RuleStepper.step` takes one score row (and the trailing closes the rule reads) and
returns the row ``weights_from_scores`` gives for it, bit for bit, from a state that does not
grow. The contract, for any sequence of rows::

    stepper.step(ts_t, scores_t, prices_t) == weights_from_scores(
        history[: t + 1], rule, rebalance=r,
        prices=closes if rule.needs_prices else None).iloc[-1]

with ``prices_t`` the closes up to ``ts_t`` (at least :attr:`RuleStepper.price_rows` trailing
rows; None for a rule that needs none). What each rule keeps:

* the rebalance phase, the count of rows so far (integer ``r``: rows 0, r, 2r, ... decide);
* memoryless rules (``topk``, ``quantile``, ``proportional``, ``equal_weight`` without a
  minimum trade): nothing; row t is the rule on score row t alone;
* ``threshold`` and ``hysteresis``: the held state per symbol after the previous row (they run
  on every row and their output is thinned, so the state moves between rebalances too);
* ``topk_exposure``: the weights its own book holds (also moved on every scored row);
* rules decided row by row (:class:`~alphafactory.portfolio.DecisionRule`: the optimizers,
  ``risk_parity``) whose limits trade every change: the weights of their last decision, and
  ``lookback`` trailing returns from ``prices``.

Any other rule (``vol_target``, ``optimal_f``, ``kelly``, ``inverse_volatility``, a minimum trade
on a sizing rule, a rule defined elsewhere) gets :class:`FullHistory`: ``weights_from_scores``
over every row, exact as before, with work and memory that grow with the history. Rolling
statistics over the whole history (``inverse_volatility``'s volatility, ``kelly``'s calibration)
round differently when recomputed on a window, which is why they are not stepped.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import DecisionRule, PortfolioRule, PortfolioState
from alphafactory.portfolio.rules import weights_from_scores
from alphafactory.portfolio.score_rules import Hysteresis, Proportional, Quantile, Threshold, TopK
from alphafactory.portfolio.sizing import EqualWeight, RiskParity
from alphafactory.portfolio.topk_exposure import TopKExposure

__all__ = ["FullHistory", "RuleStepper", "rule_stepper"]


class RuleStepper(ABC):
    """A rule over a growing score history, one row at a time (see the module).

    Parameters
    ----------
    rule : PortfolioRule
    symbols : sequence of str
        The columns of every score row, in order.
    rebalance : int
        Decide every ``rebalance`` rows (as ``weights_from_scores``' integer ``rebalance``).
    """

    #: Trailing close rows (the current one included) :meth:`step` reads from ``prices``;
    #: 0 for none, None for every row since the first.
    price_rows: int | None = 0

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        if isinstance(rebalance, bool) or not isinstance(rebalance, int) or rebalance < 1:
            raise ValueError(f"rebalance must be an integer >= 1 bar, got {rebalance!r}.")
        self.rule, self.rebalance = rule, rebalance
        self.columns = pd.Index([str(s) for s in symbols])
        self.rows = 0

    @property
    def due(self) -> bool:
        """Whether the next row is a rebalance row."""
        return self.rows % self.rebalance == 0

    def step(self, timestamp: pd.Timestamp, scores: np.ndarray,
             prices: pd.DataFrame | None = None) -> np.ndarray:
        """The weights of the next row: ``[N]``, all NaN when it decides nothing (hold)."""
        out = self._step(pd.Timestamp(timestamp), np.asarray(scores, dtype=np.float64), prices)
        self.rows += 1
        return out

    def replay(self, timestamp: pd.Timestamp, scores: np.ndarray,
               weights: np.ndarray | None) -> None:
        """Move the state over a row decided before a restart: its scores and the weights it
        gave (None: it decided nothing). Reads no prices."""
        self._replay(pd.Timestamp(timestamp), np.asarray(scores, dtype=np.float64), weights)
        self.rows += 1

    @abstractmethod
    def _step(self, ts: pd.Timestamp, scores: np.ndarray, prices: pd.DataFrame | None
              ) -> np.ndarray: ...

    def _replay(self, ts: pd.Timestamp, scores: np.ndarray, weights: np.ndarray | None) -> None:
        self._step(ts, scores, None)

    def _row(self, ts: pd.Timestamp, scores: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(scores[None, :], index=pd.DatetimeIndex([ts]), columns=self.columns)

    def _hold(self) -> np.ndarray:
        return np.full(len(self.columns), np.nan)


class _Memoryless(RuleStepper):
    """Row t is the rule on score row t alone."""

    def _step(self, ts, scores, prices):
        if not self.due:
            return self._hold()
        return self.rule.weights(self._row(ts, scores), prices).to_numpy(dtype=np.float64)[0]

    def _replay(self, ts, scores, weights):
        pass  # nothing but the phase


class _Threshold(RuleStepper):
    """``threshold_long_flat`` holds a name whose score equals the threshold: the held state is
    the state, re-entered as a first row scored just above the threshold."""

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        super().__init__(rule, symbols, rebalance)
        self.held = np.zeros(len(self.columns))

    def _step(self, ts, scores, prices):
        above = math.nextafter(float(self.rule.threshold), math.inf)  # type: ignore[attr-defined]
        first = np.where(self.held > 0, above, np.nan)
        out = self.rule.weights(_two_rows(ts, first, scores, self.columns)).to_numpy()[1]
        self.held = np.where(np.isfinite(out) & (out > 0), 1.0, 0.0)
        return out if self.due else self._hold()


class _Hysteresis(RuleStepper):
    """The position per symbol (+1, 0, -1) after the previous row, re-entered as a first row
    scored just beyond the entry band of its side (``position_state`` needs nothing else)."""

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        super().__init__(rule, symbols, rebalance)
        self.position = np.zeros(len(self.columns))

    def _step(self, ts, scores, prices):
        enter = float(self.rule.enter)  # type: ignore[attr-defined]
        first = np.where(self.position > 0, math.nextafter(enter, math.inf),
                         np.where(self.position < 0, math.nextafter(-enter, -math.inf), np.nan))
        out = self.rule.weights(_two_rows(ts, first, scores, self.columns)).to_numpy()[1]
        self.position = np.sign(np.nan_to_num(out))
        return out if self.due else self._hold()


class _HeldBook(RuleStepper):
    """``topk_exposure`` without prices: its book holds its last output row (of every row
    with a score), and its equity stays the state's (1)."""

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        super().__init__(rule, symbols, rebalance)
        self.held = np.zeros(len(self.columns))

    def _step(self, ts, scores, prices):
        state = PortfolioState(weights=pd.Series(self.held, index=self.columns))
        out = self.rule.weights(self._row(ts, scores), None, state).to_numpy()[0]
        if np.isfinite(scores).any():
            self.held = out
        return out if self.due else self._hold()


class _Decisions(RuleStepper):
    """A :class:`DecisionRule` handed only the rebalance rows, each with the weights of its
    previous decision and its ``lookback`` trailing returns."""

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        super().__init__(rule, symbols, rebalance)
        self.previous: np.ndarray | None = None
        self.price_rows = int(rule.lookback) + 1  # type: ignore[attr-defined]

    def _step(self, ts, scores, prices):
        if not self.due or not np.isfinite(scores).any():
            return self._hold()
        held = None if self.previous is None else pd.Series(self.previous, index=self.columns)
        trailing = None if prices is None else prices.iloc[-self.price_rows:]
        out = self.rule.weights(self._row(ts, scores), trailing,
                                PortfolioState(weights=held)).to_numpy()[0]
        self.previous = out
        return out

    def _replay(self, ts, scores, weights):
        if weights is not None and self.due and np.isfinite(scores).any():
            self.previous = np.asarray(weights, dtype=np.float64)


class FullHistory(RuleStepper):
    """Any rule: ``weights_from_scores`` over every row so far (exact; grows with the rows)."""

    def __init__(self, rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> None:
        super().__init__(rule, symbols, rebalance)
        self.price_rows = None if rule.needs_prices else 0
        self.scores: list[np.ndarray] = []
        self.index: list[pd.Timestamp] = []

    def _step(self, ts, scores, prices):
        self._replay(ts, scores, None)
        history = pd.DataFrame(np.vstack(self.scores), index=pd.DatetimeIndex(self.index),
                               columns=self.columns)
        weights = weights_from_scores(history, self.rule, rebalance=self.rebalance,
                                      prices=prices)
        return weights.to_numpy(dtype=np.float64)[-1]

    def _replay(self, ts, scores, weights):
        self.scores.append(scores)
        self.index.append(ts)


def rule_stepper(rule: PortfolioRule, symbols: list[str] | pd.Index, rebalance: int = 1
                 ) -> RuleStepper:
    """The incremental form of ``rule`` (see the module); :class:`FullHistory` for a rule
    without one."""
    kind = type(rule)
    if kind in (TopK, Quantile, Proportional) or (kind is EqualWeight
                                                  and rule.limits.trades_all):  # type: ignore[attr-defined]
        return _Memoryless(rule, symbols, rebalance)
    if kind is Threshold:
        return _Threshold(rule, symbols, rebalance)
    if kind is Hysteresis:
        return _Hysteresis(rule, symbols, rebalance)
    if kind is TopKExposure and not rule.needs_prices:
        return _HeldBook(rule, symbols, rebalance)
    if isinstance(rule, DecisionRule) and _decides_alone(rule):
        return _Decisions(rule, symbols, rebalance)
    return FullHistory(rule, symbols, rebalance)


def _decides_alone(rule: DecisionRule) -> bool:
    """A decision rule whose ``weights`` is the base loop (then at most caps that act row by
    row): a minimum trade would carry another state (its drifted book) between rows."""
    weights = type(rule).weights
    if weights is DecisionRule.weights:
        return True
    return weights is RiskParity.weights and rule.limits.trades_all  # type: ignore[attr-defined]


def _two_rows(ts: pd.Timestamp, first: np.ndarray, second: np.ndarray, columns: pd.Index
              ) -> pd.DataFrame:
    """A frame of a state-carrying first row (a nanosecond before ``ts``) and the row at ``ts``."""
    index = pd.DatetimeIndex([ts - pd.Timedelta(1, "ns"), ts])
    return pd.DataFrame(np.vstack([first, second]), index=index, columns=columns)
