"""A trading session from a trading file: bars, scorer, paper broker, store and bot, wired.

:func:`open_session` builds everything a ``trade run`` needs; :func:`run_session` reconciles,
trades until the bars end or the kill switch, and returns a summary. The kill switch is the
store's ``halt`` flag (``alphafactory trade stop``) or a file ``<store folder>/<bot>.stop``:
when set, open orders are cancelled and the bot stops before its next decision.

A model named by a registry alias (``artifact = "champion"`` with a ``workflow``) is followed:
the session builds a :class:`~alphafactory.factory.ChampionWatcher` whose ``on_new`` swaps the
scorer's model, and the bot polls it once before each decision.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alphafactory.data import load_bars
from alphafactory.execution import BarVenue
from alphafactory.live.bot import Bot, BotConfig
from alphafactory.live.config import TradingConfig
from alphafactory.live.corporate import adjusting_scorer
from alphafactory.live.paper import PaperBroker
from alphafactory.live.scorers import ModelScorer, MomentumScorer, Scorer
from alphafactory.live.store import TradingStore, default_store_url

if TYPE_CHECKING:
    from alphafactory.factory import ChampionWatcher, FactoryStore
    from alphafactory.feeds import BarFeed

__all__ = ["TradingSession", "bot_config_of", "follow_alias", "model_of", "open_session",
           "request_stop", "run_session", "stop_file"]

log = logging.getLogger("alphafactory.live")
HALT = "halt"
#: The control flag holding the trading file a session was opened from (JSON).
TRADING_FILE = "trading_file"


@dataclass(kw_only=True)
class TradingSession:
    """The wired parts of one bot's session."""

    config: TradingConfig
    bot: Bot
    store: TradingStore
    stop_path: Path | None
    watcher: ChampionWatcher | None = None
    #: Where new bars come from (a broker session); None: the paper replay moves its clock.
    feed: BarFeed | None = None

    def close(self) -> None:
        """Close the feed, the broker (its streams) and the store."""
        for part in (self.feed, self.bot.venue):
            close = getattr(part, "close", None)
            if close is not None:
                close()
        self.store.close()


def stop_file(url: str, bot: str) -> Path | None:
    """The kill-switch file of a SQLite store (``<folder>/<bot>.stop``); None for a server."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent / f"{bot}.stop"


def request_stop(store: TradingStore, bot: str, *, reason: str = "trade stop") -> None:
    """Set the kill switch of ``bot`` in ``store``."""
    store.set_flag(bot, HALT, reason)


def follow_alias(workflow: str, alias: str, *, store: FactoryStore | None = None
                 ) -> tuple[ModelScorer, ChampionWatcher]:
    """A scorer on the version ``alias`` of ``workflow`` points at now, and the watcher that
    swaps it for each later version (the bot calls its ``check()`` between decisions)."""
    from alphafactory.errors import ModelError
    from alphafactory.factory import ChampionWatcher, FactoryStore, Registry

    store = store or FactoryStore()
    database = store.sqlite_path
    if database is not None and not database.is_file():  # reading must not create a registry
        raise ModelError(f"{alias!r} of workflow {workflow!r}: no model registry at {database} "
                         "(run the factory first, or name its store).")
    registry = Registry(store)
    version = registry.alias_version(workflow, alias)
    if version is None:
        raise ModelError(f"workflow {workflow!r} has no {alias!r} model to trade yet.")
    scorer = ModelScorer(registry.download(workflow, version), version)
    watcher = ChampionWatcher(registry, workflow, alias=alias, on_new=scorer.swap,
                              current=version)
    return scorer, watcher


def model_of(config: TradingConfig, artifact: str | Path | None, workflow: str | None,
           registry: FactoryStore | None) -> tuple[Scorer, ChampionWatcher | None]:
    """The scorer ``[model]`` (or ``artifact``) names, and the watcher following an alias."""
    m = config.model
    ref = artifact if artifact is not None else m.artifact
    if ref is None:
        return MomentumScorer(int(m.momentum)), None  # type: ignore[arg-type]
    if isinstance(ref, Path) or not ref.strip():
        return ModelScorer(ref), None
    from alphafactory.factory.registry import ALIASES, is_registry_ref, resolve_artifact

    if not is_registry_ref(ref):
        return ModelScorer(ref), None
    workflow = workflow or m.workflow
    if registry is None and m.registry_root:
        from alphafactory.factory import FactoryStore

        registry = FactoryStore.at(m.registry_root)
    if ref in ALIASES and workflow:
        return follow_alias(workflow, ref, store=registry)
    path = resolve_artifact(ref, workflow=workflow, store=registry)
    return ModelScorer(path, ref.removeprefix("v")), None


def bot_config_of(config: TradingConfig) -> BotConfig:
    """The bot's part of a trading file."""
    b = config.bot
    return BotConfig(name=b.name, rule=config.rule, rebalance=b.rebalance,
                     cost=config.costs.model(), cash=b.cash, max_leverage=b.max_leverage,
                     whole_shares=b.whole_shares, sizing=b.sizing, risk=config.risk)


