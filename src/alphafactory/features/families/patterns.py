"""Candlestick patterns from TA-Lib, scaled to -1 (bearish), 0 (none), +1 (bullish)."""

from __future__ import annotations

from alphafactory.features.families._common import Builder
from alphafactory.features.registry import FeatureDef, talib_lookback

FAMILY = "patterns"
WINDOWS: tuple[int, ...] = ()
OHLC = ("open", "high", "low", "close")
PATTERNS: tuple[str, ...] = (
    "CDLDOJI", "CDLHAMMER", "CDLENGULFING", "CDLHARAMI", "CDLMORNINGSTAR", "CDLEVENINGSTAR",
    "CDLSHOOTINGSTAR", "CDL3WHITESOLDIERS", "CDL3BLACKCROWS", "CDLMARUBOZU",
)


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for func in PATTERNS:
        name = "cdl_" + func[3:].lower()
        b.add(name, talib_lookback(func), f"TA-Lib {func} / 100: -1, 0 or +1.",
              lambda ctx, f=func: ctx.talib(f, OHLC)[0] / 100.0)
    return b.defs
