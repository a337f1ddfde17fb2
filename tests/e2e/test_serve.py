"""`productops serve` under gunicorn, pointed at the emulated Web API, as an operator runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.sender import EventSender
from bot.sandbox.server import Sandbox
from storage.models import Feedback

pytestmark = pytest.mark.e2e

SECRET = "serve-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, *, scheduler: bool = False, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"{url}/healthz", timeout=2)
            last = answer.json()
            if answer.status_code == 200 and (not scheduler or last["scheduler"]["ok"]):
                return last  # type: ignore[return-value]
        except requests.RequestException as err:
            last = err
        time.sleep(0.2)
    raise AssertionError(f"not healthy in time: {last}")


@pytest.fixture
def serve(
    sandbox: Sandbox, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path]]:
    """`productops serve` on a free port; the emulator behind sandbox.url is its Slack."""
    port = free_port()
    log = tmp_path / "serve.log"
    extra = getattr(request, "param", ["--no-scheduler"])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_API_URL": f"{sandbox.url}/api/",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                "4",
                *extra,
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_serve_answers_signed_feedback_and_rejects_unsigned(
    sandbox: Sandbox, serve: tuple[str, Path], engine: Engine
) -> None:
    url, log = serve
    health = wait_healthy(url)
    assert health["database"]["ok"] is True and health["scheduler"]["in_process"] is False
    sender = EventSender(
        sandbox.workspace,
        bot_url=f"{url}/slack/events",
        signing_secret=SECRET,
        emulator_url=sandbox.url,
    )
    delivery = sender.slash_command("U0002", "C0001", "/feedback Served by gunicorn #ops")
    assert delivery.status == 200
    assert delivery.json()["text"] == "Filed FB-1"
    unsigned = requests.post(
        f"{url}/slack/events",
        data={"command": "/feedback", "text": "sneaky", "team_id": "T0001"},
        timeout=5,
    )
    assert unsigned.status_code == 401
    with Session(engine) as session:
        assert [f.text for f in session.exec(select(Feedback))] == ["Served by gunicorn"]
    time.sleep(0.2)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("event") == "slack_request"]
    first = requests_logged[0]
    assert (first["team"], first["user"], first["command"], first["status"]) == (
        "T0001",
        "U0002",
        "/feedback",
        200,
    )
    assert isinstance(first["latency_ms"], float)
    assert SECRET not in log.read_text()


@pytest.mark.parametrize("serve", [[]], indirect=True)
def test_serve_runs_the_clock_beside_it(serve: tuple[str, Path]) -> None:
    url, _ = serve
    health = wait_healthy(url, scheduler=True)
    assert health["scheduler"]["heartbeat_age_seconds"] < 60
