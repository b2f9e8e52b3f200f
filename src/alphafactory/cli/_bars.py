"""The bars arguments every command that reads bars shares: ``--bars SPEC`` and its options.

SPEC is ``sample`` | ``sample:NAME`` | ``synthetic:key=value,...`` | ``yfinance:SYM,SYM`` |
``PATH`` (a CSV or Parquet file, or a folder of per-symbol files); see
:mod:`alphafactory.data.sources`.
"""

from __future__ import annotations

import argparse
from typing import Any

from alphafactory.data.sources import BarsSource

BARS_HELP = (
    "bars source: sample | sample:NAME | synthetic:key=value,... | yfinance:SYM,SYM | PATH "
    "(a CSV/Parquet file or a folder of per-symbol files)"
)
_OPTIONS = ("date_format", "tz", "columns", "calendar", "universe", "membership", "start", "end",
            "interval", "on_error")  # fmt: skip
# The argparse destinations add_bars_arguments creates (to leave out of a run's flat config).
BARS_DESTS: tuple[str, ...] = ("bars", "date_format", "tz", "columns", "calendar", "universe",
                               "membership", "bars_start", "bars_end", "interval",
                               "bars_on_error")  # fmt: skip


def add_bars_arguments(
    parser: argparse.ArgumentParser,
    default: str | None = "sample",
    *,
    required: bool = False,
    positional: bool = False,
) -> None:
    """Add ``--bars SPEC`` (or a positional ``SPEC``) and the source options to ``parser``.

    Parameters
    ----------
    parser : ArgumentParser
        The command's parser.
    default : str, optional
        The spec when none is given (None: no bars unless given).
    required : bool
        ``--bars`` must be given.
    positional : bool
        Take the spec as a positional ``SPEC`` argument instead of ``--bars``.
    """
    group = parser.add_argument_group("bars source")
    if positional:
        group.add_argument("bars", metavar="SPEC", help=BARS_HELP)
    else:
        group.add_argument("--bars", metavar="SPEC", default=default, required=required,
                           help=f"{BARS_HELP} (default: {default})")  # fmt: skip
    group.add_argument("--date-format", default=None, metavar="FMT",
                       help="strftime format of the dates in the files, e.g. %%m/%%d/%%Y")
    group.add_argument("--tz", default=None, metavar="ZONE",
                       help="time zone of naive timestamps, e.g. America/New_York (default UTC)")
    group.add_argument("--columns", default=None, metavar="OLD=NEW,...",
                       help="rename columns of the files, e.g. 'Px Last=close,Vol=volume'")
    group.add_argument("--calendar", default=None,
                       help="validation calendar: XNYS (default), 24/7, weekdays, or an "
                            "exchange_calendars code")
    group.add_argument("--universe", default=None, metavar="SYM,SYM",
                       help="keep only these symbols")
    group.add_argument("--membership", default=None, metavar="PATH",
                       help="CSV symbol,start,end of universe membership spells (end inclusive, "
                            "empty = still a member); bars of non-members are removed")
    group.add_argument("--start", dest="bars_start", default=None, metavar="DATE",
                       help="first bar (inclusive); also the yfinance download start")
    group.add_argument("--end", dest="bars_end", default=None, metavar="DATE",
                       help="end of the bars (exclusive)")
    group.add_argument("--interval", default=None, help="yfinance interval: 1d (default), 1h, 15m")
    group.add_argument("--on-error", dest="bars_on_error", default=None,
                       choices=["raise", "drop", "repair"],
                       help="what to do with invalid rows of files (default: raise)")  # fmt: skip


def bars_source_from_args(
    args: argparse.Namespace, base: BarsSource | None = None
) -> BarsSource | None:
    """The :class:`BarsSource` the parsed arguments name (None when no spec and no ``base``).

    ``base`` (e.g. a config file's ``[data]`` section) supplies what the flags leave unset; a
    ``--bars`` given on the command line replaces its spec.
    """
    from alphafactory.data.calendars import check_calendar

    given = _given_options(args)
    if "calendar" in given:  # before any file is read: a typo is not a data problem
        check_calendar(given["calendar"], "--calendar")
    spec = getattr(args, "bars", None)
    if base is not None:
        doc = base.to_config()
        if spec is not None:
            doc["spec"] = spec
        doc.update(given)
        return BarsSource.from_config(doc, where="--bars options")
    if spec is None:
        return None
    return BarsSource.parse(spec, **given)


def _given_options(args: argparse.Namespace) -> dict[str, Any]:
    values = {
        "date_format": getattr(args, "date_format", None),
        "tz": getattr(args, "tz", None),
        "columns": getattr(args, "columns", None),
        "calendar": getattr(args, "calendar", None),
        "universe": getattr(args, "universe", None),
        "membership": getattr(args, "membership", None),
        "start": getattr(args, "bars_start", None),
        "end": getattr(args, "bars_end", None),
        "interval": getattr(args, "interval", None),
        "on_error": getattr(args, "bars_on_error", None),
    }
    assert set(values) == set(_OPTIONS)
    return {k: v for k, v in values.items() if v is not None}
