"""The ``alphafactory`` command.

Each command group lives next to the code it drives, in a module with a ``register(subparsers)``
function that adds its parser and sets ``func`` (called with the parsed namespace, returning an
exit status). The list below is the explicit registry of those modules.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from alphafactory import __version__

# Order is the order of `alphafactory --help`.
_COMMAND_MODULES: tuple[str, ...] = (
    "alphafactory.pipeline.cli",
    "alphafactory.data.cli",
    "alphafactory.features.cli",
    "alphafactory.training.cli",
    "alphafactory.dashboard.cli",
    "alphafactory.engine.cli",
    "alphafactory.signals.cli",
    "alphafactory.backtest.cli",
    "alphafactory.execution.cli",
)


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alphafactory",
        description="Quant research from OHLCV bars to book-level backtests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `alphafactory COMMAND --help` for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"alphafactory {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"alphafactory: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("alphafactory: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
