"""The Trading page and :mod:`alphafactory.dashboard.trading_shaping` on a real trading store
written by a short paper session (research/trading/daily.toml, shortened), with risk limits
that act; plus the stores it finds and the ``--trading`` option that points it at them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")
AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

from alphafactory.cli import build_parser  # noqa: E402
from alphafactory.dashboard import APP_PATH, streamlit_command  # noqa: E402
from alphafactory.dashboard import trading_shaping as ts  # noqa: E402
from alphafactory.dashboard.launch import RUN_ENV, TRADING_ENV  # noqa: E402
from alphafactory.live import TradingStore  # noqa: E402
from alphafactory.live.config import TradingConfig  # noqa: E402
from alphafactory.live.session import HALT, TRADING_FILE, open_session, run_session  # noqa: E402
from alphafactory.runs import RUNS_ROOT_ENV  # noqa: E402

PAGE = APP_PATH.parent / "pages" / "trading.py"
TIMEOUT_S = 60
BARS = 30
DAILY = {
    "bot": {"name": "daily", "broker": "paper", "data": "sample", "history": 30, "bars": BARS,
            "cash": 1_000_000.0, "rebalance": 1, "sizing": "next_open"},
    "model": {"momentum": 20},
    "portfolio": {"rule": "topk", "params": {"k": 2, "long_only": True}},
    "costs": {"bps": 5.0, "commission_per_share": 0.005, "commission_min": 1.0},
    "risk": [{"name": "max_gross_leverage", "max_gross": 0.8},
             {"name": "daily_loss_limit", "max_loss": 0.01}],
}  # fmt: skip


def paper_store(folder: Path, *, name: str = "daily") -> str:
    """Trade a short paper session into ``folder/<name>.db``; its URL."""
    url = f"sqlite:///{folder / f'{name}.db'}"
    doc = {**DAILY, "bot": {**DAILY["bot"], "name": name}}
    session = open_session(TradingConfig.from_mapping(doc), store_url=url)
    run_session(session)
    session.store.close()
    return url


@pytest.fixture(scope="module")
def trading_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("trading")
    paper_store(folder)
    return folder


@pytest.fixture(scope="module")
def tables(trading_dir) -> ts.BotTables:
    store = TradingStore(f"sqlite:///{trading_dir / 'daily.db'}")
    found = ts.bot_tables(store, "daily")
    store.close()
    return found


@pytest.fixture()
def trading_env(trading_dir, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(TRADING_ENV, str(trading_dir))
    monkeypatch.setenv(RUNS_ROOT_ENV, str(tmp_path / "runs"))
    monkeypatch.delenv(RUN_ENV, raising=False)
    return trading_dir


def _page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)


# -- where the stores are -------------------------------------------------------------------------
def test_find_stores_lists_trading_stores_only_and_writes_nothing(trading_dir, tmp_path):
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE things (x INTEGER)")
    (tmp_path / "notes.db").write_text("not a database")
    before = foreign.read_bytes()
    assert ts.find_stores(str(tmp_path)) == {}
    assert foreign.read_bytes() == before
    found = ts.find_stores(str(trading_dir))
    assert list(found) == ["daily.db"] and found["daily.db"].startswith("sqlite:///")
    assert ts.find_stores(str(trading_dir / "daily.db")) == found
    assert ts.find_stores(found["daily.db"]) == {found["daily.db"]: found["daily.db"]}
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    assert ts.find_stores(missing) == {} and not (tmp_path / "typo.db").exists()
    assert ts.find_stores(str(tmp_path / "nowhere")) == {}


def test_default_location_prefers_env_then_trading_beside_the_runs_root(tmp_path, monkeypatch):
    monkeypatch.delenv(TRADING_ENV, raising=False)
    root = tmp_path / "project" / "runs"
    cwd = tmp_path / "elsewhere"
    (cwd / "trading").mkdir(parents=True)
    assert ts.default_location(root, cwd) == str(cwd / "trading")  # the only one that exists
    (root.parent / "trading").mkdir(parents=True)
    assert ts.default_location(root, cwd) == str(root.parent / "trading")
    monkeypatch.setenv(TRADING_ENV, "postgresql+psycopg://me@db/trading")
    assert ts.default_location(root, cwd) == "postgresql+psycopg://me@db/trading"


def test_streamlit_command_and_cli_pass_the_trading_location(trading_dir, tmp_path):
    _, env = streamlit_command(None, trading=trading_dir)
    assert env[TRADING_ENV] == str(trading_dir.resolve())
    url = "postgresql+psycopg://me@db/trading"
    assert streamlit_command(None, trading=url)[1][TRADING_ENV] == url
    with pytest.raises(FileNotFoundError, match="neither a folder of trading stores"):
        streamlit_command(None, trading=tmp_path / "missing")
    args = build_parser().parse_args(["dashboard", "--trading", url])
    assert args.trading == url and args.run_dir is None


# -- shaping --------------------------------------------------------------------------------------
def test_summary_positions_orders_and_fills_of_the_session(tables):
    head = ts.summary(tables)
    assert head["decisions"] == BARS and head["halted"] is None and head["open_orders"] == 0
    assert head["model_version"] is None  # a momentum score has no version
    assert head["equity"] == pytest.approx(tables.equity["equity"].iloc[-1])
    assert head["return"] == pytest.approx(head["equity"] / 1e6 - 1)
    positions = ts.latest_positions(tables)
    assert 1 <= len(positions) <= 2 and (positions["quantity"] > 0).all()
    assert positions["target weight"].dropna().le(0.4 + 1e-12).all()  # max_gross 0.8 over two
    counts = ts.order_status_counts(tables.orders)
    assert sum(counts.values()) == len(tables.orders) and "filled" in counts
    orders = ts.orders_table(tables.orders)
    assert orders["decision"].iloc[0] >= orders["decision"].iloc[-1]  # newest first
    assert set(orders["side"]) <= {"buy", "sell"} and orders["decision"].map(type).eq(str).all()
    events = ts.order_events_table(tables.events, orders["client order id"].iloc[-1])
    assert events["to"].iloc[0] == "new" and events["to"].iloc[-1] == "filled"
    fills = ts.fills_table(tables.fills)
    assert len(fills) == len(tables.fills) and fills["sequence"].is_monotonic_decreasing
    assert np.allclose(fills["notional"], fills["quantity"] * fills["price"])


def test_interventions_and_decisions_tables_show_the_limits_acting(tables):
    found = ts.interventions_table(tables.decisions)
    assert len(found) > 0 and set(found["kind"]) <= {"limit", "halt", "breaker"}
    limited = found[found["kind"] == "limit"].iloc[0]
    assert limited["gross proposed"] == pytest.approx(1.0)
    assert limited["gross target"] == pytest.approx(0.8)
    decisions = ts.decisions_table(tables)
    assert len(decisions) == BARS and decisions["risk changed"].sum() == len(found)
    assert decisions["orders"].sum() == len(tables.orders)
    assert decisions["top score"].ne("").all()


@pytest.mark.parametrize("proposal,target,kind", [
    ({"A": 0.5, "B": 0.5}, {"A": 0.5, "B": 0.5}, None),
    ({"A": 0.5, "B": float("nan")}, {"A": 0.5, "B": 0.0}, None),  # NaN weight: no position
    ({"A": 0.5, "B": 0.5}, {"A": 0.4, "B": 0.4}, "limit"),
    ({"A": 0.5, "B": 0.5}, {"A": 0.0, "B": 0.0}, "halt"),
    (None, {"A": 0.0, "B": 0.0}, "breaker"),
    ({"A": 0.5}, None, "blocked"),
    (None, None, None),
])  # fmt: skip
def test_intervention_of_names_what_the_risk_manager_did(proposal, target, kind):
    found = ts.intervention_of(proposal, target)
    assert (found or {}).get("kind") == kind
    if kind == "limit":
        assert found["largest change"] == "A 0.500 -> 0.400" and found["symbols changed"] == 2


def test_equity_figure_draws_the_gap_only_with_a_backtest(tables):
    live = tables.equity[["equity"]].rename(columns={"equity": "live"})
    assert len(ts.equity_figure(live).data) == 1
    both = live.assign(backtest=live["live"] * (1 + 1e-4), gap=-1e-4)
    fig = ts.equity_figure(both)
    assert [t.name for t in fig.data] == ["live (stored)", "backtest", "gap (bps)"]
    assert ts.largest_gap(both) == pytest.approx(1e-4)
    assert "1 bps" in fig.layout.title.text
    assert np.isnan(ts.largest_gap(live))


# -- the page -------------------------------------------------------------------------------------
def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_shows_bot_headline_parity_positions_and_risk(trading_env, tables):
    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Trading · daily"
    assert at.sidebar.selectbox[0].value == "daily"
    metrics = _metrics(at)
    assert metrics["Halted"] == "no" and metrics["Model version"] == "n/a"
    assert metrics["Equity"] == f"{tables.equity['equity'].iloc[-1]:,.0f}"
    assert float(metrics["Parity gap"].removesuffix(" bps")) < 1e-9 * 1e4  # equal to 1e-9
    assert len(at.get("plotly_chart")) == 1 and not at.warning
    frames = [f.value for f in at.dataframe]
    positions = next(f for f in frames if "cost basis" in f.columns)
    assert set(positions["symbol"]) == set(ts.latest_positions(tables)["symbol"])
    assert any("largest change" in f.columns and len(f) for f in frames)  # interventions
    assert any("limit" in f.columns and "reason" in f.columns for f in frames)  # their why
    assert "momentum 20" in at.caption[0].value


def test_page_shows_the_events_of_a_chosen_order_and_open_orders_only(trading_env, tables):
    at = _page().run()
    orders = ts.orders_table(tables.orders)
    chosen = orders["client order id"].iloc[-1]
    picker = next(s for s in at.selectbox if s.label == "Order events of")
    picker.set_value(chosen).run()
    assert not at.exception, [e.value for e in at.exception]
    events = next(f.value for f in at.dataframe if "from" in f.value.columns)
    assert events["to"].tolist()[-1] == "filled"
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert not any("client order id" in f.value.columns and "decision" in f.value.columns
                   and len(f.value) for f in at.dataframe)  # every order filled


def test_page_without_stores_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv(TRADING_ENV, str(tmp_path))
    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(i.value for i in at.info)
    assert "alphafactory trade run research/trading/daily.toml --paper" in text
    assert "--trading" in text and not at.get("plotly_chart")


def test_page_on_a_store_url_typed_in_the_sidebar(trading_env, tmp_path, monkeypatch):
    monkeypatch.setenv(TRADING_ENV, str(tmp_path))  # nothing there: the sidebar names the store
    at = _page().run()
    assert at.info
    at.sidebar.text_input[0].set_value(f"sqlite:///{trading_env / 'daily.db'}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Trading · daily" and not at.info


def test_page_without_trading_file_shows_live_equity_and_why(tmp_path, monkeypatch):
    url = paper_store(tmp_path, name="bare")
    store = TradingStore(url)
    store.set_flag("bare", TRADING_FILE, None)
    store.set_flag("bare", HALT, "trade stop")
    store.close()
    monkeypatch.setenv(TRADING_ENV, str(tmp_path))
    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("no trading file stored" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 1 and "Parity gap" not in _metrics(at)
    assert _metrics(at)["Halted"] == "yes"


def test_page_on_an_unreachable_url_warns(tmp_path, monkeypatch):
    monkeypatch.setenv(TRADING_ENV, "postgresql+nosuchdriver://me@127.0.0.1:1/db")
    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Cannot read the trading store" in w.value for w in at.warning)


def test_app_switches_to_the_trading_page(trading_env):
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    at.switch_page("pages/trading.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Trading · daily"


def test_decisions_frame_of_an_empty_bot_is_shaped():
    empty = ts.BotTables(
        bot="x", decisions=pd.DataFrame(columns=["ts", "bar", "status", "cash", "equity",
                                                 "scores", "proposal", "target",
                                                 "model_version"]),
        orders=pd.DataFrame(columns=["status", "decision_ts"]), events=pd.DataFrame(),
        fills=pd.DataFrame(), positions=pd.DataFrame(columns=["timestamp", "symbol"]),
        equity=pd.DataFrame(columns=["cash", "equity"]), flags={})  # fmt: skip
    assert ts.interventions_table(empty.decisions).empty
    assert ts.latest_positions(empty).empty and ts.order_status_counts(empty.orders) == {}
    assert np.isnan(ts.summary(empty)["equity"])
