"""``check_causal``: prove that a feature at ``t`` uses bars ``<= t`` only.

Two checks at random cut timestamps ``t``:

* truncation: the value at every ``s <= t`` computed from bars up to ``t`` equals the value
  computed from all bars;
* perturbation: rewriting every bar after ``t`` (multiplicative log-normal noise, then NaN)
  leaves every output at ``s <= t`` bit-identical (NaN equal to NaN).

A registered name (or a list of names) is checked on wide arrays, which is fast enough to run
over the whole registry; any other callable ``fn(bars) -> Series | DataFrame`` (a user's own
feature) is checked on Bars frames and must return rows indexed like its input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS, is_panel
from alphafactory.data.wide import load_panel
from alphafactory.features.registry import FeatureContext, FeatureDef, resolve_spec

__all__ = ["CausalityFailure", "CausalityReport", "NotCausalError", "check_causal"]

CHECKS: tuple[str, ...] = ("truncate", "noise", "nan")
FeatureLike = (
    str | Sequence[str] | FeatureDef | Callable[[pd.DataFrame], pd.Series | pd.DataFrame]
)


class NotCausalError(AssertionError):
    """A feature's past values moved when the future changed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CausalityFailure:
    """One column that moved: which check, at which cut, first differing timestamp."""

    column: str
    check: str
    cut: pd.Timestamp
    first_difference: pd.Timestamp


@dataclass(frozen=True, kw_only=True, slots=True)
class CausalityReport:
    """Result of :func:`check_causal`.

    Attributes
    ----------
    feature : str
    ok : bool
        True when no column moved under any check at any cut.
    offending : tuple of str
        Columns that moved, in first-seen order.
    first_difference : Timestamp or None
        Earliest timestamp whose value moved, over all failures.
    cuts : tuple of Timestamp
        The cut timestamps tested.
    failures : tuple of CausalityFailure
        Every (column, check, cut) that moved.
    """

    feature: str
    ok: bool
    offending: tuple[str, ...]
    first_difference: pd.Timestamp | None
    cuts: tuple[pd.Timestamp, ...]
    failures: tuple[CausalityFailure, ...]

    def raise_if_failed(self) -> None:
        """Raise :class:`NotCausalError` naming the offending columns when not ``ok``."""
        if not self.ok:
            first = self.failures[0]
            raise NotCausalError(
                f"Feature {self.feature!r} is not causal: columns {list(self.offending)} changed "
                f"at or before a cut when later bars changed (first: {first.column!r} under "
                f"{first.check!r} at cut {first.cut}, value at {first.first_difference} moved)."
            )


def _cut_positions(n_time: int, n_cuts: int, seed: int) -> np.ndarray:
    if n_cuts < 1:
        raise ValueError(f"n_cuts must be >= 1, got {n_cuts}.")
    lo, hi = max(1, n_time // 5), n_time - 1
    if hi <= lo:
        raise ValueError(f"check_causal needs at least 3 timestamps; got {n_time}.")
    candidates = np.arange(lo, hi)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, size=min(n_cuts, len(candidates)), replace=False))


