"""A trading session from a trading file: bars, scorer, paper broker, store and bot, wired.

:func:`open_session` builds everything a ``trade run`` needs; :func:`run_session` reconciles,
trades until the bars end or the kill switch, and returns a summary. The kill switch is the
store's ``halt`` flag (``alphafactory trade stop``) or a file ``<store folder>/<bot>.stop``:
when set, open orders are cancelled and the bot stops before its next decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alphafactory.data import load_bars
from alphafactory.execution import BarVenue
from alphafactory.live.bot import Bot, BotConfig
from alphafactory.live.config import TradingConfig
from alphafactory.live.paper import PaperBroker
from alphafactory.live.scorers import ModelScorer, MomentumScorer, Scorer
from alphafactory.live.store import TradingStore, default_store_url

__all__ = ["TradingSession", "open_session", "request_stop", "run_session", "stop_file"]

log = logging.getLogger("alphafactory.live")
HALT = "halt"


@dataclass(kw_only=True)
class TradingSession:
    """The wired parts of one bot's session."""

    config: TradingConfig
    bot: Bot
    store: TradingStore
    stop_path: Path | None


def stop_file(url: str, bot: str) -> Path | None:
    """The kill-switch file of a SQLite store (``<folder>/<bot>.stop``); None for a server."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent / f"{bot}.stop"


def request_stop(store: TradingStore, bot: str, *, reason: str = "trade stop") -> None:
    """Set the kill switch of ``bot`` in ``store``."""
    store.set_flag(bot, HALT, reason)


def open_session(config: TradingConfig, *, store_url: str | None = None,
                 artifact: str | Path | None = None, scorer: Scorer | None = None
                 ) -> TradingSession:
    """Build the bars, scorer, paper broker, store and bot a trading file describes.

    ``artifact`` (a local artifact directory) overrides ``[model] artifact``; ``scorer``
    overrides both.
    """
    b = config.bot
    if b.broker != "paper":
        raise ValueError(f"open_session builds paper sessions; broker {b.broker!r} is wired "
                         "by the CLI with --live.")
    url = store_url or b.store or default_store_url(b.name)
    store = TradingStore(url)
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
    if scorer is None:
        if artifact is not None or config.model.artifact is not None:
            scorer = ModelScorer(artifact or config.model.artifact)
        else:
            scorer = MomentumScorer(int(config.model.momentum))  # type: ignore[arg-type]
    bot_config = BotConfig(name=b.name, rule=config.rule, rebalance=b.rebalance, cost=cost,
                           cash=b.cash, max_leverage=b.max_leverage,
                           whole_shares=b.whole_shares, sizing=b.sizing, risk=config.risk)
    venue = PaperBroker(lambda: BarVenue(traded, cost=cost, cash=b.cash), store, b.name)
    bot = Bot(bot_config, scorer=scorer, venue=venue, store=store, bars=bars, start=start)
    return TradingSession(config=config, bot=bot, store=store, stop_path=stop_file(url, b.name))


def run_session(session: TradingSession, *, speed: float = 0.0) -> dict[str, object]:
    """Reconcile, then trade until the bars end or the kill switch; a summary."""
    bot, store, name = session.bot, session.store, session.config.bot.name

    def halted() -> bool:
        flagged = store.flag(name, HALT) is not None
        return flagged or (session.stop_path is not None and session.stop_path.exists())

    found = bot.start()
    log.info("bot %s: reconciled %s", name, found)
    bars = 0
    if not halted():
        bars = bot.run(speed=speed, halted=halted)
    stopped = halted()
    cancelled = bot.orders.cancel_all() if stopped else 0
    account = bot.venue.account()
    return {"bot": name, "bars": bars, "halted": stopped, "cancelled": cancelled,
            "clock": str(bot.venue.now()), "equity": account.equity, "cash": account.cash,
            "positions": {s: p.quantity for s, p in bot.venue.positions().items()},
            "reconciled": found}
