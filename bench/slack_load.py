"""Signed Slack load on a bot at 127.0.0.1: slash commands or event callbacks.

    .venv/bin/python bench/slack_load.py --url http://127.0.0.1:3000/slack/events \\
        --secret "$SLACK_SIGNING_SECRET" --concurrency 8 --seconds 10 --kind command

prints requests per second, p50, p99, max and errors (non-2xx answers, the bot's "something
went wrong" answer, and exceptions) and flags requests over 3 s. Without --url it starts
its own target first (productops-bot, or the bare Bolt baseline with --target bare) with an
emulated Web API and a fresh SQLite database, which is what `make bench` runs.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lib.slack_load import KINDS, check_local_url, run_load  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="request URL of the bot (127.0.0.1/localhost only)")
    parser.add_argument("--secret", help="signing secret of the bot (required with --url)")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel connections")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to send")
    parser.add_argument("--kind", choices=[*KINDS, "both"], default="both")
    parser.add_argument(
        "--response-base",
        help="origin for the commands' response_urls (an emulator; default: the target's)",
    )
    parser.add_argument(
        "--target",
        choices=["bot", "bare"],
        default="bot",
        help="without --url: which app to start and load",
    )
    parser.add_argument("--workers", type=int, default=2, help="without --url: gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="without --url: threads/worker")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 on any error or request over 3 s"
    )
    args = parser.parse_args(argv)
    if args.url and not args.secret:
        parser.error("--secret is required with --url")
    for url in (args.url, args.response_base):
        try:
            if url:
                check_local_url(url)
        except ValueError as err:
            parser.error(str(err))
    return args


def load(
    url: str, secret: str, args: argparse.Namespace, between: Callable[[], object] | None = None
) -> int:
    """Run each kind; returns how many requests failed or took over 3 s."""
    kinds = KINDS if args.kind == "both" else (args.kind,)
    failed = 0
    for index, kind in enumerate(kinds):
        if index and between is not None:
            between()
        result = run_load(
            url,
            secret,
            concurrency=args.concurrency,
            seconds=args.seconds,
            kind=kind,
            response_base=args.response_base,
        )
        print(result.summary(), flush=True)
        if result.statuses:
            print(
                "  answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items()))
            )
        failed += result.errors + result.slow
    return failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        failed = load(args.url, args.secret, args)
        return 1 if args.check and failed else 0
    from bench.lib import apps
    from bench.lib.emulator import start_emulator
    from bench.lib.procs import tree, wait_idle

    workdir = apps.workdir("slack-load")
    secret = secrets.token_hex(16)
    emulator = start_emulator(workdir)
    args.response_base = emulator.url
    config = apps.GunicornConfig(workers=args.workers, threads=args.threads)
    make = apps.bot_server if args.target == "bot" else apps.bare_server
    server = make(
        secret=secret,
        api_url=emulator.api_url,
        database=apps.sqlite_database(workdir, args.target),
        config=config,
        workdir=workdir,
    )
    try:
        server.start()
        server.wait_healthy()
        print(f"{args.target} at {server.url} ({args.workers} workers x {args.threads} threads)")
        # One short warm-up so each worker's first-request set-up is not measured.
        run_load(
            server.url,
            secret,
            concurrency=args.concurrency,
            seconds=0.5,
            response_base=emulator.url,
        )
        # Between kinds, let work queued behind the answers finish first.
        failed = load(server.url, secret, args, between=lambda: wait_idle(tree(server.pid)))
        print(f"Web API calls made: {emulator.call_counts()}")
    finally:
        server.stop()
        emulator.stop()
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
