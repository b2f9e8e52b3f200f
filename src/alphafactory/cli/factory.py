"""`alphafactory factory ...`: search, gate, register and promote models (the training factory)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

_EPILOG = """examples:
  alphafactory factory run research/factory/daily.toml
  alphafactory factory run research/factory/synthetic.toml --executor 2
  alphafactory factory status daily
  alphafactory factory promote daily 3 --force --reason "reviewed by hand"
  alphafactory factory rollback daily --reason "live PnL below backtest"
  alphafactory factory schedule research/factory/daily.toml --cron "0 18 * * 5"
  alphafactory factory schedule research/factory/daily.toml --cron "30 22 * * 1-5" --incremental

A factory file is a workflow file plus [search] (the Optuna study) and [gate] (the promotion
rules). State lives under ./mlruns by default: MLflow's database (mlruns/mlflow.db), its
artifacts (mlruns/artifacts) and Optuna's studies (mlruns/optuna.db); `mlflow ui
--backend-store-uri sqlite:///mlruns/mlflow.db` shows studies, trials and model versions.
Registered models are named alphafactory-<workflow name>, with aliases champion and challenger.
"""


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    from alphafactory.cli._artifact import add_store_arguments

    add_store_arguments(parser, workflow=False, search=True)


def _store(args: argparse.Namespace):  # FactoryStore | None (the default store), imported lazily
    from alphafactory.cli._artifact import store_from_args

    return store_from_args(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``factory`` command group."""
    parser = subparsers.add_parser(
        "factory", help="search, gate, register and promote models (MLflow + Optuna)",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    sub = parser.add_subparsers(dest="factory_command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="one cycle: ingest, search, gate, register")
    run.add_argument("workflow", type=Path, help="factory file (a workflow file with [search])")
    _cycle_arguments(run)
    run.set_defaults(func=_run)

    status = sub.add_parser("status", help="champion, challenger, last decision and why")
    status.add_argument("name", help="workflow name (the registered model is alphafactory-NAME)")
    status.add_argument("--history", action="store_true", help="also print every alias change")
    status.add_argument("--json", action="store_true", help="the whole status record as JSON")
    _store_arguments(status)
    status.set_defaults(func=_status)

    promote = sub.add_parser("promote", help="make a version champion (audited)")
    promote.add_argument("name", help="workflow name")
    promote.add_argument("version", help="model version number")
    promote.add_argument("--force", action="store_true",
                         help="override a failed gate (needs --reason)")
    promote.add_argument("--reason", default="", help="why; recorded in the audit trail")
    _store_arguments(promote)
    promote.set_defaults(func=_promote)

    rollback = sub.add_parser("rollback", help="bring the previous champion back")
    rollback.add_argument("name", help="workflow name")
    rollback.add_argument("--reason", required=True, help="why; recorded in the audit trail")
    _store_arguments(rollback)
    rollback.set_defaults(func=_rollback)

    schedule = sub.add_parser("schedule", help="run cycles on a cron schedule (APScheduler)")
    schedule.add_argument("workflow", type=Path, help="factory file")
    schedule.add_argument("--cron", required=True,
                          help='five-field crontab in UTC, e.g. "0 18 * * 5" (Fridays 18:00)')
    schedule.add_argument("--max-cycles", type=int, default=None,
                          help="stop after this many cycles (default: run until stopped)")
    schedule.add_argument("--now", action="store_true",
                          help="run a first cycle at once, then follow the schedule")
    _cycle_arguments(schedule)
    schedule.set_defaults(func=_schedule)


def _cycle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=None, help="replaces the file's seed")
    parser.add_argument("--trials", type=int, default=None, help="replaces [search] n_trials")
    parser.add_argument("--executor", default=None,
                        help="parallel trials: a worker count (local Dask cluster) or a Dask "
                             "scheduler address tcp://HOST:PORT")  # fmt: skip
    parser.add_argument("--incremental", action="store_true",
                        help="nightly mode: refit the champion's parameters on the new bars, "
                             "then the same gate (no search)")  # fmt: skip
    parser.add_argument("--runs-dir", type=Path, default=None, help="runs root (default ./runs)")
    _store_arguments(parser)


def _config(args: argparse.Namespace):
    import dataclasses

    from alphafactory.errors import ConfigError
    from alphafactory.pipeline.factory_cycle import check_factory_config
    from alphafactory.pipeline.workflow import load_workflow

    config = load_workflow(args.workflow)
    if args.seed is not None:
        config = dataclasses.replace(config, seed=args.seed)
    if args.trials is not None:
        if args.trials < 1 or config.search is None:
            raise ConfigError(f"--trials must be >= 1 with a [search] section, got {args.trials}")
        config = dataclasses.replace(config, search=dataclasses.replace(config.search,
                                                                        n_trials=args.trials))
    check_factory_config(config)
    return config


def _executor(value: str | None) -> str | int | None:
    from alphafactory.errors import ConfigError

    if value is None or "://" in value or value == "processes":
        return value
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"--executor must be a worker count >= 1, 'processes' or a Dask "
                          f"scheduler address tcp://HOST:PORT, got {value!r}")  # fmt: skip
    return int(value)


