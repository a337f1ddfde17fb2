"""`productops serve` under gunicorn, pointed at the emulated Web API, as an operator runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.sender import EventSender
from bot.sandbox.server import Sandbox
from bot.sandbox.workspace import Fault
from bot.web import MAX_BODY_BYTES
from storage.models import Feedback
from tests.e2e.helpers import feedback_values, headers_only_answer
from tests.fixtures.llm.fake_openai import FakeOpenAI, FakeOpenAIServer

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


@contextmanager
def serving(
    emulator_url: str,
    database_url: str,
    log: Path,
    extra: list[str],
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`productops serve` on a free port, everything it writes going to `log`; its URL."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_API_URL": f"{emulator_url}/api/",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        **(env or {}),
    }
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*command, "--workers", "1", "--threads", "4", *extra],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def serve(
    sandbox: Sandbox, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path]]:
    """`productops serve` on a free port; the emulator behind sandbox.url is its Slack."""
    log = tmp_path / "serve.log"
    extra = getattr(request, "param", ["--no-scheduler"])
    sandbox.workspace.tokens.add("xoxb-serve-test")
    with serving(sandbox.url, database_url, log, extra) as url:
        yield url, log


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


def test_serve_refuses_an_oversized_body_without_reading_it(
    serve: tuple[str, Path], engine: Engine
) -> None:
    url, _ = serve
    wait_healthy(url)
    for path in ("/slack/events", "/api/kpi/nps"):
        answer = headers_only_answer(url, path, MAX_BODY_BYTES + 1)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    with Session(engine) as session:
        assert session.exec(select(Feedback)).all() == []


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll `condition` until it is true (the bot answers Slack first, then works)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def logged(log: Path) -> list[dict[str, Any]]:
    """The JSON lines the process wrote."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


# Distinctive values: if any of them shows up in the output, a secret was logged.
SECRETS = {
    "SLACK_SIGNING_SECRET": "signing-3c9e1f0b7a5d4e2c",
    "SLACK_BOT_TOKEN": "xoxb-7000000001-7000000002-bottokensecret4f1d",
    "SLACK_CLIENT_SECRET": "clientsecret-8e2b6d0a4c1f",
    "SLACK_APP_TOKEN": "xapp-1-A0000000001-7000000003-apptokensecret9b2e",
    "KPI_INGEST_TOKEN": "kpitoken-5a7c9e1b3d",
    "OPENAI_API_KEY": "sk-openaikeysecret2d4f6a8c",
}


def test_a_debug_session_never_logs_a_secret(
    sandbox: Sandbox, database_url: str, tmp_path: Path, engine: Engine
) -> None:
    fake_llm = FakeOpenAIServer(FakeOpenAI.named("decision_thread"))
    log = tmp_path / "serve.log"
    env = {**SECRETS, "LOG_LEVEL": "DEBUG", "OPENAI_BASE_URL": fake_llm.url}
    sandbox.workspace.tokens.add(SECRETS["SLACK_BOT_TOKEN"])
    try:
        # With the clock beside it: its output is checked too.
        with serving(sandbox.url, database_url, log, [], env=env) as url:
            wait_healthy(url, scheduler=True)
            a_session_of_everything(sandbox, url, fake_llm)
    finally:
        fake_llm.stop()
    # The key was in use (sent to the model), so its absence below means something.
    sent = {k.lower(): v for k, v in fake_llm.fake.headers[0].items()}
    assert sent["authorization"] == f"Bearer {SECRETS['OPENAI_API_KEY']}"
    output = log.read_text()
    assert '"event": "slack_request"' in output and "handler_failed" in output
    assert "DEBUG" in output.upper()
    for name, secret in SECRETS.items():
        assert secret not in output, f"{name} was logged"
        # Not even a large part of it.
        assert secret[-12:] not in output, f"part of {name} was logged"


