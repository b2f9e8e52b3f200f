"""End-to-end jobs: the demo and reruns of a run directory."""

from alphafactory.pipeline.config import (
    DatasetSettings,
    DemoConfig,
    ExecutionSettings,
    PortfolioSettings,
)
from alphafactory.pipeline.demo import DemoOutcome, run_demo
from alphafactory.pipeline.rerun import RerunReport, rerun

__all__ = [
    "DatasetSettings",
    "DemoConfig",
    "DemoOutcome",
    "ExecutionSettings",
    "PortfolioSettings",
    "RerunReport",
    "rerun",
    "run_demo",
]
