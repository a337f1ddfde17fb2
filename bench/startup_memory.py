"""Start-up time, idle memory and import cost of productops-bot against a bare Bolt app.

Start-up: from spawning the server process to the first 200 on its health route, for
`productops serve --no-scheduler --workers 1` (fresh SQLite database, so Alembic
migrations are included; also once more on an already migrated database) and for the bare
Flask + Bolt app under the same gunicorn settings; alternately, --rounds times each.
Idle RSS: VmRSS of the gunicorn master and of each worker 2 s after the first healthy
answer (and PSS, which splits the pages a worker shares with its master); then the first
20 /feedback one at a time (a cold worker's latency), and RSS again once the worker is
idle after --requests /feedback (default 100).
Imports: `python -X importtime -c "import bot.app, bot.web"` summed, the heaviest
packages, and whether openai, matplotlib or sklearn are in sys.modules after
`import bot.app, bot.web, bot.cli`, after building the app the way a gunicorn worker does
(they must not be), and after two /feedback.

Targets: start-up within 1.5x of bare Bolt; idle RSS < 150 MB per worker; none of openai,
matplotlib, sklearn imported at start. --check exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lib import apps  # noqa: E402
from bench.lib.emulator import start_emulator  # noqa: E402
from bench.lib.procs import pss_bytes, rss_bytes, tree, wait_idle  # noqa: E402
from bench.lib.report import (  # noqa: E402
    command_line,
    machine,
    median,
    mib,
    ratio,
    table,
    verdict,
)
from bench.lib.slack_load import run_load  # noqa: E402

STARTUP_TARGET = 1.5
RSS_TARGET_MB = 150
FORBIDDEN = ("openai", "matplotlib", "sklearn")
ALSO_SHOWN = (
    "numpy",
    "scipy",
    "pandas",
    "alembic",
    "apscheduler",
    "typer",
    "rich",
    "yaml",
    "psycopg",
)
VARIANTS = ("bare", "bot", "bot (migrated DB)")
COLD_REQUESTS = 20

CHECK_IMPORTS = """
import json, sys, time
import bot.app, bot.web, bot.cli
after_import = sorted(sys.modules)
from bot.app import create_app
from bot.deps import build_deps
from bot.settings import Settings
from bot.web import create_web_app
from storage.db import migrate
settings = Settings(
    slack_signing_secret="s", slack_bot_token="xoxb-bench",
    slack_api_url=sys.argv[2] + "/api/", database_url=sys.argv[1],
)
deps = build_deps(settings)
web = create_web_app(create_app(settings, deps=deps), deps)
after_app = sorted(sys.modules)
# Then the same feedback twice, as Slack sends it (the second has a look-alike to find).
# Listeners go on after ack(), so wait until the set of loaded modules stops changing.
from bench.lib.slack_load import PayloadFactory, signed_headers
migrate(deps.engine)
by_migrate = set(sys.modules) - set(after_app)
factory = PayloadFactory("command", response_base=sys.argv[2])
client = web.test_client()
statuses = []
for _ in range(2):
    body = factory.command_body(1)
    kind = "application/x-www-form-urlencoded"
    answer = client.post("/slack/events", data=body, headers=signed_headers("s", body, kind))
    statuses.append(answer.status_code)
    count, stable_since, deadline = len(sys.modules), time.monotonic(), time.monotonic() + 20
    while time.monotonic() < deadline and time.monotonic() - stable_since < 2:
        time.sleep(0.1)
        if len(sys.modules) != count:
            count, stable_since = len(sys.modules), time.monotonic()
