"""Detection delay and false alarms of the drift monitors on synthetic markets with known changes.

Markets of ``--symbols`` symbols with 1-bar labels (next close-to-close log return), a planted
IC of ``--alpha-ic`` (``exact_ic=False``: the per-bar IC is noisy, as a model's is) and one change
at bar ``--change-at`` (issue 17: bar 1,500 of 2,520), in five scenarios:

- ``sign_flip``: the planted relation flips sign (IC 0.05 -> -0.05);
- ``strength``: the planted IC is multiplied by ``--strength-factor`` (0.5: halved);
- ``feature_shift``: the bar volatility is multiplied by ``--shift-factor`` from the change on
  (feature distributions move, the planted IC does not): data drift, not concept drift;
- ``stationary``: planted IC, no change (false alarms);
- ``null``: no planted alpha, no change (false alarms).

The monitored score is the planted formula as learned before the change
(:func:`alphafactory.data.planted_alpha` of the bars: a model that stopped learning at the
reference window; ``SyntheticMarket.truth`` would follow the flip). Concept drift: its realized
cross-sectional IC per bar, standardized by the mean and standard deviation over the reference
window (what :class:`alphafactory.monitor.ConceptDriftMonitor` feeds its detector, with the same
IC), run through each detector with :func:`alphafactory.monitor.detection_summary`: CUSUM and
Page-Hinkley (library defaults), river's ADWIN with river's defaults, the always-fire and
never-fire baselines. Data drift: :class:`alphafactory.monitor.DataDriftMonitor` (defaults: 60-bar
window, BH at the default level) on five features against reference statistics of the
reference window, one
verdict per bar; an alarm is a verdict turning to drifted (the alert store's rule: an alert
repeats only after it clears), so one long drift episode is one alarm.

The reference window is the ``--reference-bars`` bars ending ``--pre-change`` bars before the
change; monitoring starts right after it and runs to the last bar. Detection delay: bars from the
change to the first alarm at or after it (inf for a miss). False alarms: alarms per 1,000
monitored bars on the ``null`` and ``stationary`` markets; for ``feature_shift`` the concept
detectors' alarms per 1,000 bars after the shift are reported too (same rate as ``stationary``:
not flagged). Seeds start at ``--first-seed`` (1000; the README's table used 5000: fresh ones);
planted scenarios share seeds (paired comparisons), null markets add 1000.

Full size (the issue's figures)::

    python research/monitor_drift.py --seeds 100 --drift-seeds 30 --workers 2

Writes ``research/results/monitor_drift.md`` (the tables, with the size run) and
``monitor_drift.csv`` (one row per scenario and monitor).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data import planted_alpha, synthetic_market, to_wide
from alphafactory.data.changes import Change
from alphafactory.features import build_features
from alphafactory.models.reference import ReferenceConfig, compute_reference, outcome_metrics
from alphafactory.monitor import (
    Adwin,
    AlwaysFire,
    CountingDetector,
    Cusum,
    DataDriftMonitor,
    DetectorState,
    NeverFire,
    PageHinkley,
    detection_summary,
    load_reference,
)

RESULTS = Path(__file__).parent / "results"
FEATURES = ("ret_1", "ret_5", "bb_width_10", "dc_width_10", "cs_z_ret_1")
SCENARIOS = ("sign_flip", "strength", "feature_shift", "stationary", "null")
CHANGED = ("sign_flip", "strength", "feature_shift")
DRIFT_SCENARIOS = ("feature_shift", "stationary", "null")
DETECTORS = {
    "cusum": Cusum,
    "page_hinkley": PageHinkley,
    "adwin": Adwin,
    "always_fire": AlwaysFire,
    "never_fire": NeverFire,
}
DATA_DRIFT = "data_drift"
FIRST_SEED = 1000
NULL_SEED_OFFSET = 1000


@dataclass(frozen=True, kw_only=True, slots=True)
class Size:
    """Market and window sizes (bars are positions; the change applies from ``change_at`` on)."""

    symbols: int = 50
    bars: int = 2520
    change_at: int = 1500
    pre_change: int = 500
    reference_bars: int = 900
    alpha_ic: float = 0.05
    strength_factor: float = 0.5
    shift_factor: float = 2.0

    @property
    def monitor_start(self) -> int:
        """First monitored bar (right after the reference window)."""
        return self.change_at - self.pre_change

    def __post_init__(self) -> None:
        if self.monitor_start - self.reference_bars < 30:
            raise ValueError("the reference window must start after bar 30 (feature warm-up); "
                             "lower --reference-bars or --pre-change, or raise --change-at.")
        if not self.change_at < self.bars - 1:
            raise ValueError(f"--change-at {self.change_at} must lie before the last bar.")


@dataclass(frozen=True, kw_only=True, slots=True)
class MarketSeries:
    """What one market gives the detectors: the standardized IC and the data-drift onsets."""

    scenario: str
    seed: int
    z: np.ndarray  # [monitored bars] standardized IC (NaN where the label is unknown)
    change: int | None  # index of the change in ``z`` (None: no change)
    drift_onsets: np.ndarray | None  # [monitored bars] 1.0 where the verdict turns drifted
    reference_ic: float
    reference_ic_sd: float


DEFAULT = Size()


def _changes(scenario: str, size: Size) -> list[Change]:
    if scenario == "sign_flip":
        return [Change(at=size.change_at, kind="sign_flip")]
    if scenario == "strength":
        return [Change(at=size.change_at, kind="strength", factor=size.strength_factor)]
    if scenario == "feature_shift":
        return [Change(at=size.change_at, kind="feature_shift", factor=size.shift_factor)]
    return []


def next_log_return(bars: pd.DataFrame) -> pd.Series:
    """The 1-bar label: ``log(C_{t+1} / C_t)`` indexed by bar ``t`` (NaN at the last bar)."""
    close = to_wide(bars, "close")
    out = np.log(close).diff().shift(-1).stack(future_stack=True)
    out.index = out.index.set_names(["timestamp", "symbol"])
    return out.rename("label")


def market_series(scenario: str, seed: int, size: Size, *, data_drift: bool) -> MarketSeries:
    """Simulate one market and return its monitored series (see the module docstring)."""
    market = synthetic_market(
        n_symbols=size.symbols, n_bars=size.bars, seed=seed, exact_ic=False,
        alpha_ic=0.0 if scenario == "null" else size.alpha_ic, changes=_changes(scenario, size),
    )  # fmt: skip
    scores = planted_alpha(market.bars)
    labels = next_log_return(market.bars)
    stamps = market.bars.index.get_level_values("timestamp").unique().sort_values()
    ic = outcome_metrics(scores, labels)["ic"].reindex(stamps).to_numpy(dtype=np.float64)
    ref = slice(size.monitor_start - size.reference_bars, size.monitor_start)
    mu, sd = float(np.nanmean(ic[ref])), float(np.nanstd(ic[ref], ddof=1))
    z = (ic[size.monitor_start :] - mu) / sd
    change = size.pre_change if scenario in CHANGED else None
    onsets = _drift_onsets(market.bars, stamps, size) if data_drift else None
    return MarketSeries(scenario=scenario, seed=seed, z=z, change=change, drift_onsets=onsets,
                        reference_ic=mu, reference_ic_sd=sd)  # fmt: skip


def _drift_onsets(bars: pd.DataFrame, stamps: pd.Index, size: Size) -> np.ndarray:
    """Per monitored bar: 1.0 where the rolling data-drift verdict turns drifted, else 0.0."""
    features = build_features(bars, list(FEATURES)).astype(np.float64)
    bar_of = features.index.get_level_values("timestamp")
    first, start = stamps[size.monitor_start - size.reference_bars], stamps[size.monitor_start]
    window = features[(bar_of >= first) & (bar_of < start)]
    reference = load_reference(compute_reference(window, config=ReferenceConfig(seed=0)))
    monitor = DataDriftMonitor(reference)
    watched = features[bar_of >= start].sort_index(level="timestamp", sort_remaining=False)
    codes, uniques = pd.factorize(watched.index.get_level_values("timestamp"), sort=True)
    bounds = np.searchsorted(codes, np.arange(len(uniques) + 1))
    values, columns = watched.to_numpy(), watched.columns
    drifted = np.zeros(len(uniques), dtype=bool)
    for k, stamp in enumerate(uniques):
        cross = pd.DataFrame(values[bounds[k] : bounds[k + 1]], columns=columns)
        drifted[k] = monitor.update(stamp, cross).drifted
    onsets = drifted & ~np.concatenate([[False], drifted[:-1]])
    return onsets.astype(np.float64)


class Replay(CountingDetector):
    """Replays precomputed alarms (a value > 0.5 is an alarm), so that
    :func:`detection_summary` counts data-drift onsets exactly as it counts detector alarms."""

    def update(self, x: float) -> DetectorState:
        self._n += 1
        return DetectorState(alarm=x > 0.5, statistic=x, since=None, n=self._n)


def summarize(series: list[MarketSeries]) -> pd.DataFrame:
    """One row per scenario and monitor: delay (median, p90), detection rate, false alarms."""
    rows = []
    for scenario in SCENARIOS:
        found = [s for s in series if s.scenario == scenario]
        if not found:
            continue
        monitors: list[tuple[str, Any, list[np.ndarray]]] = [
            (name, make, [s.z for s in found]) for name, make in DETECTORS.items()
        ]
        with_drift = [s for s in found if s.drift_onsets is not None]
        if with_drift:
            monitors.append((DATA_DRIFT, Replay, [s.drift_onsets for s in with_drift]))
        for name, make, values in monitors:
            kept = found if name != DATA_DRIFT else with_drift
            summary = detection_summary(make, values, [s.change for s in kept])
            row = {"scenario": scenario, "monitor": name, "n_markets": summary.n_series,
                   "median_delay": summary.median_delay, "p90_delay": summary.p90_delay,
                   "detection_rate": summary.detection_rate,
                   "false_alarms_per_1000": summary.false_alarms_per_1000,
                   "after_change_alarms_per_1000": math.nan}  # fmt: skip
            if scenario in CHANGED:  # alarms over the changed bars, as if there were no change
                after = detection_summary(make, [v[s.change :] for v, s in zip(values, kept,
                                                                                strict=True)],
                                          [None] * len(kept))  # fmt: skip
                row["after_change_alarms_per_1000"] = after.false_alarms_per_1000
            rows.append(row)
    return pd.DataFrame(rows)


def seed_of(scenario: str, k: int) -> int:
    """The ``k``-th market's seed: shared by the planted scenarios (paired comparisons), a
    separate block for the null market."""
    return FIRST_SEED + k + (NULL_SEED_OFFSET if scenario == "null" else 0)


def _task(args: tuple[str, int, Size, bool]) -> MarketSeries:
    scenario, seed, size, drift = args
    return market_series(scenario, seed, size, data_drift=drift)


def run(size: Size, seeds: int, drift_seeds: int, workers: int) -> list[MarketSeries]:
    """Every scenario on ``seeds`` markets (data drift on the first ``drift_seeds`` of the
    scenarios in :data:`DRIFT_SCENARIOS`)."""
    tasks = [(scenario, seed_of(scenario, k), size,
              scenario in DRIFT_SCENARIOS and k < drift_seeds)
             for k in range(seeds) for scenario in SCENARIOS]  # fmt: skip
    t0, out = time.perf_counter(), []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        for done in pool.map(_task, tasks, chunksize=1):
            out.append(done)
            if len(out) % 10 == 0 or len(out) == len(tasks):
                print(f"{len(out)}/{len(tasks)} markets, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    return out


# -- the results file ------------------------------------------------------------------------------
_LABELS = {"cusum": "CUSUM (k=0.25, h=12)", "page_hinkley": "Page-Hinkley (delta=0.25, 12)",
           "adwin": "ADWIN (river defaults)", "always_fire": "always-fire",
           "never_fire": "never-fire", DATA_DRIFT: "data drift (KS+PSI, BH 0.2%)"}  # fmt: skip


def _delay(row: pd.Series) -> str:
    def fmt(v: float) -> str:
        return "inf" if not math.isfinite(v) else f"{v:.0f}"

    return (f"{fmt(row['median_delay'])} / {fmt(row['p90_delay'])} "
            f"({100 * row['detection_rate']:.0f}%)")  # fmt: skip


def markdown(table: pd.DataFrame, size: Size, seeds: int, drift_seeds: int, seconds: float,
             command: str) -> str:
    """The results file: the size, the delay table and the false-alarm table."""
    cell = {(r.scenario, r.monitor): r for r in table.itertuples(index=False)}
    monitors = [m for m in (*DETECTORS, DATA_DRIFT) if any(k[1] == m for k in cell)]
    post = size.bars - 1 - size.change_at
    lines = [
        "# Drift monitors: detection delay and false alarms (issue 17)",
        "",
        f"Synthetic markets of {size.symbols} symbols x {size.bars} daily bars, 1-bar labels, "
        f"planted IC {size.alpha_ic} (`exact_ic=False`), change at bar {size.change_at}; "
        f"reference window bars {size.monitor_start - size.reference_bars}-"
        f"{size.monitor_start - 1}, monitored bars {size.monitor_start}-{size.bars - 1} "
        f"({size.pre_change} before the change, {post} labelled after it). "
        f"{seeds} markets per scenario (seeds {FIRST_SEED}-{FIRST_SEED + seeds - 1}; null "
        f"{seed_of('null', 0)}-{seed_of('null', seeds - 1)}) for concept "
        f"drift; data drift on the first {drift_seeds} of them (null, stationary, feature shift). "
        f"Run: `{command}` ({seconds / 60:.1f} min on 2 shared cores).",
        "",
        "**Detection delay** in bars after the change: median / 90th percentile (share of "
        "changes detected before the end; inf when a miss sets the quantile).",
        "",
        f"| monitor | sign flip (IC {size.alpha_ic} -> {-size.alpha_ic}) | strength x"
        f"{size.strength_factor} | feature shift (volatility x{size.shift_factor}) |",
        "|---|---:|---:|---:|",
    ]
    for m in monitors:
        cells = [_delay(pd.Series(cell[(s, m)]._asdict())) if (s, m) in cell else "-"
                 for s in CHANGED]  # fmt: skip
        lines.append(f"| {_LABELS[m]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "**False alarms per 1,000 monitored bars** on markets without change; last column: "
        "alarms per 1,000 bars after a pure feature shift (a concept detector should stay at "
        "its no-change rate there, data drift should fire).",
        "",
        "| monitor | null | stationary planted | after a feature shift |",
        "|---|---:|---:|---:|",
    ]
    for m in monitors:
        def fa(s: str, col: str, m: str = m) -> str:
            r = cell.get((s, m))
            if r is None or (m == DATA_DRIFT and col.startswith("after")):
                return "-"  # a drift episode is one onset: the delay table shows detection
            return f"{getattr(r, col):.2f}"

        lines.append(f"| {_LABELS[m]} | {fa('null', 'false_alarms_per_1000')} | "
                     f"{fa('stationary', 'false_alarms_per_1000')} | "
                     f"{fa('feature_shift', 'after_change_alarms_per_1000')} |")  # fmt: skip
    lines += ["", *_aims(cell, size)]
    return "\n".join(lines) + "\n"


def _aims(cell: dict[tuple[str, str], Any], size: Size) -> list[str]:
    """The issue's aims, each checked against the table."""
    out = ["**Aims** (issue 17):", ""]
    flip, null = cell.get(("sign_flip", "cusum")), cell.get(("null", "cusum"))
    still = cell.get(("stationary", "cusum"))
    if flip is not None and null is not None and still is not None:
        worst = max(null.false_alarms_per_1000, still.false_alarms_per_1000)
        met = flip.median_delay <= 60 and worst <= 1.0
        out.append(f"- concept drift (sign flip at IC {size.alpha_ic}) within a median of 60 "
                   f"bars with <= 1 false alarm per 1,000 bars: CUSUM {flip.median_delay:.0f} "
                   f"bars, {worst:.2f} false alarms per 1,000 (worse of null and stationary): "
                   f"{'met' if met else 'NOT met'}.")  # fmt: skip
    shift, drift = cell.get(("feature_shift", "cusum")), cell.get(("feature_shift", DATA_DRIFT))
    if shift is not None and drift is not None and still is not None:
        # "not flagged": CUSUM's rate after the shift within 50% + 0.5 per 1,000 of its rate
        # without change (alarm counts are small: ~20 per 20,000 bars)
        bound = 1.5 * still.false_alarms_per_1000 + 0.5
        met = drift.detection_rate == 1.0 and shift.after_change_alarms_per_1000 <= bound
        out.append(f"- a pure feature shift flagged as data drift ({100 * drift.detection_rate:.0f}"
                   f"% of shifts, median {drift.median_delay:.0f} bars) and not as concept drift "
                   f"(CUSUM {shift.after_change_alarms_per_1000:.2f} alarms per 1,000 bars after "
                   f"it vs {still.false_alarms_per_1000:.2f} without change; bound 1.5 x + "
                   "0.5): "
                   f"{'met' if met else 'NOT met'}.")  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    global FIRST_SEED
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=100, help="markets per scenario (concept drift)")
    p.add_argument("--drift-seeds", type=int, default=30,
                   help="markets per scenario with data drift (about 25 s each at full size)")
    p.add_argument("--symbols", type=int, default=DEFAULT.symbols)
    p.add_argument("--bars", type=int, default=DEFAULT.bars)
    p.add_argument("--change-at", type=int, default=DEFAULT.change_at)
    p.add_argument("--pre-change", type=int, default=DEFAULT.pre_change)
    p.add_argument("--reference-bars", type=int, default=DEFAULT.reference_bars)
    p.add_argument("--alpha-ic", type=float, default=DEFAULT.alpha_ic)
    p.add_argument("--shift-factor", type=float, default=DEFAULT.shift_factor)
    p.add_argument("--strength-factor", type=float, default=DEFAULT.strength_factor)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--first-seed", type=int, default=FIRST_SEED,
                   help="first market seed (planted; null markets add 1000)")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    FIRST_SEED = args.first_seed
    size = replace(DEFAULT, symbols=args.symbols, bars=args.bars, change_at=args.change_at,
                   pre_change=args.pre_change, reference_bars=args.reference_bars,
                   alpha_ic=args.alpha_ic, shift_factor=args.shift_factor,
                   strength_factor=args.strength_factor)  # fmt: skip
    t0 = time.perf_counter()
    series = run(size, args.seeds, args.drift_seeds, args.workers)
    table = summarize(series)
    seconds = time.perf_counter() - t0
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python research/monitor_drift.py", *given])
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "monitor_drift.csv", index=False, float_format="%.6g")
    text = markdown(table, size, args.seeds, min(args.drift_seeds, args.seeds), seconds,
                    command)
    (args.out / "monitor_drift.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
