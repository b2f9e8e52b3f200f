"""The Factory page on real factory cycles: two small cycles, the first forced to champion.

Catches drift between what ``run_cycle`` writes (run directory, MLflow registry) and what the
page and :mod:`alphafactory.dashboard.factory_shaping` read.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("mlflow")
pytest.importorskip("optuna")
AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

from alphafactory.dashboard import APP_PATH  # noqa: E402
from alphafactory.dashboard import factory_shaping as fs  # noqa: E402
from alphafactory.dashboard.launch import RUN_ENV  # noqa: E402
from alphafactory.factory import FactoryStore, Registry  # noqa: E402
from alphafactory.pipeline.factory_cycle import run_cycle  # noqa: E402
from alphafactory.pipeline.workflow import load_workflow  # noqa: E402
from alphafactory.runs import RUNS_ROOT_ENV, Run, list_runs  # noqa: E402

PAGE = APP_PATH.parent / "pages" / "factory.py"
RULES = ("dsr", "pbo", "sharpe_ci", "champion", "checks")
N_TRIALS = 3
TIMEOUT_S = 60

FACTORY_TOML = f"""
    name = "tiny"
    seed = 0
    [data]
    spec = "synthetic:n_symbols=20,n_bars=800,alpha_ic=0.1,seed=0"
    calendar = "weekdays"
    [features]
    names = ["ret_1", "ret_5", "cs_z_ret_1", "cs_z_ret_5"]
    [labels]
    horizon = 1
    kind = "log"
    entry = "next_open"
    demean = true
    [models]
    names = ["ridge"]
    save = "none"
    [models.walk_forward]
    train = 250
    val = 60
    test = 100
    lookback = 1
    [portfolio]
    rule = "quantile"
    params = {{ quantiles = 5 }}
    [backtest]
    cost = {{ model = "sqrt", eta = 1.0, half_spread_bps = 2.0 }}
    execution = "next_open"
    [search]
    n_trials = {N_TRIALS}
    withheld = 200
    [search.space.ridge]
    alpha = {{ low = 0.01, high = 1000.0, log = true }}
    """


@pytest.fixture(scope="module")
def factory_root(tmp_path_factory) -> Path:
    """``runs/`` (a bare run and two factory cycles) and ``mlruns/``; version 1 is champion
    when the second cycle runs, so the second faces a champion on the withheld bars."""
    base = tmp_path_factory.mktemp("factory-dashboard")
    path = base / "tiny.toml"
    path.write_text(textwrap.dedent(FACTORY_TOML), encoding="utf-8")
    config = load_workflow(path)
    store = FactoryStore.at(base / "mlruns")
    Run.create("bare", {"job": "bare"}, seed=1, root=base / "runs",
               now=dt.datetime(2026, 1, 4, 12, 0, 0, tzinfo=dt.timezone.utc))
    first = run_cycle(config, store=store, runs_root=base / "runs", log=lambda _: None)
    assert first.version == "1"
    if first.alias != "champion":
        Registry(store).promote("tiny", "1", reason="test: a champion to beat", force=True)
    run_cycle(config, store=store, runs_root=base / "runs", log=lambda _: None)
    return base


@pytest.fixture()
def factory_env(factory_root, monkeypatch) -> Path:
    monkeypatch.setenv(RUNS_ROOT_ENV, str(factory_root / "runs"))
    monkeypatch.delenv(RUN_ENV, raising=False)
    monkeypatch.chdir(factory_root)
    return factory_root


@pytest.fixture(scope="module")
def cycles(factory_root) -> list[Run]:
    return fs.factory_runs(list_runs(factory_root / "runs"))


def _texts(at: AppTest) -> str:
    """Every markdown, alert and table cell the page rendered, as one string."""
    parts = [e.value for kind in ("markdown", "caption", "success", "warning", "info", "title")
             for e in at.get(kind)]  # fmt: skip
    parts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(map(str, parts))


# -- shaping on the real runs ---------------------------------------------------------------------
def test_factory_runs_keeps_factory_jobs_newest_first(factory_root, cycles):
    assert len(list_runs(factory_root / "runs")) == 3  # the bare run is not a factory run
    assert [r.name for r in cycles] == ["factory-tiny", "factory-tiny"]
    assert cycles[0].created_at >= cycles[1].created_at
    assert cycles[0].path.name > cycles[1].path.name


def test_rules_table_lists_every_gate_rule_with_value_and_threshold(cycles):
    decision = fs.decision_of(cycles[0])
    rules = fs.rules_table(decision)
    assert tuple(rules["rule"]) == RULES
    assert set(rules.loc[~rules["passed"], "rule"]) == set(decision["failed"])
    table = rules.set_index("rule")
    assert np.isfinite(table.loc[["dsr"], ["value", "threshold"]]).all(axis=None)
    assert np.isfinite(table.loc["pbo", "threshold"])
    # PBO has a value unless the trials were one configuration (then there is no selection)
    assert np.isfinite(table.loc["pbo", "value"]) or "no selection" in table.loc["pbo", "detail"]
    assert fs.verdict(decision) == ("promote" if decision["passed"] else "keep champion")
    assert not fs.reasons(decision).startswith(fs.verdict(decision))


def test_trials_table_sorts_complete_trials_by_search_sharpe(cycles):
    trials = cycles[0].read_table("trials")
    table = fs.trials_table(trials)
    assert len(table) == N_TRIALS and set(table["trial"]) == set(range(N_TRIALS))
    assert sum(fs.trial_counts(trials).values()) == N_TRIALS
    complete = table[table["state"] == "complete"]
    assert complete["value"].is_monotonic_decreasing
    assert table["value"].notna().sum() == len(complete)
    assert (table["model"] == "ridge").all()
    assert table["model_params"].str.startswith("alpha=").all()
    matrix = fs.fold_ic_matrix(trials)
    assert list(matrix.index) == list(range(N_TRIALS))
    assert (table.set_index("trial")["folds"].sort_index() == matrix.notna().sum(axis=1)).all()
    assert len(fs.trial_value_figure(table).data) >= 2
    assert fs.fold_ic_figure(matrix).data[0].z.shape == matrix.shape


def test_withheld_equity_compounds_candidate_and_champion_returns(cycles):
    returns = cycles[0].read_table("withheld_returns")
    assert {"candidate", "champion"} <= set(returns.columns)
    equity = fs.withheld_equity(returns)
    expected = (1 + returns["candidate"].fillna(0.0)).cumprod()
    pd.testing.assert_series_equal(equity["candidate"], expected)
    first = fs.withheld_equity(cycles[1].read_table("withheld_returns"))
    assert list(first.columns) == ["candidate"]  # no champion yet in the first cycle


def test_status_table_marks_the_version_from_this_run(factory_root, cycles):
    assert fs.default_registry_root(factory_root / "runs") == factory_root / "mlruns"
    assert fs.registry_problem(factory_root / "mlruns") is None
    assert "does not exist" in fs.registry_problem(factory_root / "nowhere")
    status = Registry(FactoryStore.at(factory_root / "mlruns")).status("tiny")
    table = fs.status_table(status, fs.decision_of(cycles[0])["study"]).set_index("alias")
    assert table.loc["champion", "version"] in ("1", "2")
    assert table["this run"].sum() == 1  # version 2 is champion or challenger
    old = fs.status_table(status, fs.decision_of(cycles[1])["study"]).set_index("alias")
    assert old.loc["champion", "this run"] == (old.loc["champion", "version"] == "1")


def test_verdict_and_reasons_on_a_passing_decision():
    decision = {"passed": True, "summary": "promote: all 5 rules passed"}
    assert fs.verdict(decision) == "promote"
    assert fs.reasons(decision) == "all 5 rules passed"
    assert fs.verdict({"passed": "true"}) == "keep champion"  # only a real bool promotes


# -- the page -------------------------------------------------------------------------------------
def test_page_shows_decision_rules_study_equity_and_registry(factory_env, cycles):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    decision = fs.decision_of(cycles[0])
    alert = at.success if decision["passed"] else at.warning
    assert alert and alert[0].value.startswith(
        "**Promote**" if decision["passed"] else "**Keep champion**")
    text = _texts(at)
    for rule in RULES:
        assert rule in text, rule
    assert len(at.get("plotly_chart")) == 3  # trial values, fold IC, withheld equity
    assert at.metric[0].label == "Naive gate"
    assert decision["study"] in text
    assert "Champion history" in text and not at.info, [i.value for i in at.info]
    history = at.dataframe[-1].value
    assert list(history.columns[:3]) == ["time", "alias", "version"] and len(history) >= 3
    assert history["time"].is_monotonic_decreasing  # newest first


def test_page_without_registry_says_so_and_still_shows_the_run(factory_env):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    at.sidebar.text_input[0].set_value(str(factory_env / "nowhere")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No registry to show" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 3
    assert "dsr" in _texts(at)


def test_page_picks_an_older_cycle_from_the_sidebar(factory_env, cycles):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert at.sidebar.selectbox[0].value == str(cycles[0].path)
    at.sidebar.selectbox[0].set_value(str(cycles[1].path)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert fs.decision_of(cycles[1])["study"] in _texts(at)
    assert any("No champion was scored" in c.value for c in at.caption)


def test_page_without_factory_runs_explains_factory_run(sample_runs_root, monkeypatch):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(sample_runs_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("alphafactory factory run" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_app_switches_to_the_factory_page(factory_env):
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    at.switch_page("pages/factory.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Factory · tiny"
