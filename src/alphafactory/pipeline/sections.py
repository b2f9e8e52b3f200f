"""The sections of a workflow file: one frozen, keyword-only dataclass per TOML table.

Each class is the typed form of one section; :mod:`alphafactory.pipeline.workflow` reads and
writes them (unknown keys raise, naming the key and the file). Every key does something in
:mod:`alphafactory.pipeline.steps`; the README documents them key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import inf
from typing import Any

from alphafactory.errors import ConfigError
from alphafactory.models.selection_config import SelectionSettings
from alphafactory.risk import RiskManager
from alphafactory.training.experiment import DEFAULT_FEATURES, LabelSettings, WalkForwardSettings

__all__ = [
    "BacktestSection",
    "DataSection",
    "EnsembleSection",
    "ExecutionSection",
    "FeaturesSection",
    "LabelSettings",
    "ModelsSection",
    "PortfolioSection",
    "ReportSection",
    "RiskSection",
    "SelectionSection",
    "SignalsSection",
    "StrategiesSection",
    "ValidationSection",
    "WalkForwardSettings",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class DataSection:
    """One dataset: a name, its bars source, and optionally its own walk-forward geometry.

    ``source`` is an :class:`alphafactory.data.BarsSource` (every other key of the TOML table is
    one of its fields); ``walk_forward`` replaces ``[models.walk_forward]`` for this dataset.
    """

    name: str = "data"
    source: Any
    walk_forward: WalkForwardSettings | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ValidationSection:
    """Validation of each dataset's bars before any feature is built.

    ``asset_class`` (``equities | crypto | fx``) and ``calendar`` (``"24/7"``, ``"weekdays"`` or
    an exchange_calendars code) choose the session calendar the gap checks use (default: the
    source's own calendar, else equities / XNYS). ``fail_on`` is ``"never"`` (issues are written
    to ``validation.parquet`` and the run goes on), ``"error"`` (stop before training when an
    issue of severity ``error`` is found) or ``"warning"`` (stop on any issue).
    """

    asset_class: str = "equities"
    calendar: str | None = None
    fail_on: str = "never"

    def __post_init__(self) -> None:
        if self.fail_on not in ("never", "error", "warning"):
            raise ConfigError(
                f"fail_on must be 'never', 'error' or 'warning', got {self.fail_on!r}"
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class FeaturesSection:
    """Which registered features are built: ``names`` in order, then whole ``families``.

    ``all = true`` builds every registered feature. With neither names nor families the default
    set (:data:`alphafactory.training.experiment.DEFAULT_FEATURES`) is built.
    """

    names: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    all: bool = False


# ``[selection]``: ``exclude`` and ``exclude_families`` drop features before any data is seen;
# ``steps`` are fitted per fold on the training rows only (see its module for the TOML form).
SelectionSection = SelectionSettings


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelsSection:
    """Models walked forward on every dataset, each out of sample only.

    ``names`` are registered model names; ``preset`` the ``get_model`` preset; ``params`` per
    model name its own settings (``[models.params.lstm] hidden_size = 16``); ``train`` the
    ``TrainConfig`` overrides of the torch models; ``walk_forward`` the fold geometry (a dataset
    may replace it); ``executor`` where folds run (``"processes"`` or a worker count; default
    in-process; results are identical); ``save`` what the run keeps of the fitted models:
    ``"final"`` (default) refits each model once on every labelled bar and writes it as a model
    artifact to ``models/<model>/`` in the run (``models/<dataset>/<model>/`` with several
    datasets) — the path ``score()``, ``alphafactory serve`` and the monitor take — and
    ``"none"`` keeps only the out-of-sample predictions.
    """

    names: tuple[str, ...]
    preset: str = "default"
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    train: Mapping[str, Any] = field(default_factory=dict)
    walk_forward: WalkForwardSettings = field(default_factory=WalkForwardSettings)
    executor: str | int | None = None
    save: str = "final"

    def __post_init__(self) -> None:
        if not self.names:
            raise ConfigError("names must list at least one model")
        if self.save not in ("final", "none"):
            raise ConfigError(f"save must be 'final' or 'none', got {self.save!r}")
        unknown = sorted(set(self.params) - set(self.names))
        if unknown:
            raise ConfigError(f"params names model(s) {unknown} that are not in names")


@dataclass(frozen=True, kw_only=True, slots=True)
class StrategiesSection:
    """Rule-based signal sources walked forward like models (:mod:`alphafactory.strategies`).

    ``names`` are sources of :data:`alphafactory.strategies.SOURCES` (``momentum``,
    ``breakout``, ``mean_reversion``, ``pairs``); ``params`` per name its keyword arguments
    (``[strategies.params.pairs] max_pairs = 3``; ``mask = "tech_filter"`` zeroes scores where
    that registered 1/0 feature is not 1). Each is fitted per fold on its training slice and
    scores the test block; ``walk_forward`` sets the folds when there is no ``[models]`` (else
    the models' geometry is used, so scores line up for the ensemble). The scores join the
    models' in ``[ensemble]``, the backtest and the signal file; a source's ``target_weight``
    (breakout, mean reversion, pairs) replaces the ``[portfolio]`` rule for that strategy.
    """

    names: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    walk_forward: WalkForwardSettings | None = None

    def __post_init__(self) -> None:
        from alphafactory.strategies import get_source

        if not self.names:
            raise ConfigError("names must list at least one strategy")
        unknown = sorted(set(self.params) - set(self.names))
        if unknown:
            raise ConfigError(f"params names strategies {unknown} that are not in names")
        for name in self.names:
            get_source(name, self.params.get(name, {}))  # unknown names and keys raise now


@dataclass(frozen=True, kw_only=True, slots=True)
class EnsembleSection:
    """A combination of the models' out-of-sample scores fixed in advance (one more DSR trial).

    ``method`` is ``"rank_average"`` (mean of per-timestamp percentile ranks) or ``"mean"``
    (mean of per-timestamp z-scores); ``members`` the models it averages (default: all);
    ``name`` its strategy name. Nothing is fitted here: an ensemble with fitted weights
    (``stacking``, ``blend``, ``bma``) or votes (``vote_soft``, ``vote_hard``) is the in-fold
    model ``ensemble`` of ``[models]``, whose weights each fold fits on its validation slice.
    """

    method: str = "rank_average"
    members: tuple[str, ...] = ()
    name: str = "ensemble"

    def __post_init__(self) -> None:
        if self.method in ("stacking", "blend", "bma", "vote_soft", "vote_hard"):
            raise ConfigError(
                f"method {self.method!r} fits weights, which the out-of-sample scores cannot "
                f"give without look-ahead: list the in-fold model 'ensemble' in [models] names "
                f"with [models.params.ensemble] method = {self.method!r} and members = [...]"
            )
        if self.method not in ("rank_average", "mean"):
            raise ConfigError(f"method must be 'rank_average' or 'mean', got {self.method!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class SignalsSection:
    """Signal files: written from the models' scores, or read instead of training models.

    Export: one file per dataset in ``dir``, named ``files[dataset]`` or else ``file`` with
    ``{dataset}`` replaced (the suffix picks CSV or Parquet); an existing file is an error unless
    ``overwrite = true``; ``export = false`` writes the signals only into the run. Input:
    ``source`` is a signal file whose scores are the strategies (no ``[models]`` then);
    ``models`` picks some of its models (default: all).
    """

    dir: str = "signals/signal_files"
    file: str = "alpha_ml_signals_{dataset}.csv"
    files: Mapping[str, str] = field(default_factory=dict)
    export: bool = True
    overwrite: bool = False
    source: str | None = None
    models: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioSection:
    """Scores to target weights: a rule of :data:`alphafactory.portfolio.RULES` and its params.

    ``rule`` names the rule, ``params`` its parameters (e.g. ``{quantiles = 5}``), ``rebalance``
    keeps decisions every N bars or on the first bar of a period (``"W"``, ``"M"``); weights are
    held in between. ``universe = "priced"`` masks symbols without a price at t.
    """

    rule: str = "quantile"
    params: Mapping[str, Any] = field(default_factory=dict)
    rebalance: int | str = 1
    universe: str = "scored"

    def __post_init__(self) -> None:
        if self.universe not in ("scored", "priced"):
            raise ConfigError(f"universe must be 'scored' or 'priced', got {self.universe!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskSection:
    """Caps applied to every decision's target weights after the portfolio rule, and limits.

    ``max_weight`` clips each name to ``[-max_weight, max_weight]``; ``max_net`` scales the
    larger leg down until ``|sum w| <= max_net``; ``max_gross`` then scales the whole row down
    until ``sum |w| <= max_gross``. Each is off when absent.

    ``limits`` names any registered risk limit or circuit breaker
    (:data:`alphafactory.risk.LIMITS`, ``alphafactory portfolio list``) with its parameters, in
    the order they apply: ``[risk.limits.daily_loss_limit] max_loss = 0.03``. With any, every
    strategy's backtest runs through :func:`alphafactory.backtest.risk_managed_backtest` and the
    run gets a ``risk/interventions`` table.
    """

    max_weight: float | None = None
    max_net: float | None = None
    max_gross: float | None = None
    limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("max_weight", "max_net", "max_gross"):
            value = getattr(self, key)
            if value is not None and not value >= 0:
                raise ConfigError(f"{key} must be >= 0, got {value!r}")
        self.manager()  # unknown names, keys or values raise when the file is read

    def manager(self) -> RiskManager | None:
        """The :class:`~alphafactory.risk.RiskManager` of ``limits``, or None without limits."""
        if not self.limits:
            return None
        tables = []
        for name, params in self.limits.items():
            if not isinstance(params, Mapping):
                raise ConfigError(f"limits.{name} must be a table of parameters, got {params!r}")
            tables.append({"name": name, **params})
        return RiskManager.from_config(tables, where="limits")


@dataclass(frozen=True, kw_only=True, slots=True)
class BacktestSection:
    """The vectorized backtest of every strategy's weights (:func:`alphafactory.backtest.backtest`).

    ``cost`` is a table with ``model`` (``sqrt | fixed | spread | none``) and that model's fields
    (``SquareRootImpact``'s ``eta``, ``half_spread_bps``, ...; ``FixedBps``'s ``bps``;
    ``SpreadImpact``'s ``impact``, ...; default square-root impact with ``eta = 1`` and a 2 bps
    half spread); ``commission`` optionally adds a ``Commission`` (fields
    ``per_share``, ``bps``, ``minimum``). ``execution`` is ``next_open | next_close | close``;
    ``periods_per_year`` overrides the annualization inferred from the bars.
    ``max_gross_leverage`` (default 1) scales a decision whose gross ``sum |w|`` exceeds it down
    to it, with a warning (the same option as ``alphafactory backtest --max-gross-leverage`` and
    a trading file's ``[bot]``). Bars before the first decision are cut, so the equity curve is
    out of sample only.
    """

    cost: Mapping[str, Any] = field(
        default_factory=lambda: {"model": "sqrt", "eta": 1.0, "half_spread_bps": 2.0}
    )
    commission: Mapping[str, Any] = field(default_factory=dict)
    execution: str = "next_open"
    cash: float = 1e6
    borrow_bps: float = 0.0
    participation_cap: float | None = None
    periods_per_year: float | None = None
    max_gross_leverage: float | None = 1.0

    def __post_init__(self) -> None:
        value = self.max_gross_leverage
        if value is not None and not (isinstance(value, (int, float)) and 0 < value < inf):
            raise ConfigError(f"[backtest] max_gross_leverage must be a positive finite number, "
                              f"got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionSection:
    """Book execution of one strategy's rebalances through the C++ matching engine.

    Every order of ``strategy``'s backtest (default: the ensemble, else the last model) becomes a
    parent order split by ``algo`` (``twap | vwap``) into ``slices`` child orders over
    ``horizon_seconds`` of simulated order flow, ``style`` ``passive | aggressive``. Needs the
    square-root cost model in ``[backtest]`` (its costs are what the book's fills are compared
    with).
    """

    strategy: str | None = None
    algo: str = "twap"
    style: str = "passive"
    slices: int = 5
    horizon_seconds: float = 300.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportSection:
    """What the report step computes beyond the tables.

    ``n_boot`` block-bootstrap resamples behind each Sharpe ratio's 95% interval; ``tearsheets``
    writes an HTML tearsheet per strategy into ``figures/``.
    """

    n_boot: int = 300
    tearsheets: bool = False

    def __post_init__(self) -> None:
        if self.n_boot < 1:
            raise ConfigError(f"n_boot must be >= 1, got {self.n_boot}")


def default_features() -> FeaturesSection:
    """The features section used when a workflow has none: the default feature set."""
    return FeaturesSection(names=DEFAULT_FEATURES)
