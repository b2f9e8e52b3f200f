"""Training benchmark: samples/s per model, batch-preparation share, walk-forward time and memory.

Run alone: ``.venv/bin/python bench/bench_training.py [--quick] [--device cpu|cuda]``.

1. Training throughput (samples/s) of every torch model at its ``default`` preset on windows
   ``[256, 20, 9]``, with the ratio to the MLP measured in the same run; on CUDA too when a GPU
   is present (or ``--device cuda``).
2. Share of step time spent preparing batches (gathering windows from the
   ``[symbols, time, features]`` cube and moving them to the device); target under 5%.
3. Wall time of a walk-forward at the ``default`` preset over 50 symbols x 1500 bars, three
   folds (the registry's sizing target: about two minutes on 2 CPU cores per model).
4. Peak resident memory added by a walk-forward, as a multiple of the float32 feature matrix
   (measured in a fresh subprocess from /proc/self/status VmHWM).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import torch

from alphafactory.models import get_model
from alphafactory.models.batching import Batcher, forward, is_cross_sectional
from alphafactory.models.losses import get_loss
from alphafactory.models.seeding import seed_everything
from alphafactory.training import PanelWindows, Trainer

TORCH_MODELS = ("mlp", "lstm", "tcn", "transformer", "cs_transformer")


def panel_windows(n_symbols: int, n_time: int, n_features: int, lookback: int) -> PanelWindows:
    rng = np.random.default_rng(0)
    cube = rng.standard_normal((n_symbols, n_time, n_features)).astype(np.float32)
    times = np.repeat(np.arange(lookback - 1, n_time), n_symbols)
    symbols = np.tile(np.arange(n_symbols), n_time - lookback + 1)
    y = rng.standard_normal(len(times))
    return PanelWindows(cube, symbols, times, lookback, y)


def step_profile(name: str, windows: PanelWindows, device: str, steps: int) -> dict[str, float]:
    """Train ``steps`` batches by hand, timing batch preparation and the whole step."""
    estimator = get_model(name, train={"device": device, "progress": False})
    seed_everything(0)
    module = estimator.config.build(windows.n_features, windows.lookback).to(device)
    trainer = Trainer(estimator.train, seed=0)
    cfg = estimator.train
    batcher = Batcher(
        windows, cfg.batch_size, is_cross_sectional(module), needs_groups=trainer._grouped_loss
    )
    optimizer = torch.optim.AdamW(module.parameters(), lr=cfg.lr)
    loss_fn = get_loss(cfg.loss)
    labels = torch.from_numpy(windows.labels.astype(np.float32)).to(device)
    order = np.random.default_rng(0).permutation(batcher.units)
    chunks = batcher.batches(order)
    prep = total = 0.0
    samples = 0
    module.train()
    for i, chunk in enumerate(chunks[: steps + 3]):
        sync(device)
        t0 = time.perf_counter()
        batch = batcher.make(chunk, trainer.device)
        sync(device)
        t1 = time.perf_counter()
        with trainer._autocast():
            pred = forward(module, batch)
        loss = loss_fn(pred.float(), labels[batch.sample], batch.groups)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip)
        optimizer.step()
        sync(device)
        t2 = time.perf_counter()
        if i >= 3:  # warm-up steps excluded
            prep += t1 - t0
            total += t2 - t0
            samples += len(batch.sample)
    return {"samples_per_s": samples / total, "prep_share": prep / total}


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def throughput_table(devices: list[str], steps: int) -> None:
    windows = panel_windows(50, 600, 9, 20)
    print("\n1-2. training throughput (default preset, windows [batch, 20, 9])")
    print(f"{'model':<16}{'device':<8}{'samples/s':>12}{'vs mlp':>9}{'batch prep':>12}")
    for device in devices:
        for name in TORCH_MODELS:  # warm-up: first use of kernels and the allocator
            step_profile(name, windows, device, 2)
        rows = {name: step_profile(name, windows, device, steps) for name in TORCH_MODELS}
        ref = rows["mlp"]["samples_per_s"]
        for name, r in rows.items():
            print(
                f"{name:<16}{device:<8}{r['samples_per_s']:>12,.0f}"
                f"{r['samples_per_s'] / ref:>9.2f}{r['prep_share']:>11.1%}"
            )


WALK_SCRIPT = r"""
import json, sys, time
import numpy as np
from alphafactory.data import synthetic_market
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.training import WalkForward, walk_forward
from alphafactory.training.experiment import DEFAULT_FEATURES
import alphafactory.models, alphafactory.models.trainer, torch  # imports outside the measure

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

name, preset = sys.argv[1], sys.argv[2]
n_symbols, n_bars, train, val, test = map(int, sys.argv[3:8])
market = synthetic_market(n_symbols, n_bars, seed=0, alpha_ic=0.1)
features = build_features(market.bars, list(DEFAULT_FEATURES))
labels = forward_returns(market.bars, 1, kind="log", demean=True)
del market
matrix = features.shape[0] * features.shape[1] * 4
base = status("VmRSS")
start = time.perf_counter()
result = walk_forward(features, labels, model=name, splitter=WalkForward(train=train, val=val,
                      test=test), lookback=20, config={"preset": preset})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_over_base": status("VmHWM") - base,
                  "matrix": matrix, "ic": float(result.folds["test_ic"].mean()),
                  "folds": len(result.folds)}))
"""


def walk_forward_table(models: list[str], size: tuple[int, ...], preset: str, title: str) -> None:
    n_symbols, n_bars, train, val, test = size
    print(
        f"\n{title}: {preset} preset, {n_symbols} symbols x {n_bars} bars, "
        f"train/val/test {train}/{val}/{test}, lookback 20, 9 features (one process)"
    )
    print(
        f"{'model':<16}{'folds':>6}{'seconds':>9}{'test IC':>9}{'features MB':>13}"
        f"{'peak added MB':>15}{'ratio':>8}"
    )
    for name in models:
        out = subprocess.run(
            [sys.executable, "-c", WALK_SCRIPT, name, preset, *map(str, size)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        added = max(r["peak_over_base"], 0)
        print(
            f"{name:<16}{r['folds']:>6}{r['seconds']:>9.1f}{r['ic']:>9.3f}"
            f"{r['matrix'] / 2**20:>13.1f}{added / 2**20:>15.1f}{added / r['matrix']:>7.1f}x"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer models")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: both if present)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per model")
    args = parser.parse_args()
    devices = (
        [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, devices {devices}")
    throughput_table(devices, 8 if args.quick else args.steps)
    if args.quick:
        walk_forward_table(["ridge", "lstm"], (20, 600, 250, 60, 80), "demo", "3. time")
        walk_forward_table(["ridge", "lstm"], (100, 1000, 400, 100, 150), "demo", "4. memory")
    else:
        models = ["ridge", "mlp", "lstm", "tcn", "transformer", "cs_transformer"]
        walk_forward_table(models, (50, 1500, 600, 150, 200), "default", "3. time")
        walk_forward_table(["ridge", "lstm"], (400, 2000, 800, 200, 300), "demo", "4. memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
