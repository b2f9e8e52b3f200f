"""The trading loop's drivers: a session following the registry's champion (a promoted version
scores from the next decision on, and the decision names it), and a bot driven by a
``BarFeed`` (the replay feed offline) booking what the replay session books."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import load_sample
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.live.config import TradingConfig
from alphafactory.live.session import open_session
from alphafactory.models import ModelArtifact, score
from alphafactory.training import WalkForward
from alphafactory.training.final import fit_final

from .conftest import sqlite_url

TRADED = 8

TRADING_FILE = """
[bot]
name = "{name}"
data = "sample"
history = 60
bars = {bars}

[model]
{model}

[portfolio]
rule = "topk"
params = {{ k = 2, long_only = true }}

[costs]
bps = 5.0
"""


def trading_file(tmp_path: Path, model: str, *, name: str = "follow", bars: int = TRADED
                 ) -> TradingConfig:
    path = tmp_path / f"{name}.toml"
    path.write_text(TRADING_FILE.format(name=name, bars=bars, model=model))
    return TradingConfig.read(path)


def _fit(bars: pd.DataFrame, features: list[str]) -> ModelArtifact:
    return fit_final(build_features(bars, features), forward_returns(bars, 1, entry="next_open"),
                     model="ridge", lookback=5, splitter=WalkForward(train=150, val=40, test=60))


@pytest.fixture(scope="module")
def two_models() -> tuple[ModelArtifact, ModelArtifact]:
    """Two ridge models on the sample's last 400 bars, on different features (other scores)."""
    bars = load_sample()
    stamps = bars.index.get_level_values(0).unique()
    bars = bars[bars.index.get_level_values(0) >= stamps[-400]]
    return _fit(bars, ["ret_1", "ret_5"]), _fit(bars, ["ret_20", "cc_vol_20"])


# -- champion following -------------------------------------------------------------------------
def test_session_follows_the_champion_between_decisions(two_models, tmp_path):
    pytest.importorskip("mlflow")
    from alphafactory.factory import FactoryStore, Registry

    root = tmp_path / "factory"
    registry = Registry(FactoryStore.at(root))
    versions = []
    for k, model in enumerate(two_models):
        path = model.save(tmp_path / f"model-{k}")
        run = registry.client.create_run(registry.experiment_id("wf"))
        versions.append(registry.register_candidate("wf", path, run_id=run.info.run_id))
        registry.client.set_terminated(run.info.run_id)
    first, second = versions
    registry.set_alias("wf", "champion", first, kind="manual", reason="test")

    config = trading_file(tmp_path, f'artifact = "champion"\nworkflow = "wf"\n'
                                    f'registry_root = "{root}"')
    session = open_session(config, store_url=sqlite_url(tmp_path))
    bot, seen = session.bot, []
    bot.on_decision = seen.append
    assert session.watcher is not None and bot.model_version == first
    stamps = bot.market.timestamps
    bot.start()
    assert bot.run(until=stamps[-5]) == 4
    registry.set_alias("wf", "champion", second, kind="manual", reason="test")
    assert bot.model_version == first  # nothing swapped between decisions until the next one
    bot.run()
    assert [d.model_version for d in seen] == [first] * 4 + [second] * 4
    assert session.store.flag("follow", "model_version") == second

    # the scores of each decision are the batch scores of the version it names
    decided = session.store.decisions("follow")
    assert len(decided) == TRADED
    for d, model in zip(decided, [two_models[0]] * 4 + [two_models[1]] * 4, strict=True):
        batch = score(model, bot.bars[bot.bars.index.get_level_values(0) <= d["ts"]],
                      at="last").droplevel(0)
        got = pd.Series(d["scores"], dtype="float64").reindex(batch.index)
        np.testing.assert_allclose(got.to_numpy(), batch.to_numpy(), rtol=0, atol=1e-9)
    session.store.close()


def test_a_fixed_artifact_has_no_watcher(two_models, tmp_path):
    path = two_models[0].save(tmp_path / "model")
    config = trading_file(tmp_path, f'artifact = "{path}"', name="fixed")
    session = open_session(config, store_url=sqlite_url(tmp_path, "fixed"))
    assert session.watcher is None and session.bot.watcher is None
    session.store.close()
