"""/healthz reports the database and the scheduler; 503 when the database is gone."""

from __future__ import annotations

import pytest
import requests

from bot.sandbox.server import Sandbox, start_sandbox
from bot.scheduling import Clock
from bot.settings import Settings

pytestmark = pytest.mark.e2e


def test_health_with_a_clock(sandbox: Sandbox) -> None:
    answer = requests.get(f"{sandbox.url}/bot/healthz", timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["scheduler"] == {
        "in_process": False,
        "last_heartbeat": None,
        "lag_seconds": None,
        "ok": False,
    }
    clock = Clock(sandbox.deps)
    clock.heartbeat()
    body = requests.get(f"{sandbox.url}/bot/healthz", timeout=5).json()
    assert body["scheduler"]["ok"] is True and body["scheduler"]["lag_seconds"] < 60


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
