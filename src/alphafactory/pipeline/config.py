"""Settings of the book-execution step (:mod:`alphafactory.pipeline.execution_step`).

A workflow builds them from its ``[backtest]`` and ``[execution]`` sections (see
:mod:`alphafactory.pipeline.sections`); they are not read from TOML themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioSettings:
    """How scores become weights and what trading costs.

    The portfolio is dollar neutral: long the top of ``quantiles`` score buckets, short the bottom
    one, gross exposure ``gross``, rebalanced every ``rebalance_every`` bars, traded at the next
    open.
    Costs follow the square-root law: ``half_spread_bps + eta * sigma * sqrt(q / ADV)``.
    """

    quantiles: int = 5
    gross: float = 1.0
    rebalance_every: int = 5
    cash: float = 1e6
    eta: float = 1.0
    half_spread_bps: float = 2.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionSettings:
    """Book execution of the ensemble's rebalances through the C++ matching engine.

    Every order of the ensemble's backtest becomes a parent order split by ``algo`` into
    ``slices`` child orders over ``horizon_seconds`` of simulated Poisson order flow (see
    :func:`alphafactory.backtest.lob.lob_backtest`).
    """

    algo: str = "twap"
    style: str = "passive"
    slices: int = 5
    horizon_seconds: float = 300.0
