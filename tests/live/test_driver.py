"""The trading loop's drivers: a session following the registry's champion (a promoted version
scores from the next decision on, and the decision names it), and a bot driven by a
``BarFeed`` (the replay feed offline) booking what the replay session books."""

from __future__ import annotations

import json
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
def registry_of(models, tmp_path: Path):
    """A factory store under ``tmp_path/factory`` with one version of workflow ``wf`` per
    model, ``champion`` on the first; the registry and the versions."""
    pytest.importorskip("mlflow")
    from alphafactory.factory import FactoryStore, Registry

    registry = Registry(FactoryStore.at(tmp_path / "factory"))
    versions = []
    for k, model in enumerate(models):
        path = model.save(tmp_path / f"model-{k}")
        run = registry.client.create_run(registry.experiment_id("wf"))
        versions.append(registry.register_candidate("wf", path, run_id=run.info.run_id))
        registry.client.set_terminated(run.info.run_id)
    registry.set_alias("wf", "champion", versions[0], kind="manual", reason="test")
    return registry, versions


def test_session_follows_the_champion_between_decisions(two_models, tmp_path):
    registry, (first, second) = registry_of(two_models, tmp_path)
    root = tmp_path / "factory"

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


def test_trade_run_follows_the_champion_named_on_the_command_line(two_models, tmp_path,
                                                                   capsys):
    from alphafactory.cli import main

    _, (first,) = registry_of(two_models[:1], tmp_path)
    trading_file(tmp_path, "momentum = 20", name="cli")
    assert main(["trade", "run", str(tmp_path / "cli.toml"), "--store",
                 sqlite_url(tmp_path, "cli"), "--artifact", "champion", "--workflow", "wf",
                 "--registry-root", str(tmp_path / "factory")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model_version"] == first and summary["bars"] == TRADED


def test_a_fixed_artifact_has_no_watcher(two_models, tmp_path):
    path = two_models[0].save(tmp_path / "model")
    config = trading_file(tmp_path, f'artifact = "{path}"', name="fixed")
    session = open_session(config, store_url=sqlite_url(tmp_path, "fixed"))
    assert session.watcher is None and session.bot.watcher is None
    session.store.close()


# -- a bot driven by a BarFeed ------------------------------------------------------------------
def _outcome(session) -> tuple[dict[str, float], pd.Series]:
    positions = {s: p.quantity for s, p in session.bot.venue.positions().items()}
    return positions, session.store.equity(session.config.bot.name)["equity"]


def test_replay_feed_drives_the_session_as_its_replay_does(tmp_path):
    from alphafactory.feeds import ReplayConfig, ReplayFeed
    from alphafactory.live.session import run_session

    config = trading_file(tmp_path, "momentum = 20", name="feed", bars=30)
    replayed = open_session(config, store_url=sqlite_url(tmp_path, "replay"))
    by_replay = run_session(replayed)
    fed = open_session(config, store_url=sqlite_url(tmp_path, "fed"))
    bars = fed.bot.bars
    feed = ReplayFeed(bars, ReplayConfig(start=-30, bars_per_second=0))
    by_feed = run_session(fed, feed=feed)
    assert by_feed["bars"] == by_replay["bars"] == 30
    assert by_feed["equity"] == pytest.approx(by_replay["equity"], rel=1e-12)
    assert by_feed["positions"] == pytest.approx(by_replay["positions"], rel=1e-12)
    (held_a, equity_a), (held_b, equity_b) = _outcome(replayed), _outcome(fed)
    assert held_a == pytest.approx(held_b, rel=1e-12) and len(held_a) > 0
    np.testing.assert_allclose(equity_a.to_numpy(), equity_b.to_numpy(), rtol=1e-12)
    assert len(fed.store.orders("feed")) == len(replayed.store.orders("feed")) > 0
    replayed.store.close()
    fed.store.close()


def test_bars_appended_from_the_feed_decide_as_bars_known_in_advance(sample_bars, tmp_path):
    """A bot that learns each bar from the feed (sizing at the last close, what a live bot
    knows) books what the same bot holding every bar from the start books."""
    from alphafactory.execution import BarVenue
    from alphafactory.feeds import ReplayConfig, ReplayFeed
    from alphafactory.live import Bot, BotConfig, MomentumScorer, PaperBroker, TradingStore
    from alphafactory.live.driver import run_feed
    from alphafactory.portfolio import build_rule

    from .conftest import COST, traded

    window, start = traded(sample_bars, 40)

    def bot(name: str, bars: pd.DataFrame) -> Bot:
        store = TradingStore(sqlite_url(tmp_path, name))
        config = BotConfig(name=name, rule=build_rule("topk", {"k": 2, "long_only": True}),
                           rebalance=2, cost=COST, sizing="last")
        venue = PaperBroker(lambda: BarVenue(window, cost=COST, cash=1e6), store, name)
        return Bot(config, scorer=MomentumScorer(20), venue=venue, store=store, bars=bars,
                   start=start)

    known = bot("known", sample_bars)
    known.start()
    assert known.run() == 40
    level = sample_bars.index.get_level_values(0)
    learning = bot("learning", sample_bars[level <= start])
    learning.start()
    feed = ReplayFeed(sample_bars, ReplayConfig(start=-40, bars_per_second=0))
    assert run_feed(learning, feed, max_bars=25) == 25
    assert run_feed(learning, feed) == 15
    assert len(learning.market.timestamps) == len(known.market.timestamps)
    held = {s: p.quantity for s, p in learning.venue.positions().items()}
    assert held == pytest.approx({s: p.quantity for s, p in known.venue.positions().items()},
                                 rel=1e-12) and held
    np.testing.assert_allclose(learning.store.equity("learning")["equity"].to_numpy(),
                               known.store.equity("known")["equity"].to_numpy(), rtol=1e-12)
    known.store.close()
    learning.store.close()
