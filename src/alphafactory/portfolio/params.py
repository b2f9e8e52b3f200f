"""One check of every registered rule's numeric parameters: finite and in range, or one line.

Each rule's ``__post_init__`` checks what is particular to it (``0 < max_weight <= 1``, ``exit <=
enter``); NaN slips through comparisons (``nan < 2`` is False) and ``inf`` through most of them,
so :func:`check_parameters` runs over every rule the registry builds and every rule
``weights_from_scores`` is handed: each number (nested ``limits`` and rules included) must be
finite, a field annotated ``int`` a whole number, and a field whose name is in :data:`RANGES`
within its range. A field that a rule reads as "none" takes None, never ``inf``.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any

from alphafactory.errors import ConfigError

__all__ = ["RANGES", "check_parameters"]

#: Field name -> (lowest, highest, lowest allowed itself?, highest allowed itself?), for every
#: rule and limit that has a field of that name.
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "k": (1, math.inf, True, False),
    "quantiles": (2, math.inf, True, False),
    "window": (1, math.inf, True, False),
    "lookback": (2, math.inf, True, False),
    "max_positions": (1, math.inf, True, False),
    "min_pairs": (1, math.inf, True, False),
    "calibration_window": (1, math.inf, True, False),
    "horizon": (1, math.inf, True, False),
    "holding": (1, math.inf, True, False),
    "min_trades": (0, math.inf, True, False),
    "grid": (2, math.inf, True, False),
    "gross": (0, math.inf, False, False),
    "max_weight": (0, math.inf, False, False),
    "max_gross": (0, math.inf, False, False),
    "max_net": (0, math.inf, True, False),
    "max_leverage": (0, math.inf, False, False),
    "min_trade_weight": (0, math.inf, True, False),
    "min_trade_value": (0, math.inf, True, False),
    "transaction_costs": (0, math.inf, True, False),
    "max_turnover": (0, math.inf, False, False),
    "risk_aversion": (0, math.inf, False, False),
    "tau": (0, math.inf, False, False),
    "beta": (0, 1, False, False),
    "target_vol": (0, math.inf, False, False),
    "periods_per_year": (0, math.inf, False, False),
    "fraction": (0, 1, False, True),
}


def check_parameters(rule: Any, where: str | None = None) -> None:
    """Raise :class:`ConfigError` naming the rule and field of the first bad number.

    Parameters
    ----------
    rule : PortfolioRule
        Any dataclass rule; nested dataclasses (``limits``, an inner rule) are checked too.
    where : str, optional
        Prefix of the message (default ``rule '<name>'``).
    """
    where = where or f"rule {getattr(rule, 'name', type(rule).__name__)!r}"
    for f in fields(rule):
        value = getattr(rule, f.name)
        if is_dataclass(value) and not isinstance(value, type):
            check_parameters(value, f"{where}: {f.name}")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise ConfigError(f"{where}: {f.name} must be a finite number, got {value!r}")
        if str(f.type).split("|")[0].strip() == "int" and value != int(value):
            raise ConfigError(f"{where}: {f.name} must be a whole number, got {value!r}")
        if f.name in RANGES:
            low, high, with_low, with_high = RANGES[f.name]
            above = value >= low if with_low else value > low
            below = value <= high if with_high else value < high
            if not (above and below):
                left, right = "[" if with_low else "(", "]" if with_high else ")"
                raise ConfigError(f"{where}: {f.name} must be in {left}{low:g}, {high:g}{right}, "
                                  f"got {value!r}")
