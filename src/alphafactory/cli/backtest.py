"""`alphafactory backtest`: signals -> weights -> vectorized backtest, written as a run."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

if TYPE_CHECKING:
    from alphafactory.data.sources import BarsSource

_EPILOG = """examples:
  alphafactory backtest --signals signals/signal_files/alpha_ml_signals.csv --cost sqrt
  alphafactory backtest --signals s.csv --cost fixed --bps 5 --bars data/equities/bars.parquet \\
      --rule quantile --quantiles 5 --rebalance 5
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` command."""
    parser = subparsers.add_parser(
        "backtest",
        help="backtest a signal file with a cost model (vectorized, compiled loop)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_strategy_arguments(parser)
    parser.add_argument("--cost", choices=["sqrt", "fixed", "spread"], default="sqrt",
                        help="square-root impact, fixed bps, or spread + linear impact")
    parser.add_argument("--bps", type=float, default=None,
                        help="bps for --cost fixed (default 10)")
    parser.add_argument("--eta", type=float, default=None, help="eta for --cost sqrt (default 1)")
    parser.add_argument("--borrow-bps", type=float, default=0.0)
    parser.add_argument("--participation-cap", type=float, default=None)
    parser.add_argument("--max-gross-leverage", type=float, default=1.0,
                        help="scale a decision whose gross sum |w| exceeds it down to it, with "
                             "a warning (default 1)")
    parser.set_defaults(func=_backtest)


def add_strategy_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by ``backtest`` and ``execute``: data, signals, weighting, run."""
    parser.add_argument("--signals", type=Path, required=True, help="signal file (CSV/Parquet)")
    add_bars_arguments(parser, default=None)
    parser.add_argument("--model", default=None, help="model to trade when the file has several")
    parser.add_argument("--rule", default="topk",
                        help="scores -> weights rule: any name of `alphafactory portfolio list` "
                             "(default topk)")
    parser.add_argument("--params", type=_toml_table, default={}, metavar="TABLE",
                        help="the rule's parameters as a TOML inline table, e.g. "
                             "'{ window = 60, k = 20, limits = { max_weight = 0.1 } }'")
    # The rule flags default to None so that one given to a rule that ignores it is an error
    # (see strategy_fields), not a silent no-op recorded in the run's config.
    parser.add_argument("--k", type=int, default=None,
                        help="names per leg for --rule topk (default 1)")
    parser.add_argument("--long-only", action="store_true",
                        help="long leg only, for --rule topk or quantile")
    parser.add_argument("--quantiles", type=int, default=None,
                        help="buckets for --rule quantile (default 5)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="entry for --rule threshold (default 0)")
    parser.add_argument("--max-weight", type=float, default=None,
                        help="largest |weight| per name for --rule proportional")
    parser.add_argument("--rebalance", default="1", help="every N bars, or a period like W or M")
    parser.add_argument("--execution", choices=["next_open", "next_close", "close"],
                        default="next_open")
    parser.add_argument("--cash", type=float, default=1e6)
    parser.add_argument("--out", type=Path, default=None, help="run directory (default runs/...)")
    parser.add_argument("--no-run", action="store_true", help="print only, write no run")


def _toml_table(text: str) -> dict[str, Any]:
    """Parse ``--params``: a TOML inline table (the form a workflow's ``params`` takes)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        value = tomllib.loads(f"params = {text}")["params"]
    except tomllib.TOMLDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not a TOML inline table ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a table like '{{ k = 3 }}', got {text!r}")
    return value


def strategy_source(args: argparse.Namespace) -> BarsSource:
    """The bars source of a strategy command: ``--bars`` and its options, else the ``[data]``
    source recorded in the signal file's sidecar (a run's config), else the bundled sample."""
    from alphafactory.pipeline.strategy_job import recorded_source

    base = recorded_source(args.signals) if args.bars is None else None
    if base is None and args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args, base)
    assert source is not None
    return source


#: Rule flag -> (job field, default when not given).
_RULE_FLAGS: dict[str, tuple[str, Any]] = {
    "--k": ("k", 1), "--long-only": ("long_only", False), "--quantiles": ("quantiles", 5),
    "--threshold": ("threshold", 0.0), "--max-weight": ("max_weight", None),
}


def strategy_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The job fields shared by ``backtest`` and ``execute``, from their common flags.

    Flags are checked first, before any file is read: a bad value, or a rule flag the chosen
    ``--rule`` does not read, is one line naming the flag.
    """
    check_strategy_flags(args)
    rule_fields = {}
    for name, default in _RULE_FLAGS.values():
        value = getattr(args, name)
        rule_fields[name] = default if value is None or value is False else value
    return {
        "data": strategy_source(args), "signals": str(args.signals), "model": args.model,
        "rule": args.rule, **rule_fields, "params": args.params, "rebalance": args.rebalance,
        "execution": args.execution, "cash": args.cash,
    }  # fmt: skip


def check_strategy_flags(args: argparse.Namespace) -> None:
    """Raise :class:`~alphafactory.cli.CLIError` naming the first bad or ignored strategy flag."""
    from alphafactory.pipeline.strategy_job import RULE_PARAMS

    check_flag(args.k is None or args.k >= 1, "--k", "an integer >= 1", args.k)
    check_flag(args.quantiles is None or args.quantiles >= 2, "--quantiles", "an integer >= 2",
               args.quantiles)
    check_flag(args.threshold is None or math.isfinite(args.threshold), "--threshold",
               "a finite number", args.threshold)
    check_flag(args.max_weight is None or 0 < args.max_weight < math.inf, "--max-weight",
               "a finite number > 0", args.max_weight)
    check_flag(0 < args.cash < math.inf, "--cash", "a finite amount > 0", args.cash)
    every = str(args.rebalance).strip()
    if every.lstrip("+-").isdigit():
        check_flag(int(every) >= 1, "--rebalance", "an integer >= 1 bar or a period like W or M",
                   args.rebalance)
    used = RULE_PARAMS.get(args.rule, ())
    for flag, (name, _) in _RULE_FLAGS.items():
        value = getattr(args, name)
        if value is not None and value is not False and name in args.params:
            from alphafactory.cli import CLIError

            raise CLIError(f"{flag}: also given in --params ({name} = {args.params[name]!r}); "
                           f"give it once")
        if value is not None and value is not False and name not in used:
            reads = ", ".join(f"--{u.replace('_', '-')}" for u in used) or "none of them"
            from alphafactory.cli import CLIError

            raise CLIError(f"{flag}: --rule {args.rule} does not read it (its flags: {reads}; "
                           f"other parameters go in --params); drop {flag}")


def check_flag(ok: bool, flag: str, rule: str, got: object) -> None:
    """Raise :class:`~alphafactory.cli.CLIError` ``"<flag>: must be <rule>, got <got>"``."""
    if not ok:
        from alphafactory.cli import CLIError

        raise CLIError(f"{flag}: must be {rule}, got {got!r}")


def check_run_out(args: argparse.Namespace) -> None:
    """Refuse ``--out`` before any work: an existing file or non-empty directory (a run directory
    is never written over), or the signal file itself."""
    from alphafactory.cli import CLIError

    out = args.out
    if out is None or args.no_run:
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CLIError(f"--out {out}: already exists and is not an empty directory; a run is "
                       "never written over another, choose a new path")


def _backtest(args: argparse.Namespace) -> int:
    import sys

    from alphafactory.cli import CLIError
    from alphafactory.pipeline.strategy_job import BacktestJob, backtest_job

    for flag, value, cost in (("--bps", args.bps, "fixed"), ("--eta", args.eta, "sqrt")):
        if value is not None and args.cost != cost:
            raise CLIError(f"{flag}: --cost {args.cost} does not read it (only --cost {cost} "
                           f"does); drop {flag}")
    bps = 10.0 if args.bps is None else args.bps
    eta = 1.0 if args.eta is None else args.eta
    check_flag(0 <= bps < math.inf, "--bps", "a finite number >= 0", bps)
    check_flag(0 < eta < math.inf, "--eta", "a finite number > 0", eta)
    check_flag(0 <= args.borrow_bps < math.inf, "--borrow-bps", "a finite number >= 0",
               args.borrow_bps)
    cap = args.participation_cap
    check_flag(cap is None or 0 < cap <= 1, "--participation-cap", "in (0, 1]", cap)
    check_flag(0 < args.max_gross_leverage < math.inf, "--max-gross-leverage",
               "a finite number > 0", args.max_gross_leverage)
    check_run_out(args)
    job = BacktestJob(**strategy_fields(args), cost=args.cost, bps=bps, eta=eta,
                      borrow_bps=args.borrow_bps, participation_cap=args.participation_cap,
                      max_gross_leverage=args.max_gross_leverage)
    outcome = backtest_job(job, path=args.out, write=not args.no_run)
    if outcome.note:
        print(outcome.note, file=sys.stderr)
    table = outcome.result.summary()
    for key in ("total_return", "sharpe", "max_drawdown", "mean_turnover", "cost_bps_of_traded",
                "final_equity"):
        print(f"{key:<20} {table[key]:>14.6g}")
    if outcome.result.bankrupt_at is not None:  # the ratios above are NaN: say why
        print(f"{'bankrupt_at':<20} {outcome.result.bankrupt_at}")
    if outcome.run is not None:
        print(f"run written to {outcome.run.path}")
    return 0
