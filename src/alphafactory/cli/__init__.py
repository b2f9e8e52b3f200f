"""The ``alphafactory`` command: the only place that parses arguments or prints for a user.

One module per command group, each with a ``register(subparsers)`` function that adds its parser
and sets ``func`` (called with the parsed namespace, returning an exit status). A command module
parses, calls the library, prints; no library package imports this package.

Errors: every :class:`~alphafactory.errors.AlphaFactoryError` (and the ``ValueError`` and
``OSError`` that library code raises for bad values and paths) prints one line and exits 2;
anything else prints one line and exits 1. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
import warnings
from collections.abc import Sequence

from alphafactory import __version__
from alphafactory.errors import AlphaFactoryError

# The explicit registry of command modules; order is the order of `alphafactory --help`.
_COMMAND_MODULES: tuple[str, ...] = (
    "alphafactory.cli.demo",
    "alphafactory.cli.run",
    "alphafactory.cli.data",
    "alphafactory.cli.features",
    "alphafactory.cli.train",
    "alphafactory.cli.score",
    "alphafactory.cli.serve",
    "alphafactory.cli.dashboard",
    "alphafactory.cli.simulate",
    "alphafactory.cli.signals",
    "alphafactory.cli.portfolio",
    "alphafactory.cli.backtest",
    "alphafactory.cli.execute",
    "alphafactory.cli.factory",
    "alphafactory.cli.trade",
    "alphafactory.cli.monitor",
)

# Library errors a user can fix by changing an input: one line, exit 2.
USER_ERRORS: tuple[type[BaseException], ...] = (AlphaFactoryError, ValueError, OSError, KeyError)


class CLIError(AlphaFactoryError):
    """A user error found by a command module (a flag's value, a missing file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alphafactory",
        description="Quant research from OHLCV bars to book-level backtests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `alphafactory COMMAND --help` for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"alphafactory {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error instead of one line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    return text


def configure_logging(level: int = logging.INFO) -> None:
    """Send the library's progress lines (``alphafactory.*`` loggers) to stderr, one per line.

    Long steps (a walk-forward fold, a workflow step) log at INFO, so progress shows also when
    stderr is not a terminal (a CI log, a cron job), where no progress bar is drawn.
    """
    logger = logging.getLogger("alphafactory")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be replaced)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(logging.DEBUG if args.debug else logging.INFO)
    # pyarrow < 26 (MLflow 3.17 pins it) warns through pandas 3.1 on every Parquet write of a
    # tz-aware column; the warning is about pyarrow's internals, not the user's data.
    warnings.filterwarnings("ignore", message="Series.values returning an ndarray that drops")
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    from alphafactory.runs.staging import exit_on_sigterm

    # A library warning reaches the user as one line, like an error. Only the formatting is
    # replaced (not showwarning), so warnings.catch_warnings(record=True) still records them.
    original_format = warnings.formatwarning
    warnings.formatwarning = _format_warning
    try:
        with exit_on_sigterm():  # SIGTERM unwinds the job, so its staging directory goes
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("alphafactory: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        if isinstance(exc, USER_ERRORS):
            if not args.debug:
                print(f"alphafactory: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        if not args.debug:
            print(f"alphafactory: internal error: {type(exc).__name__}: {_one_line(exc)} "
                  "(run again with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        warnings.formatwarning = original_format


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"alphafactory: warning: {' '.join(str(message).split())}\n"


if __name__ == "__main__":
    sys.exit(main())
