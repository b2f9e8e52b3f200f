"""The bot's bounded window: fed bar after bar from a minute-bar feed, it keeps a bounded number
of bars and a fixed-size rule state, decides and books exactly what a bot keeping every bar
decides and books (path-dependent rules, rebalance > 1, a risk manager with a VaR window),
what a replay knowing every bar in advance books, and continues after a restart whose bars no
longer cover its stored decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import SquareRootImpact
from alphafactory.data import synthetic_market
from alphafactory.execution import BarVenue
from alphafactory.feeds import ReplayConfig, ReplayFeed
from alphafactory.live import Bot, BotConfig, MomentumScorer, PaperBroker, TradingStore
from alphafactory.live.driver import run_feed
from alphafactory.live.window import BarWindow, cost_lookback
from alphafactory.portfolio import build_rule
from alphafactory.portfolio.stepping import FullHistory
from alphafactory.risk import RiskManager

from .conftest import COST, sqlite_url

HISTORY, TRADED, KEEP = 30, 120, 12


@pytest.fixture(scope="module")
def minute_bars() -> pd.DataFrame:
    """Six symbols of synthetic 1-minute bars: 30 of history, then the traded ones."""
    return synthetic_market(n_symbols=6, n_bars=HISTORY + TRADED, freq="1min", seed=5).bars


def stamps_of(bars: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(bars.index.get_level_values(0).unique())


def make(tmp_path, name: str, bars: pd.DataFrame, *, known: pd.DataFrame | None = None,
         keep: int = KEEP, rule: str = "hysteresis", params: dict | None = None,
         rebalance: int = 3, risk: RiskManager | None = None, cost=COST) -> Bot:
    """A bot over ``bars`` trading from the first bar after the history, sizing at the last
    close (what a fed bot knows); ``known`` are the bars it starts with (default: history)."""
    start = stamps_of(bars)[HISTORY]
    level = bars.index.get_level_values(0)
    store = TradingStore(sqlite_url(tmp_path, name))
    config = BotConfig(name=name, rule=build_rule(rule, params or {"enter": 0.002, "exit": 0.0}),
                       rebalance=rebalance, cost=cost, sizing="last", risk=risk, keep_bars=keep)
    venue = PaperBroker(lambda: BarVenue(bars[level >= start], cost=cost, cash=1e6), store, name)
    history = bars[level <= start] if known is None else known
    return Bot(config, scorer=MomentumScorer(5), venue=venue, store=store, bars=history,
               start=start)


def feed(bars: pd.DataFrame) -> ReplayFeed:
    return ReplayFeed(bars, ReplayConfig(start=HISTORY, bars_per_second=0))


def books(bot: Bot) -> tuple[dict[str, float], np.ndarray, list]:
    """Positions, the equity curve and the decisions (of a bot that traded)."""
    name = bot.config.name
    assert len(bot.store.orders(name)) > 0
    held = {s: p.quantity for s, p in bot.venue.positions().items()}
    decided = [(d["ts"], d["scores"], d["proposal"], d["target"])
               for d in bot.store.decisions(name)]
    return held, bot.store.equity(name)["equity"].to_numpy(), decided


RISK = RiskManager.from_config([{"name": "var_limit", "max_var": 0.002, "window": 20}])
# minute bars of one session: a daily loss limit would halt for good; a drawdown stop scales
DRAWDOWN = RiskManager.from_config([{"name": "max_drawdown_stop", "max_loss": 0.002,
                                     "action": "scale", "scale": 0.5}])


@pytest.mark.parametrize("rule,params,rebalance,risk", [
    ("hysteresis", {"enter": 0.002, "exit": 0.0}, 3, None),
    ("topk_exposure", {"k": 3, "max_positions": 2, "min_trade_weight": 0.05}, 2, RISK),
])
def test_a_fed_bot_keeps_a_bounded_window_and_books_what_a_bot_keeping_every_bar_books(
        minute_bars, tmp_path, rule, params, rebalance, risk):
    kept: list[int] = []
    windowed = make(tmp_path, "windowed", minute_bars, rule=rule, params=params,
                    rebalance=rebalance, risk=risk)
    windowed.on_decision = lambda _: kept.append(len(windowed.window))
    everything = make(tmp_path, "everything", minute_bars, keep=10**6, rule=rule, params=params,
                      rebalance=rebalance, risk=risk)
    assert not isinstance(windowed.rule_state, FullHistory)
    for bot in (windowed, everything):
        bot.start()
        assert run_feed(bot, feed(minute_bars)) == TRADED
    bound = max(windowed.needs or 0, KEEP)
    assert max(kept) <= bound < TRADED  # never more bars than a decision reads
    assert windowed.window.offset > TRADED - 2 * bound  # the oldest bars are gone
    assert len(everything.window) == HISTORY + TRADED
    held_w, equity_w, decided_w = books(windowed)
    held_e, equity_e, decided_e = books(everything)
    assert held_w == held_e
    np.testing.assert_array_equal(equity_w, equity_e)
    assert decided_w == decided_e
    if risk is not None:
        assert len(windowed.risk.interventions) <= 256


def test_a_fed_bot_books_what_a_replay_knowing_every_bar_books(minute_bars, tmp_path):
    fed = make(tmp_path, "fed", minute_bars, risk=DRAWDOWN)
    fed.start()
    run_feed(fed, feed(minute_bars))
    replay = make(tmp_path, "replay", minute_bars, known=minute_bars, risk=fed.config.risk)
    replay.start()
    assert replay.run() == TRADED
    held_f, equity_f, _ = books(fed)
    held_r, equity_r, _ = books(replay)
    assert held_f == pytest.approx(held_r, rel=1e-12)
    np.testing.assert_allclose(equity_f, equity_r[: len(equity_f)], rtol=1e-12)


def test_a_restarted_fed_bot_continues_as_if_never_stopped(minute_bars, tmp_path):
    """Killed after 60 bars and restarted with only its warm-up bars: the rule's state comes
    back from the stored decisions (all older than the bars it holds)."""
    risk = DRAWDOWN
    steady = make(tmp_path, "steady", minute_bars, risk=risk)
    steady.start()
    run_feed(steady, feed(minute_bars))

    first = make(tmp_path, "restarted", minute_bars, risk=risk)
    first.start()
    replay = feed(minute_bars)
    assert run_feed(first, replay, max_bars=60) == 60
    now = first.venue.now()
    first.store.close()
    level = minute_bars.index.get_level_values(0)
    recent = minute_bars[(level <= now) & (level > now - pd.Timedelta(minutes=8))]
    again = make(tmp_path, "restarted", minute_bars, known=recent, risk=risk)
    assert again.start()["decisions"] == 60
    run_feed(again, replay)
    held_a, equity_a, decided_a = books(again)
    held_s, equity_s, decided_s = books(steady)
    assert held_a == held_s
    np.testing.assert_array_equal(equity_a, equity_s)
    assert decided_a == decided_s


def test_appended_bars_are_costed_causally_and_as_the_replay_past_the_cost_window(minute_bars):
    cost = SquareRootImpact(eta=1.0, half_spread_bps=None, vol_window=10, adv_window=10,
                            spread_window=10)
    rows = 2 * cost_lookback(cost) + 1
    stamps = stamps_of(minute_bars)
    level = minute_bars.index.get_level_values(0)
    start = stamps[HISTORY]
    known = BarWindow(minute_bars, start=start, cost=cost, cost_window=rows)
    fed = BarWindow(minute_bars[level <= start], start=start, cost=cost, cost_window=rows)
    seen = {}
    for ts in stamps[HISTORY + 1:]:
        assert fed.extend(minute_bars[level == ts]) == 1
        b = fed.loc(ts)
        seen[b] = fed.costs(b)
        fed.trim(b - rows)
    assert len(fed) <= rows + 1
    past = [b for b in seen if b >= HISTORY + rows]
    for b in past:
        for name in ("half_spread", "impact_coef"):
            np.testing.assert_allclose(getattr(seen[b], name), getattr(known.costs(b), name),
                                       rtol=1e-12, atol=0)
    # causal: a bar's parameters are the same when asked after 40 more bars arrived
    grown = BarWindow(minute_bars[level <= start], start=start, cost=cost, cost_window=rows)
    for ts in stamps[HISTORY + 1: HISTORY + 81]:
        grown.extend(minute_bars[level == ts])
    for b in range(HISTORY + 1, HISTORY + 41):
        np.testing.assert_array_equal(grown.costs(b).impact_coef, seen[b].impact_coef)
        np.testing.assert_array_equal(grown.costs(b).half_spread, seen[b].half_spread)


def test_the_window_carries_the_last_close_of_a_symbol_silent_for_longer_than_it_keeps(
        minute_bars):
    bars = minute_bars.copy()
    stamps = stamps_of(bars)
    quiet = (bars.index.get_level_values(1) == bars.index.get_level_values(1)[0]) & (
        bars.index.get_level_values(0) > stamps[20])
    bars = bars[~quiet]
    window = BarWindow(bars, start=stamps[HISTORY], cost=COST, cost_window=1)
    full = pd.DataFrame(window.closes(0, window.last)).ffill().to_numpy()
    for b in range(HISTORY, window.last + 1, 7):
        window.trim(b - 5)
        np.testing.assert_array_equal(window.last_close(b), full[b])
    assert window.offset > 100 and np.isfinite(window.last_close(window.last)).all()
