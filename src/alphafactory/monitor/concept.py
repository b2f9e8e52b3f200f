"""Concept drift: is the model still right? Realized IC, Rank IC and hit rate as labels mature.

A score for bar ``t`` with a label of horizon ``h`` can be judged only once bar ``t + h`` has
closed. :class:`ConceptDriftMonitor` keeps its own clock of observed bars and refuses a label
before it has matured: ``observe(t, scores)`` at each bar, ``realize(t, labels)`` once bar
``t + h`` has been observed. Each realized cross-section gives an IC, a Rank IC and a hit rate;
the IC, standardized by the reference's mean and per-bar standard deviation (the model's
out-of-sample IC stored with the artifact), feeds a sequential detector (CUSUM by default), and
rolling means over ``window`` realized bars are reported beside the reference.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from alphafactory.errors import ConfigError, DataError, ModelError
from alphafactory.monitor.detectors import Cusum, Detector, DetectorState
from alphafactory.monitor.reference import Reference

__all__ = ["ConceptConfig", "ConceptDriftMonitor", "ConceptState"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ConceptConfig:
    """Settings of the concept-drift monitor.

    Attributes
    ----------
    horizon : int or None
        Label horizon in bars; None reads the reference's (1 when it has none).
    window : int
        Realized bars in the rolling IC, Rank IC and hit rate.
    metric : {"ic", "rank_ic"}
        The series the detector watches (standardized by the reference's mean and sd).
    min_symbols : int
        Cross-sections with fewer valid symbols give no value (the detector skips them).
    """

    horizon: int | None = None
    window: int = 60
    metric: Literal["ic", "rank_ic"] = "ic"
    min_symbols: int = 5

    def __post_init__(self) -> None:
        if self.horizon is not None and (isinstance(self.horizon, bool) or self.horizon < 1):
            raise ConfigError(f"ConceptConfig.horizon must be None or >= 1; got {self.horizon!r}.")
        if isinstance(self.window, bool) or self.window < 2:
            raise ConfigError(f"ConceptConfig.window must be >= 2; got {self.window!r}.")
        if self.metric not in ("ic", "rank_ic"):
            raise ConfigError(
                f"ConceptConfig.metric must be 'ic' or 'rank_ic'; got {self.metric!r}."
            )
        if isinstance(self.min_symbols, bool) or self.min_symbols < 3:
            raise ConfigError(f"ConceptConfig.min_symbols must be >= 3; got {self.min_symbols!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ConceptState:
    """The concept-drift state after a realized bar.

    Attributes
    ----------
    timestamp : Timestamp
        The bar whose label was realized.
    ic, rank_ic, hit_rate : float
        That cross-section's values (NaN with too few symbols).
    z : float
        The watched metric standardized by the reference.
    rolling_ic, rolling_rank_ic, rolling_hit_rate : float
        Means over the last ``window`` realized bars.
    reference_ic, reference_rank_ic, reference_hit_rate : float
        The reference's means.
    detector : DetectorState
    since : Timestamp or None
        The bar the detector dates the change to.
    """

    timestamp: pd.Timestamp
    ic: float
    rank_ic: float
    hit_rate: float
    z: float
    rolling_ic: float
    rolling_rank_ic: float
    rolling_hit_rate: float
    reference_ic: float
    reference_rank_ic: float
    reference_hit_rate: float
    detector: DetectorState
    since: pd.Timestamp | None

    @property
    def alarm(self) -> bool:
        """True when the detector signalled a change on this bar."""
        return self.detector.alarm

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (NaN becomes None)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            v = getattr(self, name)
            if isinstance(v, pd.Timestamp):
                v = v.isoformat()
            elif isinstance(v, DetectorState):
                v = v.to_dict()
            elif isinstance(v, float) and not math.isfinite(v):
                v = None
            out[name] = v
        out["alarm"] = self.alarm
        return out


def _ref_value(perf: dict[str, Any], key: str) -> float:
    v = perf.get(key)
    return math.nan if v is None else float(v)


class ConceptDriftMonitor:
    """Rolling realized performance and a sequential detector on the standardized IC.

    Parameters
    ----------
    reference : Reference
        Must carry performance (``ic_mean``, ``ic_std``): attach scores and labels when
        computing it.
    detector : Detector, optional
        Default ``Cusum()`` (downward, ``k=0.25, h=12`` sd). With a label horizon ``h > 1`` only
        every ``h``-th bar's IC reaches the detector: the ICs of overlapping labels are
        correlated, and a detector that takes them as independent alarms far too often.
    config : ConceptConfig, optional
    """

    def __init__(
        self,
        reference: Reference,
        detector: Detector | None = None,
        config: ConceptConfig | None = None,
    ) -> None:
        perf = dict(reference.performance or {})
        self.config = config or ConceptConfig()
        metric = self.config.metric
        self._mu = _ref_value(perf, f"{metric}_mean")
        self._sd = _ref_value(perf, f"{metric}_std")
        if not (math.isfinite(self._mu) and math.isfinite(self._sd) and self._sd > 0.0):
            raise ModelError(
                f"the reference has no usable {metric} mean and standard deviation (got "
                f"{perf.get(f'{metric}_mean')!r}, {perf.get(f'{metric}_std')!r}); compute it "
                "with scores and labels."
            )
        self._perf = perf
        self.horizon = self.config.horizon or int(perf.get("horizon") or 1)
        self.detector = detector or Cusum()
        self._state = DetectorState(alarm=False, statistic=0.0, since=None, n=0)
        self._clock: list[pd.Timestamp] = []
        self._position: dict[pd.Timestamp, int] = {}
        self._pending: dict[pd.Timestamp, pd.Series] = {}
        self._realized: list[pd.Timestamp] = []
        self._accepted: list[pd.Timestamp] = []
        self._recent: collections.deque[tuple[float, float, float]] = collections.deque(
            maxlen=self.config.window
        )

    def observe(self, timestamp: pd.Timestamp, scores: pd.Series) -> None:
        """Record bar ``timestamp`` and the scores given at its close (indexed by symbol)."""
        stamp = pd.Timestamp(timestamp)
        if self._clock and stamp <= self._clock[-1]:
            raise DataError(f"bars must arrive in time order: {stamp} after {self._clock[-1]}.")
        self._position[stamp] = len(self._clock)
        self._clock.append(stamp)
        self._pending[stamp] = scores

    def mature(self) -> list[pd.Timestamp]:
        """Observed bars whose labels may now be realized (oldest first)."""
        last = len(self._clock) - 1
        return [t for t in self._pending if self._position[t] + self.horizon <= last]

    def realize(self, timestamp: pd.Timestamp, labels: pd.Series) -> ConceptState:
        """Judge the scores of bar ``timestamp`` against their realized ``labels``.

        Raises
        ------
        DataError
            When bar ``timestamp + horizon`` has not been observed yet (the label is not known),
            the bar was never observed or already realized, or bars are realized out of order.
        """
        stamp = pd.Timestamp(timestamp)
        if stamp not in self._pending:
            raise DataError(f"no pending scores for {stamp}: never observed or already realized.")
        pos, last = self._position[stamp], len(self._clock) - 1
        if pos + self.horizon > last:
            raise DataError(
                f"the label of {stamp} (horizon {self.horizon}) matures at bar {pos + self.horizon}"
                f"; the monitor has seen bars up to {last} ({self._clock[-1]})."
            )
        if self._realized and stamp < self._realized[-1]:
            raise DataError(
                f"bars must be realized in time order: {stamp} after {self._realized[-1]}."
            )
        scores = self._pending.pop(stamp)
        ic, rank_ic, hit = _cross_section(scores, labels, self.config.min_symbols)
        value = ic if self.config.metric == "ic" else rank_ic
        z = (value - self._mu) / self._sd
        if pos % self.horizon == 0:  # labels of bars h apart do not overlap
            state = self._state = self.detector.update(z)
            if math.isfinite(z):
                self._accepted.append(stamp)  # the detector counts finite values only
        else:
            state = dataclasses.replace(self._state, alarm=False)
        self._realized.append(stamp)
        self._recent.append((ic, rank_ic, hit))
        recent = np.array(self._recent)
        with np.errstate(all="ignore"):
            rolling = (
                np.nanmean(recent, axis=0) if np.isfinite(recent).any() else np.full(3, np.nan)
            )
        since = None
        if state.since is not None and 0 <= state.since < len(self._accepted):
            since = self._accepted[state.since]
        return ConceptState(
            timestamp=stamp, ic=ic, rank_ic=rank_ic, hit_rate=hit, z=z,
            rolling_ic=float(rolling[0]), rolling_rank_ic=float(rolling[1]),
            rolling_hit_rate=float(rolling[2]),
            reference_ic=_ref_value(self._perf, "ic_mean"),
            reference_rank_ic=_ref_value(self._perf, "rank_ic_mean"),
            reference_hit_rate=_ref_value(self._perf, "hit_rate_mean"),
            detector=state, since=since,
        )  # fmt: skip

    def update(
        self, timestamp: pd.Timestamp, scores: pd.Series, labels: pd.Series | None = None
    ) -> list[ConceptState]:
        """Observe bar ``timestamp`` and realize every bar that has matured with it.

        ``labels`` holds realized labels indexed ``(timestamp, symbol)`` (a long frame's column
        or Series); bars it does not cover stay pending.
        """
        self.observe(timestamp, scores)
        out = []
        if labels is None:
            return out
        for t in self.mature():
            try:
                realized = labels.xs(t, level="timestamp")
            except KeyError:
                continue  # not covered yet: stays pending
            out.append(self.realize(t, realized))
        return out


def _cross_section(
    scores: pd.Series, labels: pd.Series, min_symbols: int
) -> tuple[float, float, float]:
    """IC, Rank IC and hit rate of one cross-section (symbols aligned by index)."""
    s, y = scores.align(labels, join="inner")
    sv, yv = s.to_numpy(dtype=np.float64), y.to_numpy(dtype=np.float64)
    ok = np.isfinite(sv) & np.isfinite(yv)
    sv, yv = sv[ok], yv[ok]
    if len(sv) < min_symbols or sv.std() == 0.0 or yv.std() == 0.0:
        return math.nan, math.nan, math.nan
    ic = float(np.corrcoef(sv, yv)[0, 1])
    rank_ic = float(np.corrcoef(stats.rankdata(sv), stats.rankdata(yv))[0, 1])
    hit = float(np.mean(np.sign(sv - sv.mean()) == np.sign(yv - yv.mean())))
    return ic, rank_ic, hit
