"""The weekly digest at scale: building one team's report with 10,000 and 1,000,000 feedback
items, and a year of KPI values.

    .venv/bin/python bench/digest.py [--sizes 10000,1000000] [--repeats 9] [--plans] [--check]

Each size gets a temporary SQLite database, migrated, then bulk-seeded with sqlite3's
executemany in big batches (`PRAGMA synchronous=OFF` on the scratch file; the secondary
indexes of the big tables are dropped during the load and rebuilt after it, and the
full-text triggers are dropped: the digest never searches). Both databases have the same
recent activity (100 items a day over the last 28 days, with their triage, shipping and
close-the-loop DMs); the larger one has 100 times the history before that, the way a team's
database grows. Also seeded: 5 KPIs with a value a day for a year, 3 weekly rituals with a
year of occurrences and RSVPs, 300 retro action items, 30 tools.

What is timed is `bot.services.digests.build_report` (every query of the digest, then the
grouping into themes), best and median of --repeats runs after one warm-up, the sizes taking
turns; and the full digest (report, offline TL;DR, blocks) once. Target (issue): the report
with 1,000,000 items within 1.5x of the one with 10,000.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.lib.report import command_line, machine, table, verdict  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402

TEAM = "T0001"
TZ = "Europe/Berlin"
# The run: Monday 30 Nov 2026, 09:00 in Berlin.
RUN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
RECENT_DAYS = 28
RECENT_PER_DAY = 100
BATCH = 50_000
BIG_TABLES = ("feedback", "feedback_event", "loop_notice")
TARGET_RATIO = 1.5

SUBJECTS = (
    "CSV export",
    "dark mode",
    "SSO login with Okta",
    "mobile app crash on upload",
    "Slack notifications",
    "invoice VAT number",
    "search in archived projects",
    "calendar sync with Outlook",
    "Jira integration",
    "dashboard charts",
    "bulk edit of tags",
    "onboarding tour",
)
PROBLEMS = (
    "times out for big accounts",
    "is too slow",
    "fails with an error",
    "is missing on mobile",
    "should support filters",
    "shows the wrong numbers",
    "needs a keyboard shortcut",
    "is confusing for new users",
)
OPEN = ("new", "triaged", "planned", "in_progress")


def stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC timestamp in SQLite (naive, with microseconds)."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"


def batched(
    rows: Iterator[tuple[object, ...]], size: int = BATCH
) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def created_times(count: int, rng: random.Random) -> list[datetime]:
    """The same recent activity for every size; the rest is older history, spread evenly."""
    recent = min(count, RECENT_DAYS * RECENT_PER_DAY)
    recent_start = RUN - timedelta(days=RECENT_DAYS)
    older = count - recent
    history = timedelta(days=max(365, older // 300))
    times = [recent_start - history + history * (n / max(older, 1)) for n in range(older)]
    times += [
        recent_start
        + timedelta(days=RECENT_DAYS) * (n / recent)
        + timedelta(seconds=rng.randint(0, 59))
        for n in range(recent)
    ]
    return times


def seed(path: Path, count: int) -> float:
    """Seed one scratch database; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(7)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.execute("PRAGMA cache_size=-200000")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({','.join('?' * len(BIG_TABLES))})",
        BIG_TABLES,
    ).fetchall()
    conn.execute("BEGIN")
    for trigger in ("feedback_fts_insert", "feedback_fts_delete", "feedback_fts_update"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")

    times = created_times(count, rng)
    events: list[tuple[object, ...]] = []
    notices: list[tuple[object, ...]] = []

    def feedback_rows() -> Iterator[tuple[object, ...]]:
        for number, created in enumerate(times, start=1):
            subject, problem = rng.choice(SUBJECTS), rng.choice(PROBLEMS)
            age = RUN - created
            roll = rng.random()
            if age < timedelta(hours=12) or roll < 0.25:
                status = "new"
            elif roll < 0.55:
                status = rng.choice(OPEN[1:])
            else:
                status = "shipped" if roll < 0.8 else "declined"
            triaged = closed = None
            if status != "new":
                triaged = min(created + timedelta(minutes=rng.randint(10, 72 * 60)), RUN)
                events.append((number, stamp(triaged), "status", "new", "triaged"))
            if status in ("shipped", "declined"):
                assert triaged is not None
                closed = min(triaged + timedelta(hours=rng.randint(1, 24 * 14)), RUN)
                events.append((number, stamp(closed), "status", "triaged", status))
                for voter in range(rng.randint(1, 3)):
                    notices.append((number, f"U{voter:04d}", status, stamp(closed)))
            events.append((number, stamp(created), "filed", None, "new"))
            yield (
                number,
                TEAM,
                number,
                f"U{rng.randint(1, 400):04d}",
                f"The {subject} {problem} ({number})",
                "normal",
                status,
                "command",
                f"bench:{number}",
                stamp(created),
                min(int(rng.paretovariate(1.5)), 500),
                stamp(triaged) if triaged else None,
                stamp(closed) if closed else None,
            )

    for chunk in batched(feedback_rows()):
        conn.executemany(
            "INSERT INTO feedback (id, team_id, number, reporter_id, text, urgency, status, "
            "source, source_key, created_at, vote_count, first_triaged_at, closed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            chunk,
        )
        conn.executemany(
            "INSERT INTO feedback_event (team_id, feedback_id, at, kind, from_value, to_value) "
            f"VALUES ('{TEAM}', ?, ?, ?, ?, ?)",
            events,
        )
        conn.executemany(
            "INSERT INTO loop_notice (feedback_id, user_id, status, team_id, sent_at) "
            f"VALUES (?, ?, ?, '{TEAM}', ?)",
            notices,
        )
        events.clear()
        notices.clear()
    conn.execute(
        "INSERT INTO team_sequence (team_id, name, value) VALUES (?, 'feedback', ?)",
        (TEAM, count),
    )
    _seed_the_rest(conn, rng)
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def _seed_the_rest(conn: sqlite3.Connection, rng: random.Random) -> None:
    """KPIs (a year of daily values), rituals, retro actions and tools."""
    created = stamp(RUN - timedelta(days=400))
    for kpi_id, (name, unit, op, target) in enumerate(
        (
            ("nps", "%", ">=", 40),
            ("activation", "%", ">=", 30),
            ("time-to-triage", "h", "<=", 24),
            ("weekly-active", None, ">=", 1000),
            ("churn", "%", "<=", 3),
        ),
        start=1,
    ):
        direction = "down" if op == "<=" else "up"
        conn.execute(
            "INSERT INTO kpi (id, team_id, name, name_key, unit, target_op, target_value, "
            "direction, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'U0001', ?)",
            (kpi_id, TEAM, name, name, unit, op, target, direction, created),
        )
        conn.executemany(
            'INSERT INTO kpi_value (team_id, kpi_id, "on", value, source, recorded_by, '
            "recorded_at) VALUES (?, ?, ?, ?, 'api', NULL, ?)",
            [
                (
                    TEAM,
                    kpi_id,
                    (date(2026, 11, 29) - timedelta(days=day)).isoformat(),
                    round(target * (0.8 + 0.4 * rng.random()), 2),
                    created,
                )
                for day in range(365)
            ],
        )
    for ritual_id, (kind, title) in enumerate(
        (
            ("standup", "Squad standup"),
            ("workshop", "Pricing discovery"),
            ("retro", "Sprint retro"),
        ),
        start=1,
    ):
        conn.execute(
            "INSERT INTO ritual (id, team_id, number, kind, title, rule_json, rule_text, tz, "
            "channel_id, participants, duration_minutes, reminder_minutes, creator_id, status, "
            "created_at) VALUES (?, ?, ?, ?, ?, '{}', 'every mon at 10:00', ?, 'C0003', '[]', "
            "30, 15, 'U0001', 'active', ?)",
            (ritual_id, TEAM, ritual_id, kind, title, TZ, created),
        )
        for week in range(52):
            at = RUN - timedelta(weeks=week, hours=ritual_id)
            cursor = conn.execute(
                "INSERT INTO ritual_occurrence (team_id, ritual_id, scheduled_at, status, "
                "posted_at, channel_id) VALUES (?, ?, ?, 'posted', ?, 'C0003')",
                (TEAM, ritual_id, stamp(at), stamp(at)),
            )
            conn.executemany(
                "INSERT INTO ritual_rsvp (occurrence_id, user_id, team_id, answer, at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        cursor.lastrowid,
                        f"U{u:04d}",
                        TEAM,
                        rng.choice(("going", "maybe", "cant")),
                        stamp(at),
                    )
                    for u in range(1, 8)
                ],
            )
    conn.execute(
        "INSERT INTO retro (id, team_id, number, title, channel_id, facilitator_id, series, "
        "status, votes_per_person, created_at) VALUES (1, ?, 1, 'Retro', 'C0003', 'U0001', "
        "'channel:C0003', 'closed', 3, ?)",
        (TEAM, created),
    )
    conn.executemany(
        "INSERT INTO retro_action (team_id, retro_id, series, text, owner_id, due, status, "
        "source_key, created_at) VALUES (?, 1, 'channel:C0003', ?, ?, ?, ?, ?, ?)",
        [
            (
                TEAM,
                f"Action item {n}",
                f"U{n % 9 + 1:04d}",
                (date(2026, 11, 1) + timedelta(days=n % 60)).isoformat(),
                "open" if n % 3 else "done",
                f"a{n}",
                created,
            )
            for n in range(300)
        ],
    )
    conn.executemany(
        "INSERT INTO stack_tool (team_id, name, name_key, owner_id, renewal_on, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, 'U0001', ?)",
        [
            (
                TEAM,
                f"Tool {n}",
                f"tool {n}",
                f"U{n % 9 + 1:04d}",
                (date(2026, 11, 30) + timedelta(days=n * 12)).isoformat(),
                created,
            )
            for n in range(30)
        ],
    )


