"""A real `productops clock` killed with SIGKILL half way through a post; another takes over.

(a) killed after it claimed the occurrence (or digest run) but before Slack took the post:
the emulator holds chat.postMessage, then hangs up without posting; (b) killed after Slack
posted but before the clock heard back: the emulator posts, then holds the answer. A new
clock, once the outbox lease ran out, posts it exactly once and records its ts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.sandbox.server import Sandbox
from bot.sandbox.workspace import Fault
from bot.schedule import parse_schedule
from bot.services import digests as digest_service
from storage.db import session_factory
from storage.models import DigestRun, Outbox, Ritual, RitualOccurrence

pytestmark = [pytest.mark.e2e, pytest.mark.processes]

LEASE_SECONDS = 3
DEADLINE_SECONDS = 90

BEFORE_SLACK = Fault(delay=5, drop=True)  # held, then the connection drops: nothing posted
AFTER_SLACK = Fault(after=True, delay=30)  # posted at once, the answer held back


@pytest.fixture
def clocks(sandbox: Sandbox, database_url: str) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `productops clock` processes against the emulator; all are stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    sandbox.workspace.tokens.add("xoxb-clock-test")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "DATABASE_URL": database_url,
        "SLACK_API_URL": f"{sandbox.url}/api/",
        "SLACK_BOT_TOKEN": "xoxb-clock-test",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "clock"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        process.wait(timeout=60)


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def key_of(message_or_args: dict[str, Any]) -> str | None:
    metadata = message_or_args.get("metadata") or {}
    return metadata.get("event_payload", {}).get("key") if isinstance(metadata, dict) else None


def posts(sandbox: Sandbox, channel: str, key: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.workspace.messages_in(channel) if key_of(m) == key]


def post_sent(sandbox: Sandbox, key: str) -> bool:
    return any(key_of(c.args) == key for c in sandbox.workspace.calls_to("chat.postMessage"))


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def wait_out_the_lease(engine: Engine) -> None:
    """Until every lease the dead clock held has run out (the next clock takes them)."""

    def leases_ended() -> bool:
        with Session(engine) as session:
            held = session.exec(
                select(Outbox.next_attempt_at).where(col(Outbox.delivered_at).is_(None))
            ).all()
        return bool(held) and max(held) < datetime.now(UTC)

    wait_for(leases_ended, "the dead clock's leases to run out")


def all_delivered(engine: Engine) -> bool:
    with Session(engine) as session:
        rows = session.exec(select(Outbox)).all()
    return bool(rows) and all(r.delivered_at is not None for r in rows)


def add_ritual(engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            Ritual(
                team_id="T0001",
                number=1,
                kind="sync",
                title="Sync 1",
                rule_json=parse_schedule("daily at 9:00", now=now, tz="UTC").to_json(),
                rule_text="daily at 9:00",
                tz="UTC",
                channel_id="C0002",
                creator_id="U0001",
                created_at=now,
                next_at=now + timedelta(seconds=2),
            )
        )
        session.commit()


@pytest.mark.parametrize("fault", [BEFORE_SLACK, AFTER_SLACK], ids=["before", "after"])
def test_an_occurrence_is_posted_once_across_a_sigkill(
    sandbox: Sandbox,
    engine: Engine,
    clocks: Callable[[], subprocess.Popen[bytes]],
    fault: Fault,
) -> None:
    add_ritual(engine)
    sandbox.workspace.inject("chat.postMessage", fault)
    first = clocks()
    if fault.after:
        wait_for(lambda: posts(sandbox, "C0002", "occurrence:1"), "Slack to take the post")
    else:
        wait_for(lambda: post_sent(sandbox, "occurrence:1"), "the clock to send the post")
    kill(first)
    with Session(engine) as session:
        assert session.exec(select(RitualOccurrence)).one().message_ts is None

    wait_out_the_lease(engine)
    clocks()
    wait_for(lambda: all_delivered(engine), "the new clock to finish the post")
    [post] = posts(sandbox, "C0002", "occurrence:1")
    with Session(engine) as session:
        row = session.exec(select(RitualOccurrence)).one()
    assert (row.status, row.message_ts) == ("posted", post["ts"])


def subscribe_due_now(engine: Engine) -> str:
    """A weekly digest of C0003 whose run fell due within the last minute; its task key."""
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    request = digest_service.SubscribeRequest(
        channel_id="C0003", schedule=f"weekly on {at:%a} at {at:%H:%M}".lower(), tz="UTC"
    )
    with session_factory(engine)() as session:
        subscription = digest_service.subscribe(
            session=session,
            team_id="T0001",
            user_id="U0001",
            request=request,
            tz="UTC",
            now=at - timedelta(seconds=1),
        )
        assert subscription.next_runs[0] == at
        return f"digest:{subscription.id}:{digest_service.period_of(at, 'UTC')}"


@pytest.mark.parametrize("fault", [BEFORE_SLACK, AFTER_SLACK], ids=["before", "after"])
def test_a_digest_is_posted_once_across_a_sigkill(
    sandbox: Sandbox,
    engine: Engine,
    clocks: Callable[[], subprocess.Popen[bytes]],
    fault: Fault,
) -> None:
    key = subscribe_due_now(engine)
    sandbox.workspace.inject("chat.postMessage", fault)
    first = clocks()
    if fault.after:
        wait_for(lambda: posts(sandbox, "C0003", key), "Slack to take the digest")
    else:
        wait_for(lambda: post_sent(sandbox, key), "the clock to send the digest")
    kill(first)

    wait_out_the_lease(engine)
    clocks()
    wait_for(lambda: all_delivered(engine), "the new clock to finish the digest")
    [post] = posts(sandbox, "C0003", key)
    with Session(engine) as session:
        run = session.exec(select(DigestRun)).one()
    assert run.message_ts == post["ts"]
