"""Walk-forward profile: where the time of a default-LSTM walk-forward goes, outside training.

Reproduce (issue #20, "Walk-forward"; long: run it niced on a shared machine)::

    nice -n 19 .venv/bin/python research/walkforward_profile.py            # 500 x 2520, 5 folds
    .venv/bin/python research/walkforward_profile.py --symbols 50 --epochs 2  # a quick look

It builds a synthetic panel (planted IC 0.1), the 9 default features and 1-bar demeaned log
return labels, and walks the ``lstm`` model at its ``default`` preset forward over 5 rolling
folds (train/val/test 1000/250/250 trading days), in this process (the default executor: one
fold at a time, one torch thread, as :func:`~alphafactory.training.walk_forward` runs every
fold). Timers wrap the library's own functions (exclusive time: a nested call is not counted
twice), so the phases add up to the wall time:

- ``train step``: forward + backward + clipping + optimizer and schedule step (the Trainer's
  epoch loop less batch assembly) -- the part the target keeps the rest small against;
- outside it: feature building, label building, sample indexing (``prepare_panel``), per-fold
  normalisation and window tensors (``fold_cube``, ``block_windows``), batch assembly, the
  per-epoch validation pass, early stopping (best-weight copies and restore), the final
  train/val/test predictions, metrics (ICs), model and optimizer setup, result assembly and
  checkpoint/IO (none in a walk-forward without ``keep_models``).

Writes ``research/results/walkforward_profile.json`` and ``.md`` and prints the table; the target
is an outside share under 10%.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
TARGET_SHARE = 0.10

# Phase of each wrapped function; a phase in INHERIT takes its caller's phase when the caller is
# one of OWNERS (a batch gathered for validation is validation time, not batch assembly).
PHASES = {
    "train step", "batch assembly", "validation", "prediction", "early stopping", "metrics",
    "model setup", "window prep", "sample index", "features", "labels", "assemble", "fold setup",
    "checkpoint/IO",
}  # fmt: skip
OWNERS = {"validation", "prediction"}
PER_EPOCH = {"train step", "batch assembly", "validation", "early stopping"}
PRESET_EPOCHS = 10  # the default preset's lstm epochs (patience 3)


class PhaseTimer:
    """Exclusive wall time per phase: a nested phase's time is not counted in its caller's."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []  # [phase, start of the current exclusive stretch]

    @contextmanager
    def phase(self, name: str, inherit: bool = False) -> Iterator[None]:
        now = time.perf_counter()
        if self._stack:
            parent = self._stack[-1]
            self.seconds[parent[0]] += now - parent[1]
            if inherit and parent[0] in OWNERS:
                name = parent[0]
        self.calls[name] += 1
        self._stack.append([name, now])
        try:
            yield
        finally:
            end = time.perf_counter()
            self.seconds[name] += end - self._stack.pop()[1]
            if self._stack:
                self._stack[-1][1] = end

    def wrap(self, owner: Any, attr: str, name: str, inherit: bool = False) -> None:
        """Replace ``owner.attr`` by a timed version (a module function or a class method)."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name, inherit):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)


def instrument(timer: PhaseTimer, epochs: list[dict[str, float]]) -> None:
    """Wrap the walk-forward's functions with ``timer`` (this process only)."""
    from alphafactory.models import neural, trainer
    from alphafactory.models.batching import Batcher

    # The package re-exports the function walk_forward under the module's name.
    wf = importlib.import_module("alphafactory.training.walk_forward")

    for attr, name in [
        ("prepare_panel", "sample index"), ("fold_cube", "window prep"),
        ("block_windows", "window prep"), ("mean_ic", "metrics"), ("_assemble", "assemble"),
        ("fit_block", "fold setup"), ("seeded_clone", "model setup"),
        ("_fold_artifact", "checkpoint/IO"),
    ]:  # fmt: skip
        timer.wrap(wf, attr, name)
    T = trainer.Trainer
    timer.wrap(T, "_validate", "validation")
    timer.wrap(T, "predict", "prediction", inherit=True)
    timer.wrap(T, "_early_stopping", "early stopping")
    timer.wrap(T, "_finish", "early stopping")
    timer.wrap(T, "_init_state", "model setup")
    timer.wrap(T, "fit", "model setup")
    timer.wrap(T, "save_checkpoint", "checkpoint/IO")
    timer.wrap(T, "load_checkpoint", "checkpoint/IO")
    timer.wrap(neural.NeuralAlpha, "fit", "model setup")
    timer.wrap(neural.NeuralAlpha, "predict", "prediction")
    timer.wrap(Batcher, "make", "batch assembly", inherit=True)
    # The epoch loop is the train step; also log each epoch's steps and seconds.
    original = T._train_epoch

    def train_epoch(self: Any, module: Any, batcher: Any, labels: Any, steps: int) -> float:
        before = dict(timer.seconds)
        start = time.perf_counter()
        with timer.phase("train step"):
            loss = original(self, module, batcher, labels, steps)
        epochs.append({
            "steps": steps,
            "seconds": time.perf_counter() - start,
            "train_step": timer.seconds["train step"] - before.get("train step", 0.0),
            "batch": timer.seconds["batch assembly"] - before.get("batch assembly", 0.0),
        })  # fmt: skip
        return loss

    T._train_epoch = train_epoch


