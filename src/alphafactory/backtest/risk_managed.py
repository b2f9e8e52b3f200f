"""A backtest with the risk manager in the loop: limits on every decision, breakers on equity.

Why re-runs of the whole loop rather than segments or halt logic in C++
----------------------------------------------------------------------
Circuit breakers depend on the equity path, which depends on earlier decisions. The public
:func:`~alphafactory.backtest.backtest` starts from cash, so a segment between two decisions
cannot resume a book without paying to rebuild it; and the compiled loop is being changed by
another piece of work. The loop is deterministic and causal: equity at the close of bar b
depends only on the decision rows that trade by then. So this module walks the bars in Python
with a :class:`~alphafactory.risk.RiskSession` (limits on each decision row, breakers on each
close), runs the compiled loop on the targets so far, and when a breaker trips at bar b it
fixes the decision that acts on the trip (flatten, or scale down) and re-runs: the path up to b
is unchanged, and the result is one ordinary :class:`BacktestResult` whose cash, costs and
trades add up. It costs one compiled run per trip plus one; with no breaker, exactly one.

Timing: row t of ``weights`` is the proposal at the close of t. The risk manager sees the
closes up to t (the :class:`~alphafactory.risk.RiskContext` holds returns up to t); a breaker
tripped at the close of b flattens with the decision row b (``next_open`` / ``next_close``:
trading at b+1), or row b+1 with ``execution="close"`` (row b has already traded at that close).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel
from alphafactory.backtest.market import market_from
from alphafactory.backtest.result import BacktestResult
from alphafactory.backtest.vectorized import Execution, backtest
from alphafactory.data.wide import Panel
from alphafactory.risk import (
    Intervention,
    RiskContext,
    RiskLimit,
    RiskManager,
    RiskSession,
    interventions_frame,
    session_of,
)


@dataclass(frozen=True, kw_only=True)
class RiskManagedResult:
    """A risk-managed backtest.

    Attributes
    ----------
    result : BacktestResult
        The backtest of the targets the risk manager let through.
    targets : DataFrame
        Those targets, ``T x N`` (NaN rows: no decision).
    interventions : DataFrame
        Every intervention (:data:`alphafactory.risk.INTERVENTION_COLUMNS`), in time order.
    compiled_runs : int
        How many times the compiled loop ran (1 + the breaker trips).
    """

    result: BacktestResult
    targets: pd.DataFrame
    interventions: pd.DataFrame
    compiled_runs: int


def risk_managed_backtest(
    prices_or_bars: pd.DataFrame | Panel,
    weights: pd.DataFrame,
    *,
    risk: RiskManager,
    manual_resets: Sequence[pd.Timestamp | str] = (),
    cost: CostModel | None = None,
    execution: Execution = "next_open",
    cash: float = 1e6,
    borrow_bps: float = 0.0,
    participation_cap: float | None = None,
    unfilled: Literal["carry", "drop"] = "carry",
    whole_shares: bool = False,
    max_leverage: float = 1.0,
    max_gross_leverage: float | None = 1.0,
    periods_per_year: float | None = None,
) -> RiskManagedResult:
    """Backtest target weights with ``risk`` applied to every decision and every close.

    Parameters
    ----------
    prices_or_bars, weights
        As for :func:`~alphafactory.backtest.backtest`: row t of ``weights`` is the proposal at
        the close of t; an all-NaN (or absent) row is no decision.
    risk : RiskManager
        Limits and circuit breakers.
    manual_resets : sequence of timestamps
        When an operator resets a halt (any reset rule): the first bar at or after each.
    cost, execution, cash, borrow_bps, participation_cap, unfilled, whole_shares, max_leverage,
    max_gross_leverage, periods_per_year
        Passed to :func:`~alphafactory.backtest.backtest`.

    Returns
    -------
    RiskManagedResult
    """
    market = market_from(prices_or_bars)
    options = {
        "cost": cost, "execution": execution, "cash": cash, "borrow_bps": borrow_bps,
        "participation_cap": participation_cap, "unfilled": unfilled,
        "whole_shares": whole_shares, "max_leverage": max_leverage,
        "max_gross_leverage": max_gross_leverage, "periods_per_year": periods_per_year,
    }
    proposals = _proposals(weights, market)
    if not risk.limits:  # risk off: the plain backtest
        result = backtest(market, market.frame(proposals), **options)  # type: ignore[arg-type]
        return RiskManagedResult(result=result, targets=market.frame(proposals),
                                 interventions=interventions_frame(()), compiled_runs=1)
    walk = _Walk(market, proposals, risk, manual_resets,
                 lag=0 if execution == "close" else 1, cash=cash)
    state, pos, runs = RiskSession(risk, cash), 0, 0
    while True:
        pending = walk.pending  # what a trip at the previous bar imposes (execution="close")
        walk.run(state.copy() if risk.breakers else state, pos, None)
        walk.pending = pending
        result = backtest(market, market.frame(walk.targets), **options)  # type: ignore[arg-type]
        runs += 1
        if not risk.breakers:
            break
        tripped = walk.run(state, pos, result.equity.to_numpy())
        if tripped is None:
            break
        pos = tripped + 1
    return RiskManagedResult(
        result=result,
        targets=market.frame(walk.targets),
        interventions=interventions_frame(state.interventions),
        compiled_runs=runs,
    )


class _Walk:
    """The bar-by-bar decisions of one risk-managed backtest (the targets it fills)."""

    def __init__(self, market: Panel, proposals: np.ndarray, risk: RiskManager,
                 manual_resets: Sequence[pd.Timestamp | str], *, lag: int, cash: float) -> None:
        self.risk = risk
        self.timestamps = list(market.timestamps)
        self.symbols = tuple(str(s) for s in market.symbols)
        self.sessions = session_of(market.timestamps).tolist()
        self.proposals = proposals
        self.decision = ~np.isnan(proposals).all(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            close = market.close
            returns = np.vstack([np.zeros((1, close.shape[1])), close[1:] / close[:-1] - 1.0])
        self.returns = np.where(np.isfinite(returns), returns, 0.0)
        self.lookback = risk.lookback
        self.manual = np.zeros(len(self.timestamps), dtype=bool)
        for stamp in manual_resets:
            at = market.timestamps.searchsorted(_utc(stamp))
            if at < len(self.timestamps):
                self.manual[at] = True
        self.lag = lag
        self.targets = np.full(proposals.shape, np.nan)
        self.pending: np.ndarray | None = None
        self.checked: dict[int, tuple[np.ndarray, list[Intervention], RiskLimit | None]] = {}
        self.can_skip = not any(x.action == "halt" for x in risk.proposal_limits)

    def context(self, b: int) -> RiskContext:
        start = max(0, b - self.lookback + 1) if self.lookback else b + 1
        return RiskContext(timestamp=self.timestamps[b], symbols=self.symbols,
                           returns=self.returns[start : b + 1], session=self.sessions[b])

    def check(self, b: int) -> tuple[np.ndarray, list[Intervention], RiskLimit | None]:
        """The limits' verdict on decision row b (path-independent, so computed once)."""
        if b not in self.checked:
            self.checked[b] = self.risk.check(self.proposals[b], self.context(b))
        return self.checked[b]

    def fill_rest(self, state: RiskSession, start: int, *, record: bool) -> None:
        """Targets from ``start`` on when nothing is active and nothing halts: the checks."""
        rows = np.flatnonzero(self.decision[start:]) + start
        if not len(rows):
            return
        verdicts = [self.check(int(b)) for b in rows]
        self.targets[rows] = np.stack([v[0] for v in verdicts])
        if record:
            for _, records, _ in verdicts:
                state.interventions.extend(records)

    def run(self, state: RiskSession, start: int, equity: np.ndarray | None) -> int | None:
        """Fill targets from bar ``start``; with ``equity``, stop at a trip and return its bar."""
        for b in range(start, len(self.timestamps)):
            if equity is None and self.can_skip and self.pending is None and state.idle:
                self.fill_rest(state, b, record=not self.risk.breakers)
                return None
            ts, session = self.timestamps[b], self.sessions[b]
            row, self.pending = self.pending, None
            tripped = False
            if state.begin_bar(ts, session, manual_reset=bool(self.manual[b])) and (
                not self.decision[b] and state.last_proposal is not None
            ):
                row = state.decide(state.last_proposal, self.context(b))
            if self.lag == 1 and equity is not None:
                trip = state.observe(ts, session, equity[b])
                if trip is not None:
                    row, tripped = trip, True
            if self.decision[b]:
                row = state.decide(self.proposals[b], self.context(b), checked=self.check(b))
            if row is not None:
                self.targets[b] = row
            if self.lag == 0 and equity is not None and not tripped:
                trip = state.observe(ts, session, equity[b])
                if trip is not None:
                    self.pending, tripped = trip, True
            if tripped:
                return b
        return None


def _proposals(weights: pd.DataFrame, market: Panel) -> np.ndarray:
    if not isinstance(weights, pd.DataFrame):
        raise TypeError(f"weights must be a wide T x N DataFrame, got {type(weights).__name__}.")
    unknown = weights.columns.difference(market.symbols)
    if len(unknown):
        raise ValueError(f"weights have symbols the prices lack: {list(unknown[:5])}.")
    foreign = pd.DatetimeIndex(weights.index).difference(market.timestamps)
    if len(foreign):
        raise ValueError(f"weights have {len(foreign)} timestamp(s) that are not bar timestamps, "
                         f"e.g. {foreign[0]}; align the weights to the bars first.")
    aligned = weights.reindex(index=market.timestamps, columns=market.symbols)
    return aligned.to_numpy(dtype=np.float64)


def _utc(stamp: pd.Timestamp | str) -> pd.Timestamp:
    value = pd.Timestamp(stamp)
    return value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
