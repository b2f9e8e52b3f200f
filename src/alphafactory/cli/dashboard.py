"""`alphafactory dashboard [RUN_DIR]`: serve the Streamlit dashboard."""

from __future__ import annotations

import argparse
import subprocess
import sys

_EPILOG = """examples:
  alphafactory dashboard                        # newest run under ./runs
  alphafactory dashboard runs/20260105T120000Z-demo --port 8600
  alphafactory dashboard /data/my_runs --headless   # a runs root, no browser window
  alphafactory dashboard --trading trading      # the Trading page on ./trading/*.db
  alphafactory dashboard --trading postgresql+psycopg://me@db/trading
"""


def _run(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.dashboard.launch import streamlit_command

    try:
        argv, env = streamlit_command(args.run_dir, trading=args.trading, port=args.port,
                                      host=args.host, headless=args.headless)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    print(f"alphafactory: serving the dashboard on http://{args.host}:{args.port} "
          "(Ctrl+C to stop)", file=sys.stderr)
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dashboard", help="open the Streamlit dashboard on a run",
        description="Serve the Streamlit dashboard (Overview, Signals, Compare, Models, "
                    "Execution, Risk, Factory, Monitor, Trading, Data, Runs) on the newest run, "
                    "a chosen run directory, or a runs root.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", nargs="?", metavar="RUN_DIR",
                        help="a run directory or a runs root (default: $ALPHAFACTORY_RUNS "
                             "or ./runs)")
    parser.add_argument("--trading", metavar="DIR_OR_URL", default=None,
                        help="the Trading page's stores: a folder of *.db, a store file or a "
                             "SQLAlchemy URL (default: $ALPHAFACTORY_TRADING or trading/ "
                             "beside the runs root)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 to share)")
    parser.add_argument("--headless", action="store_true",
                        help="do not open a browser window")
    parser.set_defaults(func=_run)
