"""`alphafactory monitor run|watch`: drift of a stored model, its alerts, and retraining."""

from __future__ import annotations

import argparse
from pathlib import Path

from alphafactory.cli._artifact import add_artifact_arguments, store_from_args
from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

_EPILOG = """examples:
  alphafactory train --bars sample --model ridge --out runs/ridge
  alphafactory monitor run --artifact runs/ridge/model --bars sample
  alphafactory monitor run --artifact champion --workflow daily --bars sample \\
      --factory research/factory/daily.toml --fail-on-drift
  alphafactory monitor watch --artifact champion --workflow daily --bars sample \\
      --replay-bars 120 --replay-rate 0 --report-every 20

`run` checks once (cron-friendly): data drift (KS and PSI of every feature and of the score
on the newest --window bars against the reference stored with the model, calibrated p-values,
Benjamini-Hochberg over features) and concept drift (realized IC, Rank IC and hit rate of the
bars whose labels have matured since the model's training window, with CUSUM / Page-Hinkley).
It writes a run directory (drift.json, drift/features, drift/concept, drift/alerts), prints
one line and exits 0 (3 with --fail-on-drift when something drifted). `watch` does the same
on every new bar of --feed replay|yfinance and writes the report every --report-every bars.

What a drift does comes from the [monitor] table of --factory FILE (on_drift = "none" |
"alert" | "retrain", on = "concept" | "data" | "either", window, detectors); "retrain" runs
one cycle of that factory file, whose gate decides whether the new model is promoted. Alerts
go to the sinks of --alerts FILE (or [monitor.alerts]: log, webhook, [email] with
password_env), de-duplicated across runs through --state (default mlruns/monitor/alerts.sqlite).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``monitor`` command group."""
    parser = subparsers.add_parser(
        "monitor", help="data and concept drift of a stored model, alerts and retraining",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="monitor_command", metavar="SUBCOMMAND", required=True)
    run = sub.add_parser("run", help="check a model once and write the drift report",
                         epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(run)
    run.set_defaults(func=_run)
    watch = sub.add_parser("watch", help="check a model on each new bar of a feed",
                           epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(watch)
    feed = watch.add_argument_group("feed")
    feed.add_argument("--feed", choices=("replay", "yfinance"), default="replay")
    feed.add_argument("--replay-rate", type=float, default=0.0,
                      help="replayed bars per second (0 = as fast as monitored; default 0)")
    feed.add_argument("--replay-bars", type=int, default=250,
                      help="timestamps replayed at the end of the bars (default 250)")
    feed.add_argument("--poll-seconds", type=float, default=60.0, help="yfinance poll period")
    feed.add_argument("--report-every", type=int, default=1,
                      help="write the report every N bars (default 1)")
    feed.add_argument("--max-bars", type=int, default=None, help="stop after N new bars")
    watch.set_defaults(func=_watch)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_artifact_arguments(parser)
    add_bars_arguments(parser, default="sample")
    group = parser.add_argument_group("monitor")
    group.add_argument("--window", type=int, default=None,
                       help="bars in the data-drift window and rolling IC (default: [monitor] "
                            "window, else 60)")  # fmt: skip
    group.add_argument("--history", type=int, default=1,
                       help="evaluate data drift at each of the last N bars (default 1)")
    group.add_argument("--factory", type=Path, default=None,
                       help="factory file: its [monitor] policy, and the cycle a retrain runs")
    group.add_argument("--on-drift", choices=("none", "alert", "retrain"), default=None,
                       help="override the policy's on_drift")
    group.add_argument("--alerts", type=Path, default=None,
                       help="TOML file of alert sinks (default: [monitor.alerts], else a log line)")
    group.add_argument("--state", type=Path, default=None,
                       help="alert de-duplication store (default <registry>/monitor/alerts.sqlite)")
    group.add_argument("--runs-dir", type=Path, default=None,
                       help="where run directories go (default $ALPHAFACTORY_RUNS or ./runs)")
    group.add_argument("--fail-on-drift", action="store_true",
                       help="exit 3 when the policy's drift verdict is on (for cron pipelines)")


def _job(args: argparse.Namespace):
    import dataclasses

    from alphafactory.cli import CLIError
    from alphafactory.monitor.policy import AlertsConfig, MonitorPolicy
    from alphafactory.pipeline.monitor_job import MonitorJob
    from alphafactory.runs import read_toml

    if args.window is not None and args.window < 2:
        raise CLIError(f"--window must be >= 2; got {args.window}")
    if args.history < 1:
        raise CLIError(f"--history must be >= 1; got {args.history}")
    factory = None
    policy = MonitorPolicy()
    if args.factory is not None:
        from alphafactory.pipeline.workflow import load_workflow

        if not args.factory.is_file():
            raise CLIError(f"--factory: no file at {args.factory}")
        factory = load_workflow(args.factory)
        policy = factory.monitor or policy
    changes = {k: v for k, v in (("window", args.window), ("on_drift", args.on_drift))
               if v is not None}  # fmt: skip
    policy = dataclasses.replace(policy, **changes)
    alerts = None
    if args.alerts is not None:
        if not args.alerts.is_file():
            raise CLIError(f"--alerts: no file at {args.alerts}")
        alerts = AlertsConfig.from_mapping(read_toml(args.alerts), str(args.alerts))
    store = store_from_args(args)
    state = args.state
    if state is None:
        root = args.registry_root if args.registry_root is not None else Path("mlruns")
        state = root / "monitor" / "alerts.sqlite"
    source = bars_source_from_args(args)
    assert source is not None  # --bars has a default
    return MonitorJob(artifact=args.artifact, source=source, policy=policy,
                      workflow=args.workflow, store=store, alerts=alerts, factory=factory,
                      state=state, history=args.history, runs_root=args.runs_dir)  # fmt: skip


def _finish(args: argparse.Namespace, outcome) -> int:
    print(outcome.summary())
    return 3 if args.fail_on_drift and outcome.triggered else 0


def _run(args: argparse.Namespace) -> int:
    from alphafactory.pipeline.monitor_job import run_monitor

    return _finish(args, run_monitor(_job(args)))


def _watch(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.pipeline.monitor_job import open_monitor_feed, resolve_model, watch_monitor

    if args.report_every < 1:
        raise CLIError(f"--report-every must be >= 1; got {args.report_every}")
    if args.max_bars is not None and args.max_bars < 1:
        raise CLIError(f"--max-bars must be >= 1; got {args.max_bars}")
    job = _job(args)
    artifact, _ = resolve_model(job)
    feed = open_monitor_feed(
        job.source, args.feed, history=artifact.warmup_bars + job.policy.window,
        replay_bars=args.replay_bars, bars_per_second=args.replay_rate,
        poll_seconds=args.poll_seconds,
    )  # fmt: skip
    outcome = watch_monitor(job, feed, report_every=args.report_every, max_bars=args.max_bars)
    return _finish(args, outcome)
