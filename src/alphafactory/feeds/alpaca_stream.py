"""Live trades from Alpaca's market-data stream, as an async iterator of :class:`Trade`.

Thin on purpose: alpaca-py's ``StockDataStream`` runs on a daemon thread and hands each trade
(exchange timestamp, symbol, price, size) to the event loop that iterates; bars are built by
:class:`~alphafactory.feeds.trade_bars.TradeBarAggregator` inside a
:class:`~alphafactory.feeds.trade_bars.TradeBarFeed`::

    source = AlpacaTradeSource(key_id, secret_key, ["AAPL", "MSFT"], feed="iex")
    feed = TradeBarFeed(source, TradeBarAggregator("1min"))

Needs the ``alpaca`` extra. ``feed="iex"`` is the free feed (one exchange's prints), ``"sip"``
all US exchanges (a subscription). The stream reconnects by itself; trades printed while it is
down are not replayed, so their bars are built from the trades that did arrive.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Sequence

import pandas as pd

from alphafactory.feeds.base import FeedError
from alphafactory.feeds.trade_bars import Trade

__all__ = ["AlpacaTradeSource"]


class AlpacaTradeSource:
    """Trades of ``symbols`` from Alpaca's stock data stream (see the module doc)."""

    def __init__(self, key_id: str, secret_key: str, symbols: Sequence[str], *,
                 feed: str = "iex", url_override: str | None = None) -> None:
        if not symbols:
            raise FeedError("AlpacaTradeSource needs at least one symbol.")
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                from alpaca.data.enums import DataFeed
                from alpaca.data.live import StockDataStream
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise FeedError("live Alpaca trades need alpaca-py: pip install "
                            "'alphafactory[alpaca]'.") from error
        self.symbols = tuple(symbols)
        self._stream = StockDataStream(key_id, secret_key, feed=DataFeed(feed),
                                       url_override=url_override)
        self._stream.subscribe_trades(self._on_trade, *self.symbols)
        self._queue: asyncio.Queue[Trade | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"AlpacaTradeSource({', '.join(self.symbols)})"

    def __aiter__(self) -> AlpacaTradeSource:
        return self

    async def __anext__(self) -> Trade:
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._stream.run, daemon=True,
                                            name="alpaca-trades")
            self._thread.start()
        trade = await self._queue.get()
        if trade is None:
            raise StopAsyncIteration
        return trade

    async def _on_trade(self, raw: object) -> None:
        trade = Trade(ts=pd.Timestamp(raw.timestamp).tz_convert("UTC"), symbol=raw.symbol,
                      price=float(raw.price), size=float(raw.size))
        self._put(trade)

    def _put(self, item: Trade | None) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        else:
            self._queue.put_nowait(item)

    def close(self) -> None:
        """Stop the stream; the iteration ends after the trades already queued."""
        if self._thread is not None:
            try:
                self._stream.stop()
            except RuntimeError:  # its loop already ended
                pass
            self._thread = None
        self._put(None)
