"""The trading bot: at each bar, score, apply the portfolio rule and the risk manager, size the
orders as the backtest does, and send them through the order manager; crash-safe by design.

One decision at bar ``b`` (the venue's clock stands at its close):

1. snapshot equity and positions into the store;
2. score the bars up to ``b`` (:class:`~alphafactory.live.scorers.Scorer`); the rule sees the
   score history since the bot's first bar, so a path-dependent rule decides exactly as in a
   batch (``weights_from_scores`` over the same rows, with the same ``rebalance``);
3. the risk session (limits, then circuit breakers on the closing equity), as
   :func:`~alphafactory.backtest.risk_managed_backtest` drives it;
4. orders from :func:`~alphafactory.live.sizing.size_orders` at the sizing prices: ``next_open``
   (a replay knows the next open: the backtest's fills exactly) or ``last`` (the latest close:
   what a live bot knows; the gap to the open is the live-versus-backtest difference);
5. decision and orders are written (state NEW) in one transaction, *then* sent; the decision is
   marked done once every order went out.

A bot following a registry alias holds a watcher (a
:class:`~alphafactory.factory.ChampionWatcher` whose ``on_new`` swaps the scorer's model): it is
polled once before each new decision, in the loop's own thread, so a new version is used from
the next decision on and never in the middle of one. Each :class:`Decision` names the model
version it used, and the store's ``model_version`` flag holds the latest.

On start, :meth:`Bot.start` reconciles the store with the venue (fills missed while down, order
states) and rebuilds the score history and risk state from the stored decisions; a decision
found ``planned`` is resent with the same client order ids (idempotent at the venue). So a bot
killed at any point and restarted continues as if never stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel, NoCost
from alphafactory.backtest.market import market_from
from alphafactory.execution import Order, Side, SimulatedClockVenue, Venue
from alphafactory.live.manager import OrderManager
from alphafactory.live.orders import client_order_id
from alphafactory.live.scorers import Scorer
from alphafactory.live.sizing import RowCosts, size_orders
from alphafactory.live.store import TradingStore
from alphafactory.portfolio import PortfolioRule, weights_from_scores
from alphafactory.risk import RiskContext, RiskManager, RiskSession, session_of

__all__ = ["Bot", "BotConfig", "Decision"]

log = logging.getLogger("alphafactory.live")


@dataclass(frozen=True, kw_only=True, slots=True)
class BotConfig:
    """What a bot trades and how (the trading file's ``[bot]``, ``[portfolio]``, ``[risk]``)."""

    name: str
    rule: PortfolioRule
    rebalance: int = 1
    cost: CostModel = field(default_factory=NoCost)
    cash: float = 1e6
    max_leverage: float = 1.0
    whole_shares: bool = False
    sizing: str = "next_open"
    risk: RiskManager | None = None

    def __post_init__(self) -> None:
        if self.sizing not in ("next_open", "last"):
            raise ValueError(f"sizing must be 'next_open' or 'last', got {self.sizing!r}.")
        if self.rebalance < 1:
            raise ValueError(f"rebalance must be >= 1 bar, got {self.rebalance}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """One bar's decision: the target weights (None: hold), the orders sent and the version
    of the model that scored it (None: a scorer without versions)."""

    timestamp: pd.Timestamp
    target: pd.Series | None
    orders: tuple[Order, ...]
    latency_s: float
    model_version: str | None = None


class Watcher(Protocol):
    """What :class:`Bot` polls before each decision (a ``ChampionWatcher``)."""

    def check(self) -> str | None:
        """Install a new model if there is one; its version, or None."""
        ...


class Bot:
    """A trading bot over a venue whose clock stands at bar closes.

    Parameters
    ----------
    config : BotConfig
    scorer : Scorer
    venue : Venue
        A simulated-clock venue (paper) or a broker.
    store : TradingStore
    bars : DataFrame
        ``(timestamp, symbol)`` bars: the history and the bars being traded (a replay holds the
        whole session; a live loop appends as bars close). The bot reads rows up to the venue's
        clock, plus the next open with ``sizing="next_open"``.
    start : Timestamp
        The first bar the bot trades (its cost parameters are taken over bars from here on).
    watcher : Watcher, optional
        Polled once before each new decision (a champion watcher swapping ``scorer``'s model);
        a failed poll is logged and the bot decides with the model it has.
    """

    def __init__(self, config: BotConfig, *, scorer: Scorer, venue: Venue, store: TradingStore,
                 bars: pd.DataFrame, start: pd.Timestamp,
                 on_decision: Callable[[Decision], None] | None = None,
                 watcher: Watcher | None = None) -> None:
        self.config, self.scorer, self.venue, self.store = config, scorer, venue, store
        self.bars = bars.sort_index()
        self.start_ts = pd.Timestamp(start)
        self._index()
        self.orders = OrderManager(config.name, venue, store)
        self.history: list[dict[str, float]] = []
        self.history_index: list[pd.Timestamp] = []
        self.risk = RiskSession(config.risk, config.cash) if config.risk else None
        self.on_decision = on_decision
        self.watcher = watcher
        self._recorded_version: str | None = None

    def _index(self) -> None:
        """The panel, returns, closes and cost parameters of ``self.bars``."""
        self.market = market_from(self.bars)
        self.symbols = [str(s) for s in self.market.symbols]
        stamps = self.market.timestamps
        self._first = int(stamps.searchsorted(self.start_ts))
        traded = self.bars[self.bars.index.get_level_values(0) >= self.start_ts]
        self._costs = self.config.cost.parameters(market_from(traded))
        with np.errstate(divide="ignore", invalid="ignore"):
            close = self.market.close
            returns = np.vstack([np.zeros((1, close.shape[1])), close[1:] / close[:-1] - 1.0])
        self._returns = np.where(np.isfinite(returns), returns, 0.0)
        self._closes = pd.DataFrame(close, index=stamps, columns=self.symbols)

    def extend(self, bars: pd.DataFrame) -> int:
        """Append newly closed bars (a feed's event): rows after the last known timestamp, of
        the symbols the bot trades; the number of new timestamps."""
        level = bars.index.get_level_values(0)
        new = bars[(level > self.market.timestamps[-1])
                   & bars.index.get_level_values(1).isin(self.symbols)]
        if new.empty:
            return 0
        self.bars = pd.concat([self.bars, new]).sort_index()
        self._index()
        return int(new.index.get_level_values(0).nunique())

    # ---- start-up -------------------------------------------------------------------------
    def start(self) -> dict[str, int]:
        """Reconcile with the venue and rebuild the state from the store; a summary of what
        was found."""
        summary = self.orders.reconcile()
        for d in self.store.decisions(self.config.name):
            self.history.append(d["scores"])
            self.history_index.append(d["ts"])
            if self.risk is not None:
                b = int(self.market.timestamps.get_loc(d["ts"]))
                self._risk_step(b, d["equity"], d["proposal"])
        summary["decisions"] = len(self.history)
        return summary

    # ---- one bar ----------------------------------------------------------------------------
    def step(self, at: pd.Timestamp | None = None) -> Decision | None:
        """Decide at bar ``at`` (default: the venue's current bar), or finish a decision a
        crash interrupted."""
        t0 = time.perf_counter()
        ts = self.venue.now() if at is None else pd.Timestamp(at)
        stored = self.store.decision(self.config.name, ts)
        if stored is not None:
            if stored["status"] == "planned":
                sent = self.orders.send_planned(ts)
                self.store.finish_decision(self.config.name, ts)
                return Decision(timestamp=ts, target=None, orders=sent,
                                latency_s=time.perf_counter() - t0,
                                model_version=self.model_version)
            return None
        version = self._poll_watcher()
        b = int(self.market.timestamps.get_loc(ts))
        account, held_now = self.venue.account(), self.venue.positions()
        self.store.snapshot(self.config.name, ts, cash=account.cash, equity_value=account.equity,
                            held=held_now)
        tail = self._tail(b)
        scores = self.scorer(tail).reindex(self.symbols).astype("float64")
        row = {s: float(v) for s, v in scores.items()}
        self.history.append(row)
        self.history_index.append(ts)
        proposal = self._proposal(b)
        target = (self._risk_step(b, account.equity, proposal) if self.risk is not None
                  else (None if proposal is None else np.array(
                      [proposal.get(s, np.nan) for s in self.symbols])))
        planned: list[tuple[Order, int]] = []
        if target is not None:
            planned = self._orders(b, ts, target, account.cash, held_now)
        target_map = (None if target is None
                      else dict(zip(self.symbols, target.tolist(), strict=True)))
        self.store.save_decision(self.config.name, ts, bar=b, cash=account.cash,
                                 equity_value=account.equity, scores=row, proposal=proposal,
                                 target=target_map, planned=planned, model_version=version)
        sent = self.orders.send_planned(ts) if planned else ()
        if planned:
            self.store.finish_decision(self.config.name, ts)
        decision = Decision(timestamp=ts, orders=sent, latency_s=time.perf_counter() - t0,
                            target=None if target is None else pd.Series(target_map),
                            model_version=version)
        if self.on_decision is not None:
            self.on_decision(decision)
        return decision

    def run(self, *, speed: float = 0.0, halted: Callable[[], bool] | None = None,
            until: pd.Timestamp | None = None) -> int:
        """Replay: decide, advance the (simulated-clock) venue one bar, collect fills, until
        the bars end (or ``until``, or ``halted()``); return the bars handled.

        ``speed`` is simulated time per wall time (0: as fast as possible); a daily bar counts
        as one 6.5-hour session.
        """
        venue = self.venue
        if not isinstance(venue, SimulatedClockVenue):
            raise TypeError("Bot.run replays on a simulated-clock venue; a live broker is "
                            "driven by a bar feed calling step().")
        stamps = self.market.timestamps
        interval = _bar_seconds(stamps)
        handled = 0
        while True:
            if halted is not None and halted():
                log.warning("bot %s halted by the kill switch at %s", self.config.name,
                            venue.now())
                break
            self.step()
            handled += 1
            b = int(stamps.get_loc(venue.now()))
            if b + 1 >= len(stamps) or (until is not None and stamps[b + 1] > until):
                break
            if speed > 0:
                time.sleep(interval / speed)
            venue.advance(stamps[b + 1])
            self.orders.collect()
        return handled

    @property
    def model_version(self) -> str | None:
        """The version of the scorer's model (None: a scorer without versions)."""
        version = getattr(self.scorer, "version", None)
        return None if version is None else str(version)

    # ---- internals --------------------------------------------------------------------------
    def _poll_watcher(self) -> str | None:
        """Let the watcher swap the model (between decisions); the version now in use."""
        if self.watcher is not None:
            try:
                new = self.watcher.check()
            except Exception:  # a registry outage must not stop trading on the current model
                log.exception("bot %s: polling the model registry failed; deciding with "
                              "version %s", self.config.name, self.model_version)
            else:
                if new is not None:
                    log.info("bot %s: model version %s from the next decision on",
                             self.config.name, new)
        version = self.model_version
        if version is not None and version != self._recorded_version:
            self.store.set_flag(self.config.name, "model_version", version)
            self._recorded_version = version
        return version

    def _tail(self, b: int) -> pd.DataFrame:
        stamps = self.market.timestamps
        lo = stamps[max(0, b - self.scorer.warmup + 1)]
        level = self.bars.index.get_level_values(0)
        return self.bars.iloc[level.searchsorted(lo): level.searchsorted(stamps[b], "right")]

    def _proposal(self, b: int) -> dict[str, float] | None:
        history = pd.DataFrame(self.history, index=pd.DatetimeIndex(self.history_index),
                               columns=self.symbols, dtype="float64")
        prices = self._closes.iloc[: b + 1] if self.config.rule.needs_prices else None
        weights = weights_from_scores(history, self.config.rule, rebalance=self.config.rebalance,
                                      prices=prices)
        last = weights.iloc[-1]
        if not np.isfinite(last.to_numpy()).any():
            return None
        return {s: float(v) for s, v in last.items()}

    def _risk_step(self, b: int, equity_value: float, proposal: dict[str, float] | None
                   ) -> np.ndarray | None:
        """The risk-managed backtest's bar (execution next open), with the live equity."""
        session, ts = self.risk, self.market.timestamps[b]
        key = int(session_of(ts))
        lookback = session.manager.lookback
        context = RiskContext(timestamp=ts, symbols=tuple(self.symbols), session=key,
                              returns=self._returns[max(0, b - lookback + 1) if lookback
                                                    else b + 1: b + 1])
        row = None
        decision = proposal is not None
        if session.begin_bar(ts, key) and not decision and session.last_proposal is not None:
            row = session.decide(session.last_proposal, context)
        trip = session.observe(ts, key, equity_value)
        if trip is not None:
            row = trip
        if decision:
            row = session.decide(np.array([proposal.get(s, np.nan) for s in self.symbols]),
                                 context)
        return row

    def _orders(self, b: int, ts: pd.Timestamp, target: np.ndarray, cash: float,
                held_now) -> list[tuple[Order, int]]:
        m = self.market
        if self.config.sizing == "next_open":
            if b + 1 >= len(m.timestamps):
                return []
            prices, row = m.require("open", "sizing at the next open")[b + 1], b + 1
        else:
            prices, row = np.array([self.venue.quote(s).last or np.nan for s in self.symbols]), b
        held = np.array([held_now[s].quantity if s in held_now else 0.0 for s in self.symbols])
        close = pd.DataFrame(m.close[: b + 1]).ffill().to_numpy()[-1]
        costs = RowCosts.of(self._costs, max(row - self._first, 0))
        q = size_orders(target, held, cash, prices, close, costs,
                        max_leverage=self.config.max_leverage,
                        whole_shares=self.config.whole_shares)
        out = []
        for i in np.flatnonzero(q):
            symbol = self.symbols[i]
            out.append((Order(symbol=symbol, side=Side.BUY if q[i] > 0 else Side.SELL,
                              quantity=float(abs(q[i])),
                              client_order_id=client_order_id(self.config.name, ts, symbol, 0)),
                        0))
        return out


def _bar_seconds(stamps: pd.DatetimeIndex) -> float:
    if len(stamps) < 2:
        return 6.5 * 3600
    step = pd.Series(stamps[1:] - stamps[:-1]).median()
    return 6.5 * 3600 if step >= pd.Timedelta(hours=20) else step.total_seconds()