def run(args: argparse.Namespace) -> dict[str, Any]:
    timer, epochs = PhaseTimer(), []
    instrument(timer, epochs)
    from alphafactory.data import synthetic_market
    from alphafactory.features import build_features
    from alphafactory.labels import forward_returns
    from alphafactory.training import WalkForward, walk_forward
    from alphafactory.training.experiment import DEFAULT_FEATURES

    torch.set_num_threads(args.threads)
    market = synthetic_market(args.symbols, args.days, seed=0, alpha_ic=0.1)
    start = time.perf_counter()
    with timer.phase("features"):
        features = build_features(market.bars, list(DEFAULT_FEATURES))
    with timer.phase("labels"):
        labels = forward_returns(market.bars, 1, kind="log", demean=True)
    del market
    splitter = WalkForward(train=args.train, val=args.val, test=args.test)
    train_cfg: dict[str, Any] = {"progress": False, "device": args.device}
    if args.epochs is not None:
        train_cfg["epochs"] = args.epochs
    with timer.phase("assemble"):  # walk_forward's own glue outside the wrapped calls
        result = walk_forward(
            features, labels, model="lstm", splitter=splitter, lookback=20,
            config={"preset": "default", "train": train_cfg}, seed=0,
        )  # fmt: skip
    wall = time.perf_counter() - start
    phases = {p: timer.seconds.get(p, 0.0) for p in sorted(PHASES)}
    inside = phases["train step"]
    outside = sum(v for p, v in phases.items() if p != "train step")
    steps = sum(e["steps"] for e in epochs)
    folds = result.folds
    projected = project(phases, len(epochs), len(folds) * PRESET_EPOCHS)
    return {
        "projection": {"epochs_per_fold": PRESET_EPOCHS, **projected},
        "size": {"symbols": args.symbols, "days": args.days, "folds": len(folds),
                 "train_val_test": [args.train, args.val, args.test], "lookback": 20,
                 "features": len(DEFAULT_FEATURES), "epochs_cap": args.epochs or 10},
        "machine": {"cpu_count": os.cpu_count(), "torch_threads_in_fold": 1,
                    "torch": torch.__version__, "device": args.device,
                    "cuda": torch.cuda.is_available(), "python": platform.python_version(),
                    "load_avg_end": list(os.getloadavg())},
        "wall_seconds": wall,
        "phases": phases,
        "calls": dict(timer.calls),
        "inside_seconds": inside,
        "outside_seconds": outside,
        "outside_share": outside / max(inside + outside, 1e-12),
        "epochs_run": len(epochs),
        "steps": steps,
        "train_step_ms": 1e3 * inside / max(steps, 1),
        "per_fold": [
            {"fold": int(k), "epochs": len(row["history"]), "best_epoch": row["best_epoch"],
             "fit_seconds": float(row["fit_seconds"]), "test_ic": float(row["test_ic"])}
            for k, row in folds.iterrows()
        ],
        "test_ic_mean": float(folds["test_ic"].mean()),
        "samples": int(result.meta["samples"]),
    }  # fmt: skip


