"""/healthz: the database, the scheduler's lag and the outbox; 503 when the database is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from bot.sandbox.server import Sandbox, start_sandbox
from bot.sandbox.workspace import Fault
from bot.scheduling import Clock
from bot.settings import Settings
from bot.web import SCHEDULER_LAG_DEGRADED_SECONDS
from tests.e2e.helpers import FakeClock, tick

pytestmark = pytest.mark.e2e

# 09:15 in Berlin, Ann's timezone: when the daily sync below falls due.
SYNC_AT = datetime(2026, 11, 25, 8, 15, tzinfo=UTC)


def health(sandbox: Sandbox) -> dict[str, Any]:
    answer = requests.get(f"{sandbox.url}/bot/healthz", timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_health_with_a_clock(sandbox: Sandbox) -> None:
    body = health(sandbox)
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["scheduler"] == {
        "in_process": False,
        "last_heartbeat": None,
        "heartbeat_age_seconds": None,
        "lag_seconds": 0.0,
        "ok": False,
    }
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None, "given_up": 0}
    clock = Clock(sandbox.deps)
    clock.heartbeat()
    body = health(sandbox)
    assert body["scheduler"]["ok"] is True and body["scheduler"]["heartbeat_age_seconds"] < 60


def test_lag_grows_while_work_waits_and_is_degraded_past_the_threshold(
    bot: Sandbox, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    assert health(bot)["scheduler"]["lag_seconds"] == 0.0
    clock.set(SYNC_AT + timedelta(seconds=45))
    body = health(bot)
    assert body["status"] == "ok" and body["scheduler"]["lag_seconds"] == 45.0
    late = SCHEDULER_LAG_DEGRADED_SECONDS + 30
    clock.set(SYNC_AT + timedelta(seconds=late))
    body = health(bot)
    assert body["status"] == "degraded" and body["scheduler"]["lag_seconds"] == late
    # The clock catches up (within the grace period, so the sync is posted): no lag left.
    tick(bot, SYNC_AT + timedelta(seconds=late), clock)
    assert len(bot.workspace.calls_to("chat.postMessage")) == 1
    body = health(bot)
    assert body["status"] == "ok" and body["scheduler"]["lag_seconds"] == 0.0


def test_outbox_pending_age_and_given_up(bot: Sandbox, clock: FakeClock) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    # Slack answers 503 to the post and to each of the gateway's retries: it is queued.
    bot.workspace.inject("chat.postMessage", *[Fault(status=503)] * 4)
    tick(bot, SYNC_AT + timedelta(seconds=1), clock)
    assert health(bot)["outbox"] == {
        "pending": 1,
        "oldest_pending_age_seconds": 0.0,
        "given_up": 0,
    }
    clock.set(SYNC_AT + timedelta(seconds=31))
    assert health(bot)["outbox"]["oldest_pending_age_seconds"] == 30.0
    # Every delivery attempt fails for good until the clock gives up on the post.
    at = SYNC_AT + timedelta(seconds=1)
    for _ in range(10):
        bot.workspace.inject("chat.postMessage", Fault(error="channel_not_found"))
        at += timedelta(minutes=61)
        tick(bot, at, clock)
    body = health(bot)
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None, "given_up": 1}
    # A given-up post is an operator's matter, not scheduler lag.
    assert body["status"] == "ok" and body["scheduler"]["lag_seconds"] == 0.0


def test_health_is_503_when_the_database_does_not_answer(tmp_path: object) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        slack_signing_secret="s",
        log_level="WARNING",
    )
    running = start_sandbox(settings)
    try:
        answer = requests.get(f"{running.url}/bot/healthz", timeout=10)
        assert answer.status_code == 503
        assert answer.json()["database"]["ok"] is False
        # A command that needs the database tells the person, without a trace.
        running.sender.slash_command("U0001", "C0001", "/feedback the database is down")
        [reply] = running.workspace.ephemerals_for("U0001")
        assert "something went wrong" in reply["text"] and "Traceback" not in reply["text"]
    finally:
        running.stop()
