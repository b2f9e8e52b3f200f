"""Driving a bot from a :class:`~alphafactory.feeds.BarFeed`: one decision per closed bar.

For each :class:`~alphafactory.feeds.BarEvent` the driver appends the event's bars to the bot
(:meth:`Bot.extend`; a replay bot already holds them), brings a simulated-clock venue to the
bar's close and collects its fills, then calls :meth:`Bot.step` at that bar, which polls a
champion watcher first. A live broker's clock is its own: the step is told the bar. Bars before
the bot's first traded bar only extend its history. On a replay of the session's own bars this
books exactly what :meth:`Bot.run` books. The bot keeps a bounded window of the bars it is fed
(:class:`~alphafactory.live.window.BarWindow`), so a feed may run for months.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alphafactory.execution import SimulatedClockVenue
from alphafactory.feeds.base import BarFeed
from alphafactory.live.bot import Bot

__all__ = ["drive_feed", "run_feed"]

log = logging.getLogger("alphafactory.live")


async def drive_feed(bot: Bot, feed: BarFeed, *, max_bars: int | None = None,
                     halted: Callable[[], bool] | None = None) -> int:
    """Decide on each new closed bar of ``feed`` until it ends, ``max_bars`` bars were decided
    on, or ``halted()``; the bars decided on."""
    if max_bars is not None and max_bars < 0:
        raise ValueError(f"max_bars must be >= 0, got {max_bars}.")
    venue, handled = bot.venue, 0
    while max_bars is None or handled < max_bars:
        if halted is not None and halted():
            log.warning("bot %s halted by the kill switch at %s", bot.config.name, venue.now())
            break
        event = await feed.next_event()
        if event is None:
            break
        bot.extend(event.bars)
        ts = event.timestamp
        if ts < bot.start_ts:
            continue
        if bot.window.position(ts) is None:
            log.warning("bot %s: feed bar %s holds none of its symbols; skipped",
                        bot.config.name, ts)
            continue
        if isinstance(venue, SimulatedClockVenue):
            if ts < venue.now():  # a restarted replay: this bar is behind the venue's clock
                continue
            if ts > venue.now():
                venue.advance(ts)
                bot.orders.collect()
            bot.step()
        else:
            bot.orders.collect()
            bot.step(ts)
        handled += 1
    return handled


def run_feed(bot: Bot, feed: BarFeed, *, max_bars: int | None = None,
             halted: Callable[[], bool] | None = None) -> int:
    """:func:`drive_feed` in its own event loop (from synchronous code); the bars decided on."""
    return asyncio.run(drive_feed(bot, feed, max_bars=max_bars, halted=halted))
