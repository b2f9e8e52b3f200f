"""The Monitor page and :mod:`alphafactory.dashboard.monitor_shaping` on monitor runs written here
in the layout of ``alphafactory monitor run`` (drift.json, drift/features, drift/concept,
drift/alerts): three overlapping runs of one model (a retrain in the newest), one of another."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

from alphafactory.dashboard import APP_PATH  # noqa: E402
from alphafactory.dashboard import monitor_shaping as ms  # noqa: E402
from alphafactory.dashboard.launch import RUN_ENV  # noqa: E402
from alphafactory.runs import RUNS_ROOT_ENV, Run, list_runs  # noqa: E402

PAGE = APP_PATH.parent / "pages" / "monitor.py"
FEATURES = ("ret_1", "ret_5", "dc_width_10")
DAYS = pd.bdate_range("2025-01-01", periods=120, tz="UTC")
TIMEOUT_S = 60


def write_monitor_run(root: Path, *, model: str, version: str, first: int, bars: int,
                      now: dt.datetime, drifted_from: int | None = None,
                      alarm_at: int | None = None, alerts: int = 0,
                      cycle: dict | None = None, reference: dict | None = None,
                      model_path: str | None = None, tables: bool = True) -> Run:
    """A monitor run over bars ``first .. first + bars - 1`` of :data:`DAYS`."""
    run = Run.create(f"monitor-{model}", {"job": "monitor", "artifact": model}, seed=0,
                     root=root, now=now)
    run.write_manifest(extra={"job": "monitor"})
    stamps = DAYS[first : first + bars]
    rng = np.random.default_rng(first)
    drifted = np.array([drifted_from is not None and first + k >= drifted_from
                        for k in range(bars)])  # fmt: skip
    rows = []
    for k, t in enumerate(stamps):
        for j, f in enumerate(FEATURES):
            hit = bool(drifted[k] and f == "dc_width_10")
            rows.append({"timestamp": t, "feature": f, "ks": 0.05 + 0.3 * hit + 0.01 * j,
                         "psi": 0.02 + 0.5 * hit, "p_value": 1e-6 if hit else 0.5,
                         "drifted": hit, "version": version})  # fmt: skip
    ic = 0.05 + 0.15 * rng.standard_normal(bars)
    alarm = np.array([alarm_at is not None and first + k == alarm_at for k in range(bars)])
    concept = pd.DataFrame({"timestamp": stamps, "ic": ic, "rank_ic": 0.9 * ic,
                            "hit_rate": 0.5 + ic / 4, "cusum_statistic": np.abs(ic),
                            "cusum_alarm": alarm, "page_hinkley_statistic": np.abs(ic) / 2,
                            "page_hinkley_alarm": np.zeros(bars, dtype=bool)})  # fmt: skip
    alert_rows = pd.DataFrame({
        "time": [stamps[-1] - pd.Timedelta(days=i) for i in range(alerts)],
        "kind": ["data_drift"] * alerts, "subject": ["dc_width_10"] * alerts,
        "severity": ["warning"] * alerts, "message": [f"{model} v{version} alert {i}"
                                                       for i in range(alerts)],
        "model_version": [version] * alerts, "sent": [True] * alerts})  # fmt: skip
    if tables:
        run.write_table("drift/features", pd.DataFrame(rows))
        run.write_table("drift/concept", concept)
        run.write_table("drift/alerts", alert_rows)
    concept_doc = {"detectors": {"cusum": {"alarm": bool(alarm[-1])}}, "ic": float(ic.mean()),
                   "rank_ic": float(0.9 * ic.mean()), "hit_rate": 0.51, "alarm": bool(alarm.any()),
                   "since": None, **(reference or {})}  # fmt: skip
    doc = {
        "model": {"ref": "champion", "path": model_path, "version": version, "name": model},
        "window": {"start": stamps[0].isoformat(), "end": stamps[-1].isoformat(), "bars": bars},
        "data_drift": {"drifted": bool(drifted.any()), "severity": "warning" if drifted.any()
                       else "none", "drifted_features": ["dc_width_10"] if drifted.any() else []},
        "concept_drift": concept_doc,
        "verdict": {"data": bool(drifted.any()), "concept": bool(alarm.any())},
        "alerts": [],
        "policy": {"on_drift": "retrain", "action": "cycle" if cycle else "none",
                   "cycle": cycle},
    }  # fmt: skip
    (run.path / "drift.json").write_text(json.dumps(doc), encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def monitor_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("monitor-dashboard")
    root = base / "runs"
    model_dir = base / "models" / "ridge-v1"
    model_dir.mkdir(parents=True)
    (model_dir / "reference.json").write_text(json.dumps(
        {"schema": 1, "performance": {"ic_mean": 0.04, "ic_std": 0.2}}))  # fmt: skip
    at = dt.datetime(2026, 2, 1, 6, 0, tzinfo=dt.timezone.utc)
    Run.create("bare", {"job": "bare"}, seed=1, root=root, now=at)
    write_monitor_run(root, model="ridge", version="1", first=0, bars=40, now=at,
                      model_path=str(model_dir))  # reference from the model's files
    write_monitor_run(root, model="ridge", version="1", first=30, bars=40,
                      now=at + dt.timedelta(days=1), drifted_from=50, alarm_at=60, alerts=2,
                      reference={"reference_ic": 0.05, "reference_ic_std": 0.15})
    write_monitor_run(root, model="lgbm", version="3", first=0, bars=50,
                      now=at + dt.timedelta(days=2), reference={"reference_ic": 0.03,
                                                                "reference_ic_std": 0.1})
    write_monitor_run(root, model="ridge", version="2", first=60, bars=40,
                      now=at + dt.timedelta(days=3), drifted_from=60, alerts=1,
                      reference={"reference_ic": 0.06, "reference_ic_std": 0.12},
                      cycle={"decision": {"passed": True, "summary": "promote: all 5 rules "
                                          "passed"}, "version": "2", "alias": "champion"})
    return base


@pytest.fixture(scope="module")
def runs(monitor_root) -> list[Run]:
    return ms.monitor_runs(list_runs(monitor_root / "runs"))


@pytest.fixture(scope="module")
def ridge(runs) -> list[Run]:
    return ms.runs_of_model(runs, "ridge")


@pytest.fixture()
def monitor_env(monitor_root, monkeypatch) -> Path:
    monkeypatch.setenv(RUNS_ROOT_ENV, str(monitor_root / "runs"))
    monkeypatch.delenv(RUN_ENV, raising=False)
    return monitor_root


# -- shaping --------------------------------------------------------------------------------------
def test_monitor_runs_keeps_monitor_jobs_newest_first_grouped_by_model(monitor_root, runs, ridge):
    assert len(list_runs(monitor_root / "runs")) == 5  # the bare run is not a monitor run
    assert [ms.model_name(r) for r in runs] == ["ridge", "lgbm", "ridge", "ridge"]
    assert [ms.drift_report(r)["model"]["version"] for r in ridge] == ["2", "1", "1"]
    assert ms.runs_of_model(runs, "ridge", newest=2) == ridge[:2]
    assert ms.runs_of_model(runs, "nothing") == []


def test_feature_frame_keeps_newest_run_where_windows_overlap(ridge):
    frame = ms.feature_frame(ridge)
    assert not frame.duplicated(["timestamp", "feature"]).any()
    assert len(frame) == 100 * len(FEATURES)  # bars 0-99 once each
    by_bar = frame.drop_duplicates("timestamp").set_index("timestamp")["version"]
    assert by_bar[DAYS[59]] == "1" and by_bar[DAYS[60]] == "2"  # the newest run wins from 60
    assert frame["timestamp"].is_monotonic_increasing
    older = ms.feature_frame(ridge[1:])
    assert older["timestamp"].max() == DAYS[69]


def test_feature_heatmap_orders_drifted_features_first_and_marks_cells(ridge):
    frame = ms.feature_frame(ridge)
    matrix, flags = ms.feature_heatmap(frame, "p_value")
    assert matrix.shape == flags.shape == (len(FEATURES), 100)
    assert matrix.index[0] == "dc_width_10"
    assert matrix.loc["dc_width_10", DAYS[70]] == pytest.approx(6.0)  # -log10(1e-6)
    assert flags.loc["dc_width_10"].sum() == 50 and not flags.loc["ret_1"].any()
    psi, _ = ms.feature_heatmap(frame, "psi")
    assert psi.loc["dc_width_10", DAYS[70]] == pytest.approx(0.52)
    fig = ms.feature_heatmap_figure(matrix, flags)
    assert fig.data[0].z.shape == matrix.shape and len(fig.data[1].x) == 50


def test_concept_frame_carries_each_runs_reference_and_limits(ridge, monitor_root):
    frame = ms.concept_frame(ridge).set_index("timestamp")
    assert frame.index.is_unique and len(frame) == 100
    assert frame.loc[DAYS[10], ["reference_ic", "reference_sd"]].tolist() == [0.04, 0.2]
    assert frame.loc[DAYS[40], ["reference_ic", "reference_sd"]].tolist() == [0.05, 0.15]
    assert frame.loc[DAYS[80], ["reference_ic", "reference_sd"]].tolist() == [0.06, 0.12]
    assert ms.detector_names(frame) == ["cusum", "page_hinkley"]
    assert frame["cusum_alarm"].sum() == 1 and frame.loc[DAYS[60], "cusum_alarm"]
    fig = ms.ic_figure(frame.reset_index(), k=2.0)
    names = [t.name for t in fig.data]
    assert "reference + 2 sd" in names and "cusum alarm" in names
    assert "page_hinkley alarm" not in names  # no alarm, no trace
    upper = next(t for t in fig.data if t.name == "reference + 2 sd")
    assert upper.y[80] == pytest.approx(0.06 + 2 * 0.12)


def test_reference_ic_unknown_without_report_or_model_files():
    mean, sd = ms.reference_ic({"concept_drift": {"reference_ic": 0.05}, "model": {}})
    assert mean == 0.05 and np.isnan(sd)
    assert all(np.isnan(ms.reference_ic(None)))


def test_alerts_table_lists_every_alert_newest_first_as_text_times(ridge):
    alerts = ms.alerts_table(ridge)
    assert len(alerts) == 3 and list(alerts["run"]) == [ridge[0].path.name, *[ridge[1].path.name]
                                                        * 2]
    assert alerts["time"].tolist() == sorted(alerts["time"], reverse=True)
    assert alerts["time"].map(type).eq(str).all()
    assert alerts["message"].iloc[0] == "ridge v2 alert 0"
    assert ms.alerts_table(ridge[2:]).empty  # the oldest run raised none
    assert list(ms.alerts_table([]).columns)[:2] == ["time", "kind"]


def test_decisions_table_shows_verdicts_and_the_retrain_cycle(ridge):
    table = ms.decisions_table(ridge)
    assert table["version"].tolist() == ["2", "1", "1"]
    assert table["data drift"].tolist() == [True, True, False]
    assert table["concept drift"].tolist() == [False, True, False]
    newest = table.iloc[0]
    assert newest["action"] == "cycle" and newest["alias"] == "champion"
    assert newest["cycle"].startswith("promote") and newest["new version"] == "2"
    assert table.iloc[1]["cycle"] == "" and table.iloc[0]["window end"].startswith("2025-05")


# -- the page -------------------------------------------------------------------------------------
def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "warning", "info", "title")
             for e in at.get(kind)]  # fmt: skip
    parts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(map(str, parts))


def test_page_shows_heatmap_ic_alerts_and_decisions(monitor_env, ridge):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Monitor · ridge"
    assert len(at.get("plotly_chart")) == 2  # feature heatmap, IC with limits
    assert [m.label for m in at.metric] == ["Data drift", "Concept drift", "Rolling IC",
                                            "Policy"]  # fmt: skip
    assert at.metric[0].value == "drifted" and at.metric[3].value == "cycle"
    alerts, decisions = at.dataframe[0].value, at.dataframe[1].value
    assert len(alerts) == 3 and len(decisions) == 3
    assert "promote" in _texts(at) and not at.info


def test_page_switches_model_and_limits_runs(monitor_env):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    at.sidebar.selectbox[0].set_value("lgbm").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Monitor · lgbm"
    assert any("No alerts raised" in i.value for i in at.info)
    at.sidebar.selectbox[0].set_value("ridge").run()
    at.sidebar.number_input[0].set_value(1).run()
    assert not at.exception
    assert len(at.dataframe[-1].value) == 1  # decisions of the newest run only


def test_page_run_without_tables_says_what_is_missing(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    write_monitor_run(root, model="bare", version="1", first=0, bars=10, tables=False,
                      now=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc))
    monkeypatch.setenv(RUNS_ROOT_ENV, str(root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(i.value for i in at.info)
    assert "drift/features.parquet" in text and "drift/concept.parquet" in text
    assert not at.get("plotly_chart") and len(at.dataframe) == 1


def test_page_without_monitor_runs_explains_monitor_run(sample_runs_root, monkeypatch):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(sample_runs_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("alphafactory monitor run" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_app_switches_to_the_monitor_page(monitor_env):
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S).run()
    at.switch_page("pages/monitor.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Monitor · ridge"
