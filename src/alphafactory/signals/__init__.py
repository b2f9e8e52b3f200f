"""Signal files (export, load, validate) and score-to-weight rules."""

from alphafactory.signals.io import (
    DEFAULT_SIGNAL_PATH,
    SCHEMA_VERSION,
    SignalFileError,
    SignalMetadata,
    export_signals,
    load_signals,
    scores_wide,
    sidecar_path,
)
from alphafactory.signals.weights import (
    quantile_long_short,
    rebalance_every,
    score_proportional,
    threshold_long_flat,
    top_bottom_k,
    universe_from_prices,
    vol_target,
)

__all__ = [
    "DEFAULT_SIGNAL_PATH",
    "SCHEMA_VERSION",
    "SignalFileError",
    "SignalMetadata",
    "export_signals",
    "load_signals",
    "quantile_long_short",
    "rebalance_every",
    "score_proportional",
    "scores_wide",
    "sidecar_path",
    "threshold_long_flat",
    "top_bottom_k",
    "universe_from_prices",
    "vol_target",
]
