"""Trading-loop benchmark (issue #19): decision latency, bar close to orders submitted, and the
bot's resident memory over a simulated month of 1-minute bars.

Run alone: ``.venv/bin/python bench/bench_live.py [--quick] [--part latency|memory]``
(``--quick``: small sizes, a smoke run of both parts in about a minute); ``make bench
BENCH=live`` runs both at full size (about 9 minutes on 2 cores, 5 of them the month).

The loop as it runs live: synthetic 1-minute bars (``synthetic_market(freq="1min")``) fed bar by
bar through :func:`alphafactory.live.run_feed` (a ``ReplayFeed`` at full speed; each bar
appended with ``Bot.extend``), a ``PaperBroker`` over a ``BarVenue`` (fills at the next open)
journaled in a SQLite ``TradingStore`` in a temporary folder, sizing at the last close (what a
live bot knows), square-root costs (the backtest's default: eta 1, half spread 2 bps), and the
minute-bar system's rule ``topk_exposure`` (``k = max_positions = max(6, N / 10)``, a minimum
trade of a quarter of a slot: names change when they leave the top, not on every bar's drift).

1. **Decision latency** for 30 and 500 symbols, with the model-free momentum scorer (20 bars)
   and with a stored model: a ridge model on the default 9 features (lookback 20) trained on
   synthetic daily bars and saved in a temporary folder (what ``alphafactory train --model
   ridge`` stores), loaded by ``ModelScorer``. A decision's latency runs from the driver
   receiving the bar (``Bot.extend``) to ``Bot.step`` returning with the orders submitted: it
   includes collecting the previous bar's fills and every store write. p50 and p99 over the
   decisions after warm-up.

   Reference, same run, same bars: the decision's computation alone, made by the library calls
   the bot makes (score the warm-up tail, the rule's row, the cost parameters, ``size_orders``)
   without store, venue or order manager. The ratio is what crash safety and bookkeeping cost
   on top of deciding: the fair alternative is a loop that decides and does not record, not a
   strawman that recomputes the whole history (the bot before its window did; see the memory
   part for why that grows).

2. **Resident memory** over a simulated month (21 days x 390 bars, 30 symbols, momentum scorer,
   a decision on every bar and orders every 5 bars, so that the month runs in a few minutes:
   the store's order writes dominate a bar that trades), in a child process (a clean
   interpreter; ``psutil`` RSS after ``gc.collect()``): RSS after day 1 and at the end, the
   growth in %, and the p50 decision latency of the last day against the first (a bot whose
   work grew with its history would show a ratio well above 1). The BarVenue holding the
   month's bars and its fill ledger, and the SQLite connection, are in the same process, as
   in a paper session.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

MONTH_DAYS, DAY = 21, 390
HISTORY = 120  # bars given before the first decision (the model's warm-up fits)
MONTH_REBALANCE = 5  # the month's orders every 5 bars (a decision every bar): a month in minutes


def rule_for(n_symbols: int):
    from alphafactory.portfolio import build_rule

    k = max(6, n_symbols // 10)
    return build_rule("topk_exposure", {"k": k, "max_positions": k, "exposure": 1.0,
                                        "min_trade_weight": 0.25 / k})


def ridge_artifact(folder: Path) -> Path:
    """A ridge model on the default features, fitted on a small daily panel, saved to disk."""
    from alphafactory.data import synthetic_market
    from alphafactory.features import build_features
    from alphafactory.labels import forward_returns
    from alphafactory.training import WalkForward
    from alphafactory.training.experiment import DEFAULT_FEATURES
    from alphafactory.training.final import fit_final

    bars = synthetic_market(40, 420, seed=1, alpha_ic=0.1).bars
    artifact = fit_final(build_features(bars, list(DEFAULT_FEATURES)),
                         forward_returns(bars, 1, kind="log", entry="next_open", demean=True),
                         model="ridge", lookback=20,
                         splitter=WalkForward(train=200, val=60, test=60))
    return artifact.save(folder / "ridge")


class Session:
    """A fed bot over ``n_symbols`` minute bars with a store and a paper broker in ``folder``;
    ``latencies`` (seconds, bar received to orders submitted) and ``steps`` (``Bot.step`` only)
    are filled as it runs."""

    def __init__(self, folder: Path, n_symbols: int, n_bars: int, scorer, *, seed: int = 7,
                 rebalance: int = 1) -> None:
        from alphafactory.backtest import SquareRootImpact
        from alphafactory.data import synthetic_market
        from alphafactory.execution import BarVenue
        from alphafactory.live import Bot, BotConfig, PaperBroker, TradingStore

        self.bars = synthetic_market(n_symbols, HISTORY + n_bars, freq="1min", seed=seed).bars
        level = self.bars.index.get_level_values(0)
        start = level.unique()[HISTORY]
        cost = SquareRootImpact(eta=1.0, half_spread_bps=2.0)
        store = TradingStore(f"sqlite:///{folder / 'bench.db'}")
        traded = self.bars[level >= start]
        venue = PaperBroker(lambda: BarVenue(traded, cost=cost, cash=1e6), store, "bench")
        config = BotConfig(name="bench", rule=rule_for(n_symbols), rebalance=rebalance,
                           cost=cost, sizing="last")
        self.latencies: list[float] = []
        self.cpu: list[float] = []  # process CPU seconds of the same span: blind to other load
        self.steps: list[float] = []
        session = self

        class TimedBot(Bot):
            def extend(self, bars: pd.DataFrame) -> int:
                self._received, self._cpu = time.perf_counter(), time.process_time()
                return super().extend(bars)

            def step(self, at=None):
                decision = super().step(at)
                if decision is not None:
                    session.latencies.append(time.perf_counter() - self._received)
                    session.cpu.append(time.process_time() - self._cpu)
                    session.steps.append(decision.latency_s)
                return decision

        self.bot = TimedBot(config, scorer=scorer, venue=venue, store=store,
                            bars=self.bars[level <= start], start=start)
        self.start = start

    def run(self, on_decision=None) -> int:
        from alphafactory.feeds import ReplayConfig, ReplayFeed
        from alphafactory.live.driver import run_feed

        self.bot.on_decision = on_decision
        self.bot.start()
        feed = ReplayFeed(self.bars, ReplayConfig(start=HISTORY, bars_per_second=0))
        return run_feed(self.bot, feed)


def compute_only(session: Session, scorer, decisions: int) -> np.ndarray:
    """Seconds per decision of the library calls alone, on the session's last bars."""
    from alphafactory.live.sizing import size_orders
    from alphafactory.live.window import BarWindow
    from alphafactory.portfolio.stepping import rule_stepper

    bot = session.bot
    config = bot.config
    level = session.bars.index.get_level_values(0)
    window = BarWindow(session.bars[level <= session.start], start=session.start,
                       cost=config.cost, cost_window=bot.window.cost_window)
    window.extend(session.bars[level > session.start])  # costed as a fed bot costs them
    stepper = rule_stepper(config.rule, window.symbols, config.rebalance)
    held, out = np.zeros(len(window.symbols)), []
    for b in range(window.last - decisions + 1, window.last + 1):
        started = time.perf_counter()
        tail = window.frame(max(0, b - scorer.warmup + 1), b)
        scores = scorer(tail).reindex(window.symbols).to_numpy(dtype=np.float64)
        weights = stepper.step(window.stamp(b), scores, None)
        close = window.last_close(b)
        if np.isfinite(weights).any():
            trades = (np.nan_to_num(weights) != 0) | (held != 0)
            size_orders(weights, held, 1e6, close, close, window.costs(b, trades))
        out.append(time.perf_counter() - started)
    return np.array(out)


