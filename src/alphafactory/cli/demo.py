"""`alphafactory demo` and `alphafactory rerun`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_DEMO_EPILOG = """examples:
  alphafactory demo                   # the bundled demo workflow on bundled data, offline
  alphafactory demo --seed 3 --runs-dir /tmp/runs
  alphafactory demo --print-config > my.toml && alphafactory run my.toml
"""

_RERUN_EPILOG = """example:
  alphafactory rerun runs/20261123T101031Z-demo
Works on the run of any job (demo, run, train, backtest, execute). Exit status 0 when every
metric and data fingerprint matches, 1 when one differs.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo on bundled data (the job behind `make demo`)",
        description="The bundled workflow file demo.toml: bundled sample + planted-alpha "
        "synthetic panel -> features -> walk-forward LSTM, TCN, Transformer -> rank-average "
        "ensemble -> signals -> backtest with square-root costs at the next open -> book "
        "execution -> a run directory.",
        epilog=_DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--seed", type=int, default=None,
                      help="seed of the models, bootstrap and book (default: the file's, 0)")
    demo.add_argument("--runs-dir", type=Path, default=None, help="runs root (default ./runs)")
    demo.add_argument("--signals-dir", type=Path, default=None,
                      help="where signal files go (default: the file's, signals/signal_files)")
    demo.add_argument("--print-config", action="store_true",
                      help="print the demo's workflow file and exit")
    demo.set_defaults(func=_demo)

    rerun = subparsers.add_parser(
        "rerun",
        help="reproduce a run from its config and manifest and check its metrics match",
        epilog=_RERUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rerun.add_argument("run_dir", type=Path, help="a run directory written by any job")
    rerun.add_argument("--runs-dir", type=Path, default=None,
                       help="where the new run goes (default: next to the original)")
    rerun.set_defaults(func=_rerun)


def _demo(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.demo import demo_config, demo_text, run_demo

    if args.print_config:
        print(demo_text(), end="")
        return 0
    outcome = run_demo(demo_config(seed=args.seed), root=args.runs_dir,
                       signal_dir=args.signals_dir)  # fmt: skip
    print_outcome(outcome)
    return 0


def print_outcome(outcome: object) -> None:
    """Print a workflow's summary table, signal files and run directory."""
    from alphafactory.pipeline.report import format_summary
    from alphafactory.pipeline.runner import WorkflowOutcome

    assert isinstance(outcome, WorkflowOutcome)
    print()
    print(format_summary(outcome.summary))
    print()
    for dataset, path in outcome.signal_files.items():
        print(f"signals ({dataset}): {path}")
    print(f"run directory: {outcome.run.path}")
    print(f"done in {outcome.seconds:.0f} s. Open the dashboard with:")
    print(f"  alphafactory dashboard {outcome.run.path}     (or: make dashboard)")


def _rerun(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.rerun import rerun

    report = rerun(args.run_dir, root=args.runs_dir)
    if report.ok:
        print(f"rerun {report.rerun.path}: every metric matches {report.original.path}")
        return 0
    print(
        f"rerun {report.rerun.path}: {len(report.differences)} metric(s) differ:", file=sys.stderr
    )
    for path, old, new in report.differences:
        print(f"  {path}: {old!r} -> {new!r}", file=sys.stderr)
    return 1
