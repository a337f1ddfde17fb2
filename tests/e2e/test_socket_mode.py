"""`productops serve --socket`: Socket Mode envelopes in, acks with the reply out."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from websockets.sync.server import ServerConnection, serve

from bot.sandbox.server import Sandbox
from storage.models import Feedback

pytestmark = pytest.mark.e2e


@pytest.fixture
def socket_server(sandbox: Sandbox) -> Iterator[queue.Queue[dict]]:
    """A Socket Mode endpoint: says hello, sends one slash command, collects the acks."""
    acks: queue.Queue[dict] = queue.Queue()
    command = {
        "token": "t",
        "team_id": "T0001",
        "team_domain": "acme-product",
        "channel_id": "C0001",
        "channel_name": "product-feedback",
        "user_id": "U0002",
        "user_name": "bob",
        "command": "/feedback",
        "text": "Socket mode works #socket",
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": f"{sandbox.url}/response/none",
        "trigger_id": "1.2.socket",
    }

    def handler(connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}
            )
        )
        connection.send(
            json.dumps(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "payload": command,
                    "accepts_response_payload": True,
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
        )
        for raw in connection:
            acks.put(json.loads(raw))

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        sandbox.workspace.socket_url = f"ws://127.0.0.1:{port}/link"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield acks
        server.shutdown()


def test_serve_socket_answers_a_slash_command(
    sandbox: Sandbox, socket_server: queue.Queue[dict], engine: Engine, database_url: str
) -> None:
    sandbox.workspace.tokens.update({"xoxb-socket-test", "xapp-socket-test"})
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_SIGNING_SECRET": "unused-in-socket-mode",
        "SLACK_BOT_TOKEN": "xoxb-socket-test",
        "SLACK_APP_TOKEN": "xapp-socket-test",
        "SLACK_API_URL": f"{sandbox.url}/api/",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--socket", "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ack = socket_server.get(timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert ack["envelope_id"] == "env-1"
    assert ack["payload"]["text"] == "Filed FB-1"
    [call] = sandbox.workspace.calls_to("apps.connections.open")
    assert call.token == "xapp-socket-test"
    with Session(engine) as session:
        assert [f.text for f in session.exec(select(Feedback))] == ["Socket mode works"]
