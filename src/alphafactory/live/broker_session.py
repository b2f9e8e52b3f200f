"""A trading session on a real broker (``[bot] broker = "alpaca"``): history from the data,
new bars from a feed, orders at the broker.

The paper session (:func:`~alphafactory.live.session.open_session`) replays stored bars on a
simulated broker whose clock it moves; a broker session cannot move the broker's clock, so it
is driven by a :class:`~alphafactory.feeds.BarFeed` (``[feed]``): each closed bar the feed
delivers is one decision (:func:`~alphafactory.live.driver.run_feed`). The bot's history is the
last ``[bot] history`` bars of ``[bot] data``; with ``[feed] kind = "replay"`` the data's last
``[bot] bars`` bars are fed after it (a dry run against a paper account, offline against a
test server), with ``"yfinance"`` new bars are polled, with ``"alpaca"`` Alpaca's live trades
are aggregated into ``interval`` bars (bucketed on exchange timestamps).

Paper by default: :class:`~alphafactory.live.brokers.AlpacaBroker` trades the Alpaca *paper*
account of the keys; ``live=True`` trades the real account, and only when ``confirm`` equals
that account's number (or id), which the broker is asked for before anything is sent.

After a restart the broker catches up the fills since the bot's first decision (so fills made
while the bot was down are collected), then the bot reconciles as on paper.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alphafactory.data import load_bars
from alphafactory.errors import ConfigError
from alphafactory.execution import Venue
from alphafactory.live.bot import Bot
from alphafactory.live.config import TradingConfig
from alphafactory.live.corporate import adjusting_scorer
from alphafactory.live.session import (
    TRADING_FILE,
    TradingSession,
    bot_config_of,
    model_of,
    stop_file,
)
from alphafactory.live.store import TradingStore, default_store_url

if TYPE_CHECKING:
    from alphafactory.factory import FactoryStore
    from alphafactory.feeds import BarFeed
    from alphafactory.live.brokers import AlpacaBroker

__all__ = ["alpaca_broker", "build_feed", "open_broker_session", "replay_rate"]

log = logging.getLogger("alphafactory.live")
#: Seconds of market time in one daily bar for ``--speed`` (a US equity session).
SESSION_SECONDS = 6.5 * 3600


def replay_rate(interval: pd.Timedelta, speed: float) -> float:
    """Bars per wall-clock second for ``speed`` (market time per wall time; 0: as fast as
    taken): a daily bar counts as one 6.5-hour session."""
    if speed < 0:
        raise ConfigError(f"--speed must be >= 0, got {speed}.")
    seconds = interval.total_seconds()
    seconds = SESSION_SECONDS if seconds >= 20 * 3600 else seconds
    return 0.0 if speed == 0 else speed / seconds


def alpaca_broker(config: TradingConfig, *, live: bool = False,
                  fills_after: pd.Timestamp | None = None) -> AlpacaBroker:
    """An :class:`AlpacaBroker` from ``[alpaca]`` (paper unless ``live``), not started."""
    from alphafactory.live.brokers import AlpacaBroker, AlpacaCredentials

    a = config.alpaca
    keys = None if a.keys is None else Path(a.keys).expanduser()
    return AlpacaBroker(AlpacaCredentials.resolve(keys), live=live, after_close=a.after_close,
                        extended_hours=a.extended_hours, data_feed=a.data_feed,
                        fills_after=fills_after, trading_url=a.trading_url,
                        stream_url=a.stream_url, data_url=a.data_url)


def build_feed(config: TradingConfig, bars: pd.DataFrame, *, speed: float = 0.0) -> BarFeed:
    """The ``[feed]`` of ``config``; ``bars`` is the data loaded for the session (the replay's
    source and the symbols to follow)."""
    f = config.feed
    symbols = tuple(str(s) for s in bars.index.get_level_values(1).unique())
    if f.kind == "replay":
        from alphafactory.feeds import ReplayConfig, ReplayFeed, bar_interval

        rate = replay_rate(bar_interval(bars), speed)
        return ReplayFeed(bars, ReplayConfig(start=-config.bot.bars, bars_per_second=rate))
    if f.kind == "yfinance":
        from alphafactory.feeds import YFinanceConfig, YFinancePollFeed

        first = bars.index.get_level_values(0).min()
        return YFinancePollFeed(YFinanceConfig(symbols=symbols, start=str(first.date()),
                                               interval=f.interval,
                                               poll_seconds=f.poll_seconds))
    from alphafactory.feeds import AlpacaTradeSource, TradeBarAggregator, TradeBarFeed
    from alphafactory.live.brokers import AlpacaCredentials

    a = config.alpaca
    keys = AlpacaCredentials.resolve(None if a.keys is None else Path(a.keys).expanduser())
    source = AlpacaTradeSource(keys.key_id, keys.secret_key, symbols, feed=a.data_feed,
                               url_override=a.stream_url)
    return TradeBarFeed(source, TradeBarAggregator(f.interval, late=f.late))  # type: ignore[arg-type]


def open_broker_session(config: TradingConfig, *, live: bool = False,
                        confirm: str | None = None, store_url: str | None = None,
                        artifact: str | Path | None = None, workflow: str | None = None,
                        registry: FactoryStore | None = None, venue: Venue | None = None,
                        feed: BarFeed | None = None, speed: float = 0.0) -> TradingSession:
    """Build the bars, scorer, broker, feed, store and bot of a broker trading file.

    ``venue`` and ``feed`` replace the ones ``[alpaca]`` and ``[feed]`` describe (tests, other
    brokers). With ``live`` the broker's account must be ``confirm`` (its number or id).
    """
    b = config.bot
    if b.broker == "paper" and venue is None:
        raise ConfigError("open_broker_session trades a broker; the paper broker is "
                          "open_session's.")
    if live and not confirm:
        raise ConfigError("live trading needs --confirm ACCOUNT_ID (the account to trade).")
    url = store_url or b.store or default_store_url(b.name)
    store = TradingStore(url)
    try:
        data = load_bars(b.data)
        stamps = pd.DatetimeIndex(data.index.get_level_values(0).unique())
        replay = config.feed.kind == "replay" and feed is None
        need = b.history + (b.bars if replay else 0)
        if len(stamps) < need:
            raise ConfigError(f"{b.data} has {len(stamps)} timestamps; the session needs {need} "
                              f"(history {b.history}{f' + bars {b.bars}' if replay else ''}).")
        level = data.index.get_level_values(0)
        data = data[level >= stamps[-need]]
        # the bot knows bars up to its first traded one; the feed brings each later bar
        start = stamps[-b.bars] if replay else stamps[-1]
        history = data[data.index.get_level_values(0) <= start]
        if venue is None:
            decided = store.decisions(b.name)
            since = decided[0]["ts"] if decided else None
            venue = _started(alpaca_broker(config, live=live, fills_after=since))
            if live:
                _check_account(venue, confirm)
        if feed is None:
            feed = build_feed(config, data, speed=speed)
        if config.document is not None:
            store.set_flag(b.name, TRADING_FILE, _json(config.document))
        scorer, watcher = model_of(config, artifact, workflow, registry)
        scorer = adjusting_scorer(config, scorer, history)
        bot = Bot(bot_config_of(config), scorer=scorer, venue=venue, store=store,
                  bars=history, start=start, watcher=watcher)
    except BaseException:
        store.close()
        raise
    return TradingSession(config=config, bot=bot, store=store, stop_path=stop_file(url, b.name),
                          watcher=watcher, feed=feed)


def _started(broker: AlpacaBroker) -> AlpacaBroker:
    return broker.start()


def _check_account(broker: AlpacaBroker, confirm: str | None) -> None:
    """Refuse to trade a live account other than the one confirmed on the command line."""
    number, account_id = broker.account_identity()
    if confirm not in (number, account_id):
        broker.close()
        raise ConfigError(f"--confirm {confirm!r} does not match the Alpaca account of these "
                          f"keys ({number}); nothing was sent.")
    log.warning("LIVE trading on Alpaca account %s", number)


def _json(document: object) -> str:
    import json

    return json.dumps(document, default=str)
