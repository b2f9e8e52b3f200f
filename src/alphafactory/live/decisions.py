"""The trading bot's records: its configuration, one bar's decision, and the model watcher it
polls (what :mod:`alphafactory.live.bot` takes and returns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from alphafactory.backtest.costs import CostModel, NoCost
from alphafactory.execution import Order
from alphafactory.portfolio import PortfolioRule
from alphafactory.risk import RiskManager

__all__ = ["BotConfig", "Decision", "Watcher"]


@dataclass(frozen=True, kw_only=True, slots=True)
class BotConfig:
    """What a bot trades and how (the trading file's ``[bot]``, ``[portfolio]``, ``[risk]``)."""

    name: str
    rule: PortfolioRule
    rebalance: int = 1
    cost: CostModel = field(default_factory=NoCost)
    cash: float = 1e6
    max_leverage: float = 1.0
    whole_shares: bool = False
    sizing: str = "next_open"
    risk: RiskManager | None = None
    #: Timestamps of bars kept at least (more when the scorer, rule, risk manager or cost
    #: model read more): a short session keeps every bar; a long feed drops older ones.
    keep_bars: int = 1_000
    #: Bars a bar appended by a feed is costed over (None: twice the cost model's
    #: longest window; see :mod:`alphafactory.live.window`).
    cost_window: int | None = None

    def __post_init__(self) -> None:
        if self.sizing not in ("next_open", "last"):
            raise ValueError(f"sizing must be 'next_open' or 'last', got {self.sizing!r}.")
        if self.rebalance < 1:
            raise ValueError(f"rebalance must be >= 1 bar, got {self.rebalance}.")
        if self.keep_bars < 1 or (self.cost_window is not None and self.cost_window < 1):
            raise ValueError(f"keep_bars and cost_window must be >= 1, got {self.keep_bars}, "
                             f"{self.cost_window}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """One bar's decision: the target weights (None: hold), the orders sent and the version
    of the model that scored it (None: a scorer without versions)."""

    timestamp: pd.Timestamp
    target: pd.Series | None
    orders: tuple[Order, ...]
    latency_s: float
    model_version: str | None = None


class Watcher(Protocol):
    """What :class:`Bot` polls before each decision (a ``ChampionWatcher``)."""

    def check(self) -> str | None:
        """Install a new model if there is one; its version, or None."""
        ...
