"""LOBSTER message files: replay into a book, and export from the engine's own runs.

A LOBSTER message file has no header and six columns: ``time`` (seconds after midnight),
``type`` (1 submit, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution,
6 cross trade, 7 halt), ``order_id``, ``size``, ``price`` (dollars x 10000) and ``direction``
(+1 buy, -1 sell; for executions the side of the resting order). The orderbook file has one row
per message: ask price, ask size, bid price, bid size for levels 1..N, with 9999999999 /
-9999999999 and size 0 for empty levels.

Orders resting before a message file starts are unknown to it. Given the matching orderbook
file, ``replay_lobster`` seeds the book from its first row (the state after the first message)
as anonymous quantity per level and replays from the second message: cancels, deletes and
executions of unknown orders reduce the level at their price. A level-N file leaves out
messages that only touch levels deeper than N, so liquidity can surface into the top N that
no message announced. Each output row is the book the messages produce; after it is written
the replay takes its top N levels from the orderbook row (so the error does not accumulate),
and ``agreement`` reports, per level, the fraction of rows where the messages alone gave the
file's level exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory import _engine
from alphafactory.engine.arguments import check_int
from alphafactory.engine.matching_engine import MatchingEngine
from alphafactory.errors import DataError, SourceNotFoundError

__all__ = ["LobsterReplay", "read_lobster_messages", "replay_lobster", "to_lobster"]

MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
_PRICE_SCALE = 10_000


@dataclass(frozen=True, slots=True)
class LobsterReplay:
    """Result of ``replay_lobster``.

    Attributes
    ----------
    book : np.ndarray of int64, shape (n_messages, 4 * levels)
        Row i is the book after message i, in LOBSTER's orderbook layout and units.
    agreement : np.ndarray of float, shape (levels,) or None
        Per level, the fraction of rows whose (ask price, ask size, bid price, bid size) equal
        the orderbook file's; None without an orderbook file.
    """

    book: np.ndarray
    agreement: np.ndarray | None


def read_lobster_messages(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a LOBSTER message file into a DataFrame (``time`` float64, the rest int64).

    Raises DataError naming the file, and the first row (1-based line) with a bad type or
    direction; SourceNotFoundError for a missing file.
    """
    if not Path(path).exists():
        raise SourceNotFoundError(f"{path}: no such LOBSTER message file")
    if Path(path).is_dir():
        raise DataError(f"{path}: is a directory; expected a LOBSTER message file")
    try:
        frame = pd.read_csv(path, header=None, names=list(MESSAGE_COLUMNS), usecols=range(6),
                            dtype={"time": np.float64,
                                   **{c: np.int64 for c in MESSAGE_COLUMNS[1:]}})
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:  # pandas' parse errors
        first = " ".join(str(exc).split())
        raise DataError(f"{path}: not a LOBSTER message file (6 numeric columns: "
                        f"{', '.join(MESSAGE_COLUMNS)}): {first}") from None
    if frame.empty:
        raise DataError(f"{path}: has no messages; expected rows of "
                        f"{', '.join(MESSAGE_COLUMNS)}")
    bad = ~frame["type"].between(1, 7) | ~frame["direction"].isin([1, -1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: line {row + 1}: type must be 1..7 and direction +1/-1, got "
                         f"type {frame['type'].iloc[row]}, direction "
                         f"{frame['direction'].iloc[row]}")
    return frame


def replay_lobster(
    message_csv: str | PathLike[str] | pd.DataFrame,
    levels: int = 10,
    orderbook_csv: str | PathLike[str] | np.ndarray | None = None,
) -> LobsterReplay:
    """Rebuild the book from a LOBSTER message file.

    Parameters
    ----------
    message_csv : path or DataFrame
        The message file (or ``read_lobster_messages``'s frame).
    levels : int
        Levels per side in the output rows.
    orderbook_csv : path, int64 array of shape (n_messages, >= 4 * levels), or None
        The matching orderbook file. When given, the book is seeded from its first row, the
        replay starts at the second message, and after each row the top ``levels`` levels are
        taken from the file; ``agreement`` says how often the messages alone matched it.
    """
    levels = check_int("levels", levels, low=1, high=10_000)
    messages = (message_csv if isinstance(message_csv, pd.DataFrame)
                else read_lobster_messages(message_csv))
    cols = {c: np.ascontiguousarray(messages[c].to_numpy(dtype=np.int64))
            for c in MESSAGE_COLUMNS[1:]}
    # The replay trusts its inputs: sizes and prices in the engine's bounds keep every level sum
    # and side-aware key (-price) inside int64.
    bad = ((cols["size"] > _engine.MAX_QTY) | (cols["price"] > _engine.MAX_PRICE)
           | (cols["price"] < -_engine.MAX_PRICE))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"message {row + 1}: size must be <= {_engine.MAX_QTY} and |price| <= "
                        f"{_engine.MAX_PRICE}, got size {cols['size'][row]}, price "
                        f"{cols['price'][row]}")
    reference = None
    if orderbook_csv is not None:
        reference = (np.asarray(orderbook_csv, dtype=np.int64)
                     if isinstance(orderbook_csv, np.ndarray)
                     else pd.read_csv(orderbook_csv, header=None).to_numpy(dtype=np.int64))
        if reference.shape[0] != len(messages) or reference.shape[1] < 4 * levels:
            raise DataError(
                f"orderbook has shape {reference.shape}; expected ({len(messages)}, >= "
                f"{4 * levels}) for {len(messages)} messages and {levels} levels")
        reference = reference[:, : 4 * levels]
        if ((reference > _engine.MAX_PRICE) | (reference < -_engine.MAX_PRICE)).any():
            row = int(np.flatnonzero(((reference > _engine.MAX_PRICE)
                                      | (reference < -_engine.MAX_PRICE)).any(axis=1))[0])
            raise DataError(f"orderbook row {row + 1}: prices and sizes must be within "
                            f"+-{_engine.MAX_PRICE}, got {reference[row].tolist()}")
    ref = None if reference is None else np.ascontiguousarray(reference)
    try:
        book = _engine.replay_lobster(cols["type"], cols["order_id"], cols["size"],
                                      cols["price"], cols["direction"], levels, ref)
    except OverflowError as exc:
        raise DataError(str(exc)) from None
    agreement = None
    if reference is not None:
        same = (book == reference).reshape(len(book), levels, 4).all(axis=2)
        agreement = same.mean(axis=0) if len(book) else np.ones(levels)
    return LobsterReplay(book=book, agreement=agreement)


