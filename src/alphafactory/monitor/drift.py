"""Data drift: each feature's and the score's distribution in a window of new bars against the
model's reference.

Two statistics per column, both measured against the stored reference (no training data):

- **KS**: ``sup |F_window - F_ref|`` with ``F_ref`` interpolated from the stored percentile sketch
  (:func:`alphafactory.models.reference.ks_to_sketch`; a two-sample ``ks_2samp`` would need the
  training sample). The sketch's resolution (1 percentile) is small against the statistic's
  noise and is part of the calibrated null.
- **PSI** over the stored decile bins.

p-values come from the reference's block-bootstrap calibration, not from textbook formulas
(features are autocorrelated in time and across symbols, so i.i.d. p-values alarm far too often):
``p_ks = Kolmogorov_sf(KS * sqrt(n_eff))`` and ``p_psi = chi2_sf(n_eff * PSI, bins - 1)`` with
``n_eff`` the calibrated effective observations per bar times the window's bars. A column's
p-value is ``min(1, 2 min(p_ks, p_psi))`` (Bonferroni over the two tests); Benjamini-Hochberg
over the features controls the false discovery rate at ``fdr``, and the dataset drifts when at
least one feature is rejected (Simes' global test: under no drift at all it fires with
probability <= ``fdr``). The score is tested on its own at the same level.

:class:`DataDriftMonitor` keeps the newest ``window`` bars and updates with each new bar's
cross-section: the bar's reference-CDF values and bin counts are computed once on arrival, PSI
counts are running sums, KS sorts the window's stored CDF values.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alphafactory.errors import ConfigError, DataError
from alphafactory.models.reference import bin_index, ks_uniform, psi, sketch_cdf
from alphafactory.monitor.reference import ColumnReference, Reference

__all__ = ["DataDriftMonitor", "DriftConfig", "DriftResult", "data_drift"]

_TABLE_COLUMNS = [
    "column", "ks", "psi", "p_ks", "p_psi", "p", "q", "drifted", "ks_q99", "psi_q99",
    "mean", "ref_mean", "nan_rate", "ref_nan_rate",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftConfig:
    """Settings of the data-drift test.

    Attributes
    ----------
    window : int or None
        Bars in the monitoring window; None uses the reference's calibrated window.
    fdr : float
        Benjamini-Hochberg false discovery rate over features, in ``(0, 1)``; also the level of
        the score's test.
    min_bars : int
        Bars needed before a verdict (fewer: the result says ``ready=False``, nothing drifts).
    critical_share : float
        Share of drifted features from which the verdict's severity is ``"critical"``.
    """

    window: int | None = None
    fdr: float = 0.002
    min_bars: int = 20
    critical_share: float = 0.25

    def __post_init__(self) -> None:
        if self.window is not None and (isinstance(self.window, bool) or self.window < 2):
            raise ConfigError(f"DriftConfig.window must be None or >= 2; got {self.window!r}.")
        if not (math.isfinite(self.fdr) and 0.0 < self.fdr < 1.0):
            raise ConfigError(f"DriftConfig.fdr must lie in (0, 1); got {self.fdr!r}.")
        if isinstance(self.min_bars, bool) or self.min_bars < 1:
            raise ConfigError(f"DriftConfig.min_bars must be >= 1; got {self.min_bars!r}.")
        if not (math.isfinite(self.critical_share) and 0.0 < self.critical_share <= 1.0):
            raise ConfigError(
                f"DriftConfig.critical_share must lie in (0, 1]; got {self.critical_share!r}."
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftResult:
    """A data-drift verdict on one window.

    Attributes
    ----------
    table : DataFrame
        One row per feature (tidy): statistics, p-values, BH q-value, drifted flag, the
        bootstrap 99th percentiles (meaningful at the calibrated window length), means.
    score : dict or None
        The score's row (same fields), None without scores or a score reference.
    drifted : bool
        Dataset-level verdict: some feature rejected by BH, or the score drifted.
    severity : str
        ``"none"``, ``"warning"`` or ``"critical"`` (``critical_share`` of features, or the score).
    n_bars : int
        Bars in the window.
    start, end : Timestamp or None
        First and last bar of the window.
    ready : bool
        False while the window holds fewer than ``min_bars`` bars.
    """

    table: pd.DataFrame
    score: dict[str, Any] | None
    drifted: bool
    severity: str
    n_bars: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    ready: bool

    @property
    def drifted_features(self) -> list[str]:
        """Names of the drifted features, most significant first."""
        rows = self.table[self.table["drifted"]].sort_values("q")
        return rows["column"].tolist()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (NaN becomes None)."""
        return {
            "drifted": self.drifted,
            "severity": self.severity,
            "ready": self.ready,
            "n_bars": self.n_bars,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "drifted_features": self.drifted_features,
            "features": [_json_row(r) for r in self.table.to_dict(orient="records")],
            "score": None if self.score is None else _json_row(self.score),
        }


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, (float, np.floating)):
            out[k] = float(v) if math.isfinite(v) else None
        else:
            out[k] = v
    return out


