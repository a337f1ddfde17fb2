"""Two `productops clock` processes against one database: each occurrence is posted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox
from bot.schedule import parse_schedule
from storage.models import Ritual, RitualOccurrence

pytestmark = pytest.mark.e2e


def test_two_clock_processes_post_each_occurrence_once(
    sandbox: Sandbox, engine: Engine, database_url: str
) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        for number in (1, 2):
            session.add(
                Ritual(
                    team_id="T0001",
                    number=number,
                    kind="sync",
                    title=f"Sync {number}",
                    rule_json=parse_schedule("daily at 9:00", now=now, tz="UTC").to_json(),
                    rule_text="daily at 9:00",
                    tz="UTC",
                    channel_id="C0002",
                    creator_id="U0001",
                    created_at=now,
                    next_at=now + timedelta(seconds=4 + number),
                )
            )
        session.commit()
    sandbox.workspace.tokens.add("xoxb-clock-test")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "DATABASE_URL": database_url,
        "SLACK_API_URL": f"{sandbox.url}/api/",
        "SLACK_BOT_TOKEN": "xoxb-clock-test",
        "LOG_LEVEL": "WARNING",
    }
    clocks = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "clock"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            posts = [m for m in sandbox.workspace.messages_in("C0002") if m.get("bot_id")]
            if len(posts) >= 2:
                break
            time.sleep(0.2)
        time.sleep(2)  # the slower clock has had its chance to post again, and must not
    finally:
        for clock in clocks:
            clock.send_signal(signal.SIGTERM)
        for clock in clocks:
            clock.wait(timeout=30)
    posts = [m["text"] for m in sandbox.workspace.messages_in("C0002") if m.get("bot_id")]
    assert sorted(p.split(":")[0] for p in posts) == ["Sync 1", "Sync 2"]
    with Session(engine) as session:
        occurrences = session.exec(select(RitualOccurrence)).all()
    assert len(occurrences) == 2 and all(o.status == "posted" for o in occurrences)
