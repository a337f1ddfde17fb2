"""productops-bot's /feedback against a bare Flask + Bolt app, under one gunicorn config.

Both apps run at once as subprocesses (gunicorn gthread, --workers x --threads each) with
a fresh SQLite database (or, with --postgres, also a fresh PostgreSQL schema each), and the
project's emulated Web API in a process of its own (bench.lib.emulator), which also takes
the commands' response_urls. Signed `/feedback` slash commands (varied text, unique
trigger_id) are sent at each concurrency level for --seconds, alternating bare, bot, then
bot, bare in the next round, so that the machine's noise falls on both alike; the bot/bare
ratios are computed per round and averaged. After each cell the script waits until the
app is idle again (work queued behind answers, e.g. listeners still running after ack(),
is reported as "busy after" and not allowed to slow the next cell). Server CPU is
utime+stime of the gunicorn master and its workers from /proc, from the start of a cell
until the app is idle, divided by the requests answered.

Targets (at concurrency 32): rps >= 0.8x bare Bolt, p99 <= 1.5x; no request over 3 s at
any level. --check exits 1 when one is missed (by default the script only reports).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lib import apps  # noqa: E402
from bench.lib.emulator import Emulator, start_emulator  # noqa: E402
from bench.lib.procs import Server, cpu_seconds, tree, tree_cpu, wait_idle  # noqa: E402
from bench.lib.report import command_line, machine, ms, ratio, table, verdict  # noqa: E402
from bench.lib.slack_load import SLOW_SECONDS, LoadResult, merge, run_load  # noqa: E402

APPS = ("bare", "bot")
RPS_TARGET = 0.8
P99_TARGET = 1.5
TARGET_LEVEL = 32


@dataclass
class Cell:
    """One measured run: an app at one concurrency in one round."""

    app: str
    concurrency: int
    round: int
    result: LoadResult
    server_cpu: float
    client_cpu: float
    emulator_cpu: float
    api_calls: dict[str, int]
    drain: float

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / self.result.requests * 1000 if self.result.requests else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per cell (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels (default 1,8,32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per app")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also run on PostgreSQL at 127.0.0.1:5432 (database test, user postgres)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    return args


def measure(
    server: Server,
    emulator: Emulator,
    app: str,
    secret: str,
    concurrency: int,
    seconds: float,
    rnd: int,
) -> Cell:
    if server.process is None or server.process.poll() is not None:
        raise RuntimeError(f"{app} is not running any more:\n{server.log_tail()}")
    pids = tree(server.pid)
    emulator.call_counts()  # start each cell's count from zero
    before = tree_cpu(pids)
    emulator_before = cpu_seconds(emulator.pid)
    client_before = os.times()
    result = run_load(
        server.url,
        secret,
        concurrency=concurrency,
        seconds=seconds,
        response_base=emulator.url,
    )
    client_after = os.times()
    # Work still queued behind the answers is this cell's too: wait for it, and count it.
    drain = wait_idle([*pids, emulator.pid])
    after = tree_cpu(pids)
    emulator_cpu = cpu_seconds(emulator.pid) - emulator_before
    if any(after[pid] == 0.0 for pid in pids):
        raise RuntimeError(f"a process of {app} died during the run:\n{server.log_tail()}")
    server_cpu = sum(after[pid] - before[pid] for pid in pids)
    client_cpu = (client_after.user - client_before.user) + (
        client_after.system - client_before.system
    )
    totals_before = dict(emulator.totals)
    emulator.call_counts()
    calls = {k: v - totals_before.get(k, 0) for k, v in emulator.totals.items()}
    calls = {k: v for k, v in calls.items() if v}
    cell = Cell(app, concurrency, rnd, result, server_cpu, client_cpu, emulator_cpu, calls, drain)
    flag = f"  <-- {result.slow} over {SLOW_SECONDS:.0f} s" if result.slow else ""
    if drain > 1.0:
        flag += f"  (busy {drain:.1f} s after the last answer)"
    print(
        f"  round {rnd + 1} {app:4} c={concurrency:<3} {result.rps:7.1f} rps  "
        f"p50 {ms(result.p50):>7} ms  p99 {ms(result.p99):>7} ms  max {ms(result.max):>7} ms  "
        f"errors {result.errors}/{result.requests}  server CPU "
        f"{cell.cpu_ms_per_request:.2f} ms/req{flag}",
        flush=True,
    )
    calls = {k: v for k, v in calls.items() if v >= 0.01 * max(1, result.requests)}
    if calls:
        per = ", ".join(f"{k} {v / max(1, result.requests):.2f}" for k, v in sorted(calls.items()))
        print(
            f"    Web API calls per request: {per}; emulator CPU "
            f"{emulator_cpu / max(1, result.requests) * 1000:.2f} ms/req",
            flush=True,
        )
    if result.first_error:
        print(f"    first error: {result.first_error}", flush=True)
    return cell


def run_backend(
    label: str,
    databases: dict[str, apps.Database],
    emulator: Emulator,
    args: argparse.Namespace,
    workdir: Path,
) -> list[Cell]:
    secret = secrets.token_hex(16)
    config = apps.GunicornConfig(workers=args.workers, threads=args.threads)
    if databases["bot"].postgres:
        apps.migrate_bot(
            secret=secret, api_url=emulator.api_url, database=databases["bot"], workdir=workdir
        )
    servers = {
        "bare": apps.bare_server(
            secret=secret,
            api_url=emulator.api_url,
            database=databases["bare"],
            config=config,
            workdir=workdir,
        ),
        "bot": apps.bot_server(
            secret=secret,
            api_url=emulator.api_url,
            database=databases["bot"],
            config=config,
            workdir=workdir,
        ),
    }
    cells: list[Cell] = []
    warmups: dict[str, LoadResult] = {}
    try:
        for server in servers.values():
            server.start()
        for name, server in servers.items():
            server.wait_healthy()
            server.wait_workers(args.workers)
            warm = run_load(
                server.url,
                secret,
                concurrency=8,
                seconds=args.warmup,
                response_base=emulator.url,
            )
            wait_idle([*tree(server.pid), emulator.pid])
            warmups[name] = warm
            print(f"[{label}] {name} ready at {server.url}; warm-up: {warm.summary()}", flush=True)
        for rnd in range(args.rounds):
            order = APPS if rnd % 2 == 0 else APPS[::-1]
            for concurrency in args.levels:
                for name in order:
                    cells.append(
                        measure(
                            servers[name],
                            emulator,
                            name,
                            secret,
                            concurrency,
                            args.seconds,
                            rnd,
                        )
                    )
    finally:
        for server in servers.values():
            server.stop()
    # Exactly one row per 2xx answer: an error answer that still filed (or a success that
    # did not) shows here.
    for name in APPS:
        results = [warmups[name], *(c.result for c in cells if c.app == name)]
        ok = sum(r.ok for r in results)
        sent = sum(r.requests for r in results)
        rows = apps.count_rows(databases[name], name)
        note = "" if rows == ok else f"  <-- {rows - ok:+d} rows against 2xx answers"
        print(f"[{label}] {name}: {sent} sent, {ok} answered 2xx, {rows} feedback rows{note}")
    return cells


def summarize(label: str, cells: list[Cell], args: argparse.Namespace) -> dict[str, bool]:
    """Print the markdown table for one backend; returns which targets were met."""
    rows = []
    met = {"rps": True, "p99": True, "slow": True}
    for concurrency in args.levels:
        by_app = {
            app: [c for c in cells if c.app == app and c.concurrency == concurrency] for app in APPS
        }
        merged = {app: merge([c.result for c in by_app[app]]) for app in APPS}
        rps = {app: statistics.mean(c.result.rps for c in by_app[app]) for app in APPS}
        cpu = {
            app: sum(c.server_cpu for c in by_app[app])
            / max(1, sum(c.result.requests for c in by_app[app]))
            * 1000
            for app in APPS
        }
        # Paired ratios: each round's bot against the same round's bare, then averaged.
        rounds = sorted({c.round for c in by_app["bot"]})
        rps_ratios, p99_ratios = [], []
        for rnd in rounds:
            bot = next(c.result for c in by_app["bot"] if c.round == rnd)
            bare = next(c.result for c in by_app["bare"] if c.round == rnd)
            rps_ratios.append(ratio(bot.rps, bare.rps))
            p99_ratios.append(ratio(bot.p99, bare.p99))
        rps_ratio = statistics.mean(rps_ratios)
        p99_ratio = statistics.mean(p99_ratios)
        for app in APPS:
            m = merged[app]
            if m.slow:
                met["slow"] = False
            rows.append(
                [
                    concurrency,
                    app,
                    f"{rps[app]:.0f}",
                    ms(m.p50),
                    ms(m.p99),
                    ms(m.max),
                    f"{m.errors}/{m.requests}",
                    m.slow,
                    f"{max(c.drain for c in by_app[app]):.1f}",
                    f"{cpu[app]:.2f}",
                    ""
                    if app == "bare"
                    else f"{rps_ratio:.2f}x ({', '.join(f'{r:.2f}' for r in rps_ratios)})",
                    ""
                    if app == "bare"
                    else f"{p99_ratio:.2f}x ({', '.join(f'{r:.2f}' for r in p99_ratios)})",
                    "" if app == "bare" else f"{ratio(cpu['bot'], cpu['bare']):.2f}x",
                ]
            )
        if concurrency == TARGET_LEVEL:
            met["rps"] = rps_ratio >= RPS_TARGET
            met["p99"] = p99_ratio <= P99_TARGET
    print()
    print(f"### {label}: /feedback, {args.workers} workers x {args.threads} threads (gthread)")
    print()
    print(
        table(
            [
                "concurrency",
                "app",
                "rps",
                "p50 ms",
                "p99 ms",
                "max ms",
                "errors",
                "> 3 s",
                "busy after s",
                "server CPU ms/req",
                "rps bot/bare (per round)",
                "p99 bot/bare (per round)",
                "CPU/req bot/bare",
            ],
            rows,
        )
    )
    print()
    if TARGET_LEVEL in args.levels:
        print(f"- rps >= {RPS_TARGET}x bare at c={TARGET_LEVEL}: {verdict(met['rps'])}")
        print(f"- p99 <= {P99_TARGET}x bare at c={TARGET_LEVEL}: {verdict(met['p99'])}")
    print(f"- no request over {SLOW_SECONDS:.0f} s at any level: {verdict(met['slow'])}")
    return met


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")
    workdir = apps.workdir("server-vs-bolt")
    emulator = start_emulator(workdir)
    all_met = True
    try:
        backends: list[tuple[str, contextlib.AbstractContextManager[dict[str, apps.Database]]]]
        backends = []
        if not args.no_sqlite:
            backends.append(("SQLite", contextlib.nullcontext(_sqlite(workdir))))
        if args.postgres:
            if apps.postgres_answers():
                backends.append(("PostgreSQL", _postgres()))
            else:
                print("--postgres: nothing answers on 127.0.0.1:5432; skipped")
        results = []
        for label, databases in backends:
            with databases as dbs:
                cells = run_backend(label, dbs, emulator, args, workdir)
            results.append((label, cells))
        for label, cells in results:
            met = summarize(label, cells, args)
            all_met = all_met and all(met.values())
        print(f"\nWeb API calls the apps made to the emulator: {emulator.call_counts()}")
        print(f"server logs: {workdir}")
    finally:
        emulator.stop()
    return 1 if args.check and not all_met else 0


def _sqlite(workdir: Path) -> dict[str, apps.Database]:
    return {app: apps.sqlite_database(workdir, app) for app in APPS}


@contextlib.contextmanager
def _postgres():
    with (
        apps.postgres_schema("bench_bare") as bare,
        apps.postgres_schema("bench_bot") as bot,
    ):
        yield {"bare": bare, "bot": bot}


if __name__ == "__main__":
    sys.exit(main())
