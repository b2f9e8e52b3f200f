"""Model zoo: each model's default workflow on planted markets of known IC, all features.

Every cell is one model walked forward (``default`` preset, every registered feature, the
per-fold :data:`~alphafactory.models.selection.DEFAULT_SELECTION`) on one synthetic market:

- planted markets of each alpha kind (``reversal``, ``mix``, ``interaction``, ``decay``; see
  :mod:`alphafactory.data.alpha_spec`) at IC 0.05 and 0.10: the score is the out-of-sample IC as
  a share of the oracle IC (the planted signal's IC with the same labels on the same test
  timestamps, which is the planted IC exactly);
- the null market (no alpha): the out-of-sample IC, its t-stat (IC over its standard error) and
  the deflated Sharpe ratio of the long-short returns (``n_trials`` = the number of models).

The target (issue #14): ratio >= 0.7 for every model on every kind and strength (ridge judged
on the linear kinds only: reversal, mix, decay), and on the null market ``|t| < 3`` and
DSR < 0.95 for every model and seed.

Run (each cell is appended to the CSV as it finishes; a rerun skips the cells already there)::

    .venv/bin/python research/model_zoo.py --models ridge lightgbm --seeds 0 1 2 3 4
    .venv/bin/python research/model_zoo.py --models lstm --size 30x1200 --folds 3
    .venv/bin/python research/model_zoo.py --render   # rewrite the .md from the .csv only
    .venv/bin/python research/model_zoo.py --quick    # smoke run: small market, ci preset

Labels are 1-bar log returns from the next open, demeaned across symbols.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "model_zoo.csv"
MODELS = ["ridge", "lightgbm", "lstm", "tcn", "transformer"]
KINDS = ["reversal", "mix", "interaction", "decay"]
LINEAR_KINDS = ("reversal", "mix", "decay")
STRENGTHS = [0.05, 0.10]
TARGET_RATIO = 0.7
LOOKBACK = 10
KEY = ["size", "folds", "preset", "lookback", "model", "kind", "ic", "seed"]


def geometry(n_bars: int, folds: int) -> dict[str, int]:
    """Walk-forward blocks over ``n_bars`` usable bars: 45% train, 10% validation, then
    ``folds`` test blocks filling the rest."""
    train = int(0.45 * n_bars)
    val = max(60, n_bars // 10)
    test = (n_bars - train - val - 2) // folds
    return {"train": train, "val": val, "test": test}


def market_data(
    kind: str, ic: float, seed: int, n_symbols: int, n_bars: int, cache: Path | None
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``(features, labels, truth)`` of one market; every registered feature, from the end
    of the slowest one's warm-up (:func:`~alphafactory.training.selftest.drop_warmup`)."""
    from alphafactory.data import synthetic_market
    from alphafactory.data.alpha_spec import AlphaSpec
    from alphafactory.features import build_features, list_features
    from alphafactory.labels import forward_returns
    from alphafactory.training.selftest import drop_warmup

    path = None
    if cache is not None:
        path = cache / f"{kind}_{ic}_{seed}_{n_symbols}x{n_bars}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            labels = frame.pop("__label__").rename("label")
            truth = frame.pop("__truth__").rename("truth")
            labels.attrs.update(horizon=1, kind="log", entry="next_open")
            return frame, labels, truth
    market = synthetic_market(n_symbols, n_bars, seed=seed, alpha=AlphaSpec(kind=kind, ic=ic))
    features = drop_warmup(build_features(market.bars, list(list_features()["name"])))
    labels = forward_returns(market.bars, horizon=1, kind="log", entry="next_open", demean=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{time.time_ns()}.tmp")
        features.assign(__label__=labels.reindex(features.index),
                        __truth__=market.truth.reindex(features.index)).to_parquet(tmp)  # fmt: skip
        tmp.replace(path)
    return features, labels, market.truth


def run_cell(
    model: str, data: tuple, ic: float, *, folds: int, preset: str, lookback: int, seed: int,
    n_trials: int,
) -> dict[str, float]:  # fmt: skip
    """Walk ``model`` forward on one market; return the cell's statistics."""
    import warnings

    from alphafactory.evaluation import deflated_sharpe_ratio
    from alphafactory.models.selection import DEFAULT_SELECTION, build_steps
    from alphafactory.training import WalkForward, walk_forward
    from alphafactory.training.selftest import selftest_stats

    features, labels, truth = data
    n_bars = features.index.get_level_values(0).nunique()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warm-up rows dropped: counted in meta["dropped"]
        result = walk_forward(
            features, labels, model=model, splitter=WalkForward(**geometry(n_bars, folds)),
            lookback=lookback, config={"preset": preset}, seed=seed,
            selection=build_steps(DEFAULT_SELECTION),
        )  # fmt: skip
    seconds = time.perf_counter() - start
    stats = selftest_stats(result, truth, "planted" if ic else "null")
    inputs = result.folds["n_inputs"] if "n_inputs" in result.folds else pd.Series([np.nan])
    return {
        "oos_ic": stats.ic,
        "ic_se": stats.ic_se,
        "t_stat": stats.t_stat,
        "oracle_ic": stats.oracle_ic,
        "ratio": stats.ratio if ic else float("nan"),
        "dsr": deflated_sharpe_ratio(stats.long_short, n_trials),
        "val_ic": float(result.folds["val_ic"].mean()),
        "n_inputs": float(np.mean(inputs)),
        "seconds": seconds,
    }


def run(args: argparse.Namespace) -> pd.DataFrame:
    """Run every missing cell, appending each to ``args.csv``; return the whole table."""
    n_symbols, n_bars = (int(v) for v in args.size.lower().split("x"))
    if args.kinds and not set(args.kinds) <= set(KINDS):
        raise SystemExit(f"--kinds: unknown {sorted(set(args.kinds) - set(KINDS))}; known {KINDS}")
    done = read_table(args.csv) if args.csv.exists() else pd.DataFrame(columns=KEY)
    have = {tuple(str(v) for v in row) for row in done[KEY].itertuples(index=False)}
    markets = [("reversal", 0.0)] + [(kind, ic) for kind in args.kinds for ic in args.ics]
    n_trials = len(MODELS)
    for seed in args.seeds:
        for kind, ic in markets:
            label = "null" if ic == 0 else kind
            todo = [m for m in args.models if (m != "ridge" or ic == 0 or kind in LINEAR_KINDS
                                                or args.all_ridge)]  # fmt: skip
            todo = [m for m in todo if _key(args, m, label, ic, seed) not in have]
            if not todo:
                continue
            data = market_data(kind, ic, seed, n_symbols, n_bars, args.cache)
            for model in todo:
                cell = run_cell(
                    model,
                    data,
                    ic,
                    folds=args.folds,
                    preset=args.preset,
                    lookback=args.lookback,
                    seed=seed,
                    n_trials=n_trials,
                )
                row = dict(zip(KEY, (args.size, args.folds, args.preset, args.lookback, model,
                                     label, ic, seed), strict=True), **cell)  # fmt: skip
                pd.DataFrame([row]).to_csv(args.csv, mode="a", header=not args.csv.exists(),
                                           index=False)  # fmt: skip
                score = (f"ratio {cell['ratio']:.2f}" if ic else f"t {cell['t_stat']:+.2f} "
                         f"DSR {cell['dsr']:.2f}")  # fmt: skip
                print(
                    f"{args.size} seed {seed} {label:<12}{ic:<6}{model:<12} IC "
                    f"{cell['oos_ic']:+.4f} {score}  {cell['seconds']:.0f}s",
                    flush=True,
                )
    return read_table(args.csv)


def _key(args: argparse.Namespace, model: str, kind: str, ic: float, seed: int) -> tuple[str, ...]:
    return tuple(str(v) for v in (args.size, args.folds, args.preset, args.lookback, model,
                                  kind, ic, seed))  # fmt: skip


def read_table(path: Path) -> pd.DataFrame:
    """The results CSV (the kind ``null`` stays a string, not NaN)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _mean_std(values: pd.Series, fmt: str = "{:.2f}") -> str:
    values = values.dropna()
    if len(values) == 0:
        return ""
    if len(values) == 1:
        return fmt.format(values.iloc[0]) + " (1)"
    return f"{fmt.format(values.mean())} ± {fmt.format(values.std(ddof=1))} ({len(values)})"


def _ratio_table(block: pd.DataFrame, planted: pd.DataFrame, cols: list) -> list[str]:
    """The ratio table of one section: a row per model, a column per (kind, IC)."""
    lines = []
    lines.append("| model | " + " | ".join(f"{k} {ic:.2f}" for k, ic in cols) + " |")
    lines.append("|---|" + "---:|" * len(cols))
    for model in [m for m in MODELS + sorted(set(block["model"]) - set(MODELS))
                  if m in set(block["model"])]:  # fmt: skip
        cells = []
        for k, ic in cols:
            sel = planted[(planted["model"] == model) & (planted["kind"] == k)
                          & (planted["ic"] == ic)]  # fmt: skip
            text = _mean_std(sel["ratio"])
            if text and model == "ridge" and k not in LINEAR_KINDS:
                text += " n/j"
            elif text and sel["ratio"].mean() < TARGET_RATIO:
                text = f"**{text}**"
            cells.append(text)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", "Bold: below the 0.7 target. n/j: not judged (ridge, nonlinear kind).", ""]
    return lines


def markdown(table: pd.DataFrame) -> str:
    """The results file: one section per size / folds / preset / lookback in ``table``."""
    lines = ["# Model zoo: default workflow, all registered features, planted markets", "",
             "Generated by `research/model_zoo.py` from `model_zoo.csv`. Ratio = out-of-sample "
             "IC / oracle IC, mean ± std over seeds (seeds). Target: ratio ≥ 0.7; ridge is "
             "judged on the linear kinds only (reversal, mix, decay). Null market: pass when "
             "|t| < 3 and DSR < 0.95 for every seed.", ""]  # fmt: skip
    for (size, folds, preset, lookback), block in table.groupby(KEY[:4], sort=False):
        lines += [f"## {size}, {folds} folds, preset `{preset}`, lookback {lookback}", ""]
        planted = block[block["kind"] != "null"]
        cols = [(k, ic) for k in KINDS for ic in sorted(planted["ic"].unique())
                if ((planted["kind"] == k) & (planted["ic"] == ic)).any()]  # fmt: skip
        if cols:
            lines += _ratio_table(block, planted, cols)
        else:
            lines += ["No planted market run at this size.", ""]
        null = block[block["kind"] == "null"]
        if len(null):
            lines += ["**Null market** (no alpha)", "",
                      "| model | seeds | mean IC ± std | t per seed | max DSR | pass |",
                      "|---|---:|---:|---|---:|:---:|"]  # fmt: skip
            for model, g in null.groupby("model", sort=False):
                ok = bool((g["t_stat"].abs() < 3).all() and (g["dsr"] < 0.95).all())
                ts = " ".join(f"{t:+.1f}" for t in g.sort_values("seed")["t_stat"])
                lines.append(f"| {model} | {len(g)} | {g['oos_ic'].mean():+.4f} ± "
                             f"{g['oos_ic'].std(ddof=1) if len(g) > 1 else 0:.4f} | {ts} | "
                             f"{g['dsr'].max():.2f} | {'yes' if ok else 'NO'} |")  # fmt: skip
            lines.append("")
        lines += ["**Wall time per cell** (seconds, one walk-forward incl. selection; the "
                  "machine was shared, so these are inflated)", "",
                  "| model | cells | mean s | max s | mean inputs after selection |",
                  "|---|---:|---:|---:|---:|"]  # fmt: skip
        for model, g in block.groupby("model", sort=False):
            lines.append(
                f"| {model} | {len(g)} | {g['seconds'].mean():.0f} | "
                f"{g['seconds'].max():.0f} | {g['n_inputs'].mean():.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Model zoo on planted synthetic markets.")
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--kinds", nargs="*", default=KINDS)
    parser.add_argument("--ics", type=float, nargs="*", default=STRENGTHS)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--size", default="30x1200", help="SYMBOLSxBARS")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--lookback", type=int, default=LOOKBACK)
    parser.add_argument("--all-ridge", action="store_true", help="ridge on nonlinear kinds too")
    parser.add_argument("--csv", type=Path, default=RESULTS)
    parser.add_argument("--cache", type=Path, default=None, help="folder for feature parquet")
    parser.add_argument("--render", action="store_true", help="only rewrite the .md")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20x900, 2 folds, ci preset, seed 0, reversal")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.folds, args.preset, args.seeds = "20x900", 2, "ci", [0]
        args.kinds = ["reversal"]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the missing cells, then write the markdown beside the CSV."""
    args = parse(argv)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    table = read_table(args.csv) if args.render else run(args)
    out = args.csv.with_suffix(".md")
    out.write_text(markdown(table), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
