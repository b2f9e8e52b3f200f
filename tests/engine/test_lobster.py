"""LOBSTER: export from engine runs, replay, round trip, seeded partial replay, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import (
    ORDER_DTYPE,
    MatchingEngine,
    OrderType,
    PoissonOrderFlow,
    read_lobster_messages,
    replay_lobster,
    to_lobster,
)


@pytest.fixture(scope="module")
def flow_orders() -> np.ndarray:
    flow = PoissonOrderFlow(seed=13, initial_price=50.0)
    orders = flow.generate(20_000)
    # A few modifies exercise partial cancels (2) and delete + re-add.
    resting = orders[orders["type"] == OrderType.LIMIT][:50]
    mods = resting.copy()
    mods["type"] = OrderType.MODIFY
    mods["qty"] = 1
    mods["ts"] = orders["ts"][-1] + 1
    return np.concatenate([orders, mods])


def test_lobster_replay_rebuilds_the_engine_book(flow_orders, tmp_path):
    messages, book = to_lobster(flow_orders, tick_size=0.01, levels=5,
                                message_csv=tmp_path / "m.csv", orderbook_csv=tmp_path / "b.csv")
    assert set(messages["type"]) <= {1, 2, 3, 4} and {1, 3, 4} <= set(messages["type"])
    # Checkpoints: the book after the messages of a prefix equals the engine's own depth.
    engine = MatchingEngine(tick_size=0.01, log_book_changes=True)
    done = 0
    for cut in (5_000, 12_000, len(flow_orders)):
        engine.process(flow_orders[done:cut])
        done += len(engine.book_changes())
        row = book[done - 1]
        depth = engine.depth_ticks(5)
        k = len(depth["ask_price"])
        assert np.array_equal(row[0:4 * k:4], depth["ask_price"] * 100)
        assert np.array_equal(row[1:4 * k:4], depth["ask_qty"])
        kb = len(depth["bid_price"])
        assert np.array_equal(row[2:4 * kb:4], depth["bid_price"] * 100)
        assert np.array_equal(row[3:4 * kb:4], depth["bid_qty"])
    replay = replay_lobster(tmp_path / "m.csv", levels=5, orderbook_csv=tmp_path / "b.csv")
    assert np.array_equal(replay.book, book)
    assert replay.agreement.tolist() == [1.0] * 5
    assert np.array_equal(read_lobster_messages(tmp_path / "m.csv")["price"], messages["price"])


def test_lobster_replay_seeded_from_orderbook_mid_file(flow_orders):
    messages, book = to_lobster(flow_orders, tick_size=0.01, levels=10)
    cut = len(messages) // 2
    later = messages.iloc[cut:].reset_index(drop=True)
    replay = replay_lobster(later, levels=10, orderbook_csv=book[cut:])
    # Orders from before the cut are unknown: the top levels still agree almost everywhere,
    # and the report says how often each level does.
    assert replay.agreement[0] == 1.0
    assert replay.agreement.shape == (10,)
    assert np.array_equal(replay.book[0], book[cut])


def test_lobster_empty_levels_use_dummy_values():
    orders = np.zeros(1, dtype=ORDER_DTYPE)
    orders[0] = (0, 1, 0, 0, 1, int(OrderType.LIMIT), 1000, 5)  # buy 5 at 10.00
    _, book = to_lobster(orders, levels=2)
    assert book.tolist() == [[9999999999, 0, 100000, 5, 9999999999, 0, -9999999999, 0]]


def test_lobster_bad_inputs_raise(tmp_path, flow_orders):
    bad = tmp_path / "bad.csv"
    bad.write_text("1.0,1,5,10,1000000,1\n2.0,9,5,10,1000000,1\n")
    with pytest.raises(ValueError, match=r"line 2: type must be 1\.\.7"):
        read_lobster_messages(bad)
    with pytest.raises(ValueError, match="must be an integer for LOBSTER"):
        to_lobster(flow_orders[:10], tick_size=0.00005)
    messages, book = to_lobster(flow_orders[:100], levels=2)
    with pytest.raises(ValueError, match="orderbook has shape"):
        replay_lobster(messages, levels=3, orderbook_csv=book)


def test_level_n_file_replay_reports_drift_of_deep_levels(flow_orders):
    full, full_book = to_lobster(flow_orders, levels=3)
    messages, book = to_lobster(flow_orders, levels=3, depth_filter=True)
    assert 0 < len(messages) < len(full)  # deep-only messages are left out
    replay = replay_lobster(messages, levels=3, orderbook_csv=book)
    assert np.array_equal(replay.book[0], book[0])
    # Liquidity that only deep messages announced surfaces at the last level; the replay takes
    # it from the orderbook file, so the top levels stay exact where the messages decide them.
    assert replay.agreement[0] == 1.0
    assert replay.agreement[2] < 1.0
    # Without the filter the same replay agrees everywhere.
    assert replay_lobster(full, levels=3, orderbook_csv=full_book).agreement.tolist() == [1.0] * 3
