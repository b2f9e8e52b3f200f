"""Fixtures of the trading-loop tests: a year of the bundled daily bars and a bot factory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from alphafactory.backtest.costs import Commission, FixedBps
from alphafactory.data import load_sample
from alphafactory.execution import BarVenue
from alphafactory.live import Bot, BotConfig, MomentumScorer, PaperBroker, TradingStore
from alphafactory.portfolio import build_rule

YEAR = 252
COST = FixedBps(5.0) + Commission(per_share=0.005, minimum=1.0)


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    """The last year of the bundled sample plus 60 bars of history before it."""
    bars = load_sample()
    stamps = bars.index.get_level_values(0).unique()
    return bars[bars.index.get_level_values(0) >= stamps[-(YEAR + 60)]]


def traded(bars: pd.DataFrame, n: int = YEAR) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The last ``n`` timestamps of ``bars`` and the first of them."""
    stamps = bars.index.get_level_values(0).unique()
    start = stamps[-n]
    return bars[bars.index.get_level_values(0) >= start], start


def make_bot(bars: pd.DataFrame, url: str, *, n: int = YEAR, name: str = "parity",
             rule=None, rebalance: int = 5, risk=None, cost=COST, window: int = 20) -> Bot:
    window_bars, start = traded(bars, n)
    store = TradingStore(url)
    config = BotConfig(name=name, rule=rule or build_rule("topk", {"k": 2, "long_only": True}),
                       rebalance=rebalance, cost=cost, cash=1e6, risk=risk)
    venue = PaperBroker(lambda: BarVenue(window_bars, cost=cost, cash=1e6), store, name)
    return Bot(config, scorer=MomentumScorer(window), venue=venue, store=store, bars=bars,
               start=start)


def sqlite_url(tmp_path: Path, name: str = "bot") -> str:
    return f"sqlite:///{tmp_path / f'{name}.db'}"