def project(phases: dict[str, float], epochs_run: int, epochs_total: int) -> dict[str, Any]:
    """Scale the per-epoch phases to ``epochs_total`` epochs (the others are per fold or once).

    An extrapolation for runs capped below the preset's epochs: it assumes no fold stops early
    (the most training, so the smallest outside share the measured costs allow).
    """
    scale = epochs_total / max(epochs_run, 1)
    out = {p: v * scale if p in PER_EPOCH else v for p, v in phases.items()}
    inside = out["train step"]
    outside = sum(v for p, v in out.items() if p != "train step")
    total = inside + outside
    return {"phases": out, "seconds": total, "outside_share": outside / total}


def table(r: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    """The phase table (with a ``before`` run's shares beside it when given) and the TARGET."""
    total = r["inside_seconds"] + r["outside_seconds"]
    head = f"{'phase':<16}{'seconds':>10}{'share':>8}{'calls':>8}"
    lines = [head + (f"{'before':>10}" if before else "")]
    old_total = before and before["inside_seconds"] + before["outside_seconds"]
    for p, v in sorted(r["phases"].items(), key=lambda kv: -kv[1]):
        line = f"{p:<16}{v:>10.1f}{v / total:>8.1%}{r['calls'].get(p, 0):>8}"
        if before:
            line += f"{before['phases'].get(p, 0.0) / old_total:>10.1%}"
        lines.append(line)
    s = r["size"]
    verdict = "PASS" if r["outside_share"] < TARGET_SHARE else "SHORT"
    lines += [
        f"{s['symbols']} symbols x {s['days']} days, {s['folds']} folds, "
        f"{r['epochs_run']} epochs, {r['steps']} steps ({r['train_step_ms']:.1f} ms/step), "
        f"wall {r['wall_seconds']:.1f} s, test IC {r['test_ic_mean']:.3f}",
    ]
    if before:
        lines.append(
            f"before: outside share {100 * before['outside_share']:.1f} % of "
            f"{before['wall_seconds']:.1f} s ({before['epochs_run']} epochs)"
        )
    lines.append(
        f"TARGET walkforward.outside_share: {100 * r['outside_share']:.1f} % vs target < "
        f"{100 * TARGET_SHARE:.0f} % -> {verdict}"
    )
    if s["epochs_cap"] < PRESET_EPOCHS:
        proj = r.get("projection") or project(
            r["phases"], r["epochs_run"], s["folds"] * PRESET_EPOCHS
        )
        lines.append(
            f"extrapolated to {PRESET_EPOCHS} epochs per fold (per-epoch phases scaled, no early "
            f"stop): {proj['seconds']:.0f} s, outside share {100 * proj['outside_share']:.1f} %"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--val", type=int, default=250)
    parser.add_argument("--test", type=int, default=250)
    parser.add_argument("--epochs", type=int, default=None, help="cap (default: the preset's)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads outside folds")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "walkforward_profile")
    parser.add_argument("--cprofile", type=Path, default=None, help="also write cProfile stats")
    parser.add_argument("--render", type=Path, default=None, help="print a saved run's JSON")
    parser.add_argument("--before", type=Path, default=None, help="a baseline run's JSON")
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text()) if args.before else None
    if args.render is not None:
        print(table(json.loads(args.render.read_text()), before))
        return 0
    if args.cprofile is not None:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run, args)
        profiler.dump_stats(args.cprofile)
    else:
        result = run(args)
    text = table(result, before)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    args.out.with_suffix(".md").write_text(
        "# Walk-forward profile (default LSTM)\n\n```\n" + text + "\n```\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
