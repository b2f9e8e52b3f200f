"""Bars from a source spec: one string (or ``[data]`` section) every command and workflow accepts.

Spec grammar (``BarsSource.spec``):

``sample`` | ``sample:NAME``
    A bundled sample (``sample`` is ``sample:us-equities-daily``).
``synthetic`` | ``synthetic:key=value,...``
    :func:`alphafactory.data.synthetic_market` with these arguments (``n_symbols``, ``n_bars``,
    ``alpha_ic``, ``seed``, ``freq``, ``momentum_weight``, ``n_sectors``, ``start``,
    ``exact_ic``); an intraday ``freq`` (``15min``) puts the bars on the ``XNYS`` calendar
    (or ``calendar``) with its DST shifts, holidays and early closes. ``alpha_kind``
    (``reversal`` default, ``mix``, ``interaction``, ``decay``) picks the planted signal
    (:class:`alphafactory.data.AlphaSpec`, IC ``alpha_ic``); ``alpha_condition``,
    ``alpha_elsewhere`` (interaction) and ``alpha_half_life`` (decay) are its settings, e.g.
    ``synthetic:n_symbols=24,n_bars=1000,alpha_kind=mix,alpha_ic=0.1,seed=0``.
``yfinance:SYM,SYM,...``
    A yfinance download of ``start`` .. ``end`` at ``interval`` (``1d`` default), cached as
    ``data/<asset class>/[<interval>/]<SYM>.csv`` and reused from there (``alphafactory data
    update`` appends to the cache). The asset class follows ``calendar``: ``24/7`` crypto,
    ``weekdays`` fx, else equities.
``PATH``
    A CSV or Parquet file (a panel with a ``symbol`` column, or one symbol named by the file
    stem), or a folder of per-symbol ``SYMBOL.csv`` / ``SYMBOL.parquet`` files.

Options: ``date_format`` (strftime, ``"%m/%d/%Y"``), ``tz`` (zone of naive timestamps),
``columns`` (``{old: new}`` names) apply to files; ``calendar`` is the exchange calendar of
validation (``XNYS`` default; ``24/7``, ``weekdays`` or any exchange_calendars code);
``universe`` and ``membership`` select symbols (see :mod:`alphafactory.data.universe`);
``start`` (inclusive) and ``end`` (exclusive) slice any source; ``on_error`` is the validation
policy of files and downloads (``raise | drop | repair``). Loaded bars are always a
``(timestamp, symbol)`` panel whose ``attrs["bars_source"]`` is :meth:`BarsSource.to_config`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.config_io import check_keys
from alphafactory.data.alpha_spec import synthetic_arguments
from alphafactory.errors import ConfigError, DataError, SourceNotFoundError

SOURCE_KINDS: tuple[str, ...] = ("sample", "synthetic", "yfinance", "path")
DEFAULT_SAMPLE = "us-equities-daily"
CACHE_DIR = Path("data")
SYNTHETIC_PARAMS: dict[str, type] = {
    "n_symbols": int,
    "n_bars": int,
    "alpha_ic": float,
    "seed": int,
    "freq": str,
    "momentum_weight": float,
    "n_sectors": int,
    "start": str,
    "exact_ic": bool,
    "alpha_kind": str,
    "alpha_condition": str,
    "alpha_elsewhere": float,
    "alpha_half_life": float,
}
_FILE_OPTIONS = ("date_format", "tz", "columns")
_POLICIES = ("raise", "drop", "repair")


@dataclass(frozen=True, kw_only=True, slots=True)
class BarsSource:
    """Where bars come from and how to read them (see the module docstring for the grammar)."""

    spec: str
    date_format: str | None = None
    tz: str | None = None
    columns: dict[str, str] | None = None
    calendar: str | None = None
    universe: tuple[str, ...] | None = None
    membership: str | None = None
    start: str | None = None
    end: str | None = None
    interval: str | None = None
    on_error: str = "raise"

    def __post_init__(self) -> None:
        if not isinstance(self.spec, str) or not self.spec.strip():
            raise ConfigError(f"bars source spec must be a non-empty string; got {self.spec!r}.")
        object.__setattr__(self, "spec", self.spec.strip())
        if self.universe is not None:
            object.__setattr__(self, "universe", _symbols(self.universe, "universe"))
        if self.columns is not None:
            object.__setattr__(self, "columns", _column_map(self.columns))
        if self.on_error not in _POLICIES:
            raise ConfigError(f"on_error must be one of {list(_POLICIES)}; got {self.on_error!r}.")
        kind = self.kind
        if kind in ("sample", "synthetic"):
            given = [k for k in _FILE_OPTIONS if getattr(self, k) is not None]
            if given:
                raise ConfigError(
                    f"bars source {self.spec!r}: {given} apply to files and downloads, "
                    f"not to a {kind} source."
                )
        if self.interval is not None and kind != "yfinance":
            raise ConfigError(
                f"bars source {self.spec!r}: interval applies to yfinance sources only "
                "(a synthetic source takes freq=...)."
            )
        if kind == "synthetic":
            synthetic_arguments(self.synthetic_params(), self.spec)
        if kind == "yfinance":
            self.symbols()
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and pd.isna(pd.to_datetime(str(value), errors="coerce")):
                raise ConfigError(f"bars source {name} must be a date; got {value!r}.")

    @property
    def kind(self) -> str:
        """``sample``, ``synthetic``, ``yfinance`` or ``path``."""
        head = self.spec.split(":", 1)[0]
        if self.spec in ("sample", "synthetic") or (":" in self.spec and head in SOURCE_KINDS[:3]):
            return head
        return "path"

    def sample_name(self) -> str:
        """The bundled sample's name (``sample`` -> ``us-equities-daily``)."""
        return self.spec.split(":", 1)[1] if ":" in self.spec else DEFAULT_SAMPLE

    def synthetic_params(self) -> dict[str, Any]:
        """The ``synthetic:key=value,...`` arguments, typed; unknown keys raise ConfigError."""
        body = self.spec.split(":", 1)[1] if ":" in self.spec else ""
        params: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in body.split(","))):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in SYNTHETIC_PARAMS:
                raise ConfigError(
                    f"bars source {self.spec!r}: {item!r} is not key=value with a key in "
                    f"{sorted(SYNTHETIC_PARAMS)}."
                )
            params[key] = _typed(key, value.strip(), SYNTHETIC_PARAMS[key], self.spec)
        return params

    def symbols(self) -> tuple[str, ...]:
        """The symbols of a ``yfinance:SYM,SYM`` spec."""
        return _symbols(self.spec.split(":", 1)[1] if ":" in self.spec else "", self.spec)

    def load(self) -> pd.DataFrame:
        """Return the bars: a ``(timestamp, symbol)`` panel in the Bars contract (UTC).

        Raises
        ------
        SourceNotFoundError
            When the file, folder or sample does not exist.
        DataError
            When a file breaks a validation rule (under ``on_error="raise"``) or nothing is left
            after slicing and the universe.
        """
        from alphafactory.data.files import as_panel
        from alphafactory.data.universe import apply_universe, read_membership

        bars, validation = self._load_raw()
        bars = as_panel(bars, "asset")
        bars = _slice(bars, self.start, self.end)
        membership = read_membership(self.membership) if self.membership else None
        bars = apply_universe(bars, self.universe, membership, self.spec)
        if bars.empty:
            raise DataError(
                f"bars source {self.spec!r}: no bars left (start {self.start}, end {self.end}, "
                f"universe {list(self.universe or [])}, membership {self.membership})."
            )
        bars.attrs.update({"bars_source": self.to_config(), "validation": validation})
        return bars

    def validate(self) -> list[Any]:
        """Validation reports of the source without applying a policy (one per file).

        Files and folders are checked file by file, rows named by file line; other sources
        are loaded and their bars checked. Returns a list of
        :class:`alphafactory.data.validation.ValidationReport`. In a folder, a file that cannot
        be read at all (binary, no rows, mixed formats...) gets a report with one ``unreadable``
        error, so the other files are still checked; a single such file raises DataError.
        """
        from alphafactory.data.files import bar_files, read_table
        from alphafactory.data.validation import unreadable_report, validate_ohlcv

        if self.kind == "path":
            path = Path(self.spec).expanduser()
            if not path.exists():
                raise SourceNotFoundError(
                    f"bars source {self.spec!r}: no file or folder at {path}."
                )
            if not path.is_dir():
                return [read_table(path, self.read_options())[1]]
            reports = []
            for file in bar_files(path):
                try:
                    reports.append(read_table(file, self.read_options())[1])
                except DataError as exc:
                    reports.append(unreadable_report(str(file), str(exc)))
            return reports
        bars = self.load()
        return [validate_ohlcv(bars, calendar=self.calendar, source=self.spec)]

    def to_config(self) -> dict[str, Any]:
        """The TOML ``[data]`` section of this source (no None values; defaults left out)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "on_error" and value == "raise"):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
            if isinstance(value, dict):
                out[f.name] = dict(value)
        return out

    @classmethod
    def from_config(cls, doc: Mapping[str, Any], where: str = "[data]") -> BarsSource:
        """Build from a ``[data]`` section; unknown keys raise ConfigError naming key and where."""
        if isinstance(doc, BarsSource):
            return doc
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{where} must be a table; got {type(doc).__name__}.")
        check_keys(doc, {f.name for f in dataclasses.fields(cls)}, where)
        if "spec" not in doc:
            raise ConfigError(f"{where} needs spec = 'sample' | 'synthetic:...' | PATH | ...")
        doc = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in doc.items()}
        for key, value in doc.items():
            if key not in ("columns", "universe") and not isinstance(value, str):
                raise ConfigError(
                    f"{where} {key} must be a string; got {type(value).__name__} {value!r}."
                )
        return cls(**dict(doc))

    @classmethod
    def parse(cls, spec: str, **options: Any) -> BarsSource:
        """Build from a spec string and options (the :class:`BarsSource` fields)."""
        return cls.from_config({"spec": spec, **options}, where="bars source options")

    def _load_raw(self) -> tuple[pd.DataFrame, Any]:
        kind = self.kind
        if kind == "sample":
            from alphafactory.data.bundled import load_sample

            try:
                return load_sample(self.sample_name()), None
            except KeyError as exc:
                raise SourceNotFoundError(str(exc.args[0])) from None
        if kind == "synthetic":
            return _synthetic(self.synthetic_params(), self.calendar), None
        if kind == "yfinance":
            from alphafactory.data.download import cached_download

            return cached_download(
                self.symbols(),
                start=self.start,
                end=self.end,
                interval=self.interval or "1d",
                calendar=self.calendar,
                data_dir=CACHE_DIR,
                on_error=self.on_error,
            ), None
        return self._load_path()

    def _load_path(self) -> tuple[pd.DataFrame, Any]:
        from alphafactory.data.files import ReadOptions, read_bars_file, read_bars_folder

        path = Path(self.spec).expanduser()
        options = self.read_options()
        if path.is_dir():
            bars, reports = read_bars_folder(path, options)
            return bars, [r.summary() for r in reports]
        if not path.exists():
            raise SourceNotFoundError(
                f"bars source {self.spec!r}: no file or folder at {path} (a spec is sample, "
                "sample:NAME, synthetic:key=value,..., yfinance:SYM,... or a PATH)."
            )
        assert isinstance(options, ReadOptions)
        bars, report = read_bars_file(path, options)
        return bars, report.summary()

    def read_options(self) -> Any:
        """The :class:`alphafactory.data.files.ReadOptions` of a file source."""
        from alphafactory.data.files import ReadOptions

        return ReadOptions(
            date_format=self.date_format,
            tz=self.tz,
            columns=self.columns,
            calendar=self.calendar,
            on_error=self.on_error,
        )


def load_bars(
    source: str | os.PathLike[str] | BarsSource | Mapping[str, Any], **options: Any
) -> pd.DataFrame:
    """Return the bars a source names (a spec string or path, a :class:`BarsSource` or a
    ``[data]`` table).

    ``options`` are :class:`BarsSource` fields that override the source's own.
    """
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, BarsSource):
        src = BarsSource.from_config({**source.to_config(), **options}) if options else source
    elif isinstance(source, Mapping):
        src = BarsSource.from_config({**source, **options})
    else:
        src = BarsSource.parse(source, **options)
    return src.load()


def _synthetic(params: dict[str, Any], calendar: str | None) -> pd.DataFrame:
    from alphafactory.data.synthetic import synthetic_market

    params = synthetic_arguments(params)
    freq = params.get("freq", "1D")
    try:
        step = pd.Timedelta(freq)
    except ValueError:
        raise ConfigError(
            f"bars source synthetic: freq must be a duration such as 1D, 1h or 15min; got {freq!r}."
        ) from None
    if step < pd.Timedelta(days=1) or calendar is not None:
        params["calendar"] = calendar or "XNYS"
    return synthetic_market(**params).bars


def _slice(bars: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    if start is None and end is None:
        return bars
    stamps = pd.DatetimeIndex(bars.index.get_level_values("timestamp"))
    keep = stamps == stamps
    if start is not None:
        keep &= stamps >= _utc(start)
    if end is not None:
        keep &= stamps < _utc(end)
    out = bars[keep]
    out.attrs = dict(bars.attrs)
    return out


def _utc(value: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _symbols(value: object, where: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    out = tuple(str(s).strip() for s in items if str(s).strip())
    if not out:
        raise ConfigError(f"{where}: expected at least one symbol (SYM,SYM,...); got {value!r}.")
    return out


def _column_map(value: object) -> dict[str, str]:
    """``{old: new}`` from a mapping or an ``old=new,old=new`` string."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for item in filter(None, (p.strip() for p in value.split(","))):
            old, sep, new = item.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise ConfigError(f"columns: {item!r} is not old=new (in {value!r}).")
            pairs.append((old.strip(), new.strip()))
    else:
        raise ConfigError(f"columns must be a table or 'old=new,...'; got {value!r}.")
    olds = [str(k) for k, _ in pairs]
    twice = sorted({k for k in olds if olds.count(k) > 1})
    if twice:
        raise ConfigError(
            f"columns: {twice} renamed twice (rule: each old name once); got {value!r}."
        )
    return {str(k): str(v) for k, v in pairs}


def _typed(key: str, text: str, kind: type, spec: str) -> Any:
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        raise ConfigError(
            f"bars source {spec!r}: {key}={text!r} is not a {kind.__name__}."
        ) from None
