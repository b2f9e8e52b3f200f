"""How the dashboard is served: the ``streamlit run`` command line and its environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alphafactory.errors import RunError
from alphafactory.runs import RUNS_ROOT_ENV, Run
from alphafactory.runs.staging import STAGING_PREFIX

APP_PATH = Path(__file__).resolve().parent / "app.py"
RUN_ENV = "ALPHAFACTORY_RUN"
#: Where the Trading page looks for trading stores: a folder of ``*.db``, a file, or a URL.
TRADING_ENV = "ALPHAFACTORY_TRADING"


def streamlit_command(
    target: str | Path | None = None,
    *,
    trading: str | Path | None = None,
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
    trading : str or Path, optional
        The Trading page's stores: a folder of SQLite trading stores (``*.db``), one store
        file, or a SQLAlchemy URL (``postgresql+psycopg://...``). When omitted the page uses
        ``$ALPHAFACTORY_TRADING`` or ``trading`` beside the runs root.
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
        If ``target`` does not exist or is not a directory, or ``trading`` is neither a URL
        nor an existing folder or file.
    """
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}")
    env = dict(os.environ)
    if target is not None:
        path = Path(target).resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{target} is not a directory (expected a run or runs root)")
        if path.name.startswith(STAGING_PREFIX):
            raise RunError(f"{target} is a job's staging directory (the job is still writing "
                           "it or was killed), not a run; open the runs root instead")
        try:
            run = Run.open(path)
        except ValueError:
            env[RUNS_ROOT_ENV] = str(path)
            env.pop(RUN_ENV, None)
        else:
            env[RUNS_ROOT_ENV] = str(run.path.parent)
            env[RUN_ENV] = str(run.path)
    if trading is not None:
        env[TRADING_ENV] = trading_location(trading)
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
    return argv, env


def trading_location(trading: str | Path) -> str:
    """``trading`` as the Trading page reads it: a URL as given, a path made absolute (the
    server may run elsewhere); a path that does not exist raises ``FileNotFoundError``."""
    if "://" in str(trading):
        return str(trading)
    path = Path(trading).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"{trading} is neither a folder of trading stores, a store "
                                "file nor a SQLAlchemy URL (sqlite:///..., postgresql+...).")
    return str(path)
