"""Workflow files: declared steps from bars to report, one run directory per job; the demo is one.

See :mod:`alphafactory.pipeline.workflow` for the file, :mod:`alphafactory.pipeline.runner` for
the steps, :mod:`alphafactory.pipeline.rerun` for reproducing any run.
"""

from alphafactory.pipeline.demo import DemoOutcome, demo_config, demo_text, run_demo
from alphafactory.pipeline.rerun import RerunReport, rerun
from alphafactory.pipeline.runner import WorkflowOutcome, run_workflow
from alphafactory.pipeline.workflow import (
    SECTIONS,
    WorkflowConfig,
    bundled_workflow,
    load_workflow,
    parse_workflow,
)

__all__ = [
    "SECTIONS",
    "DemoOutcome",
    "RerunReport",
    "WorkflowConfig",
    "WorkflowOutcome",
    "bundled_workflow",
    "demo_config",
    "demo_text",
    "load_workflow",
    "parse_workflow",
    "rerun",
    "run_demo",
    "run_workflow",
]
