"""The backtest of a bot's store (alphafactory.live.parity) against the equity a short paper
session stored: equal to 1e-9, with and without the risk manager; clear errors otherwise."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from alphafactory.errors import ConfigError, DataError
from alphafactory.live import TradingStore
from alphafactory.live.config import TradingConfig
from alphafactory.live.parity import backtest_of_store, store_label
from alphafactory.live.session import TRADING_FILE, open_session, run_session

from .conftest import sqlite_url

# research/trading/daily.toml, shortened to a few weeks.
DAILY = {
    "bot": {"name": "daily", "broker": "paper", "data": "sample", "history": 30, "bars": 40,
            "cash": 1_000_000.0, "rebalance": 1, "sizing": "next_open"},
    "model": {"momentum": 20},
    "portfolio": {"rule": "topk", "params": {"k": 2, "long_only": True}},
    "costs": {"bps": 5.0, "commission_per_share": 0.005, "commission_min": 1.0},
}  # fmt: skip
RISK = [{"name": "max_gross_leverage", "max_gross": 0.8},
        {"name": "daily_loss_limit", "max_loss": 0.01}]  # fmt: skip


def paper_session(url: str, doc: dict) -> TradingStore:
    session = open_session(TradingConfig.from_mapping(doc), store_url=url)
    summary = run_session(session)
    assert summary["bars"] == doc["bot"]["bars"]
    return session.store


def test_backtest_of_store_equals_stored_equity_to_1e9(tmp_path):
    store = paper_session(sqlite_url(tmp_path), DAILY)
    parity = backtest_of_store(store, "daily")
    equity = parity.equity
    assert len(equity) == DAILY["bot"]["bars"] and equity["backtest"].notna().all()
    assert parity.max_gap < 1e-9
    np.testing.assert_allclose(equity["backtest"], store.equity("daily")["equity"], rtol=1e-9)
    assert parity.result.turnover.sum() > 0  # it traded: the equality is not of flat books
    assert parity.interventions.empty and parity.config.bot.name == "daily"
    store.close()


def test_backtest_of_store_with_risk_manager_equals_stored_equity(tmp_path):
    doc = {**copy.deepcopy(DAILY), "risk": RISK}
    store = paper_session(sqlite_url(tmp_path), doc)
    parity = backtest_of_store(store, "daily")
    assert len(parity.interventions) > 0  # the limits acted on this window
    assert set(parity.interventions["limit"]) >= {"max_gross_leverage"}
    assert parity.max_gap < 1e-9
    store.close()


def test_backtest_of_store_shows_the_gap_of_a_different_execution(tmp_path):
    store = paper_session(sqlite_url(tmp_path), DAILY)
    doc = copy.deepcopy(DAILY)
    doc["costs"]["bps"] = 50.0  # the backtest now pays ten times the costs the bot paid
    store.set_flag("daily", TRADING_FILE, json.dumps(doc))
    parity = backtest_of_store(store, "daily")
    assert parity.max_gap > 1e-4
    assert (parity.equity["gap"].iloc[1:] >= 0).all()  # live paid less, so it is ahead
    store.close()


def test_backtest_of_store_without_trading_file_names_bot_and_store(tmp_path):
    store = TradingStore(sqlite_url(tmp_path))
    with pytest.raises(ConfigError, match=r"bot 'ghost' in sqlite:///.*bot\.db.*trading_file"):
        backtest_of_store(store, "ghost")
    store.close()


def test_backtest_of_store_with_unloadable_data_names_the_spec(tmp_path):
    store = TradingStore(sqlite_url(tmp_path))
    doc = copy.deepcopy(DAILY)
    doc["bot"]["data"] = str(tmp_path / "gone.parquet")
    store.set_flag("daily", TRADING_FILE, json.dumps(doc))
    store.save_decision("daily", np.datetime64("2024-01-02"), bar=0, cash=1e6, equity_value=1e6,
                        scores={"A": 1.0}, proposal=None, target=None, planned=())
    with pytest.raises(DataError, match=r"bot 'daily'.*cannot load its bars.*gone\.parquet"):
        backtest_of_store(store, "daily")
    store.close()


def test_backtest_of_store_on_bars_without_the_first_decision_raises(tmp_path):
    store = TradingStore(sqlite_url(tmp_path))
    store.set_flag("daily", TRADING_FILE, json.dumps(DAILY))
    store.save_decision("daily", np.datetime64("1990-01-02"), bar=0, cash=1e6, equity_value=1e6,
                        scores={"A": 1.0}, proposal=None, target=None, planned=())
    with pytest.raises(DataError, match=r"'sample' do not hold the bar of its first decision"):
        backtest_of_store(store, "daily")
    store.close()


def test_backtest_of_store_with_bad_trading_file_or_no_decisions_raises(tmp_path):
    store = TradingStore(sqlite_url(tmp_path))
    store.set_flag("daily", TRADING_FILE, json.dumps(DAILY))
    with pytest.raises(ValueError, match=r"bot 'daily'.*no decisions"):
        backtest_of_store(store, "daily")
    store.set_flag("daily", TRADING_FILE, json.dumps({**DAILY, "extra": 1}))
    with pytest.raises(ConfigError, match=r"bot 'daily'.*does not parse"):
        backtest_of_store(store, "daily")
    store.close()


def test_store_label_hides_the_password():
    assert store_label("postgresql+psycopg://me:secret@db/trading") == (
        "postgresql+psycopg://me:***@db/trading")
    assert store_label("not a url") == "not a url"
