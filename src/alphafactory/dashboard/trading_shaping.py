"""Tables and figures of the dashboard's Trading page, free of Streamlit.

A trading bot (``alphafactory trade run``) writes a trading store
(:class:`alphafactory.live.TradingStore`; its module docstring lists the tables): SQLite files
``trading/<bot>.db`` by default, or a database server by SQLAlchemy URL. The page reads a
*location*: a folder of ``*.db`` stores, one store file, or a URL; ``$ALPHAFACTORY_TRADING``
(``alphafactory dashboard --trading``) or ``trading`` beside the runs root by default.
:func:`bot_tables` reads one bot's rows into frames; the other functions shape those frames.
SQLAlchemy (the ``live`` extra) is imported only by the functions that open a store.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alphafactory.dashboard.charts import BAD, NEUTRAL, PALETTE
from alphafactory.dashboard.launch import TRADING_ENV
from alphafactory.execution import OrderStatus

if TYPE_CHECKING:
    from alphafactory.live import TradingStore

__all__ = [
    "OPEN_STATES",
    "BotTables",
    "bot_tables",
    "decisions_table",
    "default_location",
    "equity_figure",
    "fills_table",
    "find_stores",
    "intervention_of",
    "interventions_table",
    "is_url",
    "largest_gap",
    "latest_positions",
    "order_events_table",
    "order_status_counts",
    "orders_table",
    "risk_log_table",
    "summary",
    "trading_file_bits",
]

_TEXT_TIME = "%Y-%m-%d %H:%M"  # tz-aware columns warn in Streamlit's serializer: show UTC text
_SIDES = {1: "buy", -1: "sell"}
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
_TOL = 1e-12  # weights closer than this are the same weight
#: Order states that may still fill.
OPEN_STATES = tuple(s.value for s in OrderStatus if s.is_open)


# -- where the stores are -------------------------------------------------------------------------
def default_location(runs_root: Path, cwd: Path | None = None) -> str:
    """``$ALPHAFACTORY_TRADING``, else ``trading`` beside the runs root, else in ``cwd``: the
    first of the two that is a folder; the first when neither is."""
    if os.environ.get(TRADING_ENV):
        return os.environ[TRADING_ENV]
    candidates = [Path(runs_root).absolute().parent / "trading",
                  Path(cwd or Path.cwd()) / "trading"]  # fmt: skip
    return str(next((c for c in candidates if c.is_dir()), candidates[0]))


def is_url(location: str) -> bool:
    """Whether a location is a SQLAlchemy URL rather than a path."""
    return "://" in location


def find_stores(location: str) -> dict[str, str]:
    """The trading stores at ``location``: ``{label: SQLAlchemy URL}``.

    A folder: its ``*.db`` files that hold a ``decisions`` table (opened read-only, so a
    foreign database is never written); a file: that file if it does; a URL: that store if
    it has the table (labelled without its password). Raises what the driver raises when a
    URL cannot be reached or SQLAlchemy is not installed.
    """
    if is_url(location):
        import sqlalchemy as sa

        from alphafactory.live.parity import store_label

        parsed = sa.engine.make_url(location)
        if parsed.get_backend_name() == "sqlite":  # connecting would create a missing file
            file = Path(parsed.database or "")
            found = bool(parsed.database) and file.is_file() and _has_decisions(file)
            return {store_label(location): location} if found else {}
        engine = sa.create_engine(location)
        try:
            found = sa.inspect(engine).has_table("decisions")
        finally:
            engine.dispose()
        return {store_label(location): location} if found else {}
    path = Path(location).expanduser()
    files = sorted(path.glob("*.db")) if path.is_dir() else [path] if path.is_file() else []
    return {f.name: f"sqlite:///{f.absolute()}" for f in files if _has_decisions(f)}


def _has_decisions(path: Path) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro",
                                                uri=True)) as con:
            return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'decisions'").fetchone() is not None
    except sqlite3.Error:  # not a SQLite file, or locked: not a store to show
        return False


# -- one bot's rows -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BotTables:
    """Everything the page shows of one bot, as read from its store."""

    bot: str
    decisions: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    fills: pd.DataFrame
    positions: pd.DataFrame
    equity: pd.DataFrame
    flags: dict[str, str | None]


def bot_tables(store: TradingStore, bot: str) -> BotTables:
    """Read ``bot``'s decisions, orders, order events, fills, positions, equity and flags."""
    from alphafactory.live.session import HALT, TRADING_FILE

    rows = store.decisions(bot)
    columns = ["ts", "bar", "status", "cash", "equity", "scores", "proposal", "target",
               "model_version"]  # fmt: skip
    decisions = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    flags = {key: store.flag(bot, key) for key in (HALT, "model_version", TRADING_FILE)}
    return BotTables(bot=bot, decisions=decisions, orders=store.orders(bot),
                     events=store.order_events(bot), fills=store.fills(bot),
                     positions=store.positions(bot), equity=store.equity(bot), flags=flags)


