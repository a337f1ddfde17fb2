"""The clock at 10,000 active rituals: reconcile time per cycle, and fire delay.

    .venv/bin/python bench/ritual_clock.py [--rituals 10000] [--due 200] [--seconds 20]

10,000 rituals in one SQLite database, spread over the next day; `--due` of them fall due
within the measured window. The clock runs for real (APScheduler, this process) against
the emulated Slack, so the delay is measured from an occurrence's scheduled instant to the
moment its message reached the Web API. Targets (issue): a reconcile under 1 s and a fire
delay p99 under 2 s at 10,000 rituals.
"""

from __future__ import annotations

import argparse
import json
import random
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
from bot.schedule import parse_schedule
from bot.scheduling import Clock
from bot.settings import Settings
from storage.db import make_engine, migrate


def seed(url: str, count: int, due: int, start: datetime, window: float) -> None:
    """`count` daily rituals; `due` of them next fire inside the window, the rest later today."""
    rule = parse_schedule("daily at 9:00", now=start, tz="UTC").to_json()
    rng = random.Random(3)
    engine = make_engine(url)
    rows = []
    for n in range(1, count + 1):
        if n <= due:
            at = start + timedelta(seconds=5 + rng.random() * (window - 8))
        else:
            at = start + timedelta(hours=1 + rng.random() * 22)
        rows.append(
            {
                "team_id": "T0001",
                "number": n,
                "kind": "sync",
                "title": f"Sync {n}",
                "rule_json": rule,
                "rule_text": "daily at 9:00",
                "tz": "UTC",
                "channel_id": "C0001",
                "participants": "[]",
                "duration_minutes": 30,
                "reminder_minutes": 15,
                "creator_id": "U0001",
                "status": "active",
                "created_at": start.replace(tzinfo=None).isoformat(sep=" "),
                "next_at": at.replace(tzinfo=None).isoformat(sep=" "),
            }
        )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ritual (team_id, number, kind, title, rule_json, rule_text, tz, "
                "channel_id, participants, duration_minutes, reminder_minutes, creator_id, status, "
                "created_at, next_at) VALUES (:team_id, :number, :kind, :title, :rule_json, "
                ":rule_text, :tz, :channel_id, :participants, :duration_minutes, "
                ":reminder_minutes, :creator_id, :status, :created_at, :next_at)"
            ),
            rows,
        )
    engine.dispose()


def main() -> None:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rituals", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'clock.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        start = datetime.now(UTC)
        seed(url, args.rituals, args.due, start, args.seconds)
        sandbox = start_sandbox(Settings(database_url=url, log_level="WARNING"))
        clock = Clock(sandbox.deps)
        reconciles = []
        for _ in range(3):
            began = time.perf_counter()
            # Scheduling only: nothing is due yet, so this is the cost of a cycle.
            clock.reconcile()
            reconciles.append(time.perf_counter() - began)
        clock.start()
        time.sleep(args.seconds)
        clock.stop()
        sandbox.settle()
        posts = sandbox.workspace.calls_to("chat.postMessage")
        scheduled = {}
        with sandbox.deps.engine.connect() as conn:
            for number, at in conn.execute(
                text(
                    "SELECT r.number, o.scheduled_at FROM ritual_occurrence o "
                    "JOIN ritual r ON r.id = o.ritual_id"
                )
            ):
                scheduled[f"Sync {number}"] = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
        delays = []
        for call in posts:
            title = json.dumps(call.args.get("text", ""))
            name = title.strip('"').split(":")[0]
            if name in scheduled:
                delays.append(call.at - scheduled[name].timestamp())
        sandbox.stop()
    delays.sort()
    fired = len(delays)

    def q(x: float) -> float:
        return delays[min(fired - 1, int(x * fired))] if delays else float("nan")

    print(f"# Ritual clock\n\n{machine()}\n\n`{command_line()}`\n")
    print(
        table(
            [
                "rituals",
                "due in window",
                "fired",
                "reconcile s (best of 3)",
                "fire delay p50 s",
                "fire delay p99 s",
                "max s",
            ],
            [
                [
                    f"{args.rituals:,}",
                    args.due,
                    fired,
                    f"{min(reconciles):.3f}",
                    f"{q(0.5):.3f}",
                    f"{q(0.99):.3f}",
                    f"{delays[-1] if delays else float('nan'):.3f}",
                ]
            ],
        )
    )
    print("\nTargets: reconcile < 1 s, fire delay p99 < 2 s.")


if __name__ == "__main__":
    main()
