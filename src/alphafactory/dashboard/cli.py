"""`alphafactory dashboard [RUN_DIR]`: serve the Streamlit dashboard."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from alphafactory.runs import RUNS_ROOT_ENV, Run

APP_PATH = Path(__file__).resolve().parent / "app.py"
RUN_ENV = "ALPHAFACTORY_RUN"

_EPILOG = """examples:
  alphafactory dashboard                        # newest run under ./runs
  alphafactory dashboard runs/20260105T120000Z-demo --port 8600
  alphafactory dashboard /data/my_runs --headless   # a runs root, no browser window
"""


def streamlit_command(
    target: str | Path | None = None,
    *,
    port: int = 8501,
    host: str = "127.0.0.1",
    headless: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """Return the ``streamlit run`` argv and environment that serve the dashboard.

    Parameters
    ----------
    target : str or Path, optional
        A run directory (shown first, its siblings listed) or a runs root. When omitted the
        dashboard uses ``$ALPHAFACTORY_RUNS`` or ``./runs``.
    port : int
        TCP port, 1-65535.
    host : str
        Address to bind; the default serves this machine only.
    headless : bool
        Do not open a browser window.

    Returns
    -------
    (argv, env)
        The command and the full environment for ``subprocess``.

    Raises
    ------
    FileNotFoundError
        If ``target`` does not exist or is not a directory.
    """
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}")
    env = dict(os.environ)
    if target is not None:
        path = Path(target).resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{target} is not a directory (expected a run or runs root)")
        try:
            run = Run.open(path)
        except ValueError:
            env[RUNS_ROOT_ENV] = str(path)
            env.pop(RUN_ENV, None)
        else:
            env[RUNS_ROOT_ENV] = str(run.path.parent)
            env[RUN_ENV] = str(run.path)
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
    return argv, env


def _run(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError

    try:
        argv, env = streamlit_command(args.run_dir, port=args.port, host=args.host,
                                      headless=args.headless)
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
        description="Serve the Streamlit dashboard (Overview, Signals, Models, Execution, Data) "
                    "on the newest run, a chosen run directory, or a runs root.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", nargs="?", metavar="RUN_DIR",
                        help="a run directory or a runs root (default: $ALPHAFACTORY_RUNS "
                             "or ./runs)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 to share)")
    parser.add_argument("--headless", action="store_true",
                        help="do not open a browser window")
    parser.set_defaults(func=_run)