def build_once(engine: Engine) -> float:
    """Seconds to build the report once."""
    from bot.services import digests as service

    with Session(engine) as session:
        started = time.perf_counter()
        service.build_report(session=session, team_id=TEAM, now=RUN, tz=TZ)
        return time.perf_counter() - started


def full_digest(engine: Engine) -> tuple[float, dict[str, int]]:
    """Seconds for a whole digest (report, offline TL;DR, blocks), and a few of its numbers."""
    from bot.blocks.digest import build_digest
    from bot.services import digests as service

    started = time.perf_counter()
    with Session(engine) as session:
        report = service.build_report(session=session, team_id=TEAM, now=RUN, tz=TZ)
    message = build_digest(service.with_tldr(report, llm=None))
    elapsed = time.perf_counter() - started
    return elapsed, {
        "filed": report.feedback.filed,
        "triaged": report.feedback.triaged,
        "shipped": report.feedback.shipped,
        "loops": report.feedback.loops_closed,
        "themes": len(report.themes),
        "blocks": len(message["blocks"]),
    }


def plans(url: str) -> None:
    """EXPLAIN QUERY PLAN of the digest's queries (to see each one uses an index)."""
    from sqlalchemy import event

    from bot.services import digests as service

    engine = make_engine(url)
    seen: list[str] = []

    def explain(conn: object, cursor: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and statement not in seen:
            seen.append(statement)
            raw = engine.raw_connection()
            try:
                rows = raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            finally:
                raw.close()
            print(" ".join(statement.split())[:160])
            for row in rows:
                print("    ", row[-1])

    event.listen(engine, "before_cursor_execute", explain)
    with Session(engine) as session:
        service.build_report(session=session, team_id=TEAM, now=RUN, tz=TZ)
    engine.dispose()


def main() -> None:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    seeded: dict[int, tuple[float, int]] = {}
    times: dict[int, list[float]] = {count: [] for count in sizes}
    full: dict[int, tuple[float, dict[str, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engines: dict[int, Engine] = {}
        for count in sizes:
            path = Path(tmp) / f"digest-{count}.db"
            url = f"sqlite:///{path}"
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            seeded[count] = (seed(path, count), path.stat().st_size)
            if args.plans:
                print(f"## query plans, {count:,} items\n")
                plans(url)
                print()
            engines[count] = make_engine(url)
            build_once(engines[count])  # warm-up: imports, caches, the page cache
        # Sizes take turns, so a change in the shared machine's load hits them alike.
        for _ in range(args.repeats):
            for count in sizes:
                times[count].append(build_once(engines[count]))
        for count in sizes:
            full[count] = full_digest(engines[count])
            engines[count].dispose()
    print(f"# Weekly digest at scale\n\n{machine()}\n\n`{command_line()}`\n")
    rows = []
    for count in sizes:
        seconds, size = seeded[count]
        whole, numbers = full[count]
        rows.append(
            [
                f"{count:,}",
                f"{size / 1024 / 1024:,.0f}",
                f"{seconds:.1f}",
                f"{min(times[count]) * 1000:.1f}",
                f"{statistics.median(times[count]) * 1000:.1f}",
                f"{whole * 1000:.1f}",
                f"{numbers['filed']} / {numbers['triaged']} / {numbers['shipped']} / "
                f"{numbers['loops']}",
                numbers["themes"],
                numbers["blocks"],
            ]
        )
    print(
        table(
            [
                "feedback items",
                "db MiB",
                "seed s",
                "report best ms",
                "report median ms",
                "full digest ms",
                "new / triaged / shipped / loops closed",
                "themes",
                "blocks",
            ],
            rows,
        )
    )
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        ratio = statistics.median(times[large]) / statistics.median(times[small])
        best = min(times[large]) / min(times[small])
        ok = ratio <= TARGET_RATIO
        print(
            f"\nreport median ratio ({large:,} / {small:,} items): {ratio:.2f}x, best-run ratio "
            f"{best:.2f}x (target <= {TARGET_RATIO}x): {verdict(ok)}"
        )
        if args.check and not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
