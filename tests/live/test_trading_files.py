"""Every trading file shipped in ``research/trading`` parses (unknown keys and bad values raise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphafactory.live.config import TradingConfig

FILES = sorted((Path(__file__).resolve().parents[2] / "research" / "trading").glob("*.toml"))


def test_there_are_trading_files():
    assert len(FILES) >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_trading_file_parses(path):
    config = TradingConfig.read(path)
    assert config.bot.name and config.document is not None
    if config.bot.broker != "paper":
        assert config.bot.sizing == "last"
