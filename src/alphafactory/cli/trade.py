"""`alphafactory trade run | status | stop`: the trading loop (paper by default)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alphafactory.cli._artifact import ARTIFACT_HELP, add_store_arguments

_EPILOG = """examples:
  alphafactory trade run research/trading/daily.toml --paper --speed 1000
  alphafactory train --bars sample --model ridge --out runs/ridge
  alphafactory trade run research/trading/daily.toml --paper --artifact runs/ridge/model
  alphafactory trade run research/trading/daily.toml --artifact champion --workflow daily
  alphafactory trade status research/trading/daily.toml
  alphafactory trade stop research/trading/daily.toml

`run` replays the file's bars through the persisted paper broker (a BarVenue journaled in the
store): killed and started again, it reconciles and carries on. --speed X runs the simulated
clock X times faster than real time (a daily bar is one 6.5-hour session; 0: as fast as
possible). The store defaults to sqlite:///trading/<bot>.db. A file with [bot] broker =
"alpaca" trades the Alpaca paper account of its keys (APCA_API_KEY_ID / APCA_API_SECRET_KEY,
or [alpaca] keys = FILE) on the bars of its [feed] (replay, yfinance or alpaca); the real
account only with --live --confirm ACCOUNT_ID. `stop` sets the kill switch: open orders are
cancelled and the bot halts before its next decision. --artifact champion (or challenger)
--workflow NAME follows the registry alias: a promoted version is used from the next
decision on, and each decision names the version it used.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``trade`` command group."""
    parser = subparsers.add_parser("trade", help="run, inspect or stop a trading bot",
                                   epilog=_EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="trade_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="trade a trading file (paper by default)", epilog=_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("file", type=Path, help="trading file (.toml)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true",
                      help="paper trading (default): the simulated broker, or the paper "
                           "account of the file's broker")
    mode.add_argument("--live", action="store_true",
                      help="the real account of the file's broker (with --confirm)")
    run.add_argument("--confirm", metavar="ACCOUNT_ID", default=None,
                     help="the broker account id, required with --live")
    run.add_argument("--speed", type=float, default=0.0,
                     help="simulated time per wall time (0: as fast as possible)")
    run.add_argument("--store", default=None, help="SQLAlchemy URL of the trading store")
    run.add_argument("--artifact", metavar="REF", default=None, help=ARTIFACT_HELP)
    add_store_arguments(run)
    run.set_defaults(func=_run)
    for name, func, text in (("status", _status, "positions, orders and equity of a bot"),
                             ("stop", _stop, "the kill switch: cancel open orders and halt")):
        p = sub.add_parser(name, help=text)
        p.add_argument("file", type=Path, help="trading file (.toml)")
        p.add_argument("--store", default=None, help="SQLAlchemy URL of the trading store")
        p.set_defaults(func=func)


def _config_and_url(args: argparse.Namespace):
    from alphafactory.live import default_store_url
    from alphafactory.live.config import TradingConfig

    config = TradingConfig.read(args.file)
    return config, args.store or config.bot.store or default_store_url(config.bot.name)


def _run(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError, configure_logging
    from alphafactory.live.session import open_session, run_session

    config, url = _config_and_url(args)
    if config.bot.broker == "paper" and args.live:
        raise CLIError(f"{args.file} trades the simulated paper broker; --live needs "
                       "[bot] broker = \"alpaca\".")
    if args.live and not args.confirm:
        raise CLIError("--live needs --confirm ACCOUNT_ID (the broker account to trade).")
    registry = None
    if args.artifact is not None or config.model.artifact is not None:
        from alphafactory.cli._artifact import store_from_args

        if args.registry_root is None and config.model.registry_root:
            args.registry_root = Path(config.model.registry_root)
        registry = store_from_args(args)
    configure_logging()
    # champion / challenger of a workflow is followed: each new version from the next decision
    if config.bot.broker == "paper":
        session = open_session(config, store_url=url, artifact=args.artifact,
                               workflow=args.workflow, registry=registry)
    else:
        from alphafactory.live.broker_session import open_broker_session

        session = open_broker_session(config, live=args.live, confirm=args.confirm,
                                      store_url=url, artifact=args.artifact,
                                      workflow=args.workflow, registry=registry,
                                      speed=args.speed)
    try:
        summary = run_session(session, speed=args.speed)
    finally:
        session.close()
    print(json.dumps(summary, default=str, indent=1))
    return 0


def _status(args: argparse.Namespace) -> int:
    from alphafactory.live import TradingStore

    config, url = _config_and_url(args)
    store = TradingStore(url)
    name = config.bot.name
    equity = store.equity(name)
    orders = store.orders(name)
    positions = store.positions(name)
    # the positions of the last snapshot (none there: the bot was flat at its last close)
    last = positions.iloc[:0] if not len(equity) else positions[
        positions["timestamp"] == equity.index[-1]]
    print(f"bot {name} ({url})")
    print(f"  halted: {store.flag(name, 'halt') or 'no'}")
    if len(equity):
        print(f"  last bar {equity.index[-1]}: equity {equity['equity'].iloc[-1]:,.2f}, "
              f"cash {equity['cash'].iloc[-1]:,.2f}")
    print(f"  orders: {len(orders)} ({', '.join(f'{k} {v}' for k, v in orders['status'].value_counts().items()) or 'none'})")  # noqa: E501
    print(f"  fills: {store.fill_cursor(name)}")
    for row in last.itertuples(index=False):
        print(f"  {row.symbol:>8} {row.quantity:>14,.4f} @ {row.average_cost:,.4f}")
    store.close()
    return 0


def _stop(args: argparse.Namespace) -> int:
    from alphafactory.live import TradingStore
    from alphafactory.live.session import request_stop

    config, url = _config_and_url(args)
    store = TradingStore(url)
    request_stop(store, config.bot.name)
    store.close()
    print(f"kill switch set for bot {config.bot.name}: it cancels its open orders and halts.")
    return 0
