"""How the dashboard is served: the ``streamlit run`` command line and its environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alphafactory.runs import RUNS_ROOT_ENV, Run

APP_PATH = Path(__file__).resolve().parent / "app.py"
RUN_ENV = "ALPHAFACTORY_RUN"


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