print(json.dumps({
    "import": after_import, "app": after_app,
    "feedback": sorted(set(sys.modules) - by_migrate), "status": statuses,
}))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before RSS")
    parser.add_argument("--requests", type=int, default=100, help="/feedback before warm RSS")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def one_start(variant: str, args: argparse.Namespace, api_url: str, workdir: Path) -> dict:
    secret = secrets.token_hex(16)
    config = apps.GunicornConfig(workers=args.workers, threads=args.threads)
    name = "bare" if variant == "bare" else "bot"
    database = apps.sqlite_database(workdir, f"{name}-{time.monotonic_ns()}")
    if variant == "bot (migrated DB)":
        apps.migrate_bot(secret=secret, api_url=api_url, database=database, workdir=workdir)
    make = apps.bare_server if name == "bare" else apps.bot_server
    server = make(secret=secret, api_url=api_url, database=database, config=config, workdir=workdir)
    try:
        server.start()
        startup = server.wait_healthy()
        workers = server.wait_workers(args.workers)
        time.sleep(args.idle)
        idle = {
            "master_rss": rss_bytes(server.pid),
            "worker_rss": [rss_bytes(pid) for pid in workers],
            "total_pss": pss_bytes(server.pid) + sum(pss_bytes(pid) for pid in workers),
        }
        emulator_url = api_url.removesuffix("/api/")
        # The first requests after start, one at a time: what a cold worker costs a user.
        cold = run_load(
            server.url,
            secret,
            concurrency=1,
            seconds=60,
            max_requests=COLD_REQUESTS,
            response_base=emulator_url,
        )
        run_load(
            server.url,
            secret,
            concurrency=4,
            seconds=60,
            max_requests=args.requests,
            response_base=emulator_url,
        )
        wait_idle(tree(server.pid))
        warm = [rss_bytes(pid) for pid in server.workers()]
    finally:
        server.stop()
    return {
        "startup": startup,
        **idle,
        "warm_worker_rss": warm,
        "first_request": cold.latencies[0] if cold.latencies else float("nan"),
        "cold_max": cold.max,
        "cold_errors": cold.errors,
    }


def startup_and_memory(args: argparse.Namespace) -> dict[str, bool]:
    workdir = apps.workdir("startup-memory")
    emulator = start_emulator(workdir)
    runs: dict[str, list[dict]] = defaultdict(list)
    try:
        for rnd in range(args.rounds):
            order = VARIANTS if rnd % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                run = one_start(variant, args, emulator.api_url, workdir)
                runs[variant].append(run)
                print(
                    f"  round {rnd + 1} {variant:18} start-up {run['startup']:.2f} s, "
                    f"RSS master {mib(run['master_rss'])} MiB, workers "
                    f"{', '.join(mib(x) for x in run['worker_rss'])} MiB, "
                    f"after {args.requests} requests "
                    f"{', '.join(mib(x) for x in run['warm_worker_rss'])} MiB; first /feedback "
                    f"{run['first_request'] * 1000:.0f} ms, slowest of the first "
                    f"{COLD_REQUESTS} {run['cold_max'] * 1000:.0f} ms",
                    flush=True,
                )
    finally:
        emulator.stop()
    rows = []
    medians: dict[str, dict[str, float]] = {}
    for variant in VARIANTS:
        r = runs[variant]
        medians[variant] = {
            "startup": median([x["startup"] for x in r]),
            "master": median([x["master_rss"] for x in r]),
            "worker": median([max(x["worker_rss"]) for x in r]),
            "total": median([x["master_rss"] + sum(x["worker_rss"]) for x in r]),
            "pss": median([x["total_pss"] for x in r]),
            "warm": median([max(x["warm_worker_rss"]) for x in r]),
            "first": median([x["first_request"] for x in r]),
            "cold_max": median([x["cold_max"] for x in r]),
        }
    bare = medians["bare"]
    for variant in VARIANTS:
        m = medians[variant]
        vs = variant != "bare"
        rows.append(
            [
                variant,
                f"{m['startup']:.2f}",
                f"{ratio(m['startup'], bare['startup']):.2f}x" if vs else "",
                mib(m["total"]),
                mib(m["master"]),
                mib(m["worker"]),
                f"{ratio(m['worker'], bare['worker']):.2f}x" if vs else "",
                mib(m["pss"]),
                mib(m["warm"]),
                f"{m['first'] * 1000:.0f}",
                f"{m['cold_max'] * 1000:.0f}",
            ]
        )
    print()
    print(
        f"### Start-up and memory: {args.workers} worker(s) x {args.threads} threads, "
        f"medians of {args.rounds} alternating rounds"
    )
    print()
    print(
        table(
            [
                "app",
                "start-up s",
                "vs bare",
                "idle RSS total MiB",
                "master MiB",
                "per worker MiB",
                "worker vs bare",
                "idle PSS total MiB",
                f"worker MiB after {args.requests} req",
                "first /feedback ms",
                f"slowest of first {COLD_REQUESTS} ms",
            ],
            rows,
        )
    )
    bot = medians["bot"]
    met = {
        "startup": ratio(bot["startup"], bare["startup"]) <= STARTUP_TARGET,
        "rss": max(bot["worker"], medians["bot (migrated DB)"]["worker"])
        < RSS_TARGET_MB * 1_000_000,
        "rss_warm": bot["warm"] < RSS_TARGET_MB * 1_000_000,
    }
    print()
    print(
        f"- start-up within {STARTUP_TARGET}x of bare Bolt (fresh DB, migrations included): "
        f"{verdict(met['startup'])} ({ratio(bot['startup'], bare['startup']):.2f}x); on a "
        f"migrated DB {ratio(medians['bot (migrated DB)']['startup'], bare['startup']):.2f}x"
    )
    print(
        f"- idle RSS < {RSS_TARGET_MB} MB per worker, just started: {verdict(met['rss'])} "
        f"({bot['worker'] / 1e6:.1f} MB); idle again after {args.requests} /feedback: "
        f"{verdict(met['rss_warm'])} ({bot['warm'] / 1e6:.1f} MB)"
    )
    return met


