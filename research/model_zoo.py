"""Model zoo: every model walked forward on the bundled real sample and a planted-alpha panel.

Reproduce the README table (about 10-15 minutes on 2 CPU cores)::

    .venv/bin/python research/model_zoo.py

It runs each model at its ``default`` preset over several seeds on

- ``real``: the bundled ``us-equities-daily`` sample (``research/configs/real.toml``);
- ``synthetic``: a 40 x 1400 synthetic panel with a planted cross-sectional IC of 0.1
  (``research/configs/synthetic.toml``; each seed draws a new market),

and writes ``research/results/model_zoo.md``: IC, Rank IC, ICIR, long-short Sharpe after 5 bps
per unit traded, and the deflated Sharpe ratio (``n_trials`` = the number of models), as
mean +- std over seeds. It then runs the full-size self-tests (null market and planted alpha,
``alphafactory.training.selftest``) and exits non-zero if one fails: out-of-sample IC at least
70% of the oracle IC for lstm, tcn and transformer, and a null-market IC within 3 standard
errors of zero with a deflated Sharpe below 0.95 for every model.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
import time
from pathlib import Path

import pandas as pd

from alphafactory.data import load_sample, synthetic_market
from alphafactory.evaluation import deflated_sharpe_ratio
from alphafactory.runs import read_toml
from alphafactory.training.experiment import ExperimentConfig, run_experiment
from alphafactory.training.report import model_metrics
from alphafactory.training.selftest import SelfTestSettings, run_selftest

HERE = Path(__file__).resolve().parent
MODELS = ["ridge", "mlp", "lstm", "tcn", "transformer", "cs_transformer", "lightgbm", "xgboost"]
COLUMNS = {
    "ic": "IC",
    "rank_ic": "Rank IC",
    "icir": "ICIR",
    "long_short_sharpe": "L/S Sharpe (5 bps)",
    "deflated_sharpe": "DSR",
}


def available(models: list[str]) -> list[str]:
    missing = [m for m in ("lightgbm", "xgboost") if importlib.util.find_spec(m) is None]
    for m in missing:
        if m in models:
            print(f"skipping {m}: not installed (pip install 'alphafactory[gbm]')")
    return [m for m in models if m not in missing]


def zoo(models: list[str], seeds: list[int], executor: object) -> pd.DataFrame:
    rows = []
    for dataset in ("real", "synthetic"):
        base = read_toml(HERE / "configs" / f"{dataset}.toml")
        for seed in seeds:
            config0 = ExperimentConfig.from_mapping(base, model="ridge")
            if dataset == "real":
                bars = load_sample("us-equities-daily")
            else:
                s = dataclasses.replace(config0.synthetic, seed=seed)
                bars = synthetic_market(
                    s.n_symbols, s.n_bars, seed=s.seed, alpha_ic=s.alpha_ic
                ).bars
            for name in models:
                config = dataclasses.replace(
                    ExperimentConfig.from_mapping(base, model=name), seed=seed
                )
                start = time.perf_counter()
                result = run_experiment(bars, config, executor=executor)
                metrics = model_metrics(result, n_trials=len(models))
                rows.append({"dataset": dataset, "model": name, "seed": seed,
                             "seconds": time.perf_counter() - start, **metrics})  # fmt: skip
                print(f"{dataset:<10}{name:<16}seed {seed}  IC {metrics['ic']:+.4f}  "
                      f"L/S Sharpe {metrics['long_short_sharpe']:+.2f}  "
                      f"{rows[-1]['seconds']:.1f}s", flush=True)  # fmt: skip
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, seeds: list[int]) -> str:
    lines = []
    for dataset, block in table.groupby("dataset", sort=False):
        title = {
            "real": "Bundled us-equities-daily sample (5 symbols, daily, next-open entry)",
            "synthetic": "Synthetic panel, 40 symbols x 1400 bars, planted IC 0.10",
        }[dataset]
        lines += [f"**{title}**, {len(seeds)} seeds, mean ± std", ""]
        lines.append("| model | " + " | ".join(COLUMNS.values()) + " | seconds |")
        lines.append("|---|" + "---:|" * (len(COLUMNS) + 1))
        for model, g in block.groupby("model", sort=False):
            cells = [f"{g[c].mean():.3f} ± {g[c].std(ddof=1):.3f}" if len(g) > 1
                     else f"{g[c].mean():.3f}" for c in COLUMNS]  # fmt: skip
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {g['seconds'].mean():.0f} |")
        lines.append("")
    return "\n".join(lines)


def selftests(models: list[str], executor: object) -> tuple[str, bool]:
    settings = SelfTestSettings()
    lines = [
        f"**Self-tests** ({settings.n_symbols} symbols x {settings.n_bars} bars, three folds, "
        "default presets)",
        "",
        "| model | null IC (t) | null DSR | planted IC | oracle IC | ratio | pass |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    ok = True
    for name in models:
        null = run_selftest(name, "null", settings, executor=executor)
        dsr = deflated_sharpe_ratio(null.long_short, len(models))
        passed = abs(null.t_stat) < 3 and dsr < 0.95
        planted_cells = ["", "", ""]
        if name in ("ridge", "lstm", "tcn", "transformer"):
            planted = run_selftest(name, "planted", settings, executor=executor)
            need = 0.7 if name != "ridge" else 0.8
            passed = passed and planted.ratio >= need
            planted_cells = [f"{planted.ic:.4f}", f"{planted.oracle_ic:.4f}",
                             f"{planted.ratio:.2f} (≥ {need})"]  # fmt: skip
        ok = ok and passed
        lines.append(
            f"| {name} | {null.ic:+.4f} ({null.t_stat:+.1f}) | {dsr:.2f} | "
            + " | ".join(planted_cells)
            + f" | {'yes' if passed else 'NO'} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines) + "\n", ok


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the model zoo and the full self-tests.")
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--executor", default=None, help="'processes' or a worker count")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "model_zoo.md")
    parser.add_argument("--skip-selftests", action="store_true")
    args = parser.parse_args()
    executor = args.executor if args.executor in (None, "processes") else int(args.executor)
    models = available(args.models)
    started = time.perf_counter()
    table = zoo(models, args.seeds, executor)
    text = markdown(table, args.seeds)
    ok = True
    if not args.skip_selftests:
        checks, ok = selftests(models, executor)
        text += "\n" + checks
    minutes = (time.perf_counter() - started) / 60
    text += f"\nReproduce: `.venv/bin/python research/model_zoo.py` ({minutes:.0f} min here).\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    print(f"\nwrote {args.out}\n\n{text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
