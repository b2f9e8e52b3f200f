"""Reference statistics of a model's training window, stored with the artifact for monitoring.

A monitor compares new bars with the window the model was fitted on, long after the training data
is gone, so everything it needs is summarized here as one JSON document (``reference.json`` in
the artifact directory, ``schema: 1``), per feature and for the score:

- a quantile sketch (percentiles 0..100), moments (mean, std, skew, excess kurtosis), count and
  NaN rate;
- histogram bins for the population stability index: ``n_bins - 1`` interior edges at the
  reference quantiles and the reference proportion of each bin;
- a null calibration of both drift statistics. Features are autocorrelated in time and across
  symbols, so textbook KS p-values alarm far too often. A block bootstrap draws ``n_boot``
  windows of ``window`` bars from the reference (whole cross-sections, ``block`` consecutive bars
  per block; by default one block, i.e. a contiguous window wrapped circularly) and measures the
  KS statistic and the PSI of each against the reference sketch. Stored: their 95th and 99th
  percentiles, and an *effective number of observations per bar* for each statistic, chosen so
  that the asymptotic null (Kolmogorov for ``sqrt(n_eff) * KS``, chi-square with ``bins - 1``
  degrees of freedom for ``n_eff * PSI``) matches the bootstrap's 90th percentile. The monitor
  turns a statistic into a p-value with it for any window length, without the training data.

The KS statistic is measured against the stored sketch (the reference CDF interpolated linearly
between percentiles), in the calibration as in the monitor, so the sketch's resolution is part
of the calibrated null. :func:`ks_to_sketch`, :func:`bin_index` and :func:`psi` are the one
definition both use. When scores and realized labels are given, the per-timestamp IC, Rank IC and
hit rate (:func:`outcome_metrics`) are summarized too: pass out-of-sample scores (walk-forward
test predictions) where available, in-sample ones flatter the model.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from alphafactory.errors import ConfigError, ModelError
from alphafactory.evaluation import information_coefficient
from alphafactory.models.artifact import REFERENCE_FILE

if TYPE_CHECKING:
    from alphafactory.models.artifact import ModelArtifact

__all__ = [
    "PERCENTILES",
    "REFERENCE_FILE",
    "SCHEMA",
    "ReferenceConfig",
    "attach_reference",
    "bin_index",
    "compute_reference",
    "ks_to_sketch",
    "ks_uniform",
    "outcome_metrics",
    "psi",
    "sketch_cdf",
]

SCHEMA = 1
PERCENTILES = np.arange(101, dtype=np.float64)
PSI_FLOOR = 1e-4  # proportion floor inside PSI's logarithm (an empty bin would be infinite)
_CAL_LEVEL = 0.9  # bootstrap quantile the asymptotic null is matched at


@dataclass(frozen=True, kw_only=True, slots=True)
class ReferenceConfig:
    """How reference statistics are computed.

    Attributes
    ----------
    window : int
        Bars (timestamps) in a monitoring window; the bootstrap calibrates windows this long.
    n_bins : int
        PSI bins (fewer when the reference has ties at the quantile edges).
    n_boot : int
        Bootstrap windows drawn for the calibration.
    block : int or None
        Consecutive bars per bootstrap block; None uses ``window`` (contiguous windows: the
        honest null for a monitor that looks at contiguous bars).
    seed : int
        Seed of the bootstrap.
    digits : int
        Significant digits kept in the JSON document (keeps 252 features well under 1 MB).
    """

    window: int = 60
    n_bins: int = 10
    n_boot: int = 200
    block: int | None = None
    seed: int = 0
    digits: int = 7

    def __post_init__(self) -> None:
        for name, low in (("window", 2), ("n_bins", 2), ("n_boot", 20), ("digits", 3)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(
                    f"ReferenceConfig.{name} must be an integer >= {low}; got {value!r}."
                )
        if self.block is not None and (not isinstance(self.block, int) or self.block < 1):
            raise ConfigError(f"ReferenceConfig.block must be None or >= 1; got {self.block!r}.")


def sketch_cdf(values: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Reference CDF of each column at ``values`` ``[n, F]`` (``quantiles`` ``[F, 101]``).

    Linear interpolation between the stored percentiles; 0 below the minimum, 1 above the
    maximum, the middle of the plateau where percentiles tie; NaN stays NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    u = np.empty(values.shape, dtype=np.float64)
    for j in range(values.shape[1]):  # one vectorized interpolation per feature
        u[:, j] = _sketch_cdf(values[:, j], quantiles[j])
    return u


def ks_uniform(u: np.ndarray) -> np.ndarray:
    """KS distance to the uniform law of each column of ``u`` ``[n, F]`` (NaN ignored)."""
    s = np.sort(u, axis=0)  # NaN last
    n = np.isfinite(s).sum(axis=0)
    i = np.arange(1, s.shape[0] + 1, dtype=np.float64)[:, None]
    with np.errstate(all="ignore"):
        nn = np.where(n > 0, n, 1).astype(np.float64)
        d = np.maximum(i / nn - s, s - (i - 1.0) / nn)
    d = np.where(np.isfinite(s), d, -np.inf)
    out = d.max(axis=0, initial=-np.inf)
    return np.where(n > 0, out, np.nan)


def ks_to_sketch(values: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """KS distance of each column's sample to its reference sketch.

    Parameters
    ----------
    values : ndarray ``[n, F]``
        New observations, one column per feature; NaNs are ignored.
    quantiles : ndarray ``[F, 101]``
        Reference percentiles 0..100 of each feature.

    Returns
    -------
    ndarray ``[F]``
        ``sup_x |F_n(x) - F_ref(x)|`` with ``F_ref`` from :func:`sketch_cdf` (NaN for a column
        without finite values).
    """
    return ks_uniform(sketch_cdf(values, quantiles))


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """PSI bin of each value: ``k`` for ``edges[k-1] < v <= edges[k]`` style right-open search.

    ``np.searchsorted(edges, v, side="right")``: values equal to an edge go to the upper bin; the
    result lies in ``0 .. len(edges)``; NaN maps past the last bin (``len(edges) + 1``).
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.searchsorted(edges, values, side="right")
    out[np.isnan(values)] = len(edges) + 1
    return out