class _Window:
    """Rolling per-bar CDF values and bin counts of one set of columns."""

    def __init__(self, ref: ColumnReference, window: int) -> None:
        self.ref = ref
        self.width = max(len(e) for e in ref.edges) + 2
        self.offsets = np.arange(len(ref.names)) * self.width
        self.expected = np.zeros((len(ref.names), self.width))
        for j, p in enumerate(ref.proportions):
            self.expected[j, : len(p)] = p
        self.bars: collections.deque[tuple[np.ndarray, np.ndarray, np.ndarray]] = collections.deque(
            maxlen=window
        )
        self.counts = np.zeros((len(ref.names), self.width))

    def add(self, values: np.ndarray) -> None:
        """Add one bar's ``[N, F]`` values (drops the oldest bar when full)."""
        u = sketch_cdf(values, self.ref.quantiles)
        idx = (
            np.column_stack([bin_index(values[:, j], e) for j, e in enumerate(self.ref.edges)])
            + self.offsets
        )
        counts = np.bincount(idx.ravel(), minlength=self.counts.size).reshape(self.counts.shape)
        sums = np.nansum(values, axis=0), np.isfinite(values).sum(axis=0)
        if len(self.bars) == self.bars.maxlen:
            self.counts -= self.bars[0][1]
        self.bars.append((u, counts, np.vstack(sums)))
        self.counts += counts

    def table(self, n_bars: int) -> pd.DataFrame:
        ref = self.ref
        u = (
            np.concatenate([b[0] for b in self.bars])
            if self.bars
            else np.empty((0, len(ref.names)))
        )
        ks = ks_uniform(u) if len(u) else np.full(len(ref.names), np.nan)
        counts = self.counts.copy()
        nan_bin = [len(e) + 1 for e in ref.edges]
        n_nan = counts[np.arange(len(nan_bin)), nan_bin]
        counts[np.arange(len(nan_bin)), nan_bin] = 0.0
        total = counts.sum(axis=1)
        psis = np.array(
            [
                psi(counts[j, : len(e) + 1] / total[j], self.expected[j, : len(e) + 1])
                if total[j] > 0
                else np.nan
                for j, e in enumerate(ref.edges)
            ]
        )
        dof = np.array([max(len(e), 1) for e in ref.edges], dtype=np.float64)
        with np.errstate(all="ignore"):
            p_ks = stats.kstwobign.sf(ks * np.sqrt(ref.ks_neff_per_bar * n_bars))
            p_psi = stats.chi2.sf(psis * ref.psi_neff_per_bar * n_bars, dof)
            p = np.minimum(1.0, 2.0 * np.fmin(p_ks, p_psi))
            sums = sum(b[2] for b in self.bars) if self.bars else np.zeros((2, len(ref.names)))
            mean = sums[0] / sums[1]
            nan_rate = n_nan / (n_nan + total)
        return pd.DataFrame(
            {
                "column": list(ref.names), "ks": ks, "psi": psis, "p_ks": p_ks, "p_psi": p_psi,
                "p": p, "ks_q99": ref.ks_q99, "psi_q99": ref.psi_q99, "mean": mean,
                "ref_mean": ref.mean, "nan_rate": nan_rate, "ref_nan_rate": ref.nan_rate,
            }
        )  # fmt: skip


