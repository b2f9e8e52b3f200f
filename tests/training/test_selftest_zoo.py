"""research/model_zoo.py: its geometry and its tables (the runs themselves are hours)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def zoo():
    spec = importlib.util.spec_from_file_location("model_zoo", ROOT / "research" / "model_zoo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("n_bars", "folds"), [(948, 3), (2268, 5), (500, 2)])
def test_zoo_geometry_fits_the_folds_asked_for(zoo, n_bars, folds):
    from alphafactory.training import WalkForward

    splitter = WalkForward(**zoo.geometry(n_bars, folds)).with_horizon(1)
    assert len(list(splitter.timestamp_blocks(n_bars))) == folds


def _row(model, kind, ic, seed, ratio=0.8, t=0.5, dsr=0.1):
    return {"size": "30x1200", "folds": 3, "preset": "default", "lookback": 10,
            "model": model, "kind": kind, "ic": ic, "seed": seed, "oos_ic": ratio * ic,
            "ic_se": 0.01, "t_stat": t, "oracle_ic": ic, "ratio": ratio if ic else float("nan"),
            "dsr": dsr, "val_ic": 0.0, "n_inputs": 10.0, "seconds": 12.0}  # fmt: skip


def test_zoo_markdown_marks_misses_and_failing_null_rows(zoo):
    table = pd.DataFrame([
        _row("ridge", "mix", 0.05, 0, 0.9), _row("ridge", "mix", 0.05, 1, 0.7),
        _row("lightgbm", "mix", 0.05, 0, 0.5), _row("ridge", "interaction", 0.05, 0, 0.2),
        _row("ridge", "null", 0.0, 0), _row("lightgbm", "null", 0.0, 0, t=3.5),
    ])  # fmt: skip
    text = zoo.markdown(table)
    assert "| ridge | 0.80 ± 0.14 (2) | 0.20 (1) n/j |" in text
    assert "| lightgbm | **0.50 (1)** |  |" in text
    assert "| ridge | 1 | +0.0000 ± 0.0000 | +0.5 | 0.10 | yes |" in text
    assert "| lightgbm | 1 | +0.0000 ± 0.0000 | +3.5 | 0.10 | NO |" in text
