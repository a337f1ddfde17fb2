"""The summary cache and the once-only post claim, on every database backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.llm import ChatModel
from bot.services.summaries import (
    Conversation,
    StoredSummary,
    claim_post,
    load_summary,
    post_failed,
    posted,
    summarize_conversation,
)
from bot.settings import Settings
from bot.summarize import Message
from storage.db import session_factory
from storage.models import ConversationSummary
from tests.fixtures.llm.fake_openai import FakeOpenAI

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NAMES = {"U0002": "Bob Martin", "U0003": "Carol Tanaka"}


def messages(count: int) -> list[Message]:
    return [
        Message("Bob Martin", f"Point number {i} about the export fix", ts=f"1795510800.{i:06d}")
        for i in range(1, count + 1)
    ]


def model(fake: FakeOpenAI) -> ChatModel:
    settings = Settings(openai_api_key="sk-test", openai_max_retries=0)
    return ChatModel(settings, http_client=fake.http_client())


def run(
    engine: Engine,
    llm: ChatModel | None,
    thread: list[Message],
    *,
    team: str = "T0001",
    prompts_dir: Path | None = None,
) -> StoredSummary:
    conversation = Conversation("C0001", thread[0].ts, (), thread_ts=thread[0].ts)
    return summarize_conversation(
        session_scope=session_factory(engine),
        team_id=team,
        conversation=conversation,
        messages=thread,
        names=NAMES,
        llm=llm,
        prompts_dir=prompts_dir,
        requested_by="U0002",
        now=NOW,
    )


def rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ConversationSummary)).one())


def test_the_same_thread_is_summarized_once(engine: Engine) -> None:
    fake = FakeOpenAI.named("decision_thread")
    llm = model(fake)
    first = run(engine, llm, messages(5))
    second = run(engine, llm, messages(5))
    assert len(fake.requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert first.id == second.id and first.summary == second.summary
    assert second.model == "gpt-4o-mini" and second.message_count == 5
    # A new message is a new conversation state.
    third = run(engine, llm, messages(6))
    assert len(fake.requests) == 2 and not third.cached and third.id != first.id
    # Another workspace never sees this team's summary.
    other = run(engine, llm, messages(5), team="T0002")
    assert not other.cached and len(fake.requests) == 3
    assert rows(engine) == 3


def test_editing_a_prompt_makes_a_new_summary(engine: Engine, tmp_path: Path) -> None:
    fake = FakeOpenAI({"mode": "answer", "answers": {"default": "TL;DR: fine"}})
    llm = model(fake)
    run(engine, llm, messages(3))
    (tmp_path / "summarize_thread.md").write_text("Shorter, please.")
    run(engine, llm, messages(3), prompts_dir=tmp_path)
    run(engine, llm, messages(3), prompts_dir=tmp_path)
    assert len(fake.requests) == 2


def test_an_offline_fallback_does_not_stand_in_for_the_model_later(engine: Engine) -> None:
    fake = FakeOpenAI.named("timeout")
    llm = model(fake)
    fallback = run(engine, llm, messages(4))
    assert fallback.summary.offline and fallback.model == "offline"
    fake.use("decision_thread")
    fresh = run(engine, llm, messages(4))
    assert not fresh.cached and not fresh.summary.offline
    # Without a key the offline summary is the cached answer.
    offline = run(engine, None, messages(4))
    assert offline.cached and offline.id == fallback.id


def test_stored_summaries_never_carry_mentions(engine: Engine) -> None:
    stored = run(engine, model(FakeOpenAI.named("pings")), messages(3))
    with Session(engine) as session:
        body = session.exec(select(ConversationSummary.body)).one()
    for ping in ("<@U", "<!channel>", "<!here>", "<!everyone>", "<!subteam"):
        assert ping not in body
    assert stored.summary.action_items[0].owner == "Bob Martin"
    assert "@Carol Tanaka" in stored.summary.questions[0]


def test_a_summary_is_posted_once_and_only_in_its_team(engine: Engine) -> None:
    scope = session_factory(engine)
    stored = run(engine, None, messages(3))
    loaded = load_summary(session_scope=scope, team_id="T0001", summary_id=stored.id)
    assert loaded is not None and loaded.summary == stored.summary
    assert loaded.thread_ts == stored.thread_ts and loaded.message_count == 3
    assert load_summary(session_scope=scope, team_id="T0002", summary_id=stored.id) is None
    first = claim_post(
        session_scope=scope, team_id="T0001", summary_id=stored.id, user_id="U1", now=NOW
    )
    again = claim_post(
        session_scope=scope, team_id="T0001", summary_id=stored.id, user_id="U2", now=NOW
    )
    assert first.first and not again.first and again.message_ts is None
    posted(session_scope=scope, team_id="T0001", summary_id=stored.id, channel_id="C0001", ts="9.1")
    later = claim_post(
        session_scope=scope, team_id="T0001", summary_id=stored.id, user_id="U2", now=NOW
    )
    assert (later.first, later.channel_id, later.message_ts) == (False, "C0001", "9.1")
    # A post that failed gives its claim back.
    post_failed(session_scope=scope, team_id="T0001", summary_id=stored.id)
    assert claim_post(
        session_scope=scope, team_id="T0001", summary_id=stored.id, user_id="U2", now=NOW
    ).first
