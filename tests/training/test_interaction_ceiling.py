"""research/interaction_ceiling.py runs end to end on a small market and writes its tables."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def test_interaction_ceiling_runs_on_a_small_market(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "research"))
    path = ROOT / "research" / "interaction_ceiling.py"
    spec = importlib.util.spec_from_file_location("interaction_ceiling", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    csv = tmp_path / "ceiling.csv"
    argv = ["--models", "ridge", "--seeds", "0", "--size", "12x500", "--folds", "2",
            "--ic", "0.1", "--csv", str(csv)]  # fmt: skip
    assert module.main(argv) == 0
    table = pd.read_csv(csv)
    assert len(table) == 1 and np.isfinite(table.loc[0, ["ceiling", "default"]]).all()
    assert 0 <= table.loc[0, "folds_found"] <= 2
    text = csv.with_suffix(".md").read_text()
    assert "| ridge | 1 |" in text and "of 2 |" in text
    assert module.main(argv) == 0  # a rerun replaces its rows, not appends
    assert len(pd.read_csv(csv)) == 1
    sys.modules.pop("model_zoo", None)
