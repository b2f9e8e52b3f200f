"""How long recursive features take to forget where their history started.

A finite-window feature at ``t`` is a function of bars ``t - warmup .. t`` only. A recursive one
(an exponential or Wilder moving average, KAMA, the indicators built on them) carries a state
from its first bar: computed from a shorter history it differs by the start-up state times a
factor that decays like ``(1 - alpha)^k`` after ``k`` more bars. :func:`talib_convergence`
gives the bars ``k`` after the warm-up for that factor to fall below :data:`DECAY` (well under the
float32 resolution of a feature, 6e-8), so a feature computed from
``warmup + convergence + 1`` bars equals the one computed from the whole history to that level.

Cascaded smoothings (DEMA, TEMA, TRIX, ADX, MACD's signal) add their stages' bars, which bounds
the cascade from above. KAMA uses its slowest smoothing constant ``(2 / 31)^2``, a worst case
it rarely reaches. The parabolic SAR is not a decaying average: it restarts at every reversal,
so two runs agree exactly once they share a reversal; :data:`SAR_RESYNC` bars is an empirical
allowance, checked by the tests on synthetic and real bars.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["DECAY", "SAR_RESYNC", "ema_convergence", "talib_convergence"]

DECAY = 1e-9
SAR_RESYNC = 250
_KAMA_SLOWEST = (2.0 / 31.0) ** 2


def ema_convergence(alpha: float, stages: int = 1) -> int:
    """Bars for ``stages`` cascaded smoothings ``s_t = s_t-1 + alpha (x_t - s_t-1)`` to forget
    their start below :data:`DECAY`."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}.")
    if alpha == 1.0:
        return 0
    return stages * math.ceil(math.log(DECAY) / math.log1p(-alpha))


def _ema(n: int) -> float:
    return 2.0 / (n + 1.0)


def talib_convergence(func: str, **params: Any) -> int:
    """Convergence allowance in bars of TA-Lib ``func`` with ``params`` (0: finite window)."""
    n = int(params.get("timeperiod", 0))
    if func in ("EMA", "DEMA", "TEMA", "TRIX"):
        stages = {"EMA": 1, "DEMA": 2, "TEMA": 3, "TRIX": 3}[func]
        return ema_convergence(_ema(n), stages)
    if func == "KAMA":
        return ema_convergence(_KAMA_SLOWEST)
    if func in ("RSI", "CMO", "ATR", "NATR", "PLUS_DI", "MINUS_DI", "STOCHRSI"):
        return ema_convergence(1.0 / n)
    if func == "ADX":
        return ema_convergence(1.0 / n, 2)
    if func == "ADXR":
        return ema_convergence(1.0 / n, 2) + n
    if func == "MACD":
        return ema_convergence(_ema(params["slowperiod"])) + ema_convergence(
            _ema(params["signalperiod"])
        )
    if func in ("PPO", "APO"):
        return ema_convergence(_ema(params["slowperiod"])) if params.get("matype") == 1 else 0
    if func == "ADOSC":
        return ema_convergence(_ema(params["slowperiod"]))
    if func == "SAR":
        return SAR_RESYNC
    return 0
