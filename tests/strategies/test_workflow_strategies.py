"""A workflow with [strategies]: scores walked forward, in the ensemble, backtest and signals."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.pipeline import load_workflow, run_workflow
from alphafactory.signals import load_signals

QUIET = {"log": lambda _: None}

WORKFLOW = """
name = "strategies"
seed = 1

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5"]

[models]
names = ["ridge"]
save = "none"
walk_forward = { train = 120, val = 30, test = 60, lookback = 5 }

[strategies]
names = ["momentum", "pairs"]

[strategies.params.momentum]
windows = [5, 20]

[strategies.params.pairs]
min_correlation = -1.0
p_value = 1.0
max_pairs = 2
window = 30
min_rows = 50

[ensemble]
members = ["ridge", "momentum"]

[signals]
dir = "{signal_dir}"

[portfolio]
rule = "quantile"
params = { quantiles = 3 }

[backtest]
cost = { model = "fixed", bps = 5.0 }

[report]
n_boot = 10
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    pytest.importorskip("statsmodels")
    base = tmp_path_factory.mktemp("strategies")
    path = base / "wf.toml"
    path.write_text(textwrap.dedent(WORKFLOW.replace("{signal_dir}", str(base / "signals"))))
    return run_workflow(load_workflow(path), root=base / "runs", **QUIET)


def test_strategies_join_models_in_metrics_ensemble_and_predictions(outcome):
    metrics = outcome.run.metrics
    assert {"ridge", "momentum", "pairs", "ensemble"} <= set(metrics["models"])
    predictions = pd.read_parquet(outcome.run.path / "predictions.parquet")
    assert {"ridge", "momentum", "pairs"} <= set(predictions["model"])
    folds = pd.read_parquet(outcome.run.path / "folds.parquet")
    assert set(folds.loc[folds["model"] == "pairs", "fold"]) == set(
        folds.loc[folds["model"] == "ridge", "fold"]
    )


def test_strategy_signals_carry_target_weights_and_pairs_trade_dollar_neutral(outcome):
    signals = load_signals(outcome.signal_files["syn"])
    pairs = signals[signals["model"] == "pairs"]
    assert len(pairs) and pairs["target_weight"].notna().all()
    net = pairs.groupby("timestamp")["target_weight"].sum()
    np.testing.assert_allclose(net, 0.0, atol=1e-12)
    assert signals.loc[signals["model"] == "momentum", "target_weight"].isna().all()
    trades = pd.read_parquet(outcome.run.path / "trades.parquet")
    traded = set(trades.loc[trades["model"] == "pairs", "symbol"])
    assert traded and traded <= set(pairs["symbol"])


ALONE = """
name = "alone"

[data]
name = "syn"
spec = "synthetic:n_symbols=4,n_bars=200,seed=2"

[strategies]
names = ["momentum", "breakout"]
walk_forward = { train = 100, val = 0, test = 50 }

[ensemble]

[signals]
export = false

[backtest]
cost = { model = "none" }

[report]
n_boot = 10
"""


def test_strategies_alone_run_and_bad_names_raise(tmp_path):
    path = tmp_path / "alone.toml"
    path.write_text(textwrap.dedent(ALONE))
    out = run_workflow(load_workflow(path), root=tmp_path / "runs", **QUIET)
    assert {"momentum", "breakout", "ensemble"} == set(out.run.metrics["models"])
    path.write_text(textwrap.dedent(ALONE.replace('"breakout"]', '"brakeout"]')))
    with pytest.raises(ConfigError, match="brakeout"):
        load_workflow(path)
    path.write_text(
        textwrap.dedent(ALONE.replace("[ensemble]", "[strategies.params.momentum]\nwindw = 3"))
    )
    with pytest.raises(ConfigError, match="windw"):
        load_workflow(path)
