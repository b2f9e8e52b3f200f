"""How often does the factory promote on null markets, and on planted ones? And the naive gate?

Runs whole factory cycles (search -> gate on withheld bars) on synthetic markets with no alpha
(every promotion is false) and with a planted alpha (every promotion is right), and counts the
promotions of our gate beside those of the naive gate of the factory we replace (the best
trial's search-window Sharpe > 1.0, no count of trials, no withheld window). Each seed gets a
fresh registry (no champion), so rule 4 never decides: the figures are rules 1, 2, 3 and 5.

Full size (the issue's figures; hours on 2 cores)::

    python research/factory_gate.py --null-seeds 100 --planted-seeds 50 --symbols 50 \\
        --bars 2520 --withheld 504 --trials 30 --models ridge,lightgbm

The README's table comes from a reduced run, with its sizes stated beside it::

    python research/factory_gate.py --null-seeds 20 --planted-seeds 10 --symbols 30 \\
        --bars 1260 --withheld 252 --trials 10 --models ridge --workers 2

Writes ``research/results/factory_gate.md`` (the table) and ``factory_gate.csv`` (one row a
cycle).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"


def factory_file(args: argparse.Namespace, alpha_ic: float, seed: int) -> dict:
    """A factory file as a mapping: a planted (or null) synthetic market and the search."""
    models = args.models.split(",")
    space = {
        "ridge": {"alpha": {"low": 0.01, "high": 1000.0, "log": True}},
        "lightgbm": {"max_depth": {"low": 2, "high": 6},
                     "learning_rate": {"low": 0.01, "high": 0.2, "log": True},
                     "n_estimators": [100, 200]},
        "random_forest": {"min_samples_leaf": {"low": 20, "high": 400, "log": True},
                          "max_features": [0.2, 0.3, 0.5], "n_estimators": [100, 200]},
        "catboost": {"max_depth": {"low": 4, "high": 8},
                     "learning_rate": {"low": 0.01, "high": 0.2, "log": True},
                     "n_estimators": [150, 300]},
    }
    train = max(250, (args.bars - args.withheld) // 4)
    return {
        "name": f"{'planted' if alpha_ic else 'null'}-{seed}",
        "seed": seed,
        "data": {"spec": f"synthetic:n_symbols={args.symbols},n_bars={args.bars},"
                         f"alpha_ic={alpha_ic},seed={seed}", "calendar": "weekdays"},
        "features": {"names": ["rsi_14", "ret_1"]},
        "labels": {"horizon": 1},
        "models": {"names": models, "save": "none",
                   "walk_forward": {"train": train, "val": train // 4, "test": train // 2,
                                    "lookback": 1}},
        "backtest": {},
        "search": {"n_trials": args.trials, "withheld": args.withheld,
                   "families": ["cross_section", "momentum", "volatility", "volume"],
                   "space": {m: space[m] for m in models},
                   "labels": {"kind": ["forward", "triple_barrier"],
                              "horizon": {"low": 1, "high": 10},
                              "pt": {"low": 1.0, "high": 3.0}, "sl": {"low": 1.0, "high": 3.0}}},
        "gate": {},
    }


def one_cycle(job: tuple[argparse.Namespace, float, int, str]) -> dict:
    """Run one cycle in a fresh store; return its row of the results table."""
    from alphafactory.factory import FactoryStore
    from alphafactory.pipeline.factory_cycle import run_cycle
    from alphafactory.pipeline.workflow import parse_workflow

    args, alpha_ic, seed, kind = job
    for name in ("mlflow", "alembic", "optuna", "alphafactory"):
        logging.getLogger(name).setLevel(logging.ERROR)
    config = parse_workflow(factory_file(args, alpha_ic, seed), f"{kind} seed {seed}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_cycle(config, store=FactoryStore.at(Path(tmp) / "mlruns"),
                            runs_root=Path(tmp) / "runs", log=lambda line: None)
    rules = {r.name: r for r in outcome.decision.rules}
    return {
        "kind": kind, "seed": seed, "alpha_ic": alpha_ic,
        "promoted": outcome.decision.passed, "naive": outcome.naive_passed,
        # the replaced factory's other reading: the candidate's withheld Sharpe > the threshold
        "naive_withheld": bool((outcome.decision.inputs.get("candidate_sharpe") or float("-inf"))
                               > args.naive_threshold),
        "withheld_sharpe": outcome.decision.inputs.get("candidate_sharpe"),
        "failed": ",".join(outcome.decision.failed),
        "dsr": rules["dsr"].value if "dsr" in rules else np.nan,
        "pbo": rules["pbo"].value if "pbo" in rules else np.nan,
        "sharpe_low": rules["sharpe_ci"].value if "sharpe_ci" in rules else np.nan,
        "best_search_sharpe": outcome.best_value,
        "label_kind": None if outcome.best is None else outcome.best.label.get("kind"),
        "label_horizon": None if outcome.best is None else outcome.best.label.get("horizon"),
        "model": None if outcome.best is None else outcome.best.model,
        "n_trials": outcome.n_trials, **{f"n_{k}": v for k, v in outcome.counts.items()},
        "seconds": time.perf_counter() - started,
    }


def rate(values: pd.Series) -> str:
    """``k/n = p% [lo, hi]`` with a Wilson 95% interval."""
    n, k = len(values), int(values.sum())
    if n == 0:
        return "-"
    p, z = k / n, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = max(centre - half, 0.0), min(centre + half, 1.0)
    return f"{k}/{n} = {100 * p:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"


def table(rows: pd.DataFrame, args: argparse.Namespace) -> str:
    lines = [
        f"Factory gate on synthetic markets: {args.symbols} symbols x {args.bars} bars, last "
        f"{args.withheld} withheld, {args.trials} trials of {args.models}, default [gate].",
        "",
        "| market | cycles | our gate promotes | naive: best search Sharpe > 1 "
        "| naive: withheld Sharpe > 1 | median DSR | median PBO "
        "| chosen label horizon (median) | minutes per cycle |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, group in rows.groupby("kind", sort=False):
        alpha = group["alpha_ic"].iloc[0]
        lines.append(
            f"| {kind} (IC {alpha:g}) | {len(group)} | {rate(group['promoted'])} | "
            f"{rate(group['naive'])} | {rate(group['naive_withheld'])} | "
            f"{group['dsr'].median():.2f} | {group['pbo'].median():.2f} "
            f"| {group['label_horizon'].median():.0f} | {group['seconds'].mean() / 60:.1f} |"
        )
    lines += ["", "Rules failed on null markets: "
              + ", ".join(f"{k} {v}" for k, v in _failures(rows[rows['kind'] == 'null']).items()),
              "Rules failed on planted markets: "
              + ", ".join(f"{k} {v}" for k, v in
                          _failures(rows[rows['kind'] == 'planted']).items())]
    return "\n".join(lines) + "\n"


def _failures(rows: pd.DataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    for failed in rows["failed"]:
        for name in filter(None, str(failed).split(",")):
            counts[name] = counts.get(name, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--null-seeds", type=int, default=100)
    parser.add_argument("--planted-seeds", type=int, default=50)
    parser.add_argument("--planted-ic", type=float, default=0.05)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--bars", type=int, default=2520)
    parser.add_argument("--withheld", type=int, default=504)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--models", default="ridge,lightgbm")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--naive-threshold", type=float, default=1.0)
    parser.add_argument("--first-seed", type=int, default=1000,
                        help="seeds are first-seed, first-seed+1, ... (not the tuning seeds)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    jobs = [(args, 0.0, args.first_seed + k, "null") for k in range(args.null_seeds)]
    jobs += [(args, args.planted_ic, args.first_seed + k, "planted")
             for k in range(args.planted_seeds)]
    rows = []
    with concurrent.futures.ProcessPoolExecutor(args.workers) as pool:
        for k, row in enumerate(pool.map(one_cycle, jobs), 1):
            rows.append(row)
            print(f"[{k}/{len(jobs)}] {row['kind']} seed {row['seed']}: "
                  f"{'PROMOTED' if row['promoted'] else 'kept'} (naive "
                  f"{'yes' if row['naive'] else 'no'}; failed {row['failed'] or '-'}) "
                  f"{row['seconds']:.0f} s", flush=True)
    frame = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "factory_gate.csv", index=False)
    text = table(frame, args)
    (args.out / "factory_gate.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