def psi(observed: np.ndarray, expected: np.ndarray, *, floor: float = PSI_FLOOR) -> np.ndarray:
    """Population stability index ``sum_k (o_k - e_k) ln(o_k / e_k)`` along the last axis.

    Proportions are floored at ``floor`` (and renormalized) so an empty bin stays finite. Every
    term is >= 0, so PSI >= 0, with 0 exactly when the proportions agree.
    """
    o = np.maximum(np.asarray(observed, dtype=np.float64), floor)
    e = np.maximum(np.asarray(expected, dtype=np.float64), floor)
    o = o / o.sum(axis=-1, keepdims=True)
    e = e / e.sum(axis=-1, keepdims=True)
    return np.sum((o - e) * np.log(o / e), axis=-1)


def outcome_metrics(scores: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """Per timestamp: IC, Rank IC and hit rate of ``scores`` against realized ``labels``.

    The hit rate is the share of symbols whose score and label sit on the same side of their
    cross-sectional means (a market-neutral direction hit rate; 0.5 is chance).
    """
    ic = information_coefficient(scores, labels, "pearson")
    rank_ic = information_coefficient(scores, labels, "spearman")
    s, y = scores.align(labels, join="inner")
    keep = s.notna().to_numpy() & y.notna().to_numpy()
    s, y = s[keep], y[keep]
    stamp = s.index.get_level_values("timestamp")
    ds = s - s.groupby(level="timestamp").transform("mean")
    dy = y - y.groupby(level="timestamp").transform("mean")
    hit = pd.Series(np.sign(ds.to_numpy()) == np.sign(dy.to_numpy()), index=stamp)
    hit = hit.groupby(level=0).mean().astype(np.float64)
    out = pd.DataFrame({"ic": ic, "rank_ic": rank_ic, "hit_rate": hit})
    out.index.name = "timestamp"
    return out


def compute_reference(
    features: pd.DataFrame,
    scores: pd.Series | None = None,
    labels: pd.Series | None = None,
    *,
    config: ReferenceConfig | None = None,
) -> dict[str, Any]:
    """Summarize a training window for monitoring (the module docstring lists what is kept).

    Parameters
    ----------
    features : DataFrame
        Indexed ``(timestamp, symbol)``, one column a feature: the window the model was fitted on.
    scores : Series, optional
        Model scores indexed like ``features`` (or a subset): score sketch and calibration.
    labels : Series, optional
        Realized labels aligned with ``scores``: IC, Rank IC and hit rate summary.
    config : ReferenceConfig, optional

    Returns
    -------
    dict
        The JSON-serializable ``reference.json`` document.
    """
    config = config or ReferenceConfig()
    if not isinstance(features.index, pd.MultiIndex) or "timestamp" not in features.index.names:
        raise ModelError("compute_reference needs features indexed by (timestamp, symbol).")
    features = features.sort_index(level="timestamp", sort_remaining=False)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "window": config.window,
        "config": dataclasses.asdict(config),
        "percentiles": PERCENTILES.tolist(),
        "n_timestamps": int(features.index.get_level_values("timestamp").nunique()),
        "start": _iso(features.index.get_level_values("timestamp").min()),
        "end": _iso(features.index.get_level_values("timestamp").max()),
        "features": _column_block(features, config),
        "scores": None,
        "performance": None,
    }
    if scores is not None:
        frame = scores.rename("score").to_frame().sort_index(level="timestamp")
        doc["scores"] = _column_block(frame, config)
        if labels is not None:
            metrics = outcome_metrics(scores, labels)
            horizon = int(labels.attrs.get("horizon", 1))
            doc["performance"] = _round(_performance(metrics, horizon), config.digits)
    return doc


