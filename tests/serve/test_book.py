"""BarBook: the scoring tail is always the last ``keep`` timestamps of everything received."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.errors import DataError
from alphafactory.serve.book import BarBook


def test_tail_and_full_follow_appended_bars(market):
    stamps = market.stamps
    history = market.bars[market.bars.index.get_level_values(0) < stamps[20]]
    book = BarBook(history, keep=25)
    assert book.tail.index.get_level_values(0).nunique() == 20  # fewer than keep so far
    for k in range(20, 40):
        book.append(market.bars.xs(stamps[k], level=0, drop_level=False))
        level = market.bars.index.get_level_values(0)
        first = stamps[max(0, k - 24)]
        expected = market.bars[(level >= first) & (level <= stamps[k])]
        pd.testing.assert_frame_equal(book.tail, expected)
    pd.testing.assert_frame_equal(book.full(), market.bars[level <= stamps[39]])
    assert book.last == stamps[39] and "S01" in book.symbols
    with pytest.raises(DataError, match="not after"):
        book.append(market.bars.xs(stamps[39], level=0, drop_level=False))
