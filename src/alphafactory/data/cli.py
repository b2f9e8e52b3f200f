"""`alphafactory data ...` commands."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="download, validate and list OHLCV data")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
