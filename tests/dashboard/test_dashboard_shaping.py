"""Dashboard table shaping and figures, called directly (no Streamlit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from alphafactory.dashboard import charts, shaping
from alphafactory.dashboard.ui import format_metric
from alphafactory.evaluation import deflated_sharpe_ratio, sharpe_ratio
from alphafactory.runs import Run, list_runs


def test_drawdown_hand_computed():
    eq = pd.DataFrame({"m": [1.0, 1.2, 0.9, 1.3]},
                      index=pd.date_range("2024-01-01", periods=4, tz="UTC", name="timestamp"))
    assert shaping.drawdown(eq)["m"].tolist() == pytest.approx([0.0, 0.0, -0.25, 0.0])
    long_form = eq.reset_index()
    pd.testing.assert_frame_equal(shaping.equity_frame(long_form), eq, check_freq=False)


def test_metrics_table_flattens_intervals_and_skips_non_numbers():
    table = shaping.metrics_table({"models": {
        "lstm": {"sharpe": {"value": 1.0, "low": 0.2, "high": 1.8}, "ic": 0.04,
                 "note": "text", "flag": True},
    }, "n_trials": 4})
    assert table[["model", "metric"]].values.tolist() == [["lstm", "sharpe"], ["lstm", "ic"]]
    assert table.loc[0, ["value", "low", "high", "level"]].tolist() == [1.0, 0.2, 1.8, 0.95]
    assert np.isnan(table.loc[1, "low"])
    assert shaping.run_level_metrics({"models": {}, "n_trials": 4, "x": [1]}) == {"n_trials": 4}
    wide = shaping.metrics_wide(table)
    assert list(wide.columns) == ["sharpe", "sharpe CI", "ic"]
    assert wide.loc["lstm", "sharpe CI"] == "[0.2, 1.8]"
    assert shaping.headline_metrics(table, "lstm") == {"ic": 0.04, "sharpe": 1.0}
    assert shaping.metrics_table(None).empty


def _predictions(label_equals_score: bool) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ts = pd.date_range("2024-01-01", periods=30, tz="UTC", name="timestamp")
    idx = pd.MultiIndex.from_product([ts, list("ABCDEF")], names=["timestamp", "symbol"])
    score = rng.normal(size=len(idx))
    label = score if label_equals_score else rng.normal(size=len(idx))
    return pd.DataFrame({"model": "m", "fold": np.repeat([0, 1], len(idx) // 2),
                         "score": score, "label": label}, index=idx)


def test_ic_by_fold_and_decay_on_perfect_labels():
    preds = _predictions(label_equals_score=True)
    ic = shaping.ic_by_fold(preds)
    assert ic["fold"].tolist() == [0, 1]
    assert ic["ic"].tolist() == pytest.approx([1.0, 1.0])
    assert ic["n_timestamps"].tolist() == [15, 15]
    decay = shaping.ic_decay(preds, max_lag=3)
    assert decay["lag"].tolist() == [0, 1, 2, 3]
    assert decay["rank_ic"].iloc[0] == pytest.approx(1.0)
    assert abs(decay["rank_ic"].iloc[1]) < 0.5  # iid scores carry nothing a bar later


def test_ic_by_fold_without_labels_is_empty():
    preds = _predictions(label_equals_score=False).drop(columns="label")
    assert shaping.ic_by_fold(preds).empty
    assert shaping.ic_decay(preds).empty


def test_score_matrix_is_symbols_by_recent_time_with_ranks_in_unit_interval():
    preds = _predictions(label_equals_score=False)
    m = shaping.score_matrix(preds, "m", max_timestamps=10, cross_sectional_rank=True)
    assert m.shape == (6, 10)
    assert m.columns[-1] == preds.index.get_level_values("timestamp").max()
    assert ((m > 0) & (m <= 1)).all().all()
    assert shaping.score_matrix(preds, "other").empty


def test_fold_timeline_depth_waterfall_validation(sample_runs_root):
    run = next(r for r in list_runs(sample_runs_root) if r.name == "demo")
    timeline = shaping.fold_timeline(run.read_table("folds"))
    assert len(timeline) == 9 and set(timeline["segment"]) == {"train", "validation", "test"}
    assert (timeline["end"] > timeline["start"]).all()

    book = run.read_table("execution/book")
    ladder = shaping.depth_ladder(book, "SYM00", book["timestamp"].iloc[0])
    bids = ladder[ladder["side"] == "bid"]
    assert bids["price"].is_monotonic_decreasing
    assert bids["cum_qty"].iloc[-1] == pytest.approx(bids["qty"].sum())

    attr = pd.DataFrame({"component": ["net_pnl", "impact", "borrow", "gross_pnl"],
                         "value": [5.0, -3.0, -2.0, 10.0]})
    wf = shaping.cost_waterfall(attr)
    assert wf["component"].tolist() == ["gross_pnl", "impact", "borrow", "net_pnl"]
    assert wf["measure"].tolist() == ["relative", "relative", "relative", "total"]

    summary = shaping.validation_summary(run.read_table("validation"))
    assert summary["count"].sum() == 6
    assert summary.iloc[0]["count"] == 2


def test_runs_overview_lists_artifacts(sample_runs_root):
    table = shaping.runs_overview(list_runs(sample_runs_root))
    assert table["name"].tolist() == ["bare", "demo"]
    assert table.loc[0, "artifacts"] == "config and manifest only"
    assert "ensemble" in table.loc[1, "models"]


@pytest.mark.parametrize(("metric", "value", "text"), [
    ("max_drawdown", -0.052, "-5.2%"), ("rank_ic", 0.0412, "0.041"), ("sharpe", 1.234, "1.23"),
    ("shortfall_bps", 3.21, "3.2 bps"), ("n_predictions", 8139.0, "8,139"),
    ("sharpe", None, "n/a"), ("ic", float("nan"), "n/a"),
])
def test_format_metric(metric, value, text):
    assert format_metric(metric, value) == text


def test_every_chart_builds_from_the_sample_run(sample_runs_root):
    run = Run.open(next(r.path for r in list_runs(sample_runs_root) if r.name == "demo"))
    preds = shaping.flat(run.read_table("predictions"))
    table = shaping.metrics_table(run.metrics)
    eq = shaping.equity_frame(run.read_table("equity"))
    book = run.read_table("execution/book")
    fills = run.read_table("execution/fills")
    figures = [
        charts.equity_drawdown_figure(eq, shaping.drawdown(eq)),
        charts.metric_interval_figure(table, "sharpe"),
        charts.model_comparison_figure(table, ["sharpe", "ic"]),
        charts.score_heatmap_figure(shaping.score_matrix(preds, "lstm"), "x"),
        charts.score_distribution_figure(preds),
        charts.ic_by_fold_figure(shaping.ic_by_fold(preds)),
        charts.ic_decay_figure(shaping.ic_decay(preds)),
        charts.fold_timeline_figure(shaping.fold_timeline(run.read_table("folds"))),
        charts.training_curves_figure(run.read_table("training_curves")),
        charts.robustness_figure(run.read_table("robustness")),
        charts.depth_figure(shaping.depth_ladder(book, "SYM00", book["timestamp"].iloc[0]), "x"),
        charts.fills_figure(fills[fills["symbol"] == "SYM00"], "x"),
        charts.shortfall_figure(run.read_table("execution/shortfall")),
        charts.cost_waterfall_figure(
            shaping.cost_waterfall(run.read_table("execution/cost_attribution"))),
        charts.validation_figure(shaping.validation_summary(run.read_table("validation"))),
    ]
    assert all(isinstance(f, go.Figure) and len(f.data) > 0 for f in figures)
    assert len(figures[0].data) == 2 * eq.shape[1]  # equity and drawdown per strategy
    assert charts.metric_label("rank_ic") == "Rank IC"
    assert charts.metric_label("my_metric") == "My metric"


def test_headline_model_prefers_an_ensemble_with_dataset_prefix():
    assert shaping.headline_model(["sample:lstm", "sample:ensemble"]) == "sample:ensemble"
    assert shaping.headline_model(["lstm", "tcn"]) == "lstm"
    with pytest.raises(ValueError, match="at least one"):
        shaping.headline_model([])


def test_fold_timeline_one_model_per_dataset_prefix():
    ts = pd.date_range("2024-01-01", periods=6, tz="UTC")
    folds = pd.DataFrame({
        "model": ["a:lstm", "a:tcn", "b:lstm"], "fold": [0, 0, 0],
        "train_start": ts[0], "train_end": ts[1], "test_start": ts[3], "test_end": ts[5],
    })
    timeline = shaping.fold_timeline(folds)
    assert sorted(set(timeline["fold"])) == ["a · fold 0", "b · fold 0"]
    assert set(timeline["segment"]) == {"train", "test"}


def test_ic_by_fold_is_mean_of_per_timestamp_correlations():
    ts = pd.date_range("2024-01-01", periods=2, tz="UTC")
    score = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 3.0, 2.0]])
    label = np.array([[0.1, 0.3, 0.2, 0.5], [0.2, 0.1, 0.4, 0.0]])
    preds = pd.DataFrame({
        "timestamp": np.repeat(ts, 4), "symbol": list("ABCD") * 2, "model": "m", "fold": 0,
        "score": score.ravel(), "label": label.ravel(),
    })
    row = shaping.ic_by_fold(preds).iloc[0]
    expected = np.mean([np.corrcoef(score[t], label[t])[0, 1] for t in range(2)])
    assert row["ic"] == pytest.approx(expected)
    assert row["n_timestamps"] == 2


def test_in_dataset_keeps_one_dataset_and_strips_the_prefix():
    df = pd.DataFrame({"model": ["a:lstm", "a:ensemble", "b:lstm"], "v": [1, 2, 3]})
    assert shaping.datasets(df["model"]) == ["a", "b"]
    assert shaping.dataset_of("a:lstm") == "a" and shaping.dataset_of("lstm") is None
    a = shaping.in_dataset(df, "a")
    assert a["model"].tolist() == ["lstm", "ensemble"] and a["v"].tolist() == [1, 2]
    plain = pd.DataFrame({"model": ["lstm"], "v": [1]})
    pd.testing.assert_frame_equal(shaping.in_dataset(plain, "a"), plain)
    issues = pd.DataFrame({"rule": ["nan", "gap"], "dataset": ["a", "b"]})
    assert shaping.in_dataset(issues, "b")["rule"].tolist() == ["gap"]
    assert shaping.in_dataset(df, None) is df


def test_equity_in_dataset_drops_other_dates():
    ts = pd.date_range("2024-01-01", periods=4, tz="UTC", name="timestamp")
    eq = pd.DataFrame({"a:lstm": [1.0, 1.1, np.nan, np.nan],
                       "b:lstm": [np.nan, np.nan, 1.0, 0.9]}, index=ts)
    a = shaping.equity_in_dataset(eq, "a")
    assert list(a.columns) == ["lstm"] and len(a) == 2


def test_strategy_comparison_from_equity_curves():
    index = pd.bdate_range("2024-01-01", periods=60, tz="UTC", name="timestamp")
    rng = np.random.default_rng(4)
    a = pd.Series(rng.normal(0.001, 0.01, 60), index=index)
    b = pd.Series(rng.normal(0.0, 0.01, 60), index=index)
    equity = pd.DataFrame({"a": (1 + a).cumprod(), "b": (1 + b).cumprod(), "empty": np.nan})
    comparison = shaping.strategy_comparison(equity, n_trials=4)
    assert list(comparison.table.index) == ["a", "b"]
    assert comparison.table.loc["a", "sharpe"] == pytest.approx(sharpe_ratio(a))
    assert comparison.table.loc["b", "deflated_sharpe"] == pytest.approx(
        deflated_sharpe_ratio(b, 4))
    relative = shaping.strategy_comparison(equity, benchmark="b")
    assert list(relative.table.index) == ["a"]
    assert relative.table.loc["a", "tracking_error"] > 0
    with pytest.raises(ValueError, match="no strategy"):
        shaping.strategy_comparison(equity[["empty"]])
