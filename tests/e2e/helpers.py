"""Small helpers for end-to-end tests: read what the emulated Slack shows, fill in modals."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.sandbox.sender import Delivery
from bot.sandbox.server import Sandbox, install_through_oauth
from bot.sandbox.workspace import Workspace, Workspaces
from storage.models import Feedback, FeedbackVote

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"
# The first 10:00 in Berlin after the test clock's start (Wed 25 Nov 2026, 08:00 UTC).
TEN_BERLIN = datetime(2026, 11, 25, 9, 0, 30, tzinfo=UTC)


def text_of(message: dict[str, Any]) -> str:
    """A message's fallback text and blocks as one searchable string."""
    return message.get("text", "") + json.dumps(message.get("blocks", []), ensure_ascii=False)


def ephemerals(sandbox: Sandbox, user: str) -> list[str]:
    """What `user` was shown privately, oldest first, as searchable strings."""
    return [text_of(e) for e in sandbox.workspace.ephemerals_for(user)]


def dms(sandbox: Sandbox, user: str) -> list[dict[str, Any]]:
    """The bot's messages in `user`'s DM."""
    channel = sandbox.workspace.dm_of(user).id
    return [m for m in sandbox.workspace.messages_in(channel) if m.get("bot_id")]


def top_view(sandbox: Sandbox, user: str) -> dict[str, Any]:
    """The modal on top of `user`'s stack."""
    stack = sandbox.workspace.view_stacks.get(user) or []
    assert stack, f"no modal open for {user}"
    return sandbox.workspace.views[stack[-1]]


def text_input(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def option(value: str) -> dict[str, Any]:
    return {
        "value": {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
    }


def feedback_values(
    text: str, *, tags: str = "", customer: str = "", area: str = "", urgency: str = "normal"
) -> dict[str, Any]:
    """The state of a filled-in feedback form."""
    return {
        "fb_text": text_input(text),
        "fb_tags": text_input(tags),
        "fb_customer": text_input(customer),
        "fb_area": text_input(area),
        "fb_urgency": option(urgency),
    }


def items(engine: Engine) -> list[Feedback]:
    """Every feedback row, by number."""
    with Session(engine) as session:
        return list(session.exec(select(Feedback).order_by(Feedback.team_id, Feedback.number)))


def item(engine: Engine, number: int, team: str = "T0001") -> Feedback:
    """One feedback row."""
    with Session(engine) as session:
        found = session.exec(
            select(Feedback).where(Feedback.team_id == team, Feedback.number == number)
        ).one()
        return found


def voters(engine: Engine, number: int) -> set[str]:
    """Who voted for FB-<number>."""
    row = item(engine, number)
    with Session(engine) as session:
        return set(
            session.exec(select(FeedbackVote.user_id).where(FeedbackVote.feedback_id == row.id))
        )


def find_block_action(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The first element with `action_id` in a message's blocks, with its block_id."""
    for block in message.get("blocks", []):
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id")}
    raise AssertionError(f"no {action_id} in message")


class FakeClock:
    """'Now' for the bot, moved by the test (see the `clock` and `bot` fixtures)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.at

    def set(self, at: datetime) -> None:
        with self.lock:
            self.at = at


def tick(bot: Sandbox, at: datetime, clock: FakeClock) -> int:
    """Move the bot's clock to `at`, run the clock's reconcile, wait for the bot's work."""
    from bot.scheduling import Clock

    clock.set(at)
    ran = Clock(bot.deps).reconcile()
    bot.settle()
    return ran


def two_workspaces() -> Workspaces:
    """Acme (T0001: U0001...) and Globex (T0002: U2001...), apps of one Slack."""
    return Workspaces(Workspace(), Workspace("T0002", number=2, name="Globex", domain="globex"))


def install(sandbox: Sandbox, team: str, user: str) -> requests.Response:
    """A person opens /slack/install, clicks "Add to Slack" and allows the app in `team`."""
    return install_through_oauth(sandbox, team, user)


def headers_only_answer(url: str, path: str, length: int) -> bytes:
    """Send a POST's headers announcing `length` bytes, none of the body; return the answer.

    A server that read the body before answering would wait here until the timeout.
    """
    where = urlsplit(url)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {where.netloc}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {length}\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\n"
        f"X-Slack-Signature: v0={'0' * 64}\r\n"
        "\r\n"
    )
    with socket.create_connection((where.hostname, where.port), timeout=30) as conn:
        conn.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


@contextlib.contextmanager
def counter_held(
    sandbox: Sandbox, engine: Engine, name: str
) -> Iterator[Callable[..., Future[Delivery]]]:
    """While it lasts, another writer holds the team's counter `name` (a row lock on
    PostgreSQL, the write lock on SQLite); acts sent through the function it yields wait
    for it without waiting for the bot. On leaving, the bot finishes what it held up."""
    sender = sandbox.sender
    with engine.connect() as other, ThreadPoolExecutor(max_workers=1) as pool:
        with other.begin():
            other.execute(
                text("UPDATE team_sequence SET value = value WHERE name = :name"), {"name": name}
            )
            sender.settle = None
            try:
                yield lambda act, *args: pool.submit(act, *args)
            finally:
                sender.settle = sandbox.settle
        sandbox.settle()
