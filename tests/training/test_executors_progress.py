from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from alphafactory.training.executors import run_tasks


def _scaled(shared: int, spec: int) -> int:
    return shared * spec


@pytest.mark.parametrize("executor", [None, "threads"])
def test_run_tasks_logs_one_line_per_fold_in_order(caplog, executor):
    caplog.set_level(logging.INFO, logger="alphafactory.training.executors")
    if executor == "threads":
        with ThreadPoolExecutor(2) as pool:
            out = run_tasks(_scaled, 3, [1, 2, 5], pool)
    else:
        out = run_tasks(_scaled, 3, [1, 2, 5], None)
    assert out == [3, 6, 15]
    lines = [r.getMessage() for r in caplog.records if r.name == "alphafactory.training.executors"]
    assert [line.split(" done")[0] for line in lines] == [
        "walk-forward: fold 1/3",
        "walk-forward: fold 2/3",
        "walk-forward: fold 3/3",
    ]


def test_run_tasks_is_silent_below_info(caplog):
    caplog.set_level(logging.WARNING)
    run_tasks(_scaled, 1, [1, 2], None)
    assert not [r for r in caplog.records if r.name == "alphafactory.training.executors"]
