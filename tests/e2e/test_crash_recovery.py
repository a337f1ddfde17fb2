"""A clock killed half way through a scheduled post: the next clock posts it exactly once.

The kill is simulated in process (an exception no handler catches, raised before or after
Slack took the post, or while the digest is being built); the FakeClock then moves past the
outbox lease. tests/e2e/test_clock_crash.py does the same with real processes and SIGKILL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox
from bot.sandbox.workspace import Fault
from storage.models import DigestRun, Outbox, Retro, RitualOccurrence
from tests.e2e.helpers import FakeClock, tick

pytestmark = pytest.mark.e2e

FIRES = datetime(2026, 11, 25, 8, 15, 1, tzinfo=UTC)  # "daily at 9:15" in Berlin
RITUAL = '/ritual add sync "Daily sync" daily at 9:15'


class Killed(BaseException):
    """The process died here: nothing after this line ran, no handler saw it."""


def posts_with_key(bot: Sandbox, channel: str, key: str) -> list[dict[str, Any]]:
    """The bot's messages in `channel` (threads too) whose metadata names `key`."""
    return [
        m
        for m in bot.workspace.messages_in(channel)
        if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


def die_on_post(bot: Sandbox, monkeypatch: pytest.MonkeyPatch, *, after_slack: bool) -> None:
    """The next chat.postMessage kills the process, before or after Slack took the post."""
    real = bot.deps.client.chat_postMessage
    calls: list[int] = []

    def dying(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            return real(**kwargs)
        if after_slack:
            real(**kwargs)
        raise Killed

    monkeypatch.setattr(bot.deps.client, "chat_postMessage", dying)


def lease(bot: Sandbox) -> timedelta:
    return timedelta(seconds=bot.deps.settings.outbox_lease_seconds)


def outbox(engine: Engine) -> dict[str, Outbox]:
    with Session(engine) as session:
        return {row.dedupe_key: row for row in session.exec(select(Outbox))}


def occurrence(engine: Engine) -> RitualOccurrence:
    with Session(engine) as session:
        return session.exec(select(RitualOccurrence)).one()


def test_killed_before_slack_got_the_post_it_is_sent_once_after_the_lease(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.sender.slash_command("U0001", "C0002", RITUAL)
    die_on_post(bot, monkeypatch, after_slack=False)
    with pytest.raises(Killed):
        tick(bot, FIRES, clock)
    assert posts_with_key(bot, "C0002", "occurrence:1") == []
    rows = outbox(engine)
    # The claim wrote the job's intent; the post's own row was written before Slack.
    assert rows["job:occurrence:1"].delivered_at is None
    assert rows["occurrence:1"].delivered_at is None
    assert occurrence(engine).status == "posting"

    # Another clock within the lease leaves it alone: the first may still be working.
    tick(bot, FIRES + lease(bot) - timedelta(seconds=5), clock)
    assert posts_with_key(bot, "C0002", "occurrence:1") == []

    tick(bot, FIRES + lease(bot) + timedelta(seconds=1), clock)
    tick(bot, FIRES + lease(bot) + timedelta(minutes=3), clock)
    [post] = posts_with_key(bot, "C0002", "occurrence:1")
    assert "Daily sync" in post["text"]
    row = occurrence(engine)
    assert (row.status, row.message_ts) == ("posted", post["ts"])
    rows = outbox(engine)
    assert rows["occurrence:1"].message_ts == post["ts"]
    assert all(r.delivered_at is not None for r in rows.values())


def test_killed_after_slack_posted_it_is_found_in_the_channel_not_sent_again(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.sender.slash_command("U0001", "C0002", RITUAL)
    die_on_post(bot, monkeypatch, after_slack=True)
    with pytest.raises(Killed):
        tick(bot, FIRES, clock)
    [post] = posts_with_key(bot, "C0002", "occurrence:1")
    assert occurrence(engine).message_ts is None

    tick(bot, FIRES + lease(bot) - timedelta(seconds=5), clock)
    history_reads = len(bot.workspace.calls_to("conversations.history"))
    tick(bot, FIRES + lease(bot) + timedelta(seconds=1), clock)
    tick(bot, FIRES + lease(bot) + timedelta(minutes=3), clock)
    assert posts_with_key(bot, "C0002", "occurrence:1") == [post]
    occurrence_posts = [
        c
        for c in bot.workspace.calls_to("chat.postMessage")
        if c.args.get("metadata", {}).get("event_payload", {}).get("key") == "occurrence:1"
    ]
    assert len(occurrence_posts) == 1
    assert len(bot.workspace.calls_to("conversations.history")) > history_reads
    row = occurrence(engine)
    assert (row.status, row.message_ts) == ("posted", post["ts"])


def test_an_answer_lost_on_a_dropped_connection_is_found_not_posted_twice(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0001", "C0002", RITUAL)
    # Slack posts it, then the connection drops before the answer: the gateway must not
    # send it again blindly (chat.postMessage is not safe to repeat).
    bot.workspace.inject("chat.postMessage", Fault(after=True, drop=True))
    tick(bot, FIRES, clock)
    [post] = posts_with_key(bot, "C0002", "occurrence:1")
    assert len(bot.workspace.calls_to("chat.postMessage")) == 1
    assert outbox(engine)["occurrence:1"].delivered_at is None

    tick(bot, FIRES + timedelta(minutes=2), clock)
    assert posts_with_key(bot, "C0002", "occurrence:1") == [post]
    assert len(bot.workspace.calls_to("chat.postMessage")) == 1
    assert occurrence(engine).message_ts == post["ts"]


def test_while_the_channel_cannot_be_read_nothing_is_sent_again(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.sender.slash_command("U0001", "C0002", RITUAL)
    die_on_post(bot, monkeypatch, after_slack=True)
    with pytest.raises(Killed):
        tick(bot, FIRES, clock)
    # Recovery cannot tell whether the post went out: it waits rather than doubling it.
    bot.workspace.inject("conversations.history", *[Fault(status=503)] * 4)
    tick(bot, FIRES + lease(bot) + timedelta(seconds=1), clock)
    assert len(posts_with_key(bot, "C0002", "occurrence:1")) == 1
    assert outbox(engine)["occurrence:1"].delivered_at is None
    assert "internal_error" in (outbox(engine)["occurrence:1"].last_error or "")

    tick(bot, FIRES + lease(bot) + timedelta(minutes=20), clock)
    [post] = posts_with_key(bot, "C0002", "occurrence:1")
    assert occurrence(engine).message_ts == post["ts"]


def test_a_scheduled_retro_killed_before_its_post_opens_one_board(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add retro "Sprint retro" daily at 9:15')
    die_on_post(bot, monkeypatch, after_slack=False)
    with pytest.raises(Killed):
        tick(bot, FIRES, clock)
    tick(bot, FIRES + lease(bot) + timedelta(seconds=1), clock)
    [post] = posts_with_key(bot, "C0002", "occurrence:1")
    with Session(engine) as session:
        [board] = session.exec(select(Retro)).all()
    assert board.message_ts == post["ts"]


# ---------------------------------------------------------------------- digests

SUBSCRIBE = "/digest subscribe <#C0003|squad-a> weekly on mon at 9:00"
RUN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def digest_posts(bot: Sandbox) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.workspace.messages_in("C0003")
        if m.get("bot_id") and m.get("thread_ts") in (None, m["ts"])
    ]


def the_run(engine: Engine) -> DigestRun:
    with Session(engine) as session:
        return session.exec(select(DigestRun)).one()


def test_a_digest_killed_while_being_built_is_built_again_and_posted_once(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import digests

    bot.sender.slash_command("U0001", "C0002", SUBSCRIBE)
    real = digests.make_report
    calls: list[int] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(digests, "make_report", dying)
    with pytest.raises(Killed):
        tick(bot, RUN + timedelta(seconds=2), clock)
    assert digest_posts(bot) == [] and the_run(engine).posted_at is None

    tick(bot, RUN + lease(bot) - timedelta(seconds=5), clock)
    assert digest_posts(bot) == []
    tick(bot, RUN + lease(bot) + timedelta(seconds=5), clock)
    tick(bot, RUN + lease(bot) + timedelta(minutes=3), clock)
    [post] = digest_posts(bot)
    assert "Mon 23 Nov – Mon 30 Nov 2026" in post["text"] + str(post.get("blocks"))
    assert the_run(engine).message_ts == post["ts"]


def test_a_digest_killed_after_slack_posted_it_is_not_posted_twice(
    bot: Sandbox, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.sender.slash_command("U0001", "C0002", SUBSCRIBE)
    die_on_post(bot, monkeypatch, after_slack=True)
    with pytest.raises(Killed):
        tick(bot, RUN + timedelta(seconds=2), clock)
    [post] = digest_posts(bot)
    assert the_run(engine).message_ts is None

    tick(bot, RUN + lease(bot) + timedelta(seconds=5), clock)
    tick(bot, RUN + lease(bot) + timedelta(minutes=3), clock)
    assert digest_posts(bot) == [post]
    assert the_run(engine).message_ts == post["ts"]