def _text(values: Any) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return stamps.dt.strftime(_TEXT_TIME).fillna("")


def _open(orders: pd.DataFrame) -> pd.Series:
    return orders["status"].isin(OPEN_STATES)


def summary(tables: BotTables) -> dict[str, Any]:
    """The headline: equity, return since the first bar, cash, the halt flag's reason (None:
    trading), model version, last decision time, counts of decisions, open orders, fills."""
    equity = tables.equity
    last = equity.iloc[-1] if len(equity) else None
    first = float(equity["equity"].iloc[0]) if len(equity) else float("nan")
    decisions = tables.decisions
    return {
        "equity": float(last["equity"]) if last is not None else float("nan"),
        "return": float(last["equity"]) / first - 1.0 if last is not None and first
        else float("nan"),
        "cash": float(last["cash"]) if last is not None else float("nan"),
        "halted": tables.flags.get("halt"),
        "model_version": tables.flags.get("model_version"),
        "last_decision": decisions["ts"].iloc[-1] if len(decisions) else None,
        "decisions": len(decisions),
        "open_orders": int(_open(tables.orders).sum()) if len(tables.orders) else 0,
        "fills": len(tables.fills),
    }


# -- positions, orders, fills ---------------------------------------------------------------------
def latest_positions(tables: BotTables) -> pd.DataFrame:
    """The positions at the last snapshot (the last equity row; flat: no rows), with their
    cost basis and the last decision's target weight."""
    columns = ["symbol", "quantity", "average cost", "cost basis", "target weight"]
    if not len(tables.equity):
        return pd.DataFrame(columns=columns)
    at = tables.equity.index[-1]
    held = tables.positions[tables.positions["timestamp"] == at]
    held = held[held["quantity"].abs() > 0]
    targets = next((t for t in reversed(tables.decisions["target"].tolist()) if t), {})
    out = pd.DataFrame({
        "symbol": held["symbol"], "quantity": held["quantity"],
        "average cost": held["average_cost"], "cost basis": held["quantity"]
        * held["average_cost"], "target weight": held["symbol"].map(targets)})  # fmt: skip
    return out.sort_values("cost basis", key=np.abs, ascending=False).reset_index(drop=True)


def order_status_counts(orders: pd.DataFrame) -> dict[str, int]:
    """Orders by state, in life-cycle order (states with none left out)."""
    counts = orders["status"].value_counts() if len(orders) else pd.Series(dtype=int)
    return {s.value: int(counts[s.value]) for s in OrderStatus if s.value in counts}


