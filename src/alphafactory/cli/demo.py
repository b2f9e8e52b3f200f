"""`alphafactory demo` and `alphafactory rerun`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from alphafactory.pipeline.config import DemoConfig

_DEMO_EPILOG = """example:
  alphafactory demo                 # the whole pipeline on bundled data, offline, about a minute
  alphafactory demo --seed 3 --runs-dir /tmp/runs
"""

_RERUN_EPILOG = """example:
  alphafactory rerun runs/20261123T101031Z-demo
exit status 0 when every metric matches, 1 when one differs.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo on bundled data (the job behind `make demo`)",
        description="Bundled sample + planted-alpha synthetic panel -> features -> walk-forward "
        "LSTM, TCN, Transformer -> rank-average ensemble -> signals -> backtest with "
        "square-root costs at the next open -> book execution -> a run directory.",
        epilog=_DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of every generator (default 0)")
    demo.add_argument("--runs-dir", type=Path, default=None, help="runs root (default ./runs)")
    demo.add_argument(
        "--signals-dir",
        type=Path,
        default=Path("signals/signal_files"),
        help="where signal files go (default signals/signal_files)",
    )
    demo.set_defaults(func=_demo)

    rerun = subparsers.add_parser(
        "rerun",
        help="reproduce a run from its config and manifest and check its metrics match",
        epilog=_RERUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rerun.add_argument("run_dir", type=Path, help="a run directory written by `alphafactory demo`")
    rerun.set_defaults(func=_rerun)


def _demo(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.demo import run_demo

    outcome = run_demo(DemoConfig(seed=args.seed), root=args.runs_dir, signal_dir=args.signals_dir)
    print()
    print(format_summary(outcome.summary))
    print()
    for dataset, path in outcome.signal_files.items():
        print(f"signals ({dataset}): {path}")
    print(f"run directory: {outcome.run.path}")
    print(f"done in {outcome.seconds:.0f} s. Open the dashboard with:")
    print(f"  alphafactory dashboard {outcome.run.path}     (or: make dashboard)")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.pipeline.rerun import rerun

    try:
        report = rerun(args.run_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    if report.ok:
        print(f"rerun {report.rerun.path}: every metric matches {report.original.path}")
        return 0
    print(
        f"rerun {report.rerun.path}: {len(report.differences)} metric(s) differ:", file=sys.stderr
    )
    for path, old, new in report.differences:
        print(f"  {path}: {old!r} -> {new!r}", file=sys.stderr)
    return 1


def format_summary(summary: pd.DataFrame) -> str:
    """The demo's terminal table: one row per dataset and strategy, numbers rounded."""
    table = summary.copy()
    for column in ("IC", "Rank IC", "Sharpe (net)", "DSR", "max DD"):
        table[column] = table[column].map(lambda v: f"{v:.3f}")
    table["IS (bps)"] = table["IS (bps)"].map(lambda v: "-" if pd.isna(v) else f"{v:.1f}")
    return table.to_string(index=False)