def import_times(runs: int = 3) -> None:
    """Sum of -X importtime self times; the heaviest packages and modules."""
    totals = []
    roots: dict[str, list[int]] = defaultdict(list)
    selfs: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import bot.app, bot.web"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        total = 0
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cumulative, name = (part.strip() for part in line[12:].split("|", 2))
            total += int(self_us)
            selfs[name].append(int(self_us))
            if "." not in name and not name.startswith("_"):
                # A package's own line: its cumulative time includes what it imported.
                roots[name].append(int(cumulative))
        totals.append(total)
    project = ("bot", "handlers", "storage", "prompts")
    heaviest = sorted(
        ((name, median(v)) for name, v in roots.items() if name not in project),
        key=lambda kv: -kv[1],
    )[:12]
    slowest = sorted(((name, median(v)) for name, v in selfs.items()), key=lambda kv: -kv[1])[:8]
    print()
    print(f'### Imports: `python -X importtime -c "import bot.app, bot.web"`, {runs} runs')
    print()
    print(
        f"summed self time: median {median(totals) / 1000:.0f} ms (runs: "
        + ", ".join(f"{t / 1000:.0f}" for t in totals)
        + " ms)"
    )
    print()
    print(
        table(
            ["package", "cumulative ms (median)"],
            [[name, f"{value / 1000:.1f}"] for name, value in heaviest],
        )
    )
    print()
    print(
        table(
            ["module", "self ms (median)"],
            [[name, f"{value / 1000:.1f}"] for name, value in slowest],
        )
    )


def heavy_modules() -> bool:
    workdir = apps.workdir("imports")
    emulator = start_emulator(workdir)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHECK_IMPORTS,
                f"sqlite:///{workdir / 'imports.db'}",
                emulator.url,
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=workdir,
            env={**apps.base_env(), "PYTHONPATH": str(ROOT)},
        )
    finally:
        emulator.stop()
    found = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    clean = True
    for module in (*FORBIDDEN, *ALSO_SHOWN):
        after_import = module in found["import"]
        after_app = module in found["app"]
        after_feedback = module in found["feedback"]
        if module in FORBIDDEN and (after_import or after_app):
            clean = False
        rows.append(
            [
                module + (" (must not)" if module in FORBIDDEN else ""),
                "yes" if after_import else "no",
                "yes" if after_app else "no",
                "yes" if after_feedback else "no",
            ]
        )
    print()
    print("### Modules loaded at start")
    print()
    print(
        table(
            [
                "module",
                "after `import bot.app, bot.web, bot.cli`",
                "after building the app (as a worker)",
                "after two /feedback (HTTP " + ", ".join(map(str, found["status"])) + ")",
            ],
            rows,
        )
    )
    print()
    print(
        f"modules in sys.modules: {len(found['import'])} after import, "
        f"{len(found['app'])} after building the app, "
        f"{len(found['feedback'])} after two /feedback"
    )
    print(f"- openai/matplotlib/sklearn not imported at start: {verdict(clean)}")
    return clean


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")
    met = startup_and_memory(args)
    import_times()
    met["imports"] = heavy_modules()
    return 1 if args.check and not all(met.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