def attach_reference(
    artifact: ModelArtifact,
    features: pd.DataFrame,
    scores: pd.Series | None = None,
    labels: pd.Series | None = None,
    *,
    config: ReferenceConfig | None = None,
) -> ModelArtifact:
    """Return ``artifact`` carrying the reference statistics of ``features`` (and scores, labels).

    Only the artifact's feature columns are summarized; saving the result writes
    ``reference.json`` beside ``artifact.json``.
    """
    missing = [f for f in artifact.features if f not in features.columns]
    if missing:
        raise ModelError(f"attach_reference: features lack the artifact's columns {missing}.")
    doc = compute_reference(features[list(artifact.features)], scores, labels, config=config)
    return dataclasses.replace(artifact, reference=doc)


def _column_block(frame: pd.DataFrame, config: ReferenceConfig) -> dict[str, Any]:
    """Sketch, moments, bins and bootstrap calibration of every column (columnar lists)."""
    values = frame.to_numpy(dtype=np.float64)
    count = np.isfinite(values).sum(axis=0)
    with np.errstate(all="ignore"):
        quantiles = np.nanpercentile(values, PERCENTILES, axis=0).T  # [F, 101]
        mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0, ddof=1)
        skew = stats.skew(values, axis=0, nan_policy="omit", bias=False)
        kurt = stats.kurtosis(values, axis=0, nan_policy="omit", bias=False)
    step = 100.0 / config.n_bins
    at = np.round(np.arange(1, config.n_bins) * step).astype(int)  # interior percentiles
    edges = [np.unique(q[at]) for q in quantiles]
    proportions = [
        np.bincount(bin_index(values[:, j], e), minlength=len(e) + 2)[: len(e) + 1]
        / max(int(count[j]), 1)
        for j, e in enumerate(edges)
    ]
    calibration = _calibrate(frame, values, quantiles, edges, proportions, config)
    d = config.digits
    return {
        "names": [str(c) for c in frame.columns],
        "count": count.tolist(),
        "nan_rate": _round(1.0 - count / max(len(values), 1), d),
        "mean": _round(mean, d),
        "std": _round(std, d),
        "skew": _round(np.asarray(skew, dtype=np.float64), d),
        "kurt": _round(np.asarray(kurt, dtype=np.float64), d),
        "quantiles": [_round(q, d) for q in quantiles],
        "edges": [_round(e, d) for e in edges],
        "proportions": [_round(p, d) for p in proportions],
        "calibration": {k: _round(v, d) for k, v in calibration.items()},
    }


