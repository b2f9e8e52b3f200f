"""`alphafactory run WORKFLOW.toml`: a workflow file's declared steps into one run directory."""

from __future__ import annotations

import argparse
from pathlib import Path

_EPILOG = """examples:
  alphafactory run research/workflows/csv_folder_daily.toml
  alphafactory run my.toml --seed 3 --runs-dir /tmp/runs
  alphafactory demo --print-config > my.toml     # a complete workflow file to start from

Sections, in the order their steps run: [data] (one table or [[data]] tables with a name)
[validation] [features] [labels] [models] [selection] [ensemble] [signals] [portfolio] [risk]
[backtest] [execution] [report]. Unknown keys are errors naming the key and the file.
`alphafactory rerun RUN_DIR` reproduces the run and compares every metric.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="run a workflow file: data -> features -> models -> signals -> backtest -> report",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workflow", type=Path, help="workflow file (TOML)")
    parser.add_argument("--seed", type=int, default=None, help="replaces the file's seed")
    parser.add_argument("--runs-dir", type=Path, default=None, help="runs root (default ./runs)")
    parser.add_argument("--out", type=Path, default=None,
                        help="exact run directory to write (new or empty)")
    parser.add_argument("--signals-dir", type=Path, default=None,
                        help="replaces [signals] dir (where signal files go)")
    parser.add_argument("--check", action="store_true",
                        help="check the file (keys, features, cost model, rule); run nothing")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from alphafactory.cli.demo import print_outcome
    from alphafactory.pipeline.runner import check_config, run_workflow
    from alphafactory.pipeline.workflow import load_workflow

    config = load_workflow(args.workflow)
    if args.seed is not None:
        config = dataclasses.replace(config, seed=args.seed)
    if args.check:
        check_config(config, args.signals_dir, path=args.out)
        datasets = ", ".join(d.name for d in config.data)
        print(f"{args.workflow}: ok ({config.job} job, datasets {datasets})")
        return 0
    outcome = run_workflow(config, root=args.runs_dir, path=args.out, signal_dir=args.signals_dir)
    print_outcome(outcome)
    return 0