def orders_table(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders, newest decision first, with sides as words and times as UTC text."""
    o = orders.iloc[::-1]
    return pd.DataFrame({
        "decision": _text(o["decision_ts"]).to_numpy(), "symbol": o["symbol"].to_numpy(),
        "side": o["side"].map(_SIDES).to_numpy(), "quantity": o["quantity"].to_numpy(),
        "filled": o["filled_quantity"].to_numpy(), "average price": o["average_price"].to_numpy(),
        "status": o["status"].to_numpy(), "type": o["order_type"].to_numpy(),
        "reason": o["reason"].fillna("").to_numpy(),
        "client order id": o["client_order_id"].to_numpy()})  # fmt: skip


def order_events_table(events: pd.DataFrame, client_order_id: str) -> pd.DataFrame:
    """The state transitions of one order, in the order they happened."""
    e = events[events["client_order_id"] == client_order_id]
    return pd.DataFrame({"time": _text(e["ts"]).to_numpy(),
                         "from": e["from_status"].fillna("").to_numpy(),
                         "to": e["to_status"].to_numpy(),
                         "reason": e["reason"].fillna("").to_numpy()})  # fmt: skip


def fills_table(fills: pd.DataFrame) -> pd.DataFrame:
    """Fills, newest first, with their notional."""
    f = fills.iloc[::-1]
    return pd.DataFrame({
        "time": _text(f["ts"]).to_numpy(), "symbol": f["symbol"].to_numpy(),
        "side": f["side"].map(_SIDES).to_numpy(), "quantity": f["quantity"].to_numpy(),
        "price": f["price"].to_numpy(), "notional": (f["quantity"] * f["price"]).to_numpy(),
        "fee": f["fee"].to_numpy(), "liquidity": f["liquidity"].to_numpy(),
        "sequence": f["sequence"].to_numpy(),
        "client order id": f["client_order_id"].to_numpy()})  # fmt: skip


# -- decisions and risk ---------------------------------------------------------------------------
def _vector(weights: Mapping[str, float] | None, symbols: list[str]) -> np.ndarray:
    values = [(weights or {}).get(s, 0.0) for s in symbols]
    return np.nan_to_num(np.asarray(values, dtype="float64"))  # NaN: no position, as 0


def _gross(weights: Mapping[str, float] | None) -> float:
    return float("nan") if weights is None else float(np.abs(_vector(weights, list(weights))).sum())


def intervention_of(proposal: Mapping[str, float] | None, target: Mapping[str, float] | None
                    ) -> dict[str, Any] | None:
    """How the risk manager changed one decision, or None when the target is the proposal.

    Kinds: ``limit`` (the proposal reduced), ``halt`` (a proposal replaced by a flat book: a
    breaker's halt in force), ``breaker`` (a target without a proposal: a breaker tripped on
    the close, or a halt carried into a new session), ``blocked`` (a proposal, no target).
    """
    if proposal is None and target is None:
        return None
    symbols = sorted(set(proposal or {}) | set(target or {}))
    p, t = _vector(proposal, symbols), _vector(target, symbols)
    if proposal is not None and target is not None and np.allclose(p, t, rtol=0, atol=_TOL):
        return None
    if proposal is None:
        kind = "breaker"
    elif target is None:
        kind = "blocked"
    elif np.abs(t).max(initial=0.0) <= _TOL < np.abs(p).max(initial=0.0):
        kind = "halt"
    else:
        kind = "limit"
    change = t - p
    changed = np.abs(change) > _TOL
    i = int(np.argmax(np.abs(change))) if symbols else 0
    largest = f"{symbols[i]} {p[i]:.3f} -> {t[i]:.3f}" if changed.any() else ""
    return {"kind": kind, "gross proposed": _gross(proposal), "gross target": _gross(target),
            "symbols changed": int(changed.sum()), "largest change": largest}


def interventions_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions whose risk-checked target differs from the rule's proposal, newest first."""
    rows = []
    for d in decisions.itertuples(index=False):
        found = intervention_of(d.proposal, d.target)
        if found is not None:
            rows.append({"time": d.ts, **found})
    columns = ["time", "kind", "gross proposed", "gross target", "symbols changed",
               "largest change"]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns).iloc[::-1].reset_index(drop=True)
    out["time"] = _text(out["time"])
    return out


def decisions_table(tables: BotTables) -> pd.DataFrame:
    """One row per decision, newest first: model version, equity, the target's gross weight
    and names held, orders planned, and whether the risk manager changed it."""
    d = tables.decisions.iloc[::-1]
    planned = (tables.orders.groupby("decision_ts").size() if len(tables.orders)
               else pd.Series(dtype=int))
    planned.index = pd.to_datetime(planned.index, utc=True)
    ts = pd.to_datetime(d["ts"], utc=True)
    best = [_top(s) for s in d["scores"]]
    return pd.DataFrame({
        "time": _text(ts).to_numpy(), "bar": d["bar"].to_numpy(),
        "status": d["status"].to_numpy(),
        "model version": d["model_version"].fillna("").to_numpy(),
        "equity": d["equity"].to_numpy(), "cash": d["cash"].to_numpy(),
        "top score": best, "gross target": [_gross(t) for t in d["target"]],
        "names targeted": [int((np.abs(_vector(t, list(t))) > _TOL).sum()) if t else 0
                           for t in d["target"]],
        "orders": planned.reindex(ts).fillna(0).astype(int).to_numpy(),
        "risk changed": [intervention_of(p, t) is not None
                         for p, t in zip(d["proposal"], d["target"], strict=True)],
    })  # fmt: skip


