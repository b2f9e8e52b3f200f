"""The search space, the cached bars of incremental ingest, and the cycle lock."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.errors import ConfigError, RunError
from alphafactory.factory import SearchConfig, cycle_lock, ingest
from alphafactory.factory.search import parse_distribution

optuna = pytest.importorskip("optuna")


@pytest.mark.parametrize(
    ("value", "kind"),
    [({"low": 1, "high": 5}, "int"), ({"low": 0.1, "high": 1.0, "log": True}, "float"),
     ([8, 16], "categorical"), (3, "fixed"), ("x", "fixed")],
)
def test_space_entries_read_as_their_kind(value, kind):
    assert parse_distribution(value, "space.m.p").kind == kind


@pytest.mark.parametrize(
    ("value", "message"),
    [({"low": 1}, "low, high"), ({"low": 2, "high": 1}, "low must be < high"),
     ({"low": 0.0, "high": 1.0, "log": True}, "log range needs low > 0"),
     ({"low": 0.0, "high": float("nan")}, "finite"), ([], "at least one"),
     ({"low": 0, "high": 1, "step": -1}, "step")],
)
def test_bad_space_entries_name_the_key(value, message):
    with pytest.raises(ConfigError, match=message):
        parse_distribution(value, "space.m.p")


def test_a_trial_draws_model_label_and_families_inside_the_space():
    search = SearchConfig(
        n_trials=5, families=("momentum", "volume"),
        space={"ridge": {"alpha": {"low": 0.1, "high": 10.0}}, "lightgbm": {"max_depth": [2, 3]}},
        labels={"kind": ["forward", "triple_barrier"], "horizon": {"low": 1, "high": 4},
                "pt": {"low": 1.0, "high": 2.0}},
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        params = search.suggest(trial, ("ridge", "lightgbm"), {"horizon": 1})
        seen.add((params.model, params.label["kind"]))
        assert 1 <= params.label["horizon"] <= 4
        assert params.families and set(params.families) <= {"momentum", "volume"}
        if params.label["kind"] == "forward":
            assert "pt" not in params.label  # barrier widths mean nothing there
        if params.model == "ridge":
            assert 0.1 <= params.model_params["alpha"] <= 10.0
        study.tell(trial, 0.0)
    assert len(seen) == 4


def bars(start: str, n: int, scale: float = 1.0) -> pd.DataFrame:
    stamps = pd.date_range(start, periods=n, freq="D", tz="UTC", name="timestamp")
    index = pd.MultiIndex.from_product([stamps, ["A", "B"]], names=["timestamp", "symbol"])
    values = [float(i) * scale + 1.0 for i in range(len(index))]
    return pd.DataFrame({c: values for c in ("open", "high", "low", "close")} | {
        "volume": [100.0] * len(index)}, index=index)


def test_ingest_appends_only_new_bars_and_keeps_the_cache(tmp_path):
    cache = tmp_path / "cache.parquet"
    _, report = ingest(bars("2024-01-01", 5), cache)
    assert (report.cached, report.appended, report.rewritten) == (0, 10, False)
    longer = bars("2024-01-01", 8)
    merged, report = ingest(longer, cache)
    assert (report.cached, report.appended, report.rewritten) == (10, 6, False)
    pd.testing.assert_frame_equal(merged, longer)
    again, report = ingest(longer, cache)
    assert report.appended == 0 and len(again) == 16
    pd.testing.assert_frame_equal(pd.read_parquet(cache), longer)


def test_ingest_takes_a_rewritten_history_as_the_new_truth(tmp_path, caplog):
    cache = tmp_path / "cache.parquet"
    ingest(bars("2024-01-01", 5), cache)
    adjusted = bars("2024-01-01", 6, scale=0.5)  # e.g. a new split adjustment
    merged, report = ingest(adjusted, cache)
    assert report.rewritten
    pd.testing.assert_frame_equal(merged, adjusted)
    assert "changed" in caplog.text


def test_the_cycle_lock_refuses_a_second_holder_and_frees_on_exit(tmp_path):
    path = tmp_path / "w.lock"
    with cycle_lock(path):
        with pytest.raises(RunError, match="already running"), cycle_lock(path):
            pass
    with cycle_lock(path):  # released
        pass
