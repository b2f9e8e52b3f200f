"""Every dashboard page through Streamlit's AppTest: on a full run, a bare run and no runs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.runs import RUNS_ROOT_ENV, list_runs

PAGES_DIR = APP_PATH.parent / "pages"
# page -> plotly charts it draws on the sample run
PAGES = {"overview": 3, "signals": 4, "compare": 1, "models": 3, "execution": 4, "data": 1,
         "runs": 0}
TIMEOUT_S = 30


def _page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES_DIR / f"{name}.py"), default_timeout=TIMEOUT_S)


def _charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


@pytest.fixture()
def sample_env(sample_runs_root, monkeypatch):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(sample_runs_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    return sample_runs_root


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_on_sample_run_draws_its_charts(sample_env, page):
    at = _page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _charts(at) == PAGES[page]
    assert not at.info, [i.value for i in at.info]  # nothing reported missing


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_on_empty_runs_root_explains_make_demo(empty_runs_root, monkeypatch, page):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(empty_runs_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = _page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _charts(at) == 0
    assert any("make demo" in i.value for i in at.info)


@pytest.mark.parametrize("page", sorted(set(PAGES) - {"runs"}))
def test_page_on_bare_run_reports_missing_artifacts(sample_env, monkeypatch, page):
    bare = next(r for r in list_runs(sample_env) if r.name == "bare")
    monkeypatch.setenv(RUN_ENV, str(bare.path))
    at = _page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _charts(at) == 0
    assert any("not in the run directory" in i.value for i in at.info)


def test_app_opens_overview_and_switches_to_every_page(sample_env):
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    for page, n_charts in PAGES.items():
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert _charts(at) == n_charts, page


def test_app_sidebar_choice_carries_across_pages(sample_env):
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    assert at.sidebar.selectbox[0].value.endswith("-demo")  # the newest run is shown first
    bare = next(r for r in list_runs(sample_env) if r.name == "bare")
    at.sidebar.selectbox[0].set_value(str(bare.path)).run()
    assert not at.exception
    assert _charts(at) == 0
    at.switch_page("pages/signals.py").run()
    assert at.sidebar.selectbox[0].value.endswith("-bare")
    assert _charts(at) == 0


def test_signals_page_widgets_rerun_without_error(sample_env):
    at = _page("signals").run()
    at.selectbox[0].select("tcn").run()
    at.toggle[0].set_value(False).run()
    at.slider[0].set_value(40).run()
    assert not at.exception
    assert _charts(at) == PAGES["signals"]


def test_execution_and_models_widgets_rerun_without_error(sample_env):
    at = _page("execution").run()
    at.selectbox[0].select("SYM01").run()
    at.selectbox[1].select("SYM03").run()
    assert not at.exception and _charts(at) == PAGES["execution"]
    at = _page("models").run()
    at.selectbox[0].select("transformer").run()
    assert not at.exception and _charts(at) == PAGES["models"]


def test_pages_on_malformed_tables_warn_instead_of_failing(tmp_path, monkeypatch):
    import pandas as pd

    from alphafactory.runs import Run

    run = Run.create("odd", {}, seed=0, root=tmp_path)
    run.write_table("equity", pd.DataFrame({"note": ["a", "b"]}))
    run.write_table("execution/book", pd.DataFrame({"symbol": ["A"], "price": [1.0]}))
    run.write_table("execution/fills", pd.DataFrame({
        "timestamp": pd.date_range("2024-01-01", periods=2, tz="UTC"), "symbol": "A",
        "side": "B", "price": [1.0, 1.1]}))
    run.write_table("robustness", pd.DataFrame({"eps": [0.1]}))
    run.write_table("predictions", pd.DataFrame({"symbol": ["A"], "value": [1.0]}))
    monkeypatch.setenv(RUNS_ROOT_ENV, str(tmp_path))
    monkeypatch.delenv(RUN_ENV, raising=False)
    for page in ("overview", "execution", "models", "signals"):
        at = _page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.warning or at.error, page


def test_pages_on_a_two_dataset_run_filter_by_the_sidebar_dataset(tmp_path, monkeypatch):
    import pandas as pd

    from alphafactory.runs import Run

    run = Run.create("multi", {}, seed=0, root=tmp_path)
    ts = pd.date_range("2024-01-01", periods=30, tz="UTC", name="timestamp")
    run.write_table("equity", pd.DataFrame({"a:lstm": 1.0, "b:lstm": 1.0}, index=ts))
    rows = [{"timestamp": t, "symbol": s, "model": f"{d}:lstm", "fold": 0, "score": i % 5,
             "label": (i * 7) % 3} for d in "ab" for i, (t, s) in enumerate(
                 (t, s) for t in ts for s in ("X", "Y", "Z", "W"))]
    run.write_table("predictions", pd.DataFrame(rows))
    run.write_metrics({"models": {"a:lstm": {"ic": 0.1}, "b:lstm": {"ic": 0.2}}})
    monkeypatch.setenv(RUNS_ROOT_ENV, str(tmp_path))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    assert at.title[0].value == "Overview · a"
    assert [m.value for m in at.metric] == ["0.100"]
    at.sidebar.radio[0].set_value("b").run()
    assert at.title[0].value == "Overview · b"
    assert [m.value for m in at.metric] == ["0.200"]
    at.switch_page("pages/signals.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Signals · b"
    assert at.selectbox[0].options == ["lstm"]


def test_compare_page_tables_every_strategy_and_takes_a_benchmark(sample_env):
    at = _page("compare").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.index) == ["lstm", "tcn", "transformer", "ensemble"]
    assert {"sharpe", "max_drawdown", "deflated_sharpe"} <= set(table.columns)
    assert "alpha" not in table.columns
    at.selectbox[0].select("ensemble").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.index) == ["lstm", "tcn", "transformer"]
    assert {"alpha", "beta", "information_ratio"} <= set(table.columns)
    at.multiselect[0].set_value(["tcn"]).run()
    assert not at.exception and list(at.dataframe[0].value.index) == ["tcn"]
    assert _charts(at) == 1
