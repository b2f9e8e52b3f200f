"""`alphafactory portfolio ...` commands: list the registered rules, optimizers and risk limits."""

from __future__ import annotations

import argparse

_EPILOG = """examples:
  alphafactory portfolio list
  alphafactory portfolio list --family optimizer
  alphafactory portfolio list --csv > rules.csv

A workflow file names any of them:
  [portfolio]
  rule = "min_variance"
  params = {window = 252, max_weight = 0.1}
"""

FAMILIES = ("rule", "optimizer", "limit", "circuit_breaker")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``portfolio`` command group."""
    parser = subparsers.add_parser(
        "portfolio",
        help="list portfolio rules, optimizers and risk limits with their parameters",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="portfolio_command", metavar="SUBCOMMAND")
    lst = sub.add_parser(
        "list",
        help="print every registered rule, optimizer and risk limit with its defaults",
        epilog="example:\n  alphafactory portfolio list --family optimizer",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lst.add_argument("--family", choices=FAMILIES, default=None, help="only this family")
    lst.add_argument("--csv", action="store_true", help="print CSV instead of blocks")
    lst.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from alphafactory.portfolio import describe_rules
    from alphafactory.risk import describe_limits

    limits = describe_limits().rename(columns={"kind": "family"})
    limits["parameters"] = [", ".join(f"{k}={v!r}" for k, v in p.items())
                            for p in limits["parameters"]]  # fmt: skip
    table = pd.concat([describe_rules(), limits[["family", "name", "parameters", "summary"]]],
                      ignore_index=True)  # fmt: skip
    if args.family is not None:
        table = table[table["family"] == args.family]
    if args.csv:
        print(table.to_csv(index=False), end="")
        return 0
    for family, group in table.groupby("family", sort=False):
        print(f"{family}s:")
        for row in group.itertuples():
            print(f"  {row.name:<22} {row.summary}")
            print(f"  {'':<22} {row.parameters or '(no parameters)'}")
    return 0
