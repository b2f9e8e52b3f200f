"""Corporate actions in the trading loop: a bot fed raw bars through a 2-for-1 split, with the
split in its ``corporate_actions`` file, scores exactly as a bot on the adjusted bars; without
the file the split is a false crash in its momentum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import load_sample
from alphafactory.data.corporate_actions import CorporateActions, write_corporate_actions
from alphafactory.data.csv_io import write_ohlcv_csv
from alphafactory.errors import ConfigError
from alphafactory.live.config import TradingConfig
from alphafactory.live.corporate import AdjustingScorer
from alphafactory.live.scorers import MomentumScorer
from alphafactory.live.session import run_session

TRADED = 20
HISTORY = 30
TRADING_FILE = """
[bot]
name = "{name}"
broker = "alpaca"
data = "{data}"
history = {history}
sizing = "last"
{actions}

[model]
momentum = 10

[portfolio]
rule = "topk"
params = {{ k = 1, long_only = true }}
"""


@pytest.fixture(scope="module")
def split_data(tmp_path_factory) -> dict:
    """Adjusted bars of three symbols and the raw bars of the same with a 2-for-1 split of one
    of them mid-session: the history known before the split (a file, raw = adjusted then), the
    bars a feed delivers after it, and the actions file."""
    root = tmp_path_factory.mktemp("split")
    sample = load_sample()
    symbols = list(sample.index.get_level_values(1).unique()[:3])
    bars = sample[sample.index.get_level_values(1).isin(symbols)]
    stamps = bars.index.get_level_values(0).unique()
    bars = bars[bars.index.get_level_values(0) >= stamps[-(HISTORY + TRADED)]]
    ex_date, symbol = stamps[-TRADED // 2], symbols[0]
    raw = bars.copy()
    before = (raw.index.get_level_values(0) < ex_date) & (
        raw.index.get_level_values(1) == symbol)
    raw.loc[before, ["open", "high", "low", "close"]] *= 2.0  # as traded before the split
    raw.loc[before, "volume"] /= 2.0
    first = stamps[-TRADED]
    files = {}
    for name, frame in (("adjusted", bars), ("raw", raw)):
        files[name] = root / f"{name}-history.csv"
        write_ohlcv_csv(frame[frame.index.get_level_values(0) < first], files[name])
    actions = root / "actions.csv"
    write_corporate_actions(CorporateActions(table=pd.DataFrame(
        {"symbol": [symbol], "ex_date": [ex_date], "split": [2.0], "dividend": [0.0]})), actions)
    return {"bars": bars, "raw": raw, "files": files, "actions": actions, "symbol": symbol,
            "ex_date": ex_date, "first": first}


def session_scores(tmp_path: Path, name: str, split: dict, kind: str,
                   actions: Path | None) -> pd.DataFrame:
    """Decide on the feed's bars (the ``kind`` series) after the ``kind`` history; the scores
    of every decision."""
    from alphafactory.execution import BarVenue
    from alphafactory.feeds import ReplayConfig, ReplayFeed
    from alphafactory.live import PaperBroker
    from alphafactory.live.broker_session import open_broker_session
    from alphafactory.live.store import TradingStore

    bars = split["bars" if kind == "adjusted" else "raw"]
    path = tmp_path / f"{name}.toml"
    line = "" if actions is None else f'corporate_actions = "{actions}"'
    path.write_text(TRADING_FILE.format(name=name, data=split["files"][kind], history=HISTORY,
                                        actions=line))
    url = f"sqlite:///{tmp_path}/{name}.db"
    traded = bars[bars.index.get_level_values(0) >= split["first"]]
    venue = PaperBroker(lambda: BarVenue(traded, cash=1e6), TradingStore(url), name)
    feed = ReplayFeed(bars, ReplayConfig(start=-TRADED, bars_per_second=0))
    session = open_broker_session(TradingConfig.read(path), store_url=url, venue=venue,
                                  feed=feed)
    run_session(session)
    decided = session.store.decisions(name)
    session.close()
    return pd.DataFrame([d["scores"] for d in decided],
                        index=pd.DatetimeIndex([d["ts"] for d in decided]))


def test_raw_bars_with_their_split_score_as_the_adjusted_bars(split_data, tmp_path):
    symbol, ex_date = split_data["symbol"], split_data["ex_date"]
    adjusted = session_scores(tmp_path, "adjusted", split_data, "adjusted", None)
    fixed = session_scores(tmp_path, "fixed", split_data, "raw", split_data["actions"])
    naive = session_scores(tmp_path, "naive", split_data, "raw", None)
    assert len(adjusted) == len(fixed) == TRADED
    np.testing.assert_allclose(fixed.to_numpy(), adjusted.to_numpy(), rtol=1e-12)
    # without the actions the split reads as a -50% move for 10 bars after the ex-date
    jump = naive[symbol] - adjusted[symbol]
    assert (jump[jump.index >= ex_date] < -0.4).all()
    assert np.allclose(jump[jump.index < ex_date], 0.0)


def test_the_scorer_applies_only_known_actions_after_the_history(split_data):
    from alphafactory.data.corporate_actions import read_corporate_actions

    raw, actions, ex_date = split_data["raw"], split_data["actions"], split_data["ex_date"]
    loads: list[pd.Timestamp] = []

    def load(now):
        loads.append(now)
        return read_corporate_actions(actions)

    stamps = raw.index.get_level_values(0).unique()
    before = stamps[stamps < ex_date]
    scorer = AdjustingScorer(MomentumScorer(10), load, since=before[-5])
    level = raw.index.get_level_values(0)
    scorer(raw[level <= before[-1]])
    assert scorer.applied == 0  # the split is not ex yet
    scorer(raw[level <= ex_date])
    assert scorer.applied == 1
    late = AdjustingScorer(MomentumScorer(10), load, since=ex_date)
    late(raw)
    assert late.applied == 0  # a history loaded after the ex-date is adjusted already
    assert len(loads) == 3  # one load per day of bars, not per call


def test_a_yfinance_feed_refuses_corporate_actions():
    doc = {"bot": {"name": "a", "broker": "alpaca", "sizing": "last",
                   "corporate_actions": "alpaca"},
           "model": {"momentum": 5}, "portfolio": {"rule": "topk"}, "feed": {"kind": "yfinance"}}
    with pytest.raises(ConfigError, match="adjusted already"):
        TradingConfig.from_mapping(doc)
