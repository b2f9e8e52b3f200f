"""Tail scoring equals batch scoring: the bot's :class:`ModelScorer`, scoring each bar from only
the trailing ``warmup_bars`` it needs, gives the scores of ``score(artifact, all_bars,
at="all")`` for the same timestamps, within the 1e-6 of the score scale ``score()`` documents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.execution import BarVenue
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.live import Bot, BotConfig, ModelScorer, PaperBroker, TradingStore
from alphafactory.models import ModelArtifact, score
from alphafactory.portfolio import build_rule
from alphafactory.training import WalkForward
from alphafactory.training.final import fit_final

from .conftest import sqlite_url

FEATURES = ["ret_1", "ret_5", "cc_vol_20", "cs_z_ret_1", "volume_z_10"]
TRADED = 40


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_market(n_symbols=6, n_bars=320, alpha_ic=0.1, seed=3).bars


@pytest.fixture(scope="module")
def trained(bars: pd.DataFrame) -> ModelArtifact:
    return fit_final(build_features(bars, FEATURES), forward_returns(bars, 1, entry="next_open"),
                     model="ridge", lookback=5, splitter=WalkForward(train=150, val=40, test=60))


def _close_to_batch(tail: pd.DataFrame, batch: pd.DataFrame) -> None:
    """``tail`` and ``batch`` (timestamp x symbol) agree within 1e-6 of the batch's scale."""
    assert tail.shape == batch.shape and len(tail) > 0
    assert np.array_equal(np.isnan(tail.to_numpy()), np.isnan(batch.to_numpy()))
    scale = float(np.nanstd(batch.to_numpy()))
    assert scale > 0
    assert np.nanmax(np.abs(tail.to_numpy() - batch.to_numpy())) <= 1e-6 * scale


def test_model_scorer_on_each_tail_equals_batch_scores(bars, trained, tmp_path):
    scorer = ModelScorer(trained.save(tmp_path / "model"))
    assert scorer.warmup == trained.warmup_bars
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
    level = bars.index.get_level_values(0)
    rows = {}
    for ts in stamps[-TRADED:]:
        lo = stamps[stamps.get_loc(ts) - scorer.warmup + 1]
        tail = bars[(level >= lo) & (level <= ts)]
        assert tail.index.get_level_values(0).nunique() == scorer.warmup
        rows[ts] = scorer(tail)
    tail_scores = pd.DataFrame(rows).T.sort_index(axis=1)
    batch = score(trained, bars, at="all").unstack().loc[tail_scores.index]
    _close_to_batch(tail_scores, batch.reindex(columns=tail_scores.columns))


def test_bot_decisions_record_the_batch_scores(bars, trained, tmp_path):
    """The scores the bot stores with each decision (its own tail of the bars) are the batch
    scores of those bars."""
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
    start = stamps[-TRADED]
    traded = bars[bars.index.get_level_values(0) >= start]
    store = TradingStore(sqlite_url(tmp_path))
    config = BotConfig(name="tail", rule=build_rule("topk", {"k": 2, "long_only": True}))
    venue = PaperBroker(lambda: BarVenue(traded, cash=1e6), store, "tail")
    bot = Bot(config, scorer=ModelScorer(trained), venue=venue, store=store, bars=bars,
              start=start)
    bot.start()
    assert bot.run() == TRADED
    decided = store.decisions("tail")
    got = pd.DataFrame([d["scores"] for d in decided],
                       index=pd.DatetimeIndex([d["ts"] for d in decided])).sort_index(axis=1)
    batch = score(trained, bars, at="all").unstack().loc[got.index].reindex(columns=got.columns)
    _close_to_batch(got.astype("float64"), batch)
    store.close()
