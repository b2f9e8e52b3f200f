"""The Risk page through Streamlit's AppTest: interventions and the VaR backtest of a run."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.risk import (
    DailyLossLimit,
    MaxGrossLeverage,
    RiskContext,
    RiskManager,
    RiskSession,
    interventions_frame,
    session_of,
)
from alphafactory.runs import RUNS_ROOT_ENV, Run

PAGE = APP_PATH.parent / "pages" / "risk.py"


def _interventions() -> pd.DataFrame:
    """Interventions recorded by a real RiskSession: a scale-down, a halt and its reset."""
    session = RiskSession(RiskManager(limits=(MaxGrossLeverage(max_gross=0.5),
                                              DailyLossLimit(max_loss=0.03))), 1e6)
    days = pd.date_range("2024-01-02", periods=3, freq="B", tz="UTC")
    ctx = RiskContext(timestamp=days[0], symbols=("A", "B"), returns=np.empty((0, 2)),
                      session=session_of(days[0]))
    session.decide(np.array([0.5, 0.5]), ctx)
    session.observe(days[1], session_of(days[1]), 0.95e6)
    session.begin_bar(days[2], session_of(days[2]))
    frame = interventions_frame(session.interventions)
    frame["model"] = "ensemble"
    return frame


@pytest.fixture()
def risk_run(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    run = Run.create("risk", {"job": "risk"}, seed=0, root=root,
                     now=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=600, freq="B", tz="UTC", name="timestamp")
    equity = pd.DataFrame({"ensemble": np.cumprod(1 + 0.01 * rng.standard_normal(600))},
                          index=index)
    run.write_table("equity", equity)
    run.write_table("risk/interventions", _interventions())
    run.write_manifest()
    monkeypatch.setenv(RUNS_ROOT_ENV, str(root))
    monkeypatch.setenv(RUN_ENV, str(run.path))
    return run


def test_risk_page_shows_interventions_and_the_var_backtest(risk_run):
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.metric] == ["1", "1", "1"]  # scale, halt, reset
    assert len(at.get("plotly_chart")) == 1
    shown = at.dataframe[0].value
    assert list(shown["action"]) == ["scale", "halt", "reset"]
    var = at.dataframe[1].value
    assert len(var) == 10 and set(var["method"]) >= {"historical", "fhs"}
    assert not at.info and not at.warning


def test_risk_page_says_when_the_risk_manager_changed_nothing(risk_run):
    risk_run.write_table("risk/interventions", interventions_frame(()))
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.exception
    assert any("within its limits" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) == 0


def test_risk_page_on_a_run_without_risk_tables_explains_what_writes_them(risk_run):
    (risk_run.path / "risk" / "interventions.parquet").unlink()
    (risk_run.path / "equity.parquet").unlink()
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.exception
    assert sum("not in the run directory" in i.value for i in at.info) == 2


def test_app_lists_the_risk_page(risk_run):
    at = AppTest.from_file(str(APP_PATH), default_timeout=30).run()
    at.switch_page("pages/risk.py").run()
    assert not at.exception and at.title[0].value == "Risk"