def _perturb_wide(
    fields: dict[str, np.ndarray], cut: int, check: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    out = {}
    for name, arr in fields.items():
        new = arr.copy()
        tail = new[cut + 1 :]
        if check == "nan":
            tail[:] = np.nan
        else:
            tail *= np.exp(rng.normal(0.0, 0.05, tail.shape))
        out[name] = new
    return out


def _first_diff(a: np.ndarray, b: np.ndarray) -> int | None:
    """First row where ``a`` and ``b`` (same shape) differ, NaN equal to NaN."""
    if len(a) == 0:  # a cut before the feature's first output row: nothing to compare yet
        return None
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    rows = np.flatnonzero(~same.reshape(len(same), -1).all(axis=1))
    return int(rows[0]) if len(rows) else None


def _check_defs(
    defs: list[FeatureDef], bars: pd.DataFrame, cuts_n: int, seed: int, checks: Sequence[str]
) -> tuple[list[CausalityFailure], tuple[pd.Timestamp, ...]]:
    panel = load_panel(bars)
    timestamps = panel.timestamps
    full_ctx = FeatureContext(panel.fields)
    full = {d.name: np.asarray(d.compute(full_ctx), dtype=np.float64) for d in defs}
    rng = np.random.default_rng(seed + 1)
    failures: list[CausalityFailure] = []
    cuts = _cut_positions(len(timestamps), cuts_n, seed)
    for cut in cuts:
        for check in checks:
            if check == "truncate":
                fields = {k: v[: cut + 1] for k, v in panel.fields.items()}
            else:
                fields = _perturb_wide(panel.fields, cut, check, rng)
            ctx = FeatureContext(fields)
            for d in defs:
                got = np.asarray(d.compute(ctx), dtype=np.float64)[: cut + 1]
                row = _first_diff(full[d.name][: cut + 1], got)
                if row is not None:
                    failures.append(CausalityFailure(
                        column=d.name, check=check, cut=timestamps[cut],
                        first_difference=timestamps[row]))
    return failures, tuple(timestamps[c] for c in cuts)


def _timestamps_of(index: pd.Index) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(index.get_level_values(0) if isinstance(index, pd.MultiIndex)
                            else index)


def _as_frame(out: pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(out, pd.Series):
        return out.to_frame(out.name if out.name is not None else "value")
    if isinstance(out, pd.DataFrame):
        return out
    raise TypeError(f"A feature callable must return a Series or DataFrame; got {type(out)}.")


def _check_callable(
    fn: Callable, bars: pd.DataFrame, cuts_n: int, seed: int, checks: Sequence[str]
) -> tuple[list[CausalityFailure], tuple[pd.Timestamp, ...]]:
    if not (is_panel(bars) or isinstance(bars.index, pd.DatetimeIndex)):
        raise TypeError("bars must be indexed by 'timestamp' or ('timestamp', 'symbol').")
    bar_ts = _timestamps_of(bars.index)
    timestamps = pd.DatetimeIndex(bar_ts.unique().sort_values())
    full = _as_frame(fn(bars))
    full_ts = _timestamps_of(full.index)
    rng = np.random.default_rng(seed + 1)
    failures: list[CausalityFailure] = []
    cuts = _cut_positions(len(timestamps), cuts_n, seed)
    price_cols = [c for c in OHLCV_COLUMNS if c in bars.columns]
    for cut in cuts:
        t = timestamps[cut]
        expected = full[full_ts <= t]
        for check in checks:
            if check == "truncate":
                variant = bars[bar_ts <= t]
            else:
                variant = bars.copy()
                after = np.asarray(bar_ts > t)
                block = variant.loc[after, price_cols].to_numpy(dtype=np.float64, copy=True)
                if check == "nan":
                    block[:] = np.nan
                else:
                    block *= np.exp(rng.normal(0.0, 0.05, block.shape))
                variant.loc[after, price_cols] = block
            got = _as_frame(fn(variant))
            got = got[_timestamps_of(got.index) <= t].reindex(index=expected.index)
            for col in expected.columns:
                a = expected[col].to_numpy(dtype=np.float64, na_value=np.nan)
                b = (got[col] if col in got.columns else pd.Series(np.nan, index=got.index)
                     ).to_numpy(dtype=np.float64, na_value=np.nan)
                row = _first_diff(a, b)
                if row is not None:
                    failures.append(CausalityFailure(
                        column=str(col), check=check, cut=t,
                        first_difference=_timestamps_of(expected.index)[row]))
    return failures, tuple(timestamps[c] for c in cuts)


def check_causal(
    feature: FeatureLike,
    bars: pd.DataFrame,
    n_cuts: int = 20,
    seed: int = 0,
    *,
    checks: Sequence[str] = CHECKS,
    raise_on_failure: bool = False,
) -> CausalityReport:
    """Check that ``feature`` at ``t`` depends on bars ``<= t`` only.

    Parameters
    ----------
    feature : str, list of str, FeatureDef or callable
        A registered name (see :func:`list_features`), several names, a :class:`FeatureDef`
        (checked on wide arrays like registered ones), or ``fn(bars)`` returning a
        Series/DataFrame indexed like ``bars``.
    bars : DataFrame
        Bars to test on; cuts are drawn among its timestamps after the first fifth.
    n_cuts : int
        Number of random cut timestamps.
    seed : int
        Seeds the cut draw and the noise.
    checks : sequence of {"truncate", "noise", "nan"}
    raise_on_failure : bool
        Raise :class:`NotCausalError` instead of returning a failed report.

    Returns
    -------
    CausalityReport
    """
    unknown = [c for c in checks if c not in CHECKS]
    if unknown or not checks:
        raise ValueError(f"checks must be a non-empty subset of {CHECKS}; got {list(checks)}.")
    if isinstance(feature, FeatureDef):
        label = feature.name
        failures, cuts = _check_defs([feature], bars, n_cuts, seed, checks)
    elif callable(feature):
        label = getattr(feature, "__name__", repr(feature))
        failures, cuts = _check_callable(feature, bars, n_cuts, seed, checks)
    else:
        defs = resolve_spec(feature if isinstance(feature, str) else list(feature))
        label = feature if isinstance(feature, str) else f"{len(defs)} registered features"
        failures, cuts = _check_defs(defs, bars, n_cuts, seed, checks)
    offending = tuple(dict.fromkeys(f.column for f in failures))
    report = CausalityReport(
        feature=str(label),
        ok=not failures,
        offending=offending,
        first_difference=min((f.first_difference for f in failures), default=None),
        cuts=cuts,
        failures=tuple(failures),
    )
    if raise_on_failure:
        report.raise_if_failed()
    return report
