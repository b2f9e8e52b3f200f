"""Sequential change detectors: one value in, a :class:`DetectorState` out.

Every detector follows one small contract (``update(x) -> DetectorState``, ``reset()``,
``parameters``), so the concept-drift monitor and the figures in
:mod:`alphafactory.monitor.evaluate` run any of them. The monitor feeds the *standardized* IC
series ``z_t = (IC_t - mu_ref) / sd_ref`` (reference mean and per-bar standard deviation stored
with the model), so the defaults are in units of the reference's standard deviation and hold for
any model.

After an alarm a detector restarts its statistic from zero on the next value (``n`` keeps
counting): a change that persists alarms again after about one detection delay, which is how the
false-alarm rate per 1,000 bars is counted; a caller that wants one alarm per change de-duplicates
(the alert store does) or calls ``reset()``.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, Literal

from alphafactory.errors import ConfigError

__all__ = [
    "Adwin",
    "AlwaysFire",
    "CountingDetector",
    "Cusum",
    "Detector",
    "DetectorState",
    "NeverFire",
    "PageHinkley",
]

Direction = Literal["down", "up", "both"]


@dataclass(frozen=True, kw_only=True, slots=True)
class DetectorState:
    """What a detector knows after a value.

    Attributes
    ----------
    alarm : bool
        True on the update that signals a change.
    statistic : float
        The detector's statistic after the update (compare with its threshold).
    since : int or None
        Index (0-based, in updates since construction) of the estimated start of the change:
        where the statistic last left zero; None when nothing is accumulating.
    n : int
        Values seen since construction (or the last ``reset()``).
    """

    alarm: bool
    statistic: float
    since: int | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        stat = self.statistic if math.isfinite(self.statistic) else None
        return {"alarm": self.alarm, "statistic": stat, "since": self.since, "n": self.n}


class Detector(abc.ABC):
    """A sequential change detector over a 1-d series."""

    @abc.abstractmethod
    def update(self, x: float) -> DetectorState:
        """Take the next value (NaN values are skipped: the state is returned unchanged)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget everything seen."""

    @property
    @abc.abstractmethod
    def parameters(self) -> dict[str, Any]:
        """The detector's settings, JSON-safe (for reports)."""


def _check(name: str, value: float, *, low: float = 0.0, strict: bool = False) -> None:
    ok = math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        sign = ">" if strict else ">="
        raise ConfigError(f"{name} must be finite and {sign} {low}; got {value!r}.")


def _check_direction(name: str, direction: str) -> None:
    if direction not in ("down", "up", "both"):
        raise ConfigError(f"{name}.direction must be 'down', 'up' or 'both'; got {direction!r}.")