def latency(n_symbols: int, kind: str, decisions: int, folder: Path) -> dict[str, float]:
    from alphafactory.live import ModelScorer, MomentumScorer

    scorer = MomentumScorer(20) if kind == "momentum" else ModelScorer(ridge_artifact(folder))
    session = Session(folder, n_symbols, decisions, scorer)
    session.run()
    warm = 5  # the first decisions load code paths and caches
    ms = np.array(session.latencies[warm:]) * 1e3
    ref = compute_only(session, scorer, min(decisions, 60)) * 1e3
    orders = len(session.bot.store.orders("bench"))
    session.bot.store.close()
    return {"symbols": n_symbols, "scorer": kind, "decisions": len(ms),
            "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "cpu p50": float(np.percentile(np.array(session.cpu[warm:]) * 1e3, 50)),
            "step p50": float(np.percentile(np.array(session.steps[warm:]) * 1e3, 50)),
            "orders/bar": orders / max(len(session.latencies), 1),
            "compute p50": float(np.percentile(ref, 50))}


def memory_child(days: int, out: Path) -> None:
    """Drive a month of 30-symbol minute bars; write RSS and latency by day to ``out``."""
    import psutil

    from alphafactory.live import MomentumScorer

    process = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(Path(tmp), 30, days * DAY, MomentumScorer(20), seed=11,
                          rebalance=MONTH_REBALANCE)
        gc.collect()
        rss = {"start": process.memory_info().rss}
        kept: dict[str, int] = {}
        decided = [0]

        def on_decision(_decision) -> None:
            decided[0] += 1
            if decided[0] % DAY == 0:
                gc.collect()
                day = f"day {decided[0] // DAY}"
                rss[day], kept[day] = process.memory_info().rss, session.bot.window.nbytes

        started = time.perf_counter()
        session.run(on_decision)
        bot = session.bot
        result = {"rss": rss, "seconds": time.perf_counter() - started, "window": kept,
                  "latency": session.latencies, "cpu": session.cpu, "steps": session.steps,
                  "bars kept": len(bot.window),
                  "bars needed": bot.needs, "orders": len(bot.store.orders("bench"))}
        bot.store.close()
    out.write_text(json.dumps(result))


