"""/feedback at scale: ack latency on an empty database and with 100,000 items, and the
duplicate check's time per new item.

    .venv/bin/python bench/feedback_scale.py [--items 100000] [--requests 200]

The bot and the emulated Slack run in this process (the sandbox server); each request is a
signed slash command over HTTP, measured from send to ack. Target (issue): with 100,000
items the p99 stays within 1.5x of the empty database's.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.lib.report import command_line, machine, table
from bot.logs import configure_logging
from bot.sandbox.server import start_sandbox
from bot.settings import Settings
from storage.db import make_engine, migrate

WORDS = [
    "export",
    "csv",
    "timeout",
    "dashboard",
    "dark",
    "mode",
    "login",
    "sso",
    "okta",
    "mobile",
    "crash",
    "upload",
    "photo",
    "slack",
    "notification",
    "invoice",
    "vat",
    "search",
    "archive",
    "filter",
    "sort",
    "report",
    "chart",
    "permission",
    "admin",
    "api",
    "webhook",
    "billing",
    "plan",
    "seat",
    "calendar",
    "sync",
    "outlook",
    "integration",
    "jira",
    "onboarding",
    "tour",
    "email",
    "digest",
    "weekly",
    "latency",
    "slow",
    "error",
    "page",
    "broken",
    "button",
    "colour",
    "typo",
    "import",
    "bulk",
    "edit",
    "tag",
]


def seed(url: str, count: int) -> None:
    """`count` believable feedback rows in one team, in batches (FTS kept by its triggers)."""
    engine = make_engine(url)
    rng = random.Random(7)
    start = datetime(2025, 11, 25, tzinfo=UTC)
    with engine.begin() as conn:
        rows = []
        for n in range(1, count + 1):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14)))
            rows.append(
                {
                    "team_id": "T0001",
                    "number": n,
                    "reporter_id": f"U{rng.randint(1, 400):04d}",
                    "text": words.capitalize(),
                    "urgency": "normal",
                    "status": rng.choice(["new", "triaged", "planned", "shipped", "declined"]),
                    "source": "command",
                    "created_at": (start + timedelta(minutes=n))
                    .replace(tzinfo=None)
                    .isoformat(sep=" "),
                    "vote_count": rng.randint(1, 9),
                }
            )
            if len(rows) == 5000:
                _insert(conn, rows)
                rows = []
        if rows:
            _insert(conn, rows)
        conn.execute(
            text(
                "INSERT INTO team_sequence (team_id, name, value) VALUES ('T0001', 'feedback', :n)"
            ),
            {"n": count},
        )
    engine.dispose()


def _insert(conn: object, rows: list[dict[str, object]]) -> None:
    conn.execute(
        text(  # type: ignore[attr-defined]
            "INSERT INTO feedback (team_id, number, reporter_id, text, urgency, status, source, "
            "created_at, vote_count) VALUES (:team_id, :number, :reporter_id, :text, :urgency, "
            ":status, :source, :created_at, :vote_count)"
        ),
        rows,
    )


def measure(url: str, requests: int) -> tuple[list[float], list[float]]:
    """Ack latencies (ms) of `requests` signed /feedback commands, and duplicate-check times."""
    sandbox = start_sandbox(Settings(database_url=url, log_level="WARNING"))
    rng = random.Random(11)
    acks: list[float] = []
    checks: list[float] = []
    try:
        from bot.services.feedback import similar_open

        for n in range(requests):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))
            fields = {
                "team_id": "T0001",
                "channel_id": "C0001",
                "user_id": "U0002",
                "command": "/feedback",
                "text": f"Customers report {words} #bench",
                "trigger_id": f"bench.{n}",
                "response_url": f"{sandbox.url}/response/none",
            }
            started = time.perf_counter()
            delivery = sandbox.sender.post_form(fields, wait=False)
            acks.append((time.perf_counter() - started) * 1000)
            assert delivery.status == 200, delivery.body
            sandbox.settle()
            with sandbox.deps.session_scope() as session:
                number = int(delivery.json()["text"].split("FB-")[1])
                started = time.perf_counter()
                similar_open(session=session, team_id="T0001", number=number)
                checks.append((time.perf_counter() - started) * 1000)
    finally:
        sandbox.stop()
    return acks, checks


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, count in (("empty", 0), (f"{args.items:,} items", args.items)):
            url = f"sqlite:///{Path(tmp) / f'{count}.db'}"
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            started = time.perf_counter()
            if count:
                seed(url, count)
            seeded = time.perf_counter() - started
            # Warm up (imports, the first duplicate check loads scikit-learn), then measure.
            measure(url, 5)
            acks, checks = measure(url, args.requests)
            results[label] = (acks, checks, seeded)
    print(f"# /feedback at scale\n\n{machine()}\n\n`{command_line()}`\n")
    rows = []
    for label, (acks, checks, seeded) in results.items():
        rows.append(
            [
                label,
                f"{p(acks, 0.5):.1f}",
                f"{p(acks, 0.99):.1f}",
                f"{statistics.median(checks):.1f}",
                f"{p(checks, 0.99):.1f}",
                f"{seeded:.1f}",
            ]
        )
    print(
        table(
            [
                "database",
                "ack p50 ms",
                "ack p99 ms",
                "dup check p50 ms",
                "dup check p99 ms",
                "seed s",
            ],
            rows,
        )
    )
    (empty_acks, _, _), (big_acks, _, _) = results.values()
    ratio = p(big_acks, 0.99) / p(empty_acks, 0.99)
    print(f"\nack p99 ratio (large / empty): {ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
