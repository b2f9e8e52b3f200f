"""Every risk limit and circuit breaker by name, for workflow files and ``portfolio list``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

from alphafactory.config_io import from_section
from alphafactory.errors import ConfigError
from alphafactory.risk.circuit_breakers import DailyLossLimit, IntradayLossLimit, MaxDrawdownStop
from alphafactory.risk.exposure_limits import MaxGrossLeverage, MaxNetExposure, VaRLimit
from alphafactory.risk.limit import CircuitBreaker, RiskLimit
from alphafactory.risk.position_limits import MaxGroupWeight, MaxPositions, MaxPositionWeight

#: Registered name -> class, in the order a manager usually applies them.
LIMITS: dict[str, type[RiskLimit] | type[CircuitBreaker]] = {
    cls.name: cls
    for cls in (
        MaxPositionWeight, MaxGroupWeight, MaxPositions, MaxGrossLeverage, MaxNetExposure,
        VaRLimit, DailyLossLimit, MaxDrawdownStop, IntradayLossLimit,
    )
}


def limit_from_config(table: Mapping[str, Any], where: str = "[risk]"
                      ) -> RiskLimit | CircuitBreaker:
    """Build a limit from a TOML table ``{"name": ..., **parameters}``.

    Raises
    ------
    ConfigError
        For an unknown name, an unknown key or a bad value, naming ``where``.
    """
    params = dict(table)
    name = params.pop("name", None)
    if name not in LIMITS:
        raise ConfigError(f"Unknown risk limit {name!r} in {where}; registered limits are "
                          f"{sorted(LIMITS)}.")
    try:
        return from_section(LIMITS[name], params, f"{where} limit {name!r}")
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} limit {name!r}: {exc}") from exc


def describe_limits() -> pd.DataFrame:
    """One row per registered limit: ``name``, ``kind``, ``parameters`` (defaults), ``summary``."""
    rows = []
    for name, cls in LIMITS.items():
        defaults = {
            f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.init
        }
        rows.append({
            "name": name,
            "kind": "circuit_breaker" if issubclass(cls, CircuitBreaker) else "limit",
            "parameters": defaults,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
        })
    return pd.DataFrame(rows)
