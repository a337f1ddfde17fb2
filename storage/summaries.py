"""Summaries: the cache of made summaries, and the once-only claim on posting one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage.db import insert_new
from storage.models import ConversationSummary, SummaryPost

_KEY = ["team_id", "channel_id", "scope", "latest_ts", "model", "prompt_version"]


def find_summary(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    scope: str,
    latest_ts: str,
    model: str,
    prompt_version: str,
) -> ConversationSummary | None:
    """The summary made for exactly this conversation state, model and prompts, if any."""
    return session.exec(
        select(ConversationSummary).where(
            ConversationSummary.team_id == team_id,
            ConversationSummary.channel_id == channel_id,
            ConversationSummary.scope == scope,
            ConversationSummary.latest_ts == latest_ts,
            ConversationSummary.model == model,
            ConversationSummary.prompt_version == prompt_version,
        )
    ).first()


def save_summary(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    scope: str,
    latest_ts: str,
    model: str,
    prompt_version: str,
    body: str,
    message_count: int,
    model_calls: int,
    requested_by: str | None,
    at: datetime,
) -> ConversationSummary:
    """Store a summary once; when another request stored the same key first, return that one."""
    values = dict(
        team_id=team_id,
        channel_id=channel_id,
        scope=scope,
        latest_ts=latest_ts,
        model=model,
        prompt_version=prompt_version,
        body=body,
        message_count=message_count,
        model_calls=model_calls,
        requested_by=requested_by,
        created_at=at,
    )
    insert_new(session, ConversationSummary, values, _KEY)
    stored = find_summary(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        scope=scope,
        latest_ts=latest_ts,
        model=model,
        prompt_version=prompt_version,
    )
    if stored is None:  # pragma: no cover - the row was just written or found
        raise LookupError("summary vanished after insert")
    return stored


def get_summary(*, session: Session, team_id: str, summary_id: int) -> ConversationSummary | None:
    """A stored summary of this team (another team's id finds nothing)."""
    return session.exec(
        select(ConversationSummary).where(
            ConversationSummary.team_id == team_id, ConversationSummary.id == summary_id
        )
    ).first()


def claim_post(
    *, session: Session, team_id: str, summary_id: int, posted_by: str, at: datetime
) -> bool:
    """Claim the right to post this summary into its conversation; False if already claimed."""
    return insert_new(
        session,
        SummaryPost,
        dict(team_id=team_id, summary_id=summary_id, posted_by=posted_by, claimed_at=at),
        ["team_id", "summary_id"],
    )


def get_post(*, session: Session, team_id: str, summary_id: int) -> SummaryPost | None:
    """The claim (and, once posted, the message) of a summary posted into its conversation."""
    return session.get(SummaryPost, (team_id, summary_id))


def record_post(
    *, session: Session, team_id: str, summary_id: int, channel_id: str, message_ts: str
) -> None:
    """Remember where the claimed post went."""
    session.execute(
        update(SummaryPost)
        .where(col(SummaryPost.team_id) == team_id, col(SummaryPost.summary_id) == summary_id)
        .values(channel_id=channel_id, message_ts=message_ts)
    )


def release_post(*, session: Session, team_id: str, summary_id: int) -> None:
    """Give a claim back after the post failed, so the person can try again."""
    session.execute(
        delete(SummaryPost).where(
            col(SummaryPost.team_id) == team_id, col(SummaryPost.summary_id) == summary_id
        )
    )
