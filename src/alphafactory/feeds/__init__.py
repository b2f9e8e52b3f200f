"""Bar feeds: new bars for the server, the monitor and the trading loop (see ``feeds.base``)."""

from alphafactory.feeds.base import BarEvent, BarFeed, FeedError, bar_interval
from alphafactory.feeds.manual import ManualFeed
from alphafactory.feeds.replay import ReplayConfig, ReplayFeed
from alphafactory.feeds.yfinance_poll import YFinanceConfig, YFinancePollFeed

__all__ = [
    "BarEvent",
    "BarFeed",
    "FeedError",
    "ManualFeed",
    "ReplayConfig",
    "ReplayFeed",
    "YFinanceConfig",
    "YFinancePollFeed",
    "bar_interval",
]