class DataDriftMonitor:
    """Data drift on a rolling window of the newest bars.

    Parameters
    ----------
    reference : Reference
        The model's reference statistics (:func:`~alphafactory.monitor.load_reference`).
    config : DriftConfig, optional
    """

    def __init__(self, reference: Reference, config: DriftConfig | None = None) -> None:
        self.reference = reference
        self.config = config or DriftConfig()
        self.window = self.config.window or reference.window
        self._features = _Window(reference.features, self.window)
        self._scores = (
            _Window(reference.scores, self.window) if reference.scores is not None else None
        )
        self._stamps: collections.deque[pd.Timestamp] = collections.deque(maxlen=self.window)

    def update(
        self,
        timestamp: pd.Timestamp,
        features: pd.DataFrame,
        scores: pd.Series | None = None,
    ) -> DriftResult:
        """Add one bar's cross-section (rows symbols, columns at least the reference features)
        and its scores; return the verdict on the window ending with it."""
        stamp = pd.Timestamp(timestamp)
        if self._stamps and stamp <= self._stamps[-1]:
            raise DataError(f"bars must arrive in time order: {stamp} after {self._stamps[-1]}.")
        names = list(self.reference.features.names)
        missing = [n for n in names if n not in features.columns]
        if missing:
            raise DataError(f"the bar at {stamp} lacks the reference features {missing}.")
        self._features.add(features[names].to_numpy(dtype=np.float64))
        if self._scores is not None and scores is not None:
            self._scores.add(np.asarray(scores, dtype=np.float64).reshape(-1, 1))
        self._stamps.append(stamp)
        return self.result()

    def update_frame(self, features: pd.DataFrame, scores: pd.Series | None = None) -> DriftResult:
        """Add every bar of a long ``(timestamp, symbol)`` frame in time order; return the last
        verdict (one vectorized update per bar)."""
        stamps = features.index.get_level_values("timestamp")
        codes, uniques = pd.factorize(stamps, sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        score_by_stamp = None
        if scores is not None:
            score_by_stamp = scores.reindex(features.index).to_numpy(dtype=np.float64)
        result = self.result()
        for k, stamp in enumerate(uniques):
            rows = order[bounds[k] : bounds[k + 1]]
            s = None if score_by_stamp is None else pd.Series(score_by_stamp[rows])
            result = self.update(stamp, features.iloc[rows], s)
        return result

    def result(self) -> DriftResult:
        """The verdict on the current window."""
        n_bars = len(self._stamps)
        table = self._features.table(max(n_bars, 1))
        score = None
        if self._scores is not None and self._scores.bars:
            score = self._scores.table(max(n_bars, 1)).iloc[0].to_dict()
        return _verdict(table, score, self.config, n_bars, self._stamps)


def data_drift(
    reference: Reference,
    features: pd.DataFrame,
    scores: pd.Series | None = None,
    *,
    config: DriftConfig | None = None,
) -> DriftResult:
    """Test one window of bars (long ``(timestamp, symbol)`` frame) for data drift.

    The window is every bar of ``features`` (``config.window`` is ignored); p-values scale the
    calibrated effective sample size to its length.
    """
    n_bars = int(features.index.get_level_values("timestamp").nunique())
    config = config or DriftConfig()
    monitor = DataDriftMonitor(reference, DriftConfig(
        window=max(n_bars, 2), fdr=config.fdr, min_bars=config.min_bars,
        critical_share=config.critical_share,
    ))  # fmt: skip
    return monitor.update_frame(features, scores)


def _verdict(
    table: pd.DataFrame,
    score: dict[str, Any] | None,
    config: DriftConfig,
    n_bars: int,
    stamps: collections.deque[pd.Timestamp],
) -> DriftResult:
    ready = n_bars >= config.min_bars
    p = table["p"].to_numpy(dtype=np.float64)
    q = np.full(len(p), np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = stats.false_discovery_control(p[finite], method="bh")
    table = table.assign(q=q, drifted=ready & (q <= config.fdr))[_TABLE_COLUMNS]
    if score is not None:
        score["q"] = score["p"]
        score["drifted"] = bool(ready and score["p"] <= config.fdr)
    n_drift = int(table["drifted"].sum())
    score_drift = bool(score and score["drifted"])
    drifted = n_drift > 0 or score_drift
    share = n_drift / max(len(table), 1)
    severity = "none"
    if drifted:
        severity = "critical" if share >= config.critical_share or score_drift else "warning"
    return DriftResult(
        table=table,
        score=score,
        drifted=drifted,
        severity=severity,
        n_bars=n_bars,
        start=stamps[0] if stamps else None,
        end=stamps[-1] if stamps else None,
        ready=ready,
    )
