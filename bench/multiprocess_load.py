"""Two `productops serve --no-scheduler` processes and one `productops clock` on PostgreSQL,
under load: throughput, ack latency, errors, and the lose-nothing/double-nothing check.

The scenario of tests/e2e/test_processes.py (bench/lib/multiprocess.py), run longer: the
emulated Slack runs in this process with one workspace and one event sender per serve
process; --workers threads send a mix of filings, +1 clicks (double clicks and retries
included), capture reactions, RSVP clicks, /ritual add and /kpi record for --seconds,
while the clock posts the rituals and the digest that fall due during the run. Then the
script waits until the database agrees with what was acked (or --settle runs out) and
prints the figures and every problem found. Exits 1 when something was lost, doubled or
failed (a late ack, Bolt's 404 after 3 s, is a figure, not a failure); skips (exit 0)
when PostgreSQL does not answer on 127.0.0.1:5432.

    .venv/bin/python bench/multiprocess_load.py --seconds 60
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lib import apps, multiprocess  # noqa: E402
from bench.lib.report import command_line, machine, ms, table  # noqa: E402
from bench.lib.slack_load import percentile  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--workers", type=int, default=32, help="concurrent senders")
    parser.add_argument("--threads", type=int, default=8, help="threads per serve process")
    parser.add_argument("--settle", type=float, default=180.0, help="seconds to agree after")
    args = parser.parse_args()
    if not apps.postgres_answers():
        print(
            "skipped: PostgreSQL does not answer on 127.0.0.1:5432 (database test, user postgres)"
        )
        return 0
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")
    workdir = apps.workdir("multiprocess")
    with apps.postgres_schema("bench_multiprocess") as database:
        engine = make_engine(database.bot_url)
        migrate(engine)
        with multiprocess.start_fleet(database.bot_url, workdir, threads=args.threads) as fleet:
            plan = multiprocess.seed(engine, start=datetime.now(UTC), seconds=args.seconds)
            multiprocess.start_clock(fleet, database.bot_url)
            multiprocess.wait_first_post(fleet)
            record = multiprocess.Load(fleet, plan).run(seconds=args.seconds, workers=args.workers)
            settled = time.monotonic()
            problems = multiprocess.settle(engine, fleet, plan, record, timeout=args.settle)
            settle_seconds = time.monotonic() - settled
            problems += multiprocess.log_problems(fleet)
        rows = multiprocess.counts(engine)
        engine.dispose()
    print_report(record, rows, problems, settle_seconds, args)
    print(f"logs: {workdir}")
    return 1 if problems or record.errors else 0


def print_report(
    record: multiprocess.Record,
    rows: dict[str, int],
    problems: list[str],
    settle_seconds: float,
    args: argparse.Namespace,
) -> None:
    """Throughput and ack latency by kind, then the check."""
    print(
        f"\n{args.workers} workers for {record.seconds:.1f} s against 2 serve processes "
        f"(1 worker x {args.threads} threads each) and 1 clock\n"
    )
    lines = []
    everything: list[float] = []
    for kind in sorted(record.sent):
        latencies = record.latencies[kind]
        everything += latencies
        lines.append(
            _row(
                kind,
                record.sent[kind],
                record.acked[kind],
                record.late[kind],
                latencies,
                record.seconds,
            )
        )
    lines.append(
        _row(
            "all",
            sum(record.sent.values()),
            sum(record.acked.values()),
            sum(record.late.values()),
            everything,
            record.seconds,
        )
    )
    headers = [
        "kind",
        "sent",
        "acked",
        "late",
        "acked/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
    ]
    print(table(headers, lines))
    retries = ", ".join(f"{kind} {n}" for kind, n in sorted(record.retries.items()))
    print(f"\nretries sent (included above): {retries}; double clicks: {record.double_clicks}")
    print(f"errors on the sender side: {len(record.errors)}")
    for error in record.errors[:20]:
        print(f"  {error}")
    print(
        f"\nacks promise: {len(record.filed)} filings, {len(record.votes)} (person, item) "
        f"votes, {len(record.captures)} captured messages with "
        f"{sum(len(r) for r in record.captures.values())} reactors, {len(record.rsvps)} "
        f"RSVPs, {len(record.rituals)} rituals, {len(record.kpi_values)} KPI values"
    )
    print("rows: " + ", ".join(f"{name} {count}" for name, count in rows.items()))
    verdict = "agree" if not problems else f"{len(problems)} problems"
    print(f"check after {settle_seconds:.1f} s of settling: {verdict}")
    for problem in problems[:50]:
        print(f"  {problem}")


def _row(
    kind: str, sent: int, acked: int, late: int, latencies: list[float], seconds: float
) -> list[object]:
    return [
        kind,
        sent,
        acked,
        late,
        f"{acked / seconds:.1f}",
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 95)),
        ms(percentile(latencies, 99)),
        ms(max(latencies, default=0.0)),
    ]


if __name__ == "__main__":
    sys.exit(main())