def _quiet_libraries() -> None:
    for name in ("mlflow", "alembic", "optuna", "distributed", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.factory_cycle import run_cycle

    config = _config(args)
    _quiet_libraries()
    outcome = run_cycle(config, store=_store(args), runs_root=args.runs_dir,
                        executor=_executor(args.executor), incremental=args.incremental)
    _print_outcome(outcome)
    return 0


def _print_outcome(outcome) -> None:
    print(outcome.summary())
    for rule in outcome.decision.rules:
        mark = "pass" if rule.passed else "FAIL"
        print(f"  {mark}  {rule.name:<10} {rule.detail}")
    naive = "would promote" if outcome.naive_passed else "would not promote"
    print(f"  naive gate (best search Sharpe > threshold): {naive}")
    print(f"run: {outcome.run.path}")


def _status(args: argparse.Namespace) -> int:
    import json

    from alphafactory.factory import Registry

    _quiet_libraries()
    registry = Registry(_store(args))
    status = registry.status(args.name)
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        _print_status(args.name, status)
    if args.history:
        history = registry.history(args.name)
        print(history.to_string(index=False) if len(history) else "no alias changes yet")
    return 0


def _print_status(name: str, status: dict) -> None:
    from alphafactory.factory import GateDecision

    print(f"alphafactory-{name}")
    for alias in ("champion", "challenger"):
        entry = status.get(alias) or {}
        version = entry.get("version") if isinstance(entry, dict) else entry
        if not version:
            print(f"  {alias:<10} none")
            continue
        decision = entry.get("decision") if isinstance(entry, dict) else None
        why = GateDecision.from_dict(decision).summary() if decision and "config" in decision else (
            "no gate decision recorded")  # fmt: skip
        print(f"  {alias:<10} version {version}: {why}")
    event = status.get("last_event")
    if event:
        print(f"  last change {event['time']}: {event['alias']} -> version {event['version']} "
              f"({event['kind']}: {event['reason']})")


def _promote(args: argparse.Namespace) -> int:
    from alphafactory.factory import Registry

    _quiet_libraries()
    registry = Registry(_store(args))
    registry.promote(args.name, args.version, reason=args.reason, force=args.force)
    print(f"version {args.version} of {args.name} is champion")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from alphafactory.factory import Registry

    _quiet_libraries()
    version = Registry(_store(args)).rollback(args.name, reason=args.reason)
    print(f"version {version} of {args.name} is champion again")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.factory_schedule import run_schedule

    config = _config(args)
    _quiet_libraries()
    run_schedule(config, args.cron, store=_store(args), runs_root=args.runs_dir,
                 executor=_executor(args.executor), incremental=args.incremental,
                 max_cycles=args.max_cycles, now=args.now, on_outcome=_print_outcome)
    return 0
