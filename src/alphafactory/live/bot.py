"""The trading bot: at each bar, score, apply the portfolio rule and the risk manager, size the
orders as the backtest does, and send them through the order manager; crash-safe by design.

One decision at bar ``b`` (the venue's clock stands at its close):

1. snapshot equity and positions into the store;
2. score the bars up to ``b`` (:class:`~alphafactory.live.scorers.Scorer`); the rule decides
   on the score history since the bot's first bar through its incremental form
   (:func:`~alphafactory.portfolio.stepping.rule_stepper`), the row ``weights_from_scores``
   gives over the same rows with the same ``rebalance``, bit for bit, from a bounded state;
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
states) and rebuilds the rule's and the risk manager's state from the stored decisions (their
scores, proposals and equity); a decision found ``planned`` is resent with the same client order
ids (idempotent at the venue). So a bot killed at any point and restarted continues as if never
stopped.

Bounded work and memory: a decision reads the scorer's warm-up tail, the rule's trailing closes,
the risk manager's trailing returns and the cost window (:class:`~alphafactory.live.window.
BarWindow`), and after each decision the bot drops bars older than what those need (at least
``keep_bars``). So a bot fed bar after bar (:meth:`Bot.extend`) holds a window of bars and a
fixed-size rule state, and its decisions cost the same on the last bar of a month as on the
first. A rule without an incremental form (``vol_target``, ``kelly``, ...) recomputes its whole
score history as before, and keeps every bar when it reads prices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from alphafactory.execution import Order, Side, SimulatedClockVenue, Venue
from alphafactory.live.decisions import BotConfig, Decision, Watcher
from alphafactory.live.manager import OrderManager
from alphafactory.live.orders import client_order_id
from alphafactory.live.scorers import Scorer
from alphafactory.live.sizing import size_orders
from alphafactory.live.store import TradingStore
from alphafactory.live.window import BarWindow, cost_lookback
from alphafactory.portfolio.stepping import FullHistory, RuleStepper, rule_stepper
from alphafactory.risk import RiskContext, RiskSession, session_of

__all__ = ["Bot", "BotConfig", "Decision"]

log = logging.getLogger("alphafactory.live")
_INTERVENTIONS = 256  # the risk session's latest intervention records kept (a live log)


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
        self.start_ts = pd.Timestamp(start)
        cost_rows = config.cost_window or 2 * cost_lookback(config.cost) + 1
        self.window = BarWindow(bars, start=self.start_ts, cost=config.cost,
                                cost_window=cost_rows)
        self.symbols = self.window.symbols
        self.rule_state: RuleStepper = rule_stepper(config.rule, self.symbols, config.rebalance)
        if isinstance(self.rule_state, FullHistory):
            log.warning("bot %s: rule %r has no incremental form; each decision recomputes the "
                        "whole score history%s", config.name, config.rule.name,
                        " and every bar is kept" if config.rule.needs_prices else "")
        self.orders = OrderManager(config.name, venue, store)
        self.risk = RiskSession(config.risk, config.cash) if config.risk else None
        self.on_decision = on_decision
        self.watcher = watcher
        self._recorded_version: str | None = None

    @property
    def market(self) -> BarWindow:
        """The bars the bot keeps (``market.timestamps``: their timestamps)."""
        return self.window

    @property
    def bars(self) -> pd.DataFrame:
        """The long bars of the kept timestamps."""
        return self.window.bars

    @property
    def needs(self) -> int | None:
        """Timestamps a decision reads, its own included (None: every bar since the first)."""
        rows = self.rule_state.price_rows
        if rows is None:
            return None
        returns = self.risk.manager.lookback + 1 if self.risk is not None else 1
        return max(int(self.scorer.warmup), rows, returns, self.window.cost_window)

    def extend(self, bars: pd.DataFrame) -> int:
        """Append newly closed bars (a feed's event): rows after the last known timestamp, of
        the symbols the bot trades; the number of new timestamps."""
        return self.window.extend(bars)

    # ---- start-up -------------------------------------------------------------------------
    def start(self) -> dict[str, int]:
        """Reconcile with the venue and rebuild the state from the store; a summary of what
        was found."""
        summary = self.orders.reconcile()
        found = 0
        decided = sorted(self.store.decisions(self.config.name), key=lambda d: d["ts"])
        if decided:
            self._continue_numbers(decided[-1]["ts"], int(decided[-1]["bar"]))
        for d in decided:
            proposal = d["proposal"]
            self.rule_state.replay(d["ts"], self._array(d["scores"]),
                                   None if proposal is None else self._array(proposal))
            if self.risk is not None:
                self._risk_step(d["ts"], self.window.position(d["ts"]), d["equity"], proposal)
            found += 1
        summary["decisions"] = found
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
        b = self.window.loc(ts)
        account, held_now = self.venue.account(), self.venue.positions()
        self.store.snapshot(self.config.name, ts, cash=account.cash, equity_value=account.equity,
                            held=held_now)
        scores = self.scorer(self._tail(b)).reindex(self.symbols).astype("float64")
        row = {s: float(v) for s, v in scores.items()}
        weights = self.rule_state.step(ts, scores.to_numpy(), self._prices(b))
        proposal = (dict(zip(self.symbols, weights.tolist(), strict=True))
                    if np.isfinite(weights).any() else None)
        target = (self._risk_step(ts, b, account.equity, proposal) if self.risk is not None
                  else None if proposal is None else weights)
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
        self._forget(b)
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
        """The scorer's warm-up tail ending at bar ``b`` (shorter after a swap to a model with a
        longer warm-up than the bars kept, until enough new bars arrive)."""
        lo = max(0, b - int(self.scorer.warmup) + 1)
        if lo < self.window.offset:
            log.warning("bot %s: the model needs %d bars of warm-up; %d are kept", self.config.name,
                        self.scorer.warmup, b - self.window.offset + 1)
            lo = self.window.offset
        return self.window.frame(lo, b)

    def _prices(self, b: int) -> pd.DataFrame | None:
        """The closes the rule reads at bar ``b`` (None for a rule without prices)."""
        if not self.config.rule.needs_prices:
            return None
        rows = self.rule_state.price_rows
        lo = self.window.offset if rows is None else max(self.window.offset, b - rows + 1)
        return self.window.closes(lo, b)

    def _continue_numbers(self, ts: pd.Timestamp, bar: int) -> None:
        """Number the bars so that the last stored decision keeps its number (a restart given
        other history bars), or the first bar after it follows it."""
        window = self.window
        at = window.position(ts)
        if at is not None:
            window.renumber(window.offset + bar - at)
        elif ts < window.timestamps[0]:
            window.renumber(bar + 1)

    def _array(self, values: dict[str, float]) -> np.ndarray:
        return np.array([values.get(s, np.nan) for s in self.symbols], dtype=np.float64)

    def _forget(self, b: int) -> None:
        """Drop what no later decision reads: bars before the window, old risk records."""
        needs = self.needs
        if needs is not None:
            self.window.trim(b - max(needs, self.config.keep_bars) + 1)
        if self.risk is not None:
            del self.risk.interventions[:-_INTERVENTIONS]

    def _risk_step(self, ts: pd.Timestamp, b: int | None, equity_value: float,
                   proposal: dict[str, float] | None) -> np.ndarray | None:
        """The risk-managed backtest's bar (execution next open), with the live equity. A
        decision replayed at start whose bar is no longer kept sees no trailing returns."""
        session = self.risk
        assert session is not None
        key = int(session_of(ts))
        lookback = session.manager.lookback
        returns = (self.window.returns(b, lookback) if b is not None
                   else np.zeros((0, len(self.symbols))))
        context = RiskContext(timestamp=ts, symbols=tuple(self.symbols), session=key,
                              returns=returns)
        row = None
        decision = proposal is not None
        if session.begin_bar(ts, key) and not decision and session.last_proposal is not None:
            row = session.decide(session.last_proposal, context)
        trip = session.observe(ts, key, equity_value)
        if trip is not None:
            row = trip
        if decision:
            row = session.decide(self._array(proposal), context)  # type: ignore[arg-type]
        return row

    def _orders(self, b: int, ts: pd.Timestamp, target: np.ndarray, cash: float,
                held_now) -> list[tuple[Order, int]]:
        if self.config.sizing == "next_open":
            prices, row = self.window.field("open", b + 1), b + 1
            if prices is None:
                return []
        else:
            prices, row = np.array([self.venue.quote(s).last or np.nan for s in self.symbols]), b
        held = np.array([held_now[s].quantity if s in held_now else 0.0 for s in self.symbols])
        close = self.window.last_close(b)
        costs = self.window.costs(row, (np.nan_to_num(target) != 0) | (held != 0))
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
