"""The demo job: the bundled workflow file ``workflows/demo.toml`` run on bundled data.

Per dataset (a planted-alpha synthetic panel and the bundled real sample): validate the bars,
build causal features and next-open labels, walk LSTM, TCN and Transformer forward (out-of-sample
scores only), add a rank-average ensemble fixed in advance, export the signals, backtest every
strategy with square-root costs at the next open, and execute the ensemble's rebalances through
the C++ book. Everything lands in one run directory. ``alphafactory demo --print-config`` shows
the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alphafactory.pipeline.runner import WorkflowOutcome, run_workflow
from alphafactory.pipeline.steps import Log, log_info
from alphafactory.pipeline.workflow import WorkflowConfig, bundled_workflow, bundled_workflow_text

DEMO_WORKFLOW = "demo"
DemoOutcome = WorkflowOutcome


def demo_config(*, seed: int | None = None) -> WorkflowConfig:
    """Return the bundled demo workflow, with ``seed`` (models, bootstrap, book) replaced."""
    config = bundled_workflow(DEMO_WORKFLOW)
    return config if seed is None else dataclasses.replace(config, seed=seed)


def demo_text() -> str:
    """Return the bundled demo workflow file's text (what ``--print-config`` prints)."""
    return bundled_workflow_text(DEMO_WORKFLOW)


def run_demo(
    config: WorkflowConfig | None = None,
    *,
    root: str | Path | None = None,
    signal_dir: str | Path | None = None,
    name: str | None = None,
    log: Log = log_info,
) -> WorkflowOutcome:
    """Run the demo workflow (or ``config``) and write its run directory.

    Parameters
    ----------
    config : WorkflowConfig, optional
        Defaults to the bundled demo workflow.
    root : path, optional
        Runs root (``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted).
    signal_dir : path, optional
        Replaces ``[signals] dir``.
    name : str, optional
        The run's name (default the workflow's ``name``).
    log : callable
        Receives one line per step and per fold.
    """
    return run_workflow(config or demo_config(), root=root, signal_dir=signal_dir, name=name,
                        log=log)  # fmt: skip