def open_session(config: TradingConfig, *, store_url: str | None = None,
                 artifact: str | Path | None = None, scorer: Scorer | None = None,
                 workflow: str | None = None, registry: FactoryStore | None = None
                 ) -> TradingSession:
    """Build the bars, scorer, paper broker, store and bot a trading file describes.

    ``artifact`` (a local artifact directory, or ``champion``, ``challenger`` or ``v<N>`` of
    ``workflow`` in the registry of ``registry``) overrides ``[model] artifact`` (and
    ``workflow``, ``registry`` its ``workflow`` and ``registry_root``); ``scorer`` overrides
    both. An alias is followed: the session's watcher swaps in each new version between
    decisions.
    """
    b = config.bot
    if b.broker != "paper":
        raise ValueError(f"open_session builds paper sessions; broker {b.broker!r} is wired "
                         "by the CLI with --live.")
    url = store_url or b.store or default_store_url(b.name)
    store = TradingStore(url)
    if config.document is not None:
        store.set_flag(b.name, TRADING_FILE, json.dumps(config.document, default=str))
    bars = load_bars(b.data)
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
    if len(stamps) < b.history + b.bars:
        raise ValueError(f"{b.data} has {len(stamps)} timestamps; [bot] asks for history "
                         f"{b.history} + bars {b.bars}.")
    level = bars.index.get_level_values(0)
    bars = bars[level >= stamps[-(b.history + b.bars)]]
    start = stamps[-b.bars]
    traded = bars[bars.index.get_level_values(0) >= start]
    cost = config.costs.model()
    watcher = None
    if scorer is None:
        scorer, watcher = model_of(config, artifact, workflow, registry)
        scorer = adjusting_scorer(config, scorer, bars[bars.index.get_level_values(0) < start])
    bot_config = bot_config_of(config)
    venue = PaperBroker(lambda: BarVenue(traded, cost=cost, cash=b.cash), store, b.name)
    bot = Bot(bot_config, scorer=scorer, venue=venue, store=store, bars=bars, start=start,
              watcher=watcher)
    return TradingSession(config=config, bot=bot, store=store, stop_path=stop_file(url, b.name),
                          watcher=watcher)


def run_session(session: TradingSession, *, speed: float = 0.0, feed: BarFeed | None = None
                ) -> dict[str, object]:
    """Reconcile, then trade until the bars end or the kill switch; a summary.

    With ``feed`` (default: the session's own, a broker session's) the bot decides on each
    closed bar the feed delivers (:func:`~alphafactory.live.driver.run_feed`) instead of
    replaying its own bars at ``speed``.
    """
    feed = feed if feed is not None else session.feed
    bot, store, name = session.bot, session.store, session.config.bot.name

    def halted() -> bool:
        flagged = store.flag(name, HALT) is not None
        return flagged or (session.stop_path is not None and session.stop_path.exists())

    found = bot.start()
    log.info("bot %s: reconciled %s", name, found)
    bars = 0
    if not halted():
        if feed is not None:
            from alphafactory.live.driver import run_feed

            bars = run_feed(bot, feed, halted=halted)
        else:
            bars = bot.run(speed=speed, halted=halted)
    stopped = halted()
    cancelled = bot.orders.cancel_all() if stopped else 0
    account = bot.venue.account()
    return {"bot": name, "bars": bars, "halted": stopped, "cancelled": cancelled,
            "clock": str(bot.venue.now()), "equity": account.equity, "cash": account.cash,
            "model_version": bot.model_version,
            "positions": {s: p.quantity for s, p in bot.venue.positions().items()},
            "reconciled": found}
