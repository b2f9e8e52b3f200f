"""Signal files (export, load, validate) and score-to-weight rules."""

from alphafactory.signals.io import (
    DEFAULT_SIGNAL_PATH,
    SCHEMA_VERSION,
    SignalMetadata,
    export_signals,
    load_signals,
    scores_wide,
    sidecar_path,
)
from alphafactory.signals.run_export import export_run_signals, run_data_fingerprint
from alphafactory.signals.schema import (
    ANSWER_COLUMNS,
    OPTIONAL_COLUMNS,
    SIGNAL_COLUMNS,
    SignalFileError,
)
from alphafactory.signals.sidecar import SignalSidecarWarning
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
    "ANSWER_COLUMNS",
    "DEFAULT_SIGNAL_PATH",
    "OPTIONAL_COLUMNS",
    "SCHEMA_VERSION",
    "SIGNAL_COLUMNS",
    "SignalFileError",
    "SignalMetadata",
    "SignalSidecarWarning",
    "export_run_signals",
    "export_signals",
    "load_signals",
    "quantile_long_short",
    "rebalance_every",
    "run_data_fingerprint",
    "score_proportional",
    "scores_wide",
    "sidecar_path",
    "threshold_long_flat",
    "top_bottom_k",
    "universe_from_prices",
    "vol_target",
]
