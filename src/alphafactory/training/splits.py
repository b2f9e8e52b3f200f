"""Walk-forward splits counted in unique timestamps, with purge and embargo.

Fold ``k`` (``k = 0, 1, ...``), in positions of the sorted unique timestamps::

    |--- train ---|purge|-- val --|purge|-- test --|
    ^ start                                         ^ start + train + 2*purge + val + test

The train block starts at ``k * step`` (rolling) or at 0 with its end moving by ``step``
(expanding); folds are produced while the test block fits. A purge of at least the label horizon
separates train from validation and validation from test, so no training label overlaps the
period it is evaluated on (with ``val=0`` a single purge separates train from test). The
``embargo`` timestamps after each test block are removed from the training slices of later
folds (Lopez de Prado 2018, ch. 7). The model is trained on the train slice and early-stopped on
the validation slice; it is not refit on train + validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, kw_only=True, slots=True)
class WalkForward:
    """Walk-forward splitter.

    Parameters
    ----------
    train, val, test : int
        Unique timestamps in each block (``val`` may be 0: no early stopping).
    step : int
        Timestamps the folds move forward by; ``None`` means ``test`` (adjacent test blocks).
    purge : int or None
        Timestamps dropped between train and val and between val and test; at least the label
        horizon. None lets :func:`~alphafactory.training.walk_forward` set it to the horizon.
    embargo : int
        Timestamps after each test block excluded from later folds' training slices.
    expanding : bool
        Expanding (anchored) training window instead of a rolling one.
    """

    train: int
    val: int
    test: int
    step: int | None = None
    purge: int | None = None
    embargo: int = 0
    expanding: bool = False

    def __post_init__(self) -> None:
        if self.train < 1 or self.test < 1 or self.val < 0:
            raise ValueError(
                f"train and test must be >= 1 and val >= 0 timestamps; got train={self.train}, "
                f"val={self.val}, test={self.test}."
            )
        if self.step is not None and self.step < 1:
            raise ValueError(f"step must be >= 1 timestamps, got {self.step}.")
        if (self.purge is not None and self.purge < 0) or self.embargo < 0:
            raise ValueError(
                f"purge and embargo must be >= 0; got {self.purge} and {self.embargo}."
            )

    def with_horizon(self, horizon: int) -> WalkForward:
        """Return a copy whose purge is ``horizon`` when unset; raise when it is shorter."""
        if self.purge is None:
            return WalkForward(
                train=self.train, val=self.val, test=self.test, step=self.step,
                purge=int(horizon), embargo=self.embargo, expanding=self.expanding,
            )  # fmt: skip
        if self.purge < horizon:
            raise ValueError(
                f"purge={self.purge} is shorter than the label horizon ({horizon} bars): training "
                f"labels would overlap the evaluation period. Use purge >= {horizon}."
            )
        return self

    def _blocks(self, n: int) -> list[tuple[slice, slice, slice]]:
        if self.purge is None:
            raise ValueError(
                "purge is None: give WalkForward(purge=...) at least the label horizon, or let "
                "walk_forward() set it from the labels."
            )
        step = self.step or self.test
        gaps = 2 * self.purge if self.val else self.purge  # no validation block: one purge
        span = self.train + gaps + self.val + self.test
        blocks = []
        k = 0
        while True:
            start = 0 if self.expanding else k * step
            train_end = self.train + k * step
            test_end = train_end + gaps + self.val + self.test
            if test_end > n:
                break
            val_start = train_end + self.purge
            test_start = val_start + self.val + (self.purge if self.val else 0)
            blocks.append(
                (slice(start, train_end), slice(val_start, val_start + self.val),
                 slice(test_start, test_end))
            )  # fmt: skip
            k += 1
        if not blocks:
            raise ValueError(
                f"No fold fits in {n} timestamps: one fold needs train + purges + val + test = "
                f"{span}."
            )
        return blocks

    def timestamp_blocks(self, n: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Return ``(train, val, test)`` positions into ``n`` sorted unique timestamps per fold."""
        out = []
        blocks = self._blocks(n)
        for k, (tr, va, te) in enumerate(blocks):
            train = np.arange(tr.start, tr.stop)
            if self.embargo:
                embargoed = np.zeros(n, dtype=bool)
                for _, _, earlier in blocks[:k]:
                    embargoed[earlier.stop : earlier.stop + self.embargo] = True
                train = train[~embargoed[train]]
            out.append((train, np.arange(va.start, va.stop), np.arange(te.start, te.stop)))
        return out

    def split(
        self, index: pd.Index | pd.DataFrame | pd.Series
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(train, val, test)`` integer row positions into ``index``, fold by fold.

        ``index`` is a DatetimeIndex, a ``(timestamp, symbol)`` MultiIndex, or a frame with one;
        block sizes count its unique timestamps, and every row of a timestamp goes to its block.
        """
        codes, n = _timestamp_codes(index)
        for blocks in self.timestamp_blocks(n):
            rows = []
            for block in blocks:
                member = np.zeros(n, dtype=bool)
                member[block] = True
                rows.append(np.flatnonzero(member[codes]))
            yield rows[0], rows[1], rows[2]

    def n_folds(self, index: pd.Index | pd.DataFrame | pd.Series) -> int:
        """Return how many folds fit in ``index``."""
        return len(self._blocks(_timestamp_codes(index)[1]))

    def folds(self, index: pd.Index | pd.DataFrame | pd.Series) -> pd.DataFrame:
        """Return one row per fold: first and last timestamp and size of each block."""
        timestamps = _unique_timestamps(index)
        rows = []
        for k, blocks in enumerate(self.timestamp_blocks(len(timestamps))):
            row: dict[str, object] = {"fold": k}
            for name, b in zip(("train", "val", "test"), blocks, strict=True):
                row[f"{name}_start"] = timestamps[b[0]] if len(b) else pd.NaT
                row[f"{name}_end"] = timestamps[b[-1]] if len(b) else pd.NaT
                row[f"n_{name}"] = len(b)
            rows.append(row)
        return pd.DataFrame(rows).set_index("fold")


def _unique_timestamps(index: pd.Index | pd.DataFrame | pd.Series) -> pd.Index:
    if isinstance(index, (pd.DataFrame, pd.Series)):
        index = index.index
    level = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    return pd.Index(level.unique()).sort_values()


def _timestamp_codes(index: pd.Index | pd.DataFrame | pd.Series) -> tuple[np.ndarray, int]:
    if isinstance(index, (pd.DataFrame, pd.Series)):
        index = index.index
    level = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    uniques = _unique_timestamps(index)
    return uniques.get_indexer(level).astype(np.int64), len(uniques)
