"""`alphafactory serve`: the signal server (REST + WebSocket) over a stored model."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from alphafactory.cli._artifact import add_artifact_arguments, store_from_args
from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

_EPILOG = """examples:
  alphafactory train --bars sample --model ridge --out runs/ridge
  alphafactory serve --artifact runs/ridge/model --bars sample
  alphafactory serve --artifact champion --challenger challenger --workflow daily --bars sample
  alphafactory serve --artifact runs/lstm/model --bars data/equities/ --replay-rate 5 --port 8080
  alphafactory serve --artifact runs/lstm/model --bars yfinance:AAPL,MSFT --feed yfinance \\
      --host 0.0.0.0 --api-keys keys.txt
  curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"symbol": "AAPL"}'

--artifact is a model artifact directory (`alphafactory train --out DIR` writes DIR/model/)
or a registry reference of --workflow NAME (`alphafactory factory` registers the models of
a workflow): champion, challenger or vN. It is served as `champion`, and --challenger REF
as `challenger`. A directory is watched: when it is replaced (ModelArtifact.save(
overwrite=True) is atomic), the new version is loaded in the background and swapped in. A
registry alias is followed: when `alphafactory factory promote` or a factory cycle moves
it, the new version is downloaded and swapped in the same way (vN stays fixed). Responses
name the version. The registry is mlruns/ here unless --registry-root DIR or
--tracking-uri URI (sqlite:///FILE or postgresql://USER@HOST:PORT/DB) says otherwise.

New bars come from --feed replay (default, offline: the last --replay-bars timestamps of
--bars are replayed at --replay-rate bars per second, the rest is history) or --feed
yfinance (--bars yfinance:SYM,... polled every --poll-seconds).

Security: authentication is on when --host is not loopback (--auth auto), with API keys
(--api-keys FILE, one key per line, and/or $ALPHAFACTORY_API_KEYS, comma-separated; at
least 16 characters; clients send X-API-Key: KEY or Authorization: Bearer KEY) and/or JWT
bearer tokens signed HS256 (--jwt-secret-file FILE or $ALPHAFACTORY_JWT_SECRET; exp
required). Rate limits are per key (token bucket: --rate-limit per second, --burst); CORS
is off unless --cors-origin is given. API docs at http://HOST:PORT/docs.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve", help="serve a stored model's signals over REST and WebSocket",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_artifact_arguments(parser, challenger=True)
    add_bars_arguments(parser, default="sample")
    feed = parser.add_argument_group("feed")
    feed.add_argument("--feed", choices=("replay", "yfinance"), default="replay")
    feed.add_argument("--replay-rate", type=float, default=1.0,
                      help="replayed bars per second (0 = as fast as scored; default 1)")
    feed.add_argument("--replay-bars", type=int, default=250,
                      help="timestamps replayed at the end of the bars (default 250)")
    feed.add_argument("--loop", action="store_true", help="replay again after the last bar")
    feed.add_argument("--poll-seconds", type=float, default=60.0, help="yfinance poll period")
    net = parser.add_argument_group("server")
    net.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    net.add_argument("--port", type=int, default=8000)
    net.add_argument("--auth", choices=("auto", "on", "off"), default="auto",
                     help="auto (default): on unless --host is loopback")
    net.add_argument("--api-keys", type=Path, default=None, help="file of API keys, one a line")
    net.add_argument("--jwt-secret-file", type=Path, default=None,
                     help="file holding the HS256 secret of accepted JWTs")
    net.add_argument("--rate-limit", type=float, default=50.0,
                     help="requests per second per key (0 = off; default 50)")
    net.add_argument("--burst", type=int, default=100, help="token bucket size (default 100)")
    net.add_argument("--cors-origin", action="append", default=[],
                     help="allowed CORS origin (repeatable; default none)")
    net.add_argument("--max-body", type=int, default=64 * 1024, help="largest request body")
    net.add_argument("--cache", default=None,
                     help="score cache: a directory (default .alphafactory-cache/serve), "
                          "redis://HOST:PORT/DB, or off")  # fmt: skip
    net.add_argument("--watch-seconds", type=float, default=2.0,
                     help="artifact (or registry alias) check period for hot swaps (0 = off)")
    net.add_argument("--runs-dir", type=Path, default=None, help="where backtest jobs write runs")
    net.add_argument("--monitor", action="store_true",
                     help="watch the champion for data and concept drift on every bar: GET "
                          "/drift and drift gauges at /metrics (needs reference.json)")
    net.add_argument("--monitor-file", type=Path, default=None,
                     help="a TOML file whose [monitor] table sets the monitor (window, fdr, "
                          "detectors); default settings without it")  # fmt: skip
    net.add_argument("--backtest-workers", type=int, default=1)
    net.add_argument("--buy-rank", type=float, default=0.8,
                     help="BUY at or above this cross-sectional percentile rank (0.8)")
    net.add_argument("--sell-rank", type=float, default=0.2,
                     help="SELL at or below this cross-sectional percentile rank (0.2)")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError

    try:
        from alphafactory.serve.auth import read_api_keys
        from alphafactory.serve.config import (
            ActionRule,
            AuthConfig,
            RateLimit,
            ServeConfig,
        )
        from alphafactory.serve.server import FeedSettings, run_server
    except ImportError as exc:
        raise CLIError(f"the server needs the 'serve' extra: pip install 'alphafactory[serve]' "
                       f"({exc.name} is missing)") from None  # fmt: skip
    secret = os.environ.get("ALPHAFACTORY_JWT_SECRET")
    if args.jwt_secret_file is not None:
        if not args.jwt_secret_file.is_file():
            raise CLIError(f"--jwt-secret-file: no file at {args.jwt_secret_file}")
        secret = args.jwt_secret_file.read_text().strip()
    if secret is not None and len(secret) < 32:
        raise CLIError("the JWT secret must be at least 32 characters")
    config = ServeConfig(
        artifact=args.artifact, challenger=args.challenger, workflow=args.workflow,
        store=store_from_args(args), host=args.host,
        auth=AuthConfig(mode=args.auth, api_key_hashes=read_api_keys(args.api_keys),
                        jwt_secret=secret),
        rate_limit=RateLimit(per_second=args.rate_limit, burst=args.burst),
        action=ActionRule(buy_rank=args.buy_rank, sell_rank=args.sell_rank),
        watch_seconds=args.watch_seconds, cache=args.cache, runs_dir=args.runs_dir,
        backtest_workers=args.backtest_workers, max_body_bytes=args.max_body,
        cors_origins=tuple(args.cors_origin))  # fmt: skip
    feed = FeedSettings(kind=args.feed, bars_per_second=args.replay_rate,
                        replay_bars=args.replay_bars, loop=args.loop,
                        poll_seconds=args.poll_seconds)  # fmt: skip
    source = bars_source_from_args(args)
    assert source is not None  # --bars has a default
    what = f"{args.artifact} of {args.workflow}" if args.workflow else args.artifact
    print(f"serving {what} on http://{args.host}:{args.port} (docs at /docs)")
    run_server(config, source, feed, port=args.port, cache=args.cache,
               monitor=_monitor_policy(args))
    return 0


def _monitor_policy(args: argparse.Namespace):  # MonitorPolicy | None, imported lazily
    """``--monitor``: the drift monitor's policy (``[monitor]`` of ``--monitor-file``, or the
    defaults)."""
    if not args.monitor:
        return None
    from alphafactory.cli import CLIError
    from alphafactory.monitor.policy import MonitorPolicy

    if args.monitor_file is None:
        return MonitorPolicy()
    from alphafactory.runs import read_toml

    if not args.monitor_file.is_file():
        raise CLIError(f"--monitor-file: no file at {args.monitor_file}")
    doc = read_toml(args.monitor_file)
    return MonitorPolicy.from_mapping(doc.get("monitor", doc), f"[monitor] of {args.monitor_file}")
