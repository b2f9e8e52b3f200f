"""The trading store: decisions, orders, their transitions, fills, positions and equity.

SQLAlchemy Core over SQLite by default (``sqlite:///trading/<bot>.db``, WAL mode, outside any
run directory) or PostgreSQL by URL (``postgresql+psycopg://...``). Every write is one
transaction, so a process killed at any point leaves the store at a commit boundary. Tables
(``bot`` names the trading bot in each; timestamps are ISO-8601 UTC text):

- ``decisions``: one row per bar the bot handled: index, closing cash and equity, the scores,
  the rule's proposal and the risk-checked target (JSON by symbol; null when none), the
  model version that scored it (null: a model-free score), status ``planned`` (orders
  written, maybe not all sent) or ``done``;
- ``orders``: one row per client order id with its current state; ``order_events`` every state
  transition (from, to, time, reason);
- ``fills``: every fill by its venue sequence number (the reconcile cursor);
- ``positions`` and ``equity``: snapshots at each bar's close;
- ``journal``: the persisted paper broker's calls (:mod:`alphafactory.live.paper`);
- ``control``: key/value flags: the kill switch (``halt``), the model version in use, the
  trading file a session was opened from (``trading_file``, JSON).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from alphafactory.execution import Fill, Order, OrderStatus, Position
from alphafactory.live.orders import check_transition

__all__ = ["TradingStore", "default_store_url"]

_meta = sa.MetaData()
_TS = sa.String(40)
decisions = sa.Table(
    "decisions", _meta,
    sa.Column("bot", sa.String(100), primary_key=True), sa.Column("ts", _TS, primary_key=True),
    sa.Column("bar", sa.Integer, nullable=False), sa.Column("status", sa.String(20)),
    sa.Column("cash", sa.Float), sa.Column("equity", sa.Float), sa.Column("scores", sa.Text),
    sa.Column("proposal", sa.Text), sa.Column("target", sa.Text),
    sa.Column("model_version", sa.String(64)),
)
orders = sa.Table(
    "orders", _meta,
    sa.Column("client_order_id", sa.String(64), primary_key=True),
    sa.Column("bot", sa.String(100), nullable=False, index=True),
    sa.Column("decision_ts", _TS), sa.Column("symbol", sa.String(40)),
    sa.Column("side", sa.Integer), sa.Column("quantity", sa.Float), sa.Column("leg", sa.Integer),
    sa.Column("order_type", sa.String(10)), sa.Column("limit_price", sa.Float),
    sa.Column("time_in_force", sa.String(10)),
    sa.Column("status", sa.String(20)), sa.Column("filled_quantity", sa.Float),
    sa.Column("average_price", sa.Float), sa.Column("venue_order_id", sa.String(64)),
    sa.Column("reason", sa.Text), sa.Column("updated_at", _TS),
)
order_events = sa.Table(
    "order_events", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bot", sa.String(100), index=True), sa.Column("client_order_id", sa.String(64)),
    sa.Column("from_status", sa.String(20)), sa.Column("to_status", sa.String(20)),
    sa.Column("ts", _TS), sa.Column("reason", sa.Text),
)
fills = sa.Table(
    "fills", _meta,
    sa.Column("bot", sa.String(100), primary_key=True),
    sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("client_order_id", sa.String(64)), sa.Column("symbol", sa.String(40)),
    sa.Column("side", sa.Integer), sa.Column("quantity", sa.Float), sa.Column("price", sa.Float),
    sa.Column("fee", sa.Float), sa.Column("ts", _TS), sa.Column("liquidity", sa.String(10)),
)
positions = sa.Table(
    "positions", _meta,
    sa.Column("bot", sa.String(100), primary_key=True), sa.Column("ts", _TS, primary_key=True),
    sa.Column("symbol", sa.String(40), primary_key=True), sa.Column("quantity", sa.Float),
    sa.Column("average_cost", sa.Float),
)
equity = sa.Table(
    "equity", _meta,
    sa.Column("bot", sa.String(100), primary_key=True), sa.Column("ts", _TS, primary_key=True),
    sa.Column("cash", sa.Float), sa.Column("equity", sa.Float),
)
journal = sa.Table(
    "journal", _meta,
    sa.Column("broker", sa.String(100), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(20)), sa.Column("payload", sa.Text),
)
control = sa.Table(
    "control", _meta,
    sa.Column("bot", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(40), primary_key=True), sa.Column("value", sa.Text),
)


def default_store_url(bot: str, root: str | Path = "trading") -> str:
    """``sqlite:///<root>/<bot>.db`` (the folder is created when the store opens)."""
    return f"sqlite:///{Path(root) / f'{bot}.db'}"


