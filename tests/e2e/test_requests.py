"""Requests the bot must refuse: bad or old signatures, tampered bodies, oversized bodies.

Each is sent as real HTTP to the running bot, the way a stranger on the network could.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from bot.sandbox.sender import Delivery, EventSender, sign
from bot.sandbox.server import Sandbox
from bot.web import MAX_BODY_BYTES
from tests.e2e.helpers import headers_only_answer

pytestmark = pytest.mark.e2e

# A replay must be older than Slack's 5-minute window.
REPLAY_AGE_SECONDS = 5 * 60 + 1


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows every table holds."""
    with Session(engine) as session:
        return {
            table.name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in SQLModel.metadata.sorted_tables
        }


def capture(sender: EventSender, act: Callable[[], object]) -> tuple[bytes, str]:
    """The body and content type `act` would send to the bot, without sending it."""
    captured: list[tuple[bytes, str]] = []

    def keep(body: bytes, content_type: str, **_: Any) -> Delivery:
        captured.append((body, content_type))
        return Delivery(200, "", {})

    sender.post = keep  # type: ignore[method-assign]
    try:
        act()
    finally:
        del sender.post
    [request] = captured
    return request


def realistic_request(sandbox: Sandbox, kind: str) -> tuple[bytes, str]:
    """A body of each kind Slack sends: a slash command, a shortcut click, an event."""
    sender = sandbox.sender
    if kind == "command":
        return capture(sender, lambda: sender.slash_command("U0002", "C0001", "/feedback Hi"))
    if kind == "interaction":
        message = sandbox.workspace.add_message("C0001", user_id="U0002", text="Export is slow")
        return capture(
            sender, lambda: sender.shortcut("U0002", "C0001", message["ts"], "capture_feedback")
        )
    return capture(sender, lambda: sender.open_home("U0002"))


def post_raw(
    sandbox: Sandbox, body: bytes, content_type: str, headers: dict[str, str]
) -> requests.Response:
    return requests.post(
        sandbox.sender.bot_url,
        data=body,
        headers={"Content-Type": content_type, **headers},
        timeout=30,
    )


@pytest.mark.parametrize("kind", ["command", "interaction", "event"])
@pytest.mark.parametrize("case", ["missing", "wrong", "replayed", "tampered"])
def test_unsigned_old_or_tampered_requests_get_401_and_change_nothing(
    sandbox: Sandbox, engine: Engine, kind: str, case: str
) -> None:
    body, content_type = realistic_request(sandbox, kind)
    secret = sandbox.sender.signing_secret
    now = str(int(time.time()))
    old = str(int(time.time()) - REPLAY_AGE_SECONDS)
    stamp = old if case == "replayed" else now
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(secret, stamp, body)}
    if case == "missing":
        headers = {}
    elif case == "wrong":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    # "replayed" was signed correctly when it was sent, more than five minutes ago;
    # "tampered" is signed correctly, then changed on the way.
    sent = body.replace(b"U0002", b"U0001") if case == "tampered" else body
    assert (sent != body) == (case == "tampered")
    rows_before = row_counts(engine)
    calls_before = len(sandbox.workspace.calls)

    answer = post_raw(sandbox, sent, content_type, headers)
    sandbox.settle()

    assert answer.status_code == 401
    assert row_counts(engine) == rows_before
    assert len(sandbox.workspace.calls) == calls_before
    # The same body, signed now, is answered and does change things: the checks above can fail.
    fresh = sandbox.sender.post(body, content_type)
    assert fresh.status == 200
    assert row_counts(engine) != rows_before or len(sandbox.workspace.calls) > calls_before


# What a body of exactly MAX_BODY_BYTES gets: read and judged (no signature; the API is off).
AT_THE_LIMIT = {"/bot/slack/events": 401, "/bot/api/kpi/nps": 404}


@pytest.mark.parametrize("path", list(AT_THE_LIMIT))
def test_oversized_bodies_get_413_before_the_body_is_read(
    sandbox: Sandbox, engine: Engine, path: str
) -> None:
    rows_before = row_counts(engine)
    answer = headers_only_answer(sandbox.url, path, MAX_BODY_BYTES + 1)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert row_counts(engine) == rows_before
    at_limit = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    read = requests.post(f"{sandbox.url}{path}", data=at_limit, timeout=30)
    assert read.status_code == AT_THE_LIMIT[path]
