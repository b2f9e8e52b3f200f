"""The dashboard on a run written by `alphafactory run` (own CSV folder, models, backtest).

Catches drift between what a workflow writes and what the pages read.
"""

from __future__ import annotations

import textwrap

import pytest

from alphafactory.cli import main
from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.data import synthetic_market
from alphafactory.runs import RUNS_ROOT_ENV, latest_run

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGES = ("overview", "signals", "compare", "models", "execution", "data")


@pytest.fixture(scope="module")
def workflow_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("wf-dashboard")
    bars = synthetic_market(n_symbols=5, n_bars=360, seed=3, alpha_ic=0.2, calendar="XNYS").bars
    folder = base / "csv"
    folder.mkdir()
    for symbol, rows in bars.groupby(level="symbol"):
        frame = rows.droplevel("symbol").reset_index()
        frame.insert(0, "Date", frame.pop("timestamp").dt.strftime("%m/%d/%Y"))
        frame.to_csv(folder / f"{symbol}.csv", index=False)
    workflow = base / "wf.toml"
    workflow.write_text(textwrap.dedent(f"""
        name = "mine"
        [data]
        spec = "{folder}"
        date_format = "%m/%d/%Y"
        [features]
        names = ["ret_1", "ret_5", "cs_z_ret_5", "rsi_14"]
        [models]
        names = ["ridge", "mlp"]
        preset = "ci"
        walk_forward = {{ train = 150, val = 40, test = 80, lookback = 5 }}
        [ensemble]
        [signals]
        dir = "{base / 'signals'}"
        [portfolio]
        rule = "topk"
        params = {{ k = 1 }}
        rebalance = 5
        [backtest]
        [execution]
        slices = 3
        horizon_seconds = 120.0
        [report]
        tearsheets = true
        """))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(RUNS_ROOT_ENV, str(base / "runs"))
        assert main(["run", str(workflow)]) == 0
    return base / "runs"


@pytest.mark.parametrize("page", PAGES)
def test_page_on_a_workflow_run_renders(workflow_root, monkeypatch, page):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(workflow_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    run = latest_run(workflow_root)
    assert run is not None and run.has_table("equity") and run.has_table("execution/fills")
    at = AppTest.from_file(str(APP_PATH.parent / "pages" / f"{page}.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page in ("overview", "signals", "execution"):
        assert len(at.get("plotly_chart")) >= 1