def _iso(ts: pd.Timestamp) -> str:
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def _json(values: Mapping[str, float] | None) -> str | None:
    return None if values is None else json.dumps({str(k): float(v) for k, v in values.items()})


class TradingStore:
    """A trading bot's database (see the module docstring); ``url`` is a SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url)
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        _create_tables(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- decisions ------------------------------------------------------------------------
    def decision(self, bot: str, ts: pd.Timestamp) -> dict[str, Any] | None:
        """The decision row of ``ts`` with its JSON decoded, or None."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(decisions).where(
                decisions.c.bot == bot, decisions.c.ts == _iso(ts))).mappings().first()
        return None if row is None else _decoded(row)

    def decisions(self, bot: str) -> list[dict[str, Any]]:
        """Every decision of ``bot`` in bar order, JSON decoded."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(decisions).where(decisions.c.bot == bot)
                             .order_by(decisions.c.bar)).mappings().all()
        return [_decoded(r) for r in rows]

    def save_decision(
        self, bot: str, ts: pd.Timestamp, *, bar: int, cash: float, equity_value: float,
        scores: Mapping[str, float], proposal: Mapping[str, float] | None,
        target: Mapping[str, float] | None, planned: Sequence[tuple[Order, int]],
        model_version: str | None = None,
    ) -> None:
        """Write a decision and its planned orders (state NEW) in one transaction."""
        at = _iso(ts)
        status = "planned" if planned else "done"
        with self.engine.begin() as c:
            c.execute(decisions.insert().values(
                bot=bot, ts=at, bar=bar, status=status, cash=cash, equity=equity_value,
                scores=_json(scores), proposal=_json(proposal), target=_json(target),
                model_version=model_version))
            for order, leg in planned:
                c.execute(orders.insert().values(
                    client_order_id=order.client_order_id, bot=bot, decision_ts=at,
                    symbol=order.symbol, side=int(order.side.value), quantity=order.quantity,
                    leg=leg, order_type=order.type.value, limit_price=order.limit_price,
                    time_in_force=order.time_in_force.value, status=OrderStatus.NEW.value,
                    filled_quantity=0.0, updated_at=at))
                c.execute(order_events.insert().values(
                    bot=bot, client_order_id=order.client_order_id, from_status=None,
                    to_status=OrderStatus.NEW.value, ts=at, reason="planned"))

    def finish_decision(self, bot: str, ts: pd.Timestamp) -> None:
        """Mark the decision of ``ts`` done (every planned order sent)."""
        with self.engine.begin() as c:
            c.execute(decisions.update().where(decisions.c.bot == bot,
                                               decisions.c.ts == _iso(ts)).values(status="done"))

    # ---- orders ---------------------------------------------------------------------------
    def orders(self, bot: str, *, decision_ts: pd.Timestamp | None = None,
               open_only: bool = False) -> pd.DataFrame:
        """Orders of ``bot`` (of one decision, or only those not in a final state)."""
        query = sa.select(orders).where(orders.c.bot == bot)
        if decision_ts is not None:
            query = query.where(orders.c.decision_ts == _iso(decision_ts))
        if open_only:
            query = query.where(orders.c.status.in_([s.value for s in OrderStatus if s.is_open]))
        with self.engine.connect() as c:
            rows = c.execute(query.order_by(orders.c.decision_ts, orders.c.symbol,
                                            orders.c.leg)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in orders.columns])

    def order_status(self, client_order_id: str) -> OrderStatus | None:
        """The stored state of one order (None when the store has no such order)."""
        with self.engine.connect() as c:
            value = c.execute(sa.select(orders.c.status).where(
                orders.c.client_order_id == client_order_id)).scalar()
        return None if value is None else OrderStatus(value)

    def transition(self, bot: str, client_order_id: str, new: OrderStatus, ts: pd.Timestamp, *,
                   filled: float | None = None, average_price: float | None = None,
                   venue_order_id: str | None = None, reason: str | None = None) -> bool:
        """Move an order to ``new`` (legality checked), recording the event; False: no change."""
        with self.engine.begin() as c:
            row = c.execute(sa.select(orders.c.status, orders.c.filled_quantity).where(
                orders.c.client_order_id == client_order_id)).first()
            if row is None:
                raise KeyError(f"the store has no order {client_order_id!r}.")
            current = OrderStatus(row.status)
            moved = check_transition(client_order_id, current, new)
            if new == current and (filled is None or filled == row.filled_quantity):
                return False
            values: dict[str, Any] = {"status": new.value, "updated_at": _iso(ts)}
            for key, value in (("filled_quantity", filled), ("average_price", average_price),
                               ("venue_order_id", venue_order_id), ("reason", reason)):
                if value is not None:
                    values[key] = value
            c.execute(orders.update().where(orders.c.client_order_id == client_order_id)
                      .values(**values))
            c.execute(order_events.insert().values(
                bot=bot, client_order_id=client_order_id, from_status=current.value,
                to_status=new.value, ts=_iso(ts), reason=reason))
            return moved

    def order_events(self, bot: str) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(order_events).where(order_events.c.bot == bot)
                             .order_by(order_events.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows],
                            columns=[c.name for c in order_events.columns])

    # ---- fills, positions, equity ---------------------------------------------------------
    def add_fills(self, bot: str, new: Iterable[Fill]) -> int:
        """Insert the fills not stored yet (by sequence); return how many were new."""
        new = list(new)
        if not new:
            return 0
        with self.engine.begin() as c:
            have = set(c.execute(sa.select(fills.c.sequence).where(
                fills.c.bot == bot, fills.c.sequence >= min(f.sequence for f in new))).scalars())
            rows = [dict(bot=bot, sequence=f.sequence, client_order_id=f.client_order_id,
                         symbol=f.symbol, side=int(f.side.value), quantity=f.quantity,
                         price=f.price, fee=f.fee, ts=_iso(f.ts), liquidity=f.liquidity.value)
                    for f in new if f.sequence not in have]
            if rows:
                c.execute(fills.insert(), rows)
        return len(rows)

    def filled(self, bot: str, client_order_ids: Iterable[str]) -> dict[str, tuple[float, float]]:
        """Shares filled and their notional (sum of price * quantity) by client order id."""
        ids = list(client_order_ids)
        if not ids:
            return {}
        with self.engine.connect() as c:
            rows = c.execute(sa.select(
                fills.c.client_order_id, sa.func.sum(fills.c.quantity),
                sa.func.sum(fills.c.quantity * fills.c.price)).where(
                fills.c.bot == bot, fills.c.client_order_id.in_(ids))
                .group_by(fills.c.client_order_id)).all()
        return {r[0]: (float(r[1]), float(r[2])) for r in rows}

    def fill_cursor(self, bot: str) -> int:
        """The highest fill sequence stored (0 before any)."""
        with self.engine.connect() as c:
            value = c.execute(sa.select(sa.func.max(fills.c.sequence))
                              .where(fills.c.bot == bot)).scalar()
        return int(value or 0)

    def fills(self, bot: str) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(fills).where(fills.c.bot == bot)
                             .order_by(fills.c.sequence)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in fills.columns])

    def snapshot(self, bot: str, ts: pd.Timestamp, *, cash: float, equity_value: float,
                 held: Mapping[str, Position]) -> None:
        """Record the equity and positions at ``ts`` (a repeat of ``ts`` replaces them)."""
        at = _iso(ts)
        with self.engine.begin() as c:
            c.execute(equity.delete().where(equity.c.bot == bot, equity.c.ts == at))
            c.execute(positions.delete().where(positions.c.bot == bot, positions.c.ts == at))
            c.execute(equity.insert().values(bot=bot, ts=at, cash=cash, equity=equity_value))
            rows = [dict(bot=bot, ts=at, symbol=p.symbol, quantity=p.quantity,
                         average_cost=p.average_cost) for p in held.values()]
            if rows:
                c.execute(positions.insert(), rows)

    def equity(self, bot: str) -> pd.DataFrame:
        """Cash and equity by bar (index ``timestamp``)."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(equity.c.ts, equity.c.cash, equity.c.equity)
                             .where(equity.c.bot == bot).order_by(equity.c.ts)).all()
        frame = pd.DataFrame(rows, columns=["timestamp", "cash", "equity"])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return frame.set_index("timestamp")

    def positions(self, bot: str) -> pd.DataFrame:
        """Every positions snapshot: columns ``timestamp, symbol, quantity, average_cost``."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(positions.c.ts, positions.c.symbol, positions.c.quantity,
                                       positions.c.average_cost).where(positions.c.bot == bot)
                             .order_by(positions.c.ts, positions.c.symbol)).all()
        frame = pd.DataFrame(rows, columns=["timestamp", "symbol", "quantity", "average_cost"])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return frame

    # ---- paper broker journal and control flags -------------------------------------------
    def journal_append(self, broker: str, seq: int, kind: str, payload: Mapping[str, Any]
                       ) -> None:
        with self.engine.begin() as c:
            c.execute(journal.insert().values(broker=broker, seq=seq, kind=kind,
                                              payload=json.dumps(payload)))

    def journal(self, broker: str) -> list[tuple[int, str, dict[str, Any]]]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(journal).where(journal.c.broker == broker)
                             .order_by(journal.c.seq)).all()
        return [(r.seq, r.kind, json.loads(r.payload)) for r in rows]

    def set_flag(self, bot: str, key: str, value: str | None) -> None:
        """Set (or with None clear) a control flag."""
        with self.engine.begin() as c:
            c.execute(control.delete().where(control.c.bot == bot, control.c.key == key))
            if value is not None:
                c.execute(control.insert().values(bot=bot, key=key, value=value))

    def flag(self, bot: str, key: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(sa.select(control.c.value).where(
                control.c.bot == bot, control.c.key == key)).scalar()

    def bots(self) -> list[str]:
        """Names of the bots with decisions in this store."""
        with self.engine.connect() as c:
            return list(c.execute(sa.select(decisions.c.bot).distinct()).scalars())


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("scores", "proposal", "target"):
        out[key] = None if out[key] is None else json.loads(out[key])
    out["ts"] = pd.Timestamp(out["ts"])
    return out


def _create_tables(engine: sa.engine.Engine, attempts: int = 5) -> None:
    """Create the missing tables and columns. Two processes opening a new store at once (a bot
    starting while ``trade status`` or the dashboard reads it) can both find a table missing;
    the slower one's CREATE then fails with "already exists" and simply looks again."""
    for attempt in range(attempts):
        try:
            _meta.create_all(engine)
            _add_missing_columns(engine)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            if "already exists" not in str(error).lower() or attempt == attempts - 1:
                raise


def _add_missing_columns(engine: sa.engine.Engine) -> None:
    """Columns added after a store was first created (``decisions.model_version``): a store
    written by an older version gains them, empty, instead of failing on its first insert."""
    present = {c["name"] for c in sa.inspect(engine).get_columns("decisions")}
    if "model_version" not in present:
        with engine.begin() as c:
            c.execute(sa.text("ALTER TABLE decisions ADD COLUMN model_version VARCHAR(64)"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    # Switching a new file to WAL needs an exclusive lock; SQLite answers "locked" at once
    # (no busy wait, to avoid a deadlock) while another process opening the store holds one,
    # so the switch is retried for a while.
    for attempt in range(40):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 39:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a killed process
    cursor.close()
