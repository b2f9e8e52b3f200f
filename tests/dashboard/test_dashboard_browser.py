"""The dashboard served by `streamlit run` and opened in headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and selenium
(the ``dev`` extra); skipped with the reason otherwise. ``ALPHAFACTORY_SCREENSHOT=1`` saves the
Overview screenshot to ``docs/dashboard.png`` (from the runs under ``$ALPHAFACTORY_RUNS`` when
that holds runs, e.g. after ``make demo``; from the sample run otherwise).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphafactory.dashboard import streamlit_command
from alphafactory.runs import list_runs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 45.0
CHART_TIMEOUT_S = 45.0

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="headless Chromium not installed (apt-get install chromium chromium-driver)",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {START_TIMEOUT_S:.0f} s:\n"
                f"{log.read_text()[-3000:]}")


def _trading_store(tmp_path: Path) -> tuple[Path, int]:
    """A folder with the store of research/trading/daily.toml paper-traded (seconds), and the
    charts the Trading page draws on it (none without the ``live`` extra: it says so)."""
    folder = tmp_path / "trading"
    folder.mkdir()
    if importlib.util.find_spec("sqlalchemy") is None:
        return folder, 0
    from alphafactory.live.config import TradingConfig
    from alphafactory.live.session import open_session, run_session

    config = TradingConfig.read(REPO / "research" / "trading" / "daily.toml")
    session = open_session(config, store_url=f"sqlite:///{folder / 'daily.db'}")
    run_session(session)
    session.store.close()
    return folder, 1


@contextlib.contextmanager
def _served(runs_root: Path, tmp_path: Path, trading: Path | None = None) -> Iterator[str]:
    port = _free_port()
    argv, env = streamlit_command(runs_root, trading=trading, port=port, host="127.0.0.1",
                                  headless=True)
    log = tmp_path / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def _chromium() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--window-size=1600,1900",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(CHART_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for_charts(driver, minimum: int) -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def rendered(d) -> bool:
        return len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= minimum

    WebDriverWait(driver, CHART_TIMEOUT_S, poll_frequency=0.25).until(rendered)
    # Let streamlit finish the run (the status widget disappears) so the screenshot is stable.
    WebDriverWait(driver, CHART_TIMEOUT_S, poll_frequency=0.25).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
    return len(driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"))


def _screenshot_target(tmp_path: Path) -> Path:
    if os.environ.get("ALPHAFACTORY_SCREENSHOT") == "1":
        target = REPO / "docs" / "dashboard.png"
        target.parent.mkdir(exist_ok=True)
        return target
    return tmp_path / "dashboard.png"


def test_dashboard_in_chromium_renders_plotly_charts_on_every_page(sample_runs_root, tmp_path):
    from selenium.webdriver.common.by import By

    root, strict = sample_runs_root, True
    env_root = os.environ.get("ALPHAFACTORY_RUNS")
    if os.environ.get("ALPHAFACTORY_SCREENSHOT") == "1" and env_root and list_runs(env_root):
        root, strict = Path(env_root), False  # a real run may lack some artifacts
    trading, trading_charts = _trading_store(tmp_path)
    with _served(root, tmp_path, trading) as url, _chromium() as driver:
        driver.get(url)
        n_overview = _wait_for_charts(driver, minimum=3 if strict else 1)
        assert "Overview" in driver.find_element(By.TAG_NAME, "h1").text
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        target = _screenshot_target(tmp_path)
        assert driver.save_screenshot(str(target))
        assert target.stat().st_size > 10_000
        assert n_overview >= 3 or not strict

        for page, minimum in (("signals", 3), ("models", 3), ("execution", 4), ("data", 1),
                              ("trading", trading_charts)):
            minimum = minimum if strict else 0
            driver.get(f"{url}/{page}")
            assert _wait_for_charts(driver, minimum) >= minimum, page
            assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'), page
