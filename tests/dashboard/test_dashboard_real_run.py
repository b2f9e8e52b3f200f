"""The dashboard on a run written by a real job (`alphafactory train`, ridge on bundled data).

Catches drift between what jobs write and what the pages read.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from alphafactory.cli import main
from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.runs import RUNS_ROOT_ENV, latest_run

CONFIG = """
seed = 0

[walk_forward]
train = 1000
val = 250
test = 250
lookback = 20

[features]
names = ["ret_1", "ret_5", "ret_20", "cs_z_ret_1", "cs_z_ret_5", "rel_volume_20", "rsi_14"]

[labels]
horizon = 1
kind = "log"
entry = "next_open"
demean = true
"""

# page -> charts drawn from what `train` writes (predictions, folds, training curves, metrics)
EXPECTED = {"overview": 1, "signals": 4, "compare": 0, "models": 1, "execution": 0, "data": 0}


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("trained")
    config = root / "ridge.toml"
    config.write_text(CONFIG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(RUNS_ROOT_ENV, str(root / "runs"))
        assert main(["train", "--model", "ridge", "--config", str(config)]) == 0
    return root / "runs"


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_on_a_trained_run_renders(trained_root, monkeypatch, page):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(trained_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    assert latest_run(trained_root) is not None
    at = AppTest.from_file(str(APP_PATH.parent / "pages" / f"{page}.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) >= EXPECTED[page]
