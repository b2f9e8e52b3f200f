"""Bar feeds: new bars for the server, the monitor and the trading loop (see ``feeds.base``)."""

from alphafactory.feeds.alpaca_stream import AlpacaTradeSource
from alphafactory.feeds.base import BarEvent, BarFeed, FeedError, bar_interval
from alphafactory.feeds.manual import ManualFeed
from alphafactory.feeds.replay import ReplayConfig, ReplayFeed
from alphafactory.feeds.trade_bars import (
    Trade,
    TradeBar,
    TradeBarAggregator,
    TradeBarFeed,
    read_trades,
    replay_trades,
    trades_to_bars,
)
from alphafactory.feeds.yfinance_poll import YFinanceConfig, YFinancePollFeed

__all__ = [
    "AlpacaTradeSource",
    "BarEvent",
    "BarFeed",
    "FeedError",
    "ManualFeed",
    "ReplayConfig",
    "ReplayFeed",
    "Trade",
    "TradeBar",
    "TradeBarAggregator",
    "TradeBarFeed",
    "YFinanceConfig",
    "YFinancePollFeed",
    "bar_interval",
    "read_trades",
    "replay_trades",
    "trades_to_bars",
]