def to_lobster(
    orders: np.ndarray,
    *,
    tick_size: float = 0.01,
    levels: int = 10,
    instrument: int = 0,
    message_csv: str | PathLike[str] | None = None,
    orderbook_csv: str | PathLike[str] | None = None,
    depth_filter: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Run ``orders`` through a fresh engine and export its book changes in LOBSTER format.

    Every change of resting liquidity becomes a message: a resting remainder is a submit (1),
    a modify to a smaller quantity a partial cancel (2), a cancel (any cause) or a modify that
    loses priority a delete (3, followed by the re-entered order's messages), a fill of a
    resting order a visible execution (4). ``time`` is ``ts`` / 1e9. Returns the messages and
    the orderbook rows (``levels`` per side), and writes them as headerless CSVs when paths
    are given. With ``depth_filter`` the export is a level-N file as LOBSTER makes them: a
    message is kept only if its price is within the top ``levels`` levels of its side before
    or after it.

    Raises ValueError if ``tick_size`` x 10000 is not an integer (LOBSTER prices are integers).
    """
    scale = tick_size * _PRICE_SCALE
    if abs(scale - round(scale)) > 1e-9 * scale or round(scale) < 1:
        raise ValueError(f"tick_size * 10000 must be an integer for LOBSTER prices, got {scale}")
    engine = MatchingEngine(tick_size=tick_size, events="no_accepted", log_book_changes=True)
    if instrument != 0:
        engine.add_instrument(instrument, tick_size=tick_size)
    engine.process(orders)
    changes = engine.book_changes()
    changes = changes[changes["instrument"] == instrument]
    messages = pd.DataFrame({
        "time": changes["ts"] / 1e9,
        "type": changes["type"].astype(np.int64),
        "order_id": changes["order_id"],
        "size": changes["qty"],
        "price": changes["price"] * round(scale),
        "direction": changes["side"].astype(np.int64),
    })
    book = replay_lobster(messages, levels=levels).book
    if depth_filter and len(book):
        keep = _touches_top_levels(messages, book, levels)
        messages = messages[keep].reset_index(drop=True)
        book = book[keep]
    if message_csv is not None:
        messages.to_csv(message_csv, header=False, index=False, float_format="%.9f")
    if orderbook_csv is not None:
        np.savetxt(orderbook_csv, book, fmt="%d", delimiter=",")
    return messages, book


def _touches_top_levels(messages: pd.DataFrame, book: np.ndarray, levels: int) -> np.ndarray:
    """Mask of messages whose price is within the top ``levels`` levels before or after."""
    after = book
    before = np.vstack([_empty_row(levels), book[:-1]])
    price = messages["price"].to_numpy()
    buy = messages["direction"].to_numpy() > 0
    last = 4 * (levels - 1)
    bid_ok = (price >= before[:, last + 2]) | (price >= after[:, last + 2])
    ask_ok = (price <= before[:, last]) | (price <= after[:, last])
    return np.where(buy, bid_ok, ask_ok)


def _empty_row(levels: int) -> np.ndarray:
    row = np.zeros(4 * levels, dtype=np.int64)
    row[0::4] = 9_999_999_999
    row[2::4] = -9_999_999_999
    return row