class Cusum(Detector):
    """Page's CUSUM on a standardized series against a known in-control mean.

    ``S-_t = max(0, S-_{t-1} + (target - x_t) - k)`` (downward) and
    ``S+_t = max(0, S+_{t-1} + (x_t - target) - k)`` (upward); alarm when a tracked sum exceeds
    ``h``. ``k`` is half the shift to detect fastest (in standard deviations); ``h`` trades delay
    for false alarms: with ``k=0.25, h=12`` the one-sided in-control run length on i.i.d. N(0, 1)
    is about 5,700 bars (Siegmund's approximation) and a shift of 0.7 sd (IC 0.05 -> -0.05 with
    an IC sd of 0.14) is found in about 30 bars. Real IC series are not i.i.d. (the per-bar IC's
    spread moves with volatility): on synthetic markets ``h=10`` gave 1.2 false alarms per 1,000
    bars, over the 1 the monitor aims at, hence 12 (research/results/monitor_drift.md).

    Parameters
    ----------
    k : float
        Allowance (reference value), >= 0.
    h : float
        Decision threshold, > 0.
    direction : {"down", "up", "both"}
        Which shifts to detect; the monitor watches IC going down.
    target : float
        In-control mean of ``x`` (0 for a standardized series).
    """

    def __init__(
        self,
        *,
        k: float = 0.25,
        h: float = 12.0,
        direction: Direction = "down",
        target: float = 0.0,
    ) -> None:
        _check("Cusum.k", k)
        _check("Cusum.h", h, strict=True)
        _check("Cusum.target", target, low=-math.inf)
        _check_direction("Cusum", direction)
        self.k, self.h, self.direction, self.target = float(k), float(h), direction, float(target)
        self.reset()

    def reset(self) -> None:
        self._lo = self._hi = 0.0
        self._lo_start: int | None = None
        self._hi_start: int | None = None
        self._n = 0

    @property
    def parameters(self) -> dict[str, Any]:
        return {"k": self.k, "h": self.h, "direction": self.direction, "target": self.target}

    def update(self, x: float) -> DetectorState:
        if not math.isfinite(x):
            return self._state(False)
        i = self._n
        self._n += 1
        if self.direction in ("down", "both"):
            self._lo = max(0.0, self._lo + (self.target - x) - self.k)
            self._lo_start = (
                None if self._lo == 0.0 else (self._lo_start if self._lo_start is not None else i)
            )
        if self.direction in ("up", "both"):
            self._hi = max(0.0, self._hi + (x - self.target) - self.k)
            self._hi_start = (
                None if self._hi == 0.0 else (self._hi_start if self._hi_start is not None else i)
            )
        state = self._state(max(self._lo, self._hi) > self.h)
        if state.alarm:
            self._lo = self._hi = 0.0
            self._lo_start = self._hi_start = None
        return state

    def _state(self, alarm: bool) -> DetectorState:
        if self._lo >= self._hi:
            stat, since = self._lo, self._lo_start
        else:
            stat, since = self._hi, self._hi_start
        return DetectorState(alarm=alarm, statistic=stat, since=since, n=self._n)


class PageHinkley(Detector):
    """Page-Hinkley test: CUSUM against the running mean instead of a known target.

    Downward: ``m_t = sum_{i<=t} (xbar_i - x_i - delta)`` with ``xbar_i`` the mean of the values
    up to ``i``; alarm when ``m_t - min_{s<=t} m_s > threshold`` after ``min_instances`` values.
    Needs no reference mean (it learns one), at the price of a slower reaction: the running mean
    absorbs part of the shift.

    Parameters
    ----------
    delta : float
        Tolerated drift per value, >= 0 (in the series' units: sd for a standardized series).
    threshold : float
        Alarm threshold ``lambda``, > 0.
    min_instances : int
        Values before an alarm is possible.
    direction : {"down", "up", "both"}
    """

    def __init__(
        self,
        *,
        delta: float = 0.25,
        threshold: float = 12.0,
        min_instances: int = 30,
        direction: Direction = "down",
    ) -> None:
        _check("PageHinkley.delta", delta)
        _check("PageHinkley.threshold", threshold, strict=True)
        if (
            isinstance(min_instances, bool)
            or not isinstance(min_instances, int)
            or min_instances < 1
        ):
            raise ConfigError(
                f"PageHinkley.min_instances must be an integer >= 1; got {min_instances!r}."
            )
        _check_direction("PageHinkley", direction)
        self.delta, self.threshold = float(delta), float(threshold)
        self.min_instances, self.direction = min_instances, direction
        self.reset()

    def reset(self) -> None:
        self._n = 0
        self._restart()

    def _restart(self) -> None:
        self._count, self._mean = 0, 0.0
        self._down = self._up = 0.0  # cumulative sums
        self._down_min = self._up_min = 0.0
        self._down_at: int | None = None
        self._up_at: int | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "delta": self.delta,
            "threshold": self.threshold,
            "min_instances": self.min_instances,
            "direction": self.direction,
        }

    def update(self, x: float) -> DetectorState:
        if not math.isfinite(x):
            return self._state(False)
        i = self._n
        self._n += 1
        self._count += 1
        self._mean += (x - self._mean) / self._count
        self._down += self._mean - x - self.delta
        self._up += x - self._mean - self.delta
        if self._down <= self._down_min:
            self._down_min, self._down_at = self._down, None
        elif self._down_at is None:
            self._down_at = i
        if self._up <= self._up_min:
            self._up_min, self._up_at = self._up, None
        elif self._up_at is None:
            self._up_at = i
        stat, _ = self._stat()
        state = self._state(self._count >= self.min_instances and stat > self.threshold)
        if state.alarm:
            self._restart()
        return state

    def _stat(self) -> tuple[float, int | None]:
        down = self._down - self._down_min if self.direction in ("down", "both") else 0.0
        up = self._up - self._up_min if self.direction in ("up", "both") else 0.0
        return (down, self._down_at) if down >= up else (up, self._up_at)

    def _state(self, alarm: bool) -> DetectorState:
        stat, since = self._stat()
        return DetectorState(alarm=alarm, statistic=stat, since=since, n=self._n)