def memory(days: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "memory.json"
        subprocess.run([sys.executable, __file__, "--memory-child", str(days), str(out)],
                       check=True)
        return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--part", choices=("latency", "memory"), help="run one part only")
    parser.add_argument("--memory-child", nargs=2, metavar=("DAYS", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(int(args.memory_child[0]), Path(args.memory_child[1]))
        return 0
    sizes = {30: 40, 500: 15} if args.quick else {30: 300, 500: 120}
    days = 2 if args.quick else MONTH_DAYS

    if args.part != "memory":
        print_latency(sizes)
    if args.part != "latency":
        print_memory(days)
    return 0


def print_latency(sizes: dict[int, int]) -> None:
    rows = []
    for n_symbols, decisions in sizes.items():
        for kind in ("momentum", "model"):
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(latency(n_symbols, kind, decisions, Path(tmp)))
                print(f"  {n_symbols} symbols, {kind}: p50 {rows[-1]['p50']:.1f} ms", flush=True)
    table = pd.DataFrame(rows)
    table["ratio p50 / compute"] = table["p50"] / table["compute p50"]
    print("\n1. decision latency, bar received -> orders submitted (ms; targets p99 < 200 ms "
          "for 30 symbols, < 1 s for 500)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))


def print_memory(days: int) -> None:
    result = memory(days)
    rss = {k: v / 2**20 for k, v in result["rss"].items()}
    first, end = rss["day 1"], rss[f"day {days}"]
    lat, cpu = np.array(result["latency"]) * 1e3, np.array(result["cpu"]) * 1e3
    day1, last = np.median(lat[:DAY]), np.median(lat[-DAY:])
    cpu1, cpu_last = np.median(cpu[:DAY]), np.median(cpu[-DAY:])
    window = {k: v / 2**20 for k, v in result["window"].items()}
    print(f"\n2. resident memory, {days} days x {DAY} one-minute bars x 30 symbols "
          f"({result['seconds']:.0f} s, {result['orders']} orders; the bot keeps "
          f"{result['bars kept']} bars, its decisions read {result['bars needed']})")
    print(f"   RSS before the first bar {rss['start']:.1f} MiB, after day 1 {first:.1f} MiB, "
          f"at the end {end:.1f} MiB: growth after day 1 {100 * (end / first - 1):+.1f}% "
          "(target < 10%)")
    print("   RSS by day (MiB): " + ", ".join(f"{v:.0f}" for k, v in rss.items() if k != "start"))
    print("   of which the bot's kept bars (MiB): "
          + ", ".join(f"{v:.1f}" for v in window.values())
          + f" (flat once {result['bars kept']} bars are kept; the rest of the growth is the "
          "paper venue's ledger, every order and fill)")
    steps = np.array(result["steps"]) * 1e3
    step1, step_last = np.median(steps[:DAY]), np.median(steps[-DAY:])
    print(f"   decision p50, day 1 -> last day: {day1:.1f} -> {last:.1f} ms wall (ratio "
          f"{last / day1:.2f}), {cpu1:.1f} -> {cpu_last:.1f} ms CPU (ratio {cpu_last / cpu1:.2f};"
          " blind to other processes)")
    print(f"   of which Bot.step: {step1:.1f} -> {step_last:.1f} ms (ratio "
          f"{step_last / step1:.2f}); the rest is the driver advancing the paper venue and "
          "collecting its fills")


if __name__ == "__main__":
    raise SystemExit(main())
