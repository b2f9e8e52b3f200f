"""Synthetic OHLCV markets with known structure and an optional planted alpha.

Model (per bar ``t``, symbol ``i``; log returns)::

    log O_t - log C_{t-1} = g_t                        overnight gap, common to all symbols
    log C_t - log O_t     = x_{t,i} = beta_i m_t + gamma_i s_{t,sector(i)} + e_{t,i}

``m`` (market), ``s`` (sectors) and ``e`` (idiosyncratic) are GARCH(1,1) processes driven by
standardized Student-t(5) shocks (volatility clustering, fat tails), scaled by a two-state regime
(calm / stressed: higher volatility, negative drift) whose spells have geometric lengths. Volume
co-moves with conditional volatility and with the size of the bar's own shock. Intraday
frequencies follow a 09:30-16:00 New York session (14:30-21:00 UTC, no DST) with a U-shape in
volatility and volume; the gap ``g`` then happens only at the first bar of a session. With a
``calendar`` (``"XNYS"``, any exchange_calendars code, ``"24/7"``, ``"weekdays"``) the bars
follow that calendar's sessions instead: holidays, DST shifts of the UTC open, early closes.

Planted alpha. With ``alpha=AlphaSpec(kind=..., ic=rho)``, ``rho != 0`` (or the older
``alpha_ic=rho``: the 5-bar reversal) the cross-sectional deviation of ``x_{t+1}`` is rotated
towards ``truth_t`` (:func:`alphafactory.data.planted.planted_alpha` of the bars up to ``t``;
the kinds are in :mod:`alphafactory.data.alpha_spec`) keeping its cross-sectional mean and
standard deviation::

    x_{t+1} - mean = sd * (rho * truth_t + sqrt(1 - rho^2) * u_hat)

where ``u_hat`` is the factor-model deviation made orthogonal to ``truth_t`` and standardized
(``exact_ic=True``) or only standardized (``exact_ic=False``: the IC is ``rho`` in expectation).
Because the overnight gap is common to every symbol, the per-timestamp cross-sectional Pearson
correlation of ``truth_t`` with BOTH the close-to-close log return ``log(C_{t+1}/C_t)`` and the
open-to-close log return ``log(C_{t+1}/O_{t+1})`` (the ``entry="next_open"`` label) equals
``rho`` exactly (to float rounding) at every ``t`` past the warm-up. Simple returns carry it to
within about 1e-3; rank IC is a little lower (about ``0.95 rho`` for near-normal returns).

Change points (``changes=[Change(at=1500, kind=...), ...]``) alter the market from bar ``at`` on,
for monitoring research with known answers. ``"sign_flip"`` negates the planted relation and
``"strength"`` multiplies its IC by ``factor``, both for the signals of bars ``t >= at`` (so the
IC of ``truth_t`` with the return of ``t + 1`` changes at ``t = at``); ``truth`` stays the oracle:
after a flip it is ``-planted_alpha(bars)`` (the formula a model learned before the flip now has
IC ``-rho``), and ``SyntheticMarket.ic`` is the exact IC of ``truth_t`` per bar. ``"feature_shift"``
multiplies the bar volatility from bar ``at`` on by ``factor`` (returns, ranges and, through
volatility, volume move; cross-sectionally standardized quantities and the planted IC do not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data import calendars
from alphafactory.data import planted as pa
from alphafactory.data.alpha_spec import AlphaSpec, alpha_from_args
from alphafactory.data.changes import Change, change_paths, check_changes
from alphafactory.data.panel import OHLCV_COLUMNS

SESSION_OPEN_UTC = pd.Timedelta(hours=14, minutes=30)
SESSION_MINUTES = 390
DAYS_PER_YEAR = 252

# Annualized volatilities, drifts and process settings (documented defaults).
_MARKET_VOL, _SECTOR_VOL, _IDIO_VOL = 0.16, 0.10, 0.25
_OVERNIGHT_SHARE = 0.3  # share of the market factor's daily variance that arrives overnight
_STRESS_VOL = (2.2, 1.5)  # regime multipliers: (market and sectors, idiosyncratic)
_DRIFT = (0.08, -0.40)  # market drift per year in (calm, stressed)
_SPELL = (250.0, 40.0)  # mean regime spell in sessions (calm, stressed)
_GARCH_A, _GARCH_B, _T_DF = 0.06, 0.92, 5.0


@dataclass(frozen=True, kw_only=True, slots=True)
class SyntheticMarket:
    """A synthetic panel and its ground truth.

    Attributes
    ----------
    bars : DataFrame
        Long Bars frame indexed by ``(timestamp, symbol)``, float64 OHLCV.
    truth : Series
        Planted-alpha score indexed like ``bars`` (NaN during warm-up); it is computed for every
        market, also the null market (``alpha_ic=0``) where it predicts nothing.
    sectors : Series
        Sector number per symbol.
    betas : Series
        Market beta per symbol.
    regime : Series
        Per timestamp: 0 calm, 1 stressed.
    alpha_ic : float
        The planted cross-sectional IC (``alpha.ic``).
    momentum_weight : float
        Weight of the momentum term in ``truth`` (``alpha.momentum_weight``).
    changes : tuple of Change
        The change points, sorted by bar.
    ic : Series or None
        Per timestamp, the planted IC of ``truth_t`` with the next bar's return (``alpha_ic``
        times the strength factors in force; exact past the warm-up when ``exact_ic``).
    alpha : AlphaSpec
        The planted signal, with the ``weights`` drawn from the seed filled in
        (``planted_alpha(bars, alpha=market.alpha)`` recomputes ``truth`` before any flip).
    """

    bars: pd.DataFrame
    truth: pd.Series
    sectors: pd.Series
    betas: pd.Series
    regime: pd.Series
    alpha_ic: float
    momentum_weight: float
    changes: tuple[Change, ...] = ()
    ic: pd.Series | None = None
    alpha: AlphaSpec = field(default_factory=AlphaSpec)


def synthetic_market(
    n_symbols: int = 50,
    n_bars: int = 2520,
    freq: str = "1D",
    seed: int = 0,
    alpha_ic: float | None = None,
    *,
    alpha: AlphaSpec | Mapping[str, Any] | None = None,
    momentum_weight: float | None = None,
    exact_ic: bool = True,
    n_sectors: int = 10,
    start: str = "2010-01-04",
    calendar: str | None = None,
    changes: Sequence[Change | Mapping[str, Any]] = (),
) -> SyntheticMarket:
    """Generate a synthetic OHLCV panel (see the module docstring for the model).

    Parameters
    ----------
    n_symbols, n_bars : int
        Panel size ``N`` and number of bars ``T``.
    freq : str
        ``"1D"`` for daily bars on weekdays (stamped at UTC midnight of the session; there are no
        holidays), or an intraday bar length from ``"1min"`` to ``"390min"`` (e.g. ``"5min"``,
        ``"1h"``), bars stamped with their end time.
    seed : int
        Seed of the only random generator used; the same arguments give identical output.
    alpha_ic : float, optional
        Planted IC of the 5-bar reversal: ``AlphaSpec(kind="reversal", ic=alpha_ic)``; None
        (and no ``alpha``) is the null market. Not together with ``alpha``.
    alpha : AlphaSpec or mapping of its fields, optional
        The planted signal and its cross-sectional IC with the next bar's return (see
        :mod:`alphafactory.data.alpha_spec`); mix weights not given are drawn from ``seed``.
    momentum_weight : float, optional
        With ``alpha_ic``: weight in ``[0, 1]`` of the volume-scaled momentum term in ``truth``.
    exact_ic : bool
        True: the IC is ``alpha_ic`` at every timestamp; False: only in expectation.
    n_sectors : int
        Number of sectors (symbols are dealt to sectors round-robin, then shuffled).
    start : str
        First session date.
    calendar : str, optional
        Put the bars on this calendar's sessions (see :mod:`alphafactory.data.calendars`);
        None keeps the fixed clock above (weekdays, 14:30-21:00 UTC).
    changes : sequence of Change (or mappings of its fields)
        Change points (see the module docstring); empty gives the unchanged market.

    Returns
    -------
    SyntheticMarket
    """
    spec = alpha_from_args(alpha, alpha_ic, momentum_weight).resolve(seed)
    _check_args(n_symbols, n_bars, spec.ic, n_sectors)
    changes = check_changes(changes, n_bars)
    sign, rho, vol_mult = change_paths(changes, n_bars, spec.ic)
    rng = np.random.default_rng(seed)
    if calendar is None:
        timestamps, bar_var, vol_shape, gap_bar, session = _clock(n_bars, freq, start)
    else:
        timestamps, bar_var, vol_shape, gap_bar, session = _calendar_clock(
            n_bars, freq, start, calendar
        )
    n_sessions = int(session[-1]) + 1

    symbols = pd.Index([f"S{i:0{len(str(n_symbols - 1))}d}" for i in range(n_symbols)])
    sector = rng.permutation(np.arange(n_symbols) % n_sectors)
    beta = np.clip(rng.normal(1.0, 0.3, n_symbols), 0.3, 2.0)
    gamma = rng.uniform(0.5, 1.2, n_symbols)
    idio_vol = _IDIO_VOL * np.exp(rng.normal(0.0, 0.35, n_symbols))
    log_p0 = rng.normal(np.log(50.0), 0.6, n_symbols)
    base_volume = np.exp(rng.normal(np.log(1e6), 0.8, n_symbols))

    regime = _regimes(rng, n_sessions)[session]
    stress_sys = np.where(regime == 1, _STRESS_VOL[0], 1.0)
    stress_idio = np.where(regime == 1, _STRESS_VOL[1], 1.0)
    drift = np.where(regime == 1, _DRIFT[1], _DRIFT[0]) / DAYS_PER_YEAR

    shocks = rng.standard_t(_T_DF, size=(n_bars, 2 + n_sectors + n_symbols))
    shocks *= np.sqrt((_T_DF - 2.0) / _T_DF)
    np.clip(shocks, -12.0, 12.0, out=shocks)
    cond_sd = _garch_sd(shocks)  # unit long-run variance
    z = shocks * cond_sd

    day_sd = 1.0 / np.sqrt(DAYS_PER_YEAR)
    scale = np.sqrt(bar_var)[:, None]
    gap = z[:, 0] * _MARKET_VOL * day_sd * np.sqrt(_OVERNIGHT_SHARE) * stress_sys * gap_bar
    market = z[:, 1] * _MARKET_VOL * day_sd * np.sqrt(1 - _OVERNIGHT_SHARE) * stress_sys
    market = market * scale[:, 0] + drift * bar_var
    sectors = z[:, 2 : 2 + n_sectors] * (_SECTOR_VOL * day_sd) * stress_sys[:, None] * scale
    idio = z[:, 2 + n_sectors :] * idio_vol * day_sd * stress_idio[:, None] * scale
    x = beta * market[:, None] + gamma * sectors[:, sector] + idio
    if vol_mult is not None:
        x, gap = x * vol_mult[:, None], gap * vol_mult

    # Conditional per-bar volatility of each symbol (what a trader would see), for range and volume.
    sys_var = (beta * _MARKET_VOL) ** 2 + (gamma * _SECTOR_VOL) ** 2
    sym_sd = np.sqrt(
        sys_var * (cond_sd[:, 1:2] * stress_sys[:, None]) ** 2
        + (idio_vol * cond_sd[:, 2 + n_sectors :] * stress_idio[:, None]) ** 2
    ) * (day_sd * scale)
    if vol_mult is not None:
        sym_sd = sym_sd * vol_mult[:, None]
    long_sd = np.sqrt(sys_var + idio_vol**2) * (day_sd * scale)
    surprise = np.abs(x - beta * market[:, None]) / sym_sd
    volume = np.round(
        base_volume
        * (bar_var * vol_shape)[:, None]
        * (sym_sd / long_sd) ** 1.2
        * (0.6 + 0.4 * surprise)
        * np.exp(rng.normal(0.0, 0.25, x.shape))
    )
    volume = np.maximum(volume, 1.0)
    if spec.kind == "reversal":
        rel_volume = pa.relative_volume(volume, pa.MOMENTUM_WINDOW)
        w = spec.momentum_weight
        stepper = None

        def signal_at(log_close: np.ndarray, t: int) -> np.ndarray | None:
            return pa.signal_at(log_close, rel_volume, t, momentum_weight=w)

    else:
        stepper = pa.AlphaStepper(spec, volume)
        signal_at = stepper.at
    log_open, log_close = pa.plant(x, gap, log_p0, signal_at, rho, exact=exact_ic, sign=sign)
    reach = 0.5 * sym_sd
    log_high = np.maximum(log_open, log_close) + reach * np.abs(rng.standard_normal(x.shape))
    log_low = np.minimum(log_open, log_close) - reach * np.abs(rng.standard_normal(x.shape))

    index = pd.MultiIndex.from_product([timestamps, symbols], names=["timestamp", "symbol"])
    columns = {
        "open": np.exp(log_open),
        "high": np.exp(log_high),
        "low": np.exp(log_low),
        "close": np.exp(log_close),
        "volume": volume,
    }
    bars = pd.DataFrame({k: columns[k].ravel() for k in OHLCV_COLUMNS}, index=index)
    # Guard the OHLC invariants against exp() rounding.
    bars["high"] = bars[["open", "high", "close"]].max(axis=1)
    bars["low"] = bars[["open", "low", "close"]].min(axis=1)
    kind = "" if spec.kind == "reversal" else f"alpha={spec.kind!r}, "
    bars.attrs.update(
        source=f"synthetic_market(seed={seed}, {kind}alpha_ic={spec.ic}, freq={freq!r})",
        calendar=calendar or "",
        adjustment="none (synthetic)",
        asset_class="equities",
    )
    if stepper is None:
        truth = pa.signal_rows(log_close, rel_volume, momentum_weight=spec.momentum_weight)
    else:  # the stepper has scored every bar when the loop ran, else score them now
        truth = stepper.truth if stepper.next_bar == n_bars else stepper.run(log_close)
    if sign is not None:
        truth = truth * sign[:, None]
    return SyntheticMarket(
        bars=bars,
        truth=pd.Series(truth.ravel(), index=index, name="truth"),
        sectors=pd.Series(sector, index=symbols, name="sector"),
        betas=pd.Series(beta, index=symbols, name="beta"),
        regime=pd.Series(regime, index=timestamps, name="regime"),
        alpha_ic=float(spec.ic),
        momentum_weight=float(spec.momentum_weight),
        changes=changes,
        ic=pd.Series(rho, index=timestamps, name="ic"),
        alpha=spec,
    )


def _clock(
    n_bars: int, freq: str, start: str
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps, per-bar variance share of a day, volume shape, gap flag, session number."""
    try:
        step = pd.Timedelta(freq)
    except ValueError as exc:
        raise ValueError(
            f"freq must be '1D' or an intraday length like '5min'; got {freq!r}."
        ) from exc
    if step == pd.Timedelta(days=1):
        days = pd.bdate_range(start, periods=n_bars, tz="UTC", name="timestamp").as_unit("ns")
        ones = np.ones(n_bars)
        return days, ones, ones, ones, np.arange(n_bars)
    minutes = step / pd.Timedelta(minutes=1)
    if not (1 <= minutes <= SESSION_MINUTES and float(minutes).is_integer()):
        raise ValueError(
            f"freq must be '1D' or a whole number of minutes from 1 to {SESSION_MINUTES}; "
            f"got {freq!r}."
        )
    per_session = int(SESSION_MINUTES // minutes)
    n_sessions = -(-n_bars // per_session)
    days = pd.bdate_range(start, periods=n_sessions, tz="UTC").as_unit("ns")
    k = np.arange(per_session)
    ends = (SESSION_OPEN_UTC + pd.to_timedelta((k + 1) * minutes, unit="min")).as_unit("ns")
    stamps = (days.tz_localize(None).to_numpy()[:, None] + ends.to_numpy()[None, :]).ravel()
    timestamps = pd.DatetimeIndex(stamps[:n_bars], name="timestamp").tz_localize("UTC")
    position = 2.0 * (k + 0.5) / per_session - 1.0  # -1 at the open, +1 at the close
    var_shape = 1.0 + 1.5 * position**2
    vol_shape = 1.0 + 1.0 * position**2
    var_share = np.tile(var_shape / var_shape.sum(), n_sessions)[:n_bars]
    volume_shape = np.tile(vol_shape / vol_shape.mean(), n_sessions)[:n_bars]
    gap_bar = np.tile((k == 0).astype(np.float64), n_sessions)[:n_bars]
    session = np.repeat(np.arange(n_sessions), per_session)[:n_bars]
    return timestamps, var_share, volume_shape, gap_bar, session


def _calendar_clock(
    n_bars: int, freq: str, start: str, calendar: str
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_clock` on a trading calendar's sessions (shapes scaled to each session's length)."""
    step = _step(freq)
    first = pd.Timestamp(start)
    if step == pd.Timedelta(days=1):
        span = pd.Timedelta(days=int(n_bars * 1.6) + 30)
        days = calendars.sessions(calendar, first, first + span)[:n_bars]
        _check_enough(days, n_bars, calendar)
        ones = np.ones(n_bars)
        return days, ones, ones, ones, np.arange(n_bars)
    per_day = max(1, round(SESSION_MINUTES * pd.Timedelta(minutes=1) / step))
    span = pd.Timedelta(days=int(n_bars / per_day * 1.6) + 30)
    stamps = calendars.bar_stamps(calendar, first, first + span, step)[:n_bars]
    _check_enough(stamps, n_bars, calendar)
    dates = calendars.session_dates(stamps)
    session = pd.factorize(dates)[0]
    k = pd.Series(0, index=stamps).groupby(session).cumcount().to_numpy()
    size = np.bincount(session)[session]
    position = 2.0 * (k + 0.5) / size - 1.0
    var_shape = 1.0 + 1.5 * position**2
    vol_shape = 1.0 + 1.0 * position**2
    var_share = var_shape / np.bincount(session, weights=var_shape)[session]
    volume_shape = (
        vol_shape / (np.bincount(session, weights=vol_shape) / np.bincount(session))[session]
    )
    return stamps, var_share, volume_shape, (k == 0).astype(np.float64), session


def _step(freq: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(freq)
    except ValueError as exc:
        raise ValueError(
            f"freq must be '1D' or an intraday length like '5min'; got {freq!r}."
        ) from exc
    if not pd.Timedelta(0) < step <= pd.Timedelta(days=1):
        raise ValueError(f"freq must be '1D' or an intraday length like '5min'; got {freq!r}.")
    return step


def _check_enough(stamps: pd.DatetimeIndex, n_bars: int, calendar: str) -> None:
    if len(stamps) < n_bars:
        raise ValueError(
            f"calendar {calendar!r} has only {len(stamps)} bars from the start date on; "
            f"n_bars={n_bars} asked for more (its sessions end in the calendar's last year)."
        )


def _regimes(rng: np.random.Generator, n_sessions: int) -> np.ndarray:
    """0/1 regime per session from alternating geometric spells, starting calm."""
    n_spells = 2 * (n_sessions // int(min(_SPELL)) + 2)
    means = np.tile(np.asarray(_SPELL), n_spells // 2)
    lengths = rng.geometric(1.0 / means)
    states = np.tile(np.array([0, 1]), n_spells // 2)
    return np.repeat(states, lengths)[:n_sessions]


def _garch_sd(shocks: np.ndarray) -> np.ndarray:
    """Conditional sd of GARCH(1,1) with unit long-run variance driven by ``shocks`` ``[T, K]``."""
    omega = 1.0 - _GARCH_A - _GARCH_B
    var = np.empty_like(shocks)
    var[0] = 1.0
    for t in range(1, shocks.shape[0]):
        var[t] = omega + var[t - 1] * (_GARCH_A * shocks[t - 1] ** 2 + _GARCH_B)
    return np.sqrt(var)


def _check_args(n_symbols: int, n_bars: int, alpha_ic: float, n_sectors: int) -> None:
    if n_symbols < 1 or n_bars < 1 or n_sectors < 1:
        raise ValueError(
            f"n_symbols, n_bars and n_sectors must be >= 1; got {n_symbols}, {n_bars}, {n_sectors}."
        )
    if alpha_ic != 0.0 and n_symbols < 3:
        raise ValueError(f"a planted alpha needs at least 3 symbols; got n_symbols={n_symbols}.")