class Adwin(Detector):
    """River's ADWIN (adaptive windowing, Bifet and Gavalda 2007), for comparison.

    Needs the ``drift`` extra (``pip install alphafactory[drift]``; river is imported when the
    detector is built). ADWIN watches both directions; ``since`` is the first value of the window
    it keeps after a drift, ``statistic`` the mean of that window.

    Parameters
    ----------
    delta : float
        Confidence in ``(0, 1)``; river's default 0.002.
    clock : int
        How often (in values) the window is checked; river's default 32.
    """

    def __init__(self, *, delta: float = 0.002, clock: int = 32) -> None:
        if not (math.isfinite(delta) and 0.0 < delta < 1.0):
            raise ConfigError(f"Adwin.delta must lie in (0, 1); got {delta!r}.")
        if isinstance(clock, bool) or not isinstance(clock, int) or clock < 1:
            raise ConfigError(f"Adwin.clock must be an integer >= 1; got {clock!r}.")
        self.delta, self.clock = float(delta), clock
        self.reset()

    def reset(self) -> None:
        try:
            from river.drift import ADWIN
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("Adwin needs river: pip install 'alphafactory[drift]'.") from exc
        self._adwin = ADWIN(delta=self.delta, clock=self.clock)
        self._n = 0
        self._since: int | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        return {"delta": self.delta, "clock": self.clock}

    def update(self, x: float) -> DetectorState:
        if not math.isfinite(x):
            return self._state(False)
        self._n += 1
        self._adwin.update(float(x))
        alarm = bool(self._adwin.drift_detected)
        if alarm:
            self._since = self._n - int(self._adwin.width)
        return self._state(alarm)

    def _state(self, alarm: bool) -> DetectorState:
        return DetectorState(
            alarm=alarm, statistic=float(self._adwin.estimation), since=self._since, n=self._n
        )


class CountingDetector(Detector):
    """A detector without parameters or memory beyond the count of finite values (the
    baselines, and replays of precomputed alarms in research scripts)."""

    def __init__(self) -> None:
        self._n = 0

    def reset(self) -> None:
        self._n = 0

    @property
    def parameters(self) -> dict[str, Any]:
        return {}

    def _count(self, x: float) -> bool:
        finite = math.isfinite(x)
        self._n += finite
        return finite


class AlwaysFire(CountingDetector):
    """Baseline: alarms on every value (zero delay, the worst false-alarm rate)."""

    def update(self, x: float) -> DetectorState:
        finite = self._count(x)
        return DetectorState(alarm=finite, statistic=1.0, since=self._n - 1, n=self._n)


class NeverFire(CountingDetector):
    """Baseline: never alarms (no false alarm, every change missed)."""

    def update(self, x: float) -> DetectorState:
        self._count(x)
        return DetectorState(alarm=False, statistic=0.0, since=None, n=self._n)