def _calibrate(
    frame: pd.DataFrame,
    values: np.ndarray,
    quantiles: np.ndarray,
    edges: list[np.ndarray],
    proportions: list[np.ndarray],
    config: ReferenceConfig,
) -> dict[str, np.ndarray]:
    """Block-bootstrap null of KS and PSI for windows of ``config.window`` bars."""
    codes, stamps = pd.factorize(frame.index.get_level_values("timestamp"))
    n_t, n_f = len(stamps), values.shape[1]
    window = min(config.window, n_t)
    block = min(config.block or window, window)
    starts = np.searchsorted(codes, np.arange(n_t + 1))  # rows of bar t: starts[t]:starts[t+1]
    u = np.empty(values.shape, dtype=np.float32)  # KS resolution needs no more
    bins = np.empty(values.shape, dtype=np.int32)
    width = max(len(e) for e in edges) + 2
    for j in range(n_f):
        u[:, j] = _sketch_cdf(values[:, j], quantiles[j])
        bins[:, j] = bin_index(values[:, j], edges[j]) + j * width
    rng = np.random.default_rng(config.seed)
    n_blocks = -(-window // block)
    ks = np.empty((config.n_boot, n_f))
    ps = np.empty((config.n_boot, n_f))
    expected = np.zeros((n_f, width))
    for j, p in enumerate(proportions):
        expected[j, : len(p)] = p
    for b in range(config.n_boot):
        first = rng.integers(0, n_t, n_blocks)
        bars = ((first[:, None] + np.arange(block)) % n_t).ravel()[:window]
        rows = np.concatenate([np.arange(starts[t], starts[t + 1]) for t in bars])
        ks[b] = ks_uniform(u[rows])
        counts = np.bincount(bins[rows].ravel(), minlength=n_f * width).reshape(n_f, width)
        counts = counts.astype(np.float64)
        counts[np.arange(n_f), [len(e) + 1 for e in edges]] = 0.0  # NaNs are not a bin
        total = counts.sum(axis=1, keepdims=True)
        ps[b] = _psi_masked(counts / np.where(total > 0, total, 1.0), expected, edges)
    dof = np.array([len(e) for e in edges], dtype=np.float64)  # bins - 1
    with np.errstate(all="ignore"):
        ks_cal = np.nanquantile(ks, _CAL_LEVEL, axis=0)
        ps_cal = np.nanquantile(ps, _CAL_LEVEL, axis=0)
        ks_neff = (stats.kstwobign.ppf(_CAL_LEVEL) / ks_cal) ** 2 / window
        psi_neff = stats.chi2.ppf(_CAL_LEVEL, np.maximum(dof, 1.0)) / ps_cal / window
    return {
        "ks_q95": np.nanquantile(ks, 0.95, axis=0),
        "ks_q99": np.nanquantile(ks, 0.99, axis=0),
        "ks_neff_per_bar": ks_neff,
        "psi_q95": np.nanquantile(ps, 0.95, axis=0),
        "psi_q99": np.nanquantile(ps, 0.99, axis=0),
        "psi_neff_per_bar": psi_neff,
    }


def _psi_masked(observed: np.ndarray, expected: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(edges))
    for j, e in enumerate(edges):
        k = len(e) + 1
        out[j] = psi(observed[j, :k], expected[j, :k])
    return out


def _sketch_cdf(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Reference CDF at ``x`` by linear interpolation between percentiles (ties: mid-level)."""
    q = np.asarray(q, dtype=np.float64)
    if not np.isfinite(q).all():
        return np.full(x.shape, np.nan)
    levels = PERCENTILES / 100.0
    lo = np.interp(x, q, levels, left=0.0, right=1.0)
    hi = 1.0 - np.interp(-x, -q[::-1], 1.0 - levels[::-1], left=1.0, right=0.0)
    return 0.5 * (lo + hi)  # equal for strictly increasing q; the tie plateau's middle otherwise


def _performance(metrics: pd.DataFrame, horizon: int) -> dict[str, Any]:
    out: dict[str, Any] = {"horizon": horizon, "n": int(metrics["ic"].notna().sum())}
    for col in ("ic", "rank_ic", "hit_rate"):
        s = metrics[col].dropna()
        out[f"{col}_mean"] = float(s.mean()) if len(s) else None
        out[f"{col}_std"] = float(s.std(ddof=1)) if len(s) > 1 else None
    return out


def _round(value: Any, digits: int) -> Any:
    """JSON-safe rounding to ``digits`` significant digits (NaN and inf become None)."""
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_round(v, digits) for v in np.asarray(value, dtype=np.float64).tolist()]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(f"{float(value):.{digits}g}")


def _iso(stamp: Any) -> str | None:
    return None if pd.isna(stamp) else pd.Timestamp(stamp).isoformat()
