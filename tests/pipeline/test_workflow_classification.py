"""A workflow file with a classification target: [labels] target chooses it, unknown or
foreign keys name the key and the file, and the run holds a classification table and a model
artifact that scores like the walk-forward."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from alphafactory.errors import ConfigError
from alphafactory.models import load
from alphafactory.pipeline import load_workflow, run_workflow

QUIET = {"log": lambda _: None}

CLASSIFY = """
name = "classify"
seed = 1

[data]
name = "syn"
spec = "synthetic:n_symbols=8,n_bars=320,alpha_ic=0.2,seed=2"

[features]
names = ["ret_1", "cs_z_ret_1"]

[labels]
target = "direction"
dead_zone = 0.25
dead_zone_units = "volatility"

[models]
names = ["logistic"]
walk_forward = { train = 120, val = 40, test = 60, lookback = 3 }

[signals]
export = false

[backtest]
cost = { model = "fixed", bps = 5.0 }
"""


def _write(tmp_path, text: str):
    path = tmp_path / "classify.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_workflow_with_direction_target_writes_a_classification_table(tmp_path):
    config = load_workflow(_write(tmp_path, CLASSIFY))
    assert config.labels.target == "direction" and config.labels.dead_zone == 0.25
    outcome = run_workflow(config, root=tmp_path / "runs", **QUIET)
    run = outcome.run
    table = run.read_table("classification")
    assert table is not None and set(table["model"]) == {"logistic"}
    assert {"accuracy", "log_loss", "brier", "win_rate", "expectancy"} <= set(table["metric"])
    predictions = run.read_table("predictions")
    assert set(predictions["label"].dropna().unique()) <= {-1.0, 0.0, 1.0}
    assert np.isfinite(outcome.summary["IC"]).all()
    artifact = load(run.path / "models" / "logistic")
    assert artifact.label.kind == "direction"
    assert type(artifact.estimator).__name__ == "LogisticAlpha"


@pytest.mark.parametrize(
    ("replace", "match"),
    [
        ("dead_zone = 0.25", r"dead_zon.*\[labels\] of .*classify\.toml"),
        ('target = "direction"', r"\[labels\] of .*classify\.toml: target must be one of"),
        (
            'dead_zone_units = "volatility"',
            r"\[labels\] of .*classify\.toml: pt is a setting of target triple_barrier",
        ),
    ],
)
def test_workflow_label_errors_name_the_key_and_file(tmp_path, replace, match):
    bad = {
        "dead_zone = 0.25": "dead_zon = 0.25",
        'target = "direction"': 'target = "sign"',
        'dead_zone_units = "volatility"': 'dead_zone_units = "volatility"\npt = 2.0',
    }[replace]
    with pytest.raises(ConfigError, match=match):
        load_workflow(_write(tmp_path, CLASSIFY.replace(replace, bad)))
