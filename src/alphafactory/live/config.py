"""The trading file (``research/trading/*.toml``): typed, frozen sections; unknown keys raise.

::

    [bot]        name, broker ("paper" | "alpaca"), data (a bars spec), history (bars before
                 the first traded one), bars (timestamps traded, the last N of the data),
                 cash, rebalance, sizing ("next_open" | "last"), max_leverage, whole_shares,
                 store (a SQLAlchemy URL; default sqlite:///trading/<name>.db)
    [model]      artifact (a directory, or champion | challenger | vN of workflow), workflow,
                 registry_root; or momentum = N (a model-free score)
    [portfolio]  rule, params (the rule's parameters, ``alphafactory portfolio list``)
    [costs]      bps (flat, per traded notional), commission_per_share, commission_bps,
                 commission_min
    [[risk]]     one table per limit or breaker (``name`` and its parameters)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from alphafactory.backtest.costs import Commission, CostModel, FixedBps, NoCost
from alphafactory.config_io import check_keys, from_section
from alphafactory.errors import ConfigError
from alphafactory.portfolio import PortfolioRule, build_rule
from alphafactory.risk import RiskManager

__all__ = ["BROKERS", "CostsSection", "ModelSection", "TradingConfig", "TradingSection"]

#: Broker names a trading file may ask for.
BROKERS = ("paper", "alpaca")


@dataclass(frozen=True, kw_only=True, slots=True)
class TradingSection:
    name: str
    broker: str = "paper"
    data: str = "sample"
    history: int = 60
    bars: int = 252
    cash: float = 1e6
    rebalance: int = 1
    sizing: str = "next_open"
    max_leverage: float = 1.0
    whole_shares: bool = False
    store: str | None = None

    def __post_init__(self) -> None:
        if self.broker not in BROKERS:
            raise ConfigError(f"[bot] broker must be one of {list(BROKERS)}, got {self.broker!r}.")
        if self.history < 1 or self.bars < 2:
            raise ConfigError("[bot] needs history >= 1 and bars >= 2.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelSection:
    artifact: str | None = None
    workflow: str | None = None
    registry_root: str | None = None
    momentum: int | None = None

    def __post_init__(self) -> None:
        if (self.artifact is None) == (self.momentum is None):
            raise ConfigError("[model] needs exactly one of artifact = REF or momentum = N.")


@dataclass(frozen=True, kw_only=True, slots=True)
class CostsSection:
    bps: float = 0.0
    commission_per_share: float = 0.0
    commission_bps: float = 0.0
    commission_min: float = 0.0

    def model(self) -> CostModel:
        """The cost model these numbers describe."""
        model: CostModel = FixedBps(self.bps) if self.bps else NoCost()
        if self.commission_per_share or self.commission_bps or self.commission_min:
            model = model + Commission(per_share=self.commission_per_share,
                                       bps=self.commission_bps, minimum=self.commission_min)
        return model


@dataclass(frozen=True, kw_only=True, slots=True)
class TradingConfig:
    """A parsed trading file."""

    bot: TradingSection
    model: ModelSection
    rule: PortfolioRule
    costs: CostsSection = field(default_factory=CostsSection)
    risk: RiskManager | None = None
    source: Path | None = None
    #: The parsed file as read (stored with a session, for the dashboard's backtest of it).
    document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], source: Path | None = None) -> TradingConfig:
        where = str(source) if source else "the trading file"
        check_keys(doc, {"bot", "model", "portfolio", "costs", "risk"}, where)
        for key in ("bot", "model", "portfolio"):
            if key not in doc:
                raise ConfigError(f"{where} needs a [{key}] section.")
        try:
            bot = from_section(TradingSection, doc["bot"], f"[bot] of {where}")
            model = from_section(ModelSection, doc["model"], f"[model] of {where}")
            costs = from_section(CostsSection, doc.get("costs", {}), f"[costs] of {where}")
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        portfolio = doc["portfolio"]
        check_keys(portfolio, {"rule", "params"}, f"[portfolio] of {where}")
        rule = build_rule(portfolio.get("rule", "topk"), portfolio.get("params", {}))
        risk = RiskManager.from_config(doc["risk"], f"[[risk]] of {where}") if doc.get(
            "risk") else None
        return cls(bot=bot, model=model, rule=rule, costs=costs, risk=risk, source=source,
                   document=doc)

    @classmethod
    def read(cls, path: str | Path) -> TradingConfig:
        path = Path(path)
        with path.open("rb") as handle:
            return cls.from_mapping(tomllib.load(handle), path)