def risk_log_table(interventions: pd.DataFrame) -> pd.DataFrame:
    """The backtest's risk interventions (which limit, what, why), newest first, UTC text."""
    out = interventions.iloc[::-1].reset_index(drop=True)
    return out.assign(timestamp=_text(out["timestamp"]).to_numpy()).rename(
        columns=lambda c: c.replace("_", " "))


def trading_file_bits(text: str | None) -> list[str]:
    """Caption pieces from the stored trading file (JSON): broker, data, rule, sizing, model."""
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        return []
    bot, model = doc.get("bot") or {}, doc.get("model") or {}
    rule = (doc.get("portfolio") or {}).get("rule", "topk")
    bits = [f"{bot.get('broker', 'paper')} broker", f"data `{bot.get('data', 'sample')}`",
            f"rule `{rule}`", f"sizing `{bot.get('sizing', 'next_open')}`"]  # fmt: skip
    if model.get("artifact"):
        bits.append(f"model `{model['artifact']}`")
    elif model.get("momentum") is not None:
        bits.append(f"momentum {model['momentum']}")
    if doc.get("risk"):
        bits.append(f"{len(doc['risk'])} risk limits")
    return bits


def _top(scores: Mapping[str, float] | None) -> str:
    """The best-scored symbol ("" when no score is finite)."""
    finite = {k: v for k, v in (scores or {}).items() if v is not None and np.isfinite(v)}
    return max(finite, key=finite.__getitem__) if finite else ""


# -- live versus backtest -------------------------------------------------------------------------
def largest_gap(equity: pd.DataFrame) -> float:
    """The largest absolute relative gap of live to backtest equity (NaN: none to compare)."""
    gap = np.abs(equity["gap"].to_numpy(dtype="float64")) if "gap" in equity else np.array([])
    gap = gap[np.isfinite(gap)]
    return float(gap.max()) if gap.size else float("nan")


def equity_figure(equity: pd.DataFrame) -> go.Figure:
    """Live equity against the backtest of the same decisions (top) and their gap in basis
    points (bottom); ``equity`` has ``live`` and, when the backtest ran, ``backtest`` and
    ``gap`` (:class:`alphafactory.live.parity.StoreBacktest`'s ``equity``)."""
    has_backtest = "backtest" in equity and equity["backtest"].notna().any()
    fig = make_subplots(rows=2 if has_backtest else 1, cols=1, shared_xaxes=True,
                        row_heights=[0.7, 0.3] if has_backtest else [1.0],
                        vertical_spacing=0.05)
    fig.add_trace(go.Scatter(x=equity.index, y=equity["live"], name="live (stored)",
                             mode="lines", line={"color": PALETTE[0], "width": 2}), row=1, col=1)
    title = "Live equity (no backtest to compare)"
    if has_backtest:
        fig.add_trace(go.Scatter(x=equity.index, y=equity["backtest"], name="backtest",
                                 mode="lines", line={"color": PALETTE[2], "width": 1.5,
                                                     "dash": "dash"}), row=1, col=1)
        fig.add_trace(go.Bar(x=equity.index, y=1e4 * equity["gap"], name="gap (bps)",
                             marker_color=BAD, showlegend=False), row=2, col=1)
        fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1}, row=2, col=1)
        fig.update_yaxes(title_text="gap (bps)", row=2, col=1)
        title = f"Live vs backtest equity (largest gap {1e4 * largest_gap(equity):.2g} bps)"
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"},
                      height=460 if has_backtest else 340, margin=_MARGIN,
                      legend={"orientation": "h", "y": -0.15}, hovermode="x unified")
    return fig
