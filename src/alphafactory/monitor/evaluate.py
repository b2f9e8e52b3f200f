"""Detection delay and false-alarm rate of a detector on series with known change points.

The figures the monitoring README reports: run a fresh detector over each series, count every
alarm before the series' change point as a false alarm and the first alarm at or after it as the
detection. A change never detected has an infinite delay, so the median and the 90th percentile
stay honest when a detector misses (they become inf once half, or a tenth, are missed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alphafactory.errors import ConfigError
from alphafactory.monitor.detectors import Detector

__all__ = ["DetectionSummary", "detection_summary", "gaussian_ic_series"]


@dataclass(frozen=True, kw_only=True, slots=True)
class DetectionSummary:
    """Detection delay and false alarms over a set of series.

    Attributes
    ----------
    median_delay, p90_delay : float
        Bars from the change point to the first alarm at or after it (inf for a miss; NaN when
        no series has a change).
    detection_rate : float
        Share of changes detected before the series ends.
    false_alarms_per_1000 : float
        Alarms before the change (the whole series when it has none) per 1,000 such bars.
    n_series, n_changes : int
    delays : tuple of float
        Each change's delay (inf for a miss).
    """

    median_delay: float
    p90_delay: float
    detection_rate: float
    false_alarms_per_1000: float
    n_series: int
    n_changes: int
    delays: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (inf and NaN become None)."""

        def safe(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {
            "median_delay": safe(self.median_delay),
            "p90_delay": safe(self.p90_delay),
            "detection_rate": safe(self.detection_rate),
            "false_alarms_per_1000": self.false_alarms_per_1000,
            "n_series": self.n_series,
            "n_changes": self.n_changes,
            "delays": [safe(d) for d in self.delays],
        }


def detection_summary(
    make_detector: Callable[[], Detector],
    series: Sequence[np.ndarray],
    change_points: Sequence[int | None],
) -> DetectionSummary:
    """Run ``make_detector()`` over each series and summarize delays and false alarms.

    Parameters
    ----------
    make_detector : callable
        Returns a fresh detector (one per series).
    series : sequence of 1-d arrays
        The monitored values (e.g. standardized IC), one per market or seed.
    change_points : sequence of int or None
        Index of the first changed value of each series; None for a series without change.
    """
    if len(series) != len(change_points):
        raise ConfigError(
            f"series and change_points differ in length: {len(series)} and {len(change_points)}."
        )
    delays: list[float] = []
    false_alarms, null_bars = 0, 0
    for values, change in zip(series, change_points, strict=True):
        values = np.asarray(values, dtype=np.float64).ravel()
        end = len(values) if change is None else int(change)
        if not 0 <= end <= len(values):
            raise ConfigError(f"change point {change} lies outside a series of {len(values)}.")
        detector = make_detector()
        alarms = np.fromiter((detector.update(float(x)).alarm for x in values), bool, len(values))
        false_alarms += int(alarms[:end].sum())
        null_bars += end
        if change is not None:
            hits = np.flatnonzero(alarms[end:])
            delays.append(float(hits[0]) if len(hits) else math.inf)
    d = np.asarray(delays)
    return DetectionSummary(
        median_delay=float(np.median(d)) if len(d) else math.nan,
        p90_delay=float(np.quantile(d, 0.9, method="higher")) if len(d) else math.nan,
        detection_rate=float(np.isfinite(d).mean()) if len(d) else math.nan,
        false_alarms_per_1000=1000.0 * false_alarms / null_bars if null_bars else math.nan,
        n_series=len(series),
        n_changes=len(d),
        delays=tuple(delays),
    )


def gaussian_ic_series(
    n: int, *, change_at: int | None, before: float, after: float, sd: float, seed: int
) -> np.ndarray:
    """An i.i.d. Gaussian IC series whose mean moves from ``before`` to ``after`` at ``change_at``.

    The simplest stand-in for a model's per-bar IC (cross-sectional IC of ``N`` symbols has a
    standard deviation of about ``1 / sqrt(N)``), for tests and quick figures.
    """
    rng = np.random.default_rng(seed)
    mean = np.full(n, float(before))
    if change_at is not None:
        mean[change_at:] = after
    return mean + sd * rng.standard_normal(n)
