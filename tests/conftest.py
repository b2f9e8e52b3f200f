"""Shared fixtures. Session-scoped frames are shared: copy before mutating."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import SyntheticMarket, load_sample, synthetic_market


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    """The bundled ``us-equities-daily`` panel (5 symbols, 2000-03 .. 2013-03)."""
    return load_sample("us-equities-daily")


@pytest.fixture(scope="session")
def small_market() -> SyntheticMarket:
    """A 20-symbol x 500-bar daily synthetic market with a planted IC of 0.1."""
    return synthetic_market(n_symbols=20, n_bars=500, seed=0, alpha_ic=0.1)


# Small deterministic OHLCV bars for feature and label tests.
def make_bars(n_symbols: int = 4, n_bars: int = 300, seed: int = 0, ragged: bool = True):
    """Random-walk OHLCV bars, long (timestamp, symbol); with ``ragged`` one symbol lists late
    and one delists early."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2020-01-01", periods=n_bars, freq="D", tz="UTC", name="timestamp")
    frames = []
    for i in range(n_symbols):
        ret = rng.normal(0.0003, 0.015, n_bars)
        close = 50.0 * (i + 1) * np.exp(np.cumsum(ret))
        open_ = close * np.exp(rng.normal(0, 0.005, n_bars))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, n_bars)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, n_bars)))
        volume = rng.lognormal(12, 0.4, n_bars)
        frame = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=ts
        )
        if ragged and i == 1:
            frame = frame.iloc[n_bars // 5 :]
        if ragged and i == 2:
            frame = frame.iloc[: -n_bars // 6]
        frame["symbol"] = f"S{i}"
        frames.append(frame)
    bars = pd.concat(frames).set_index("symbol", append=True).sort_index()
    return bars


@pytest.fixture(scope="session")
def bars_factory():
    """The :func:`make_bars` generator, for tests that need their own size or seed."""
    return make_bars


@pytest.fixture
def bars() -> pd.DataFrame:
    return make_bars()


@pytest.fixture
def single_bars() -> pd.DataFrame:
    return make_bars(n_symbols=1, ragged=False).droplevel("symbol")


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Undo what Streamlit's AppTest leaves on ``__main__`` (its ``__file__`` points at the last
    page script), so a later spawned worker process does not re-run a dashboard page as its
    main module. Autouse for every test: pages are rendered from several test packages."""
    import sys

    main = sys.modules["__main__"]
    saved = {key: main.__dict__[key] for key in ("__file__", "__spec__") if key in main.__dict__}
    yield
    sys.modules["__main__"] = main
    for key in ("__file__", "__spec__"):
        if key in saved:
            main.__dict__[key] = saved[key]
        else:
            main.__dict__.pop(key, None)


# -- PostgreSQL ------------------------------------------------------------------------------------
class PostgresServer:
    """A throwaway PostgreSQL server on 127.0.0.1 (trust auth, user ``postgres``)."""

    def __init__(self, bindir, port: int, run_as: list[str]) -> None:
        self.bindir, self.port, self.run_as = bindir, port, run_as
        self._databases: set[str] = set()

    def url(self, dbname: str) -> str:
        """``postgresql://postgres@127.0.0.1:PORT/dbname``, creating the database on first use."""
        import subprocess

        if dbname not in self._databases:
            subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", dbname], check=True, capture_output=True)  # fmt: skip
            self._databases.add(dbname)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


@pytest.fixture(scope="session")
def postgres_server():
    """Start Debian's PostgreSQL (``/usr/lib/postgresql/*/bin``) in a temporary directory for the
    session: listening on 127.0.0.1 only, on a free port, its unix socket in that directory; as
    root it runs as the ``postgres`` user. Skips when the binaries are missing or it cannot start.
    """
    import glob
    import os
    import shutil
    import socket
    import subprocess
    import tempfile
    from pathlib import Path

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.skip("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    bindir = Path(found[-1]).parent
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        runuser = shutil.which("runuser")
        try:
            import pwd

            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            pytest.skip("running as root without runuser or a 'postgres' user")
        run_as = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="af-postgres-"))
    if run_as:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"

    def pg(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=timeout)

    started = False
    try:
        done = pg(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"initdb failed: {done.stderr.strip()[-300:]}")
        done = pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                  "-o", options, "-w", "-t", "30", "start")  # fmt: skip
        started = done.returncode == 0
        if not started:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            pytest.skip(f"PostgreSQL did not start: {(done.stderr + log).strip()[-300:]}")
        yield PostgresServer(bindir, port, run_as)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"PostgreSQL could not be started: {exc}")
    finally:
        if started:
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
