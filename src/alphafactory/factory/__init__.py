"""The training factory: Optuna search -> promotion gate -> MLflow registry (extra ``track``).

Models are registered per workflow as ``alphafactory-<workflow>`` with the aliases ``champion``
and ``challenger``; see :mod:`alphafactory.factory.registry` for the registry's contract and
:mod:`alphafactory.factory.store` for where its state lives.
"""

from alphafactory.factory.gate import (
    GateConfig,
    GateDecision,
    RuleOutcome,
    evaluate_gate,
    naive_gate,
)
from alphafactory.factory.ingest import IngestReport, ingest
from alphafactory.factory.lock import cycle_lock
from alphafactory.factory.registry import (
    ALIAS_KINDS,
    ALIASES,
    Registry,
    is_registry_ref,
    model_name,
    resolve_artifact,
)
from alphafactory.factory.search import SearchConfig, TrialParams
from alphafactory.factory.store import FactoryStore
from alphafactory.factory.study import StudyOutcome, run_study
from alphafactory.factory.watcher import ChampionWatcher

__all__ = [
    "ALIASES",
    "ALIAS_KINDS",
    "ChampionWatcher",
    "FactoryStore",
    "GateConfig",
    "GateDecision",
    "IngestReport",
    "Registry",
    "RuleOutcome",
    "SearchConfig",
    "StudyOutcome",
    "TrialParams",
    "cycle_lock",
    "evaluate_gate",
    "ingest",
    "is_registry_ref",
    "model_name",
    "naive_gate",
    "resolve_artifact",
    "run_study",
]
