"""The trading file (``research/trading/*.toml``): typed, frozen sections; unknown keys raise.

::

    [bot]        name, broker ("paper" | "alpaca"), data (a bars spec), history (bars before
                 the first traded one), bars (timestamps traded, the last N of the data),
                 cash, rebalance, sizing ("next_open" | "last"), max_leverage,
                 max_gross_leverage (default 1: a proposal whose gross sum |w| exceeds it is
                 scaled down to it, by the risk limit of that name; a [[risk]] table of that
                 name sets it instead; none turns it off), whole_shares,
                 store (a SQLAlchemy URL; default sqlite:///trading/<name>.db),
                 corporate_actions ("yfinance" | "alpaca" | a CSV: splits and dividends after
                 the history rescale the bars the scorer sees; default none)
    [model]      artifact (a directory, or champion | challenger | vN of workflow), workflow,
                 registry_root; or momentum = N (a model-free score)
    [portfolio]  rule, params (the rule's parameters, ``alphafactory portfolio list``)
    [costs]      bps (flat, per traded notional), commission_per_share, commission_bps,
                 commission_min
    [[risk]]     one table per limit or breaker (``name`` and its parameters)
    [alpaca]     keys (a key file; default the APCA_API_KEY_ID / APCA_API_SECRET_KEY
                 environment), data_feed ("iex" | "sip"), after_close ("opg" | "day"),
                 extended_hours, trading_url / stream_url / data_url (overrides: a proxy, a
                 test server)
    [feed]       where a broker session's new bars come from: kind ("replay": the data's
                 last ``bars`` bars; "yfinance": polled; "alpaca": live trades aggregated
                 into bars), interval, poll_seconds, late ("drop" | "amend")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import inf
from pathlib import Path
from typing import Any

import tomllib

from alphafactory.backtest.costs import Commission, CostModel, FixedBps, NoCost
from alphafactory.config_io import check_keys, from_section
from alphafactory.errors import ConfigError
from alphafactory.portfolio import PortfolioRule, build_rule
from alphafactory.risk import RiskManager

__all__ = ["BROKERS", "FEEDS", "AlpacaSection", "CostsSection", "FeedSection", "ModelSection",
           "TradingConfig", "TradingSection"]

#: Broker names a trading file may ask for.
BROKERS = ("paper", "alpaca")
#: Where a broker session's bars come from.
FEEDS = ("replay", "yfinance", "alpaca")


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
    max_gross_leverage: float | None = 1.0
    whole_shares: bool = False
    store: str | None = None
    corporate_actions: str | None = None

    def __post_init__(self) -> None:
        if self.broker not in BROKERS:
            raise ConfigError(f"[bot] broker must be one of {list(BROKERS)}, got {self.broker!r}.")
        if self.history < 1 or self.bars < 2:
            raise ConfigError("[bot] needs history >= 1 and bars >= 2.")
        for key in ("max_leverage", "max_gross_leverage"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, (int, float))
                                          and not isinstance(value, bool) and 0 < value < inf):
                raise ConfigError(f"[bot] {key} must be a positive finite number, got {value!r}.")


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
class AlpacaSection:
    keys: str | None = None
    data_feed: str = "iex"
    after_close: str = "opg"
    extended_hours: bool = False
    trading_url: str | None = None
    stream_url: str | None = None
    data_url: str | None = None

    def __post_init__(self) -> None:
        if self.data_feed not in ("iex", "sip"):
            raise ConfigError(f"[alpaca] data_feed must be 'iex' or 'sip', got "
                              f"{self.data_feed!r}.")
        if self.after_close not in ("opg", "day"):
            raise ConfigError(f"[alpaca] after_close must be 'opg' or 'day', got "
                              f"{self.after_close!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedSection:
    kind: str = "replay"
    interval: str = "1d"
    poll_seconds: float = 60.0
    late: str = "drop"

    def __post_init__(self) -> None:
        if self.kind not in FEEDS:
            raise ConfigError(f"[feed] kind must be one of {list(FEEDS)}, got {self.kind!r}.")
        if self.late not in ("drop", "amend"):
            raise ConfigError(f"[feed] late must be 'drop' or 'amend', got {self.late!r}.")
        if not self.poll_seconds > 0:
            raise ConfigError(f"[feed] poll_seconds must be > 0, got {self.poll_seconds}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class TradingConfig:
    """A parsed trading file."""

    bot: TradingSection
    model: ModelSection
    rule: PortfolioRule
    costs: CostsSection = field(default_factory=CostsSection)
    risk: RiskManager | None = None
    alpaca: AlpacaSection = field(default_factory=AlpacaSection)
    feed: FeedSection = field(default_factory=FeedSection)
    source: Path | None = None
    #: The parsed file as read (stored with a session, for the dashboard's backtest of it).
    document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], source: Path | None = None) -> TradingConfig:
        where = str(source) if source else "the trading file"
        check_keys(doc, {"bot", "model", "portfolio", "costs", "risk", "alpaca", "feed"}, where)
        for key in ("bot", "model", "portfolio"):
            if key not in doc:
                raise ConfigError(f"{where} needs a [{key}] section.")
        try:
            bot = from_section(TradingSection, doc["bot"], f"[bot] of {where}")
            model = from_section(ModelSection, doc["model"], f"[model] of {where}")
            costs = from_section(CostsSection, doc.get("costs", {}), f"[costs] of {where}")
            alpaca = from_section(AlpacaSection, doc.get("alpaca", {}), f"[alpaca] of {where}")
            feed = from_section(FeedSection, doc.get("feed", {}), f"[feed] of {where}")
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        portfolio = doc["portfolio"]
        check_keys(portfolio, {"rule", "params"}, f"[portfolio] of {where}")
        rule = build_rule(portfolio.get("rule", "topk"), portfolio.get("params", {}))
        risk = _risk_manager(doc, bot, where)
        if bot.broker != "paper" and bot.sizing != "last":
            raise ConfigError(f"[bot] of {where}: broker {bot.broker!r} sizes orders from the "
                              f"latest price (a live broker does not know the next open): set "
                              f"sizing = \"last\", got {bot.sizing!r}.")
        if bot.corporate_actions is not None and feed.kind == "yfinance":
            raise ConfigError(f"[bot] of {where}: corporate_actions adjusts raw bars, and the "
                              f"yfinance feed's bars are adjusted already: drop one of them.")
        if bot.broker == "paper" and doc.get("feed", {}).get("kind", "replay") != "replay":
            raise ConfigError(f"[feed] of {where}: the paper broker replays the data's bars "
                              f"(kind \"replay\"); a live feed needs broker = \"alpaca\".")
        return cls(bot=bot, model=model, rule=rule, costs=costs, risk=risk, alpaca=alpaca,
                   feed=feed, source=source, document=doc)

    @classmethod
    def read(cls, path: str | Path) -> TradingConfig:
        path = Path(path)
        with path.open("rb") as handle:
            return cls.from_mapping(tomllib.load(handle), path)


def _risk_manager(doc: Mapping[str, Any], bot: TradingSection, where: str
                  ) -> RiskManager | None:
    """The [[risk]] limits, with ``max_gross_leverage`` first unless a table sets it.

    ``[bot] max_gross_leverage`` is the option of that name of the backtest and the workflow;
    in a trading session the risk limit of that name applies it (the bot and the backtest of
    its store then scale alike). Giving it both ways is an error: one value, one place.
    """
    tables = list(doc.get("risk") or [])
    named = [t for t in tables if isinstance(t, Mapping) and t.get("name") == "max_gross_leverage"]
    if named and "max_gross_leverage" in doc["bot"]:
        raise ConfigError(f"{where}: max_gross_leverage is set in [bot] and in a [[risk]] table; "
                          "keep one.")
    if not named and bot.max_gross_leverage is not None:
        tables.insert(0, {"name": "max_gross_leverage", "max_gross": bot.max_gross_leverage})
    return RiskManager.from_config(tables, f"[[risk]] of {where}") if tables else None