def a_session_of_everything(sandbox: Sandbox, url: str, fake_llm: FakeOpenAIServer) -> None:
    """Commands, a shortcut and a modal, an event, a summary, and things going wrong."""
    ws = sandbox.workspace
    sender = EventSender(
        ws,
        bot_url=f"{url}/slack/events",
        signing_secret=SECRETS["SLACK_SIGNING_SECRET"],
        emulator_url=sandbox.url,
    )
    assert sender.slash_command("U0002", "C0001", "/feedback Logged safely #ops").status == 200
    message = ws.add_message("C0001", user_id="U0003", text="Exports time out for Acme")
    sender.shortcut("U0001", "C0001", message["ts"], "capture_feedback")
    wait_until(lambda: ws.view_stacks.get("U0001"), "the capture modal")
    view_id = ws.view_stacks["U0001"][-1]
    sender.submit_view("U0001", view_id, feedback_values("Exports time out for Acme"))
    sender.open_home("U0002")
    wait_until(lambda: ws.calls_to("views.publish"), "the home tab")
    # A Web API call that fails for good: the listener fails and the person is told.
    ws.inject("views.publish", *[Fault(status=503)] * 4)
    sender.open_home("U0003")
    root = ws.add_message("C0001", user_id="U0001", text="Which billing provider?")
    ws.add_message("C0001", user_id="U0002", text="Stripe.", thread_ts=root["ts"])
    sender.shortcut("U0001", "C0001", root["ts"], "summarize_thread")
    wait_until(lambda: fake_llm.fake.requests, "the summary request")
    # Strangers: a bad signature, a wrong and a missing KPI token.
    bad = sender.post(
        b"command=%2Ffeedback&text=x",
        "application/x-www-form-urlencoded",
        signature="v0=" + "1" * 64,
    )
    assert bad.status == 401
    for headers in ({"Authorization": "Bearer not-the-token"}, {}):
        answer = requests.post(f"{url}/api/kpi/nps", json={"value": 1}, headers=headers, timeout=30)
        assert answer.status_code == 401
    wait_until(lambda: len(ws.calls_to("views.publish")) >= 2, "the failing home tab")


def test_every_request_line_says_team_user_kind_and_latency(
    sandbox: Sandbox, serve: tuple[str, Path]
) -> None:
    url, log = serve
    wait_healthy(url)
    ws = sandbox.workspace
    sender = EventSender(
        ws, bot_url=f"{url}/slack/events", signing_secret=SECRET, emulator_url=sandbox.url
    )
    sender.slash_command("U0002", "C0002", "/feedback CSV export times out")
    sender.open_home("U0001")
    wait_until(lambda: ws.home_views.get("U0001"), "the home tab")
    sender.click("U0001", action_id="feedback_vote", value="FB-1", view_id=ws.home_views["U0001"])
    message = ws.add_message("C0001", user_id="U0002", text="Exports time out for Acme")
    sender.shortcut("U0004", "C0001", message["ts"], "capture_feedback")
    wait_until(lambda: ws.view_stacks.get("U0004"), "the capture modal")
    view_id = ws.view_stacks["U0004"][-1]
    callback_id = ws.views[view_id]["callback_id"]
    sender.submit_view("U0004", view_id, feedback_values("Exports time out for Acme"))
    expected = {
        "/feedback": "U0002",
        "event:app_home_opened": "U0001",
        "block_actions:feedback_vote": "U0001",
        "message_action:capture_feedback": "U0004",
        f"view_submission:{callback_id}": "U0004",
    }

    def request_lines() -> dict[str, dict[str, Any]]:
        return {
            line["command"]: line for line in logged(log) if line.get("event") == "slack_request"
        }

    wait_until(lambda: set(expected) <= set(request_lines()), "a log line for each request")
    for kind, user in expected.items():
        line = request_lines()[kind]
        assert (line["team"], line["user"], line["status"]) == ("T0001", user, 200), line
        assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0, line
