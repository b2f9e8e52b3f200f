"""The factory across machines: MLflow's backend store and Optuna's study on PostgreSQL.

Each in its own database (both keep an ``alembic_version`` table), on a real server that the
``postgres_server`` fixture starts on 127.0.0.1 (skipped with a reason where none can start).
"""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")
pytest.importorskip("mlflow")
pytest.importorskip("psycopg2")

from alphafactory.factory import FactoryStore, Registry
from alphafactory.pipeline.factory_cycle import run_cycle

from .test_cycle import planted_config


def test_a_cycle_with_both_stores_on_postgresql(postgres_server, tmp_path):
    import optuna

    store = FactoryStore(
        tracking_uri=postgres_server.url("factory_mlflow"),
        artifact_root=str(tmp_path / "artifacts"),
        optuna_storage=postgres_server.url("factory_optuna"),
    )
    outcome = run_cycle(planted_config(), store=store, runs_root=tmp_path / "runs")
    assert outcome.version == "1" and outcome.alias in ("champion", "challenger")
    registry = Registry(store)
    assert registry.alias_version("tiny", outcome.alias) == "1"
    assert registry.decision("tiny", "1")["n_trials"] == outcome.n_trials
    studies = optuna.get_all_study_summaries(store.optuna_storage)
    assert [s.n_trials for s in studies] == [outcome.n_trials]
    # the model version's artifact downloads and loads from the server's registry
    from alphafactory.models import load

    assert load(registry.download("tiny", "champion" if outcome.decision.passed
                                  else "challenger")).features
