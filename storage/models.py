"""Every table of the bot. Each row carries the Slack team id; datetimes are UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class TeamSequence(SQLModel, table=True):
    """Per-team counters, e.g. the number behind FB-42."""

    __tablename__ = "team_sequence"

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0)


class ProcessedEvent(SQLModel, table=True):
    """An Events API delivery already handled; the primary key makes retries no-ops."""

    __tablename__ = "processed_event"

    team_id: str = Field(primary_key=True, max_length=32)
    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class Feedback(SQLModel, table=True):
    """One piece of product feedback, numbered per team (FB-<number>)."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_feedback_team_number"),
        UniqueConstraint("team_id", "source_key", name="uq_feedback_team_source_key"),
        Index("ix_feedback_team_created", "team_id", "created_at"),
        Index("ix_feedback_team_status", "team_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    number: int
    reporter_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    customer: str | None = Field(default=None, max_length=200)
    area: str | None = Field(default=None, max_length=100)
    urgency: str = Field(default="normal", max_length=16)
    status: str = Field(default="new", max_length=16)
    source: str = Field(default="command", max_length=16)
    # What makes a capture unique: the command's trigger id, or the captured message.
    source_key: str | None = Field(default=None, max_length=255)
    source_author_id: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    owner_id: str | None = Field(default=None, max_length=32)
    ops_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    vote_count: int = Field(default=0)
    merged_into_id: int | None = Field(default=None, foreign_key="feedback.id")
    first_triaged_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # The triage card in FEEDBACK_CHANNEL, updated in place.
    card_channel_id: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)


class FeedbackVote(SQLModel, table=True):
    """One person's vote for an item: one per person, however often Slack retries."""

    __tablename__ = "feedback_vote"
    __table_args__ = (Index("ix_feedback_vote_team_user", "team_id", "user_id"),)

    feedback_id: int = Field(foreign_key="feedback.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    source: str = Field(default="button", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class FeedbackEvent(SQLModel, table=True):
    """The history of an item: filed, status and owner changes, merges, comments."""

    __tablename__ = "feedback_event"
    __table_args__ = (
        Index("ix_feedback_event_item", "feedback_id", "at"),
        Index("ix_feedback_event_team_at", "team_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    feedback_id: int = Field(foreign_key="feedback.id", ondelete="CASCADE")
    at: datetime = Field(sa_column=_utc_column())
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=16)
    from_value: str | None = Field(default=None, max_length=100)
    to_value: str | None = Field(default=None, max_length=100)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LoopNotice(SQLModel, table=True):
    """A close-the-loop DM sent (or being sent): one per person, item and final status."""

    __tablename__ = "loop_notice"

    feedback_id: int = Field(foreign_key="feedback.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)
    team_id: str = Field(max_length=32)
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class OpsGrant(SQLModel, table=True):
    """The ops role granted to a person by another ops member."""

    __tablename__ = "ops_grant"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    granted_by: str = Field(max_length=32)
    granted_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class SlackUser(SQLModel, table=True):
    """What users.info said about a person, cached: names, timezone, admin flags."""

    __tablename__ = "slack_user"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=255)
    real_name: str = Field(default="", max_length=255)
    tz: str | None = Field(default=None, max_length=64)
    is_admin: bool = Field(default=False)
    is_owner: bool = Field(default=False)
    is_bot: bool = Field(default=False)
    fetched_at: datetime = Field(sa_column=_utc_column())


class FeedbackTag(SQLModel, table=True):
    """A #tag on a feedback item."""

    __tablename__ = "feedback_tag"
    __table_args__ = (Index("ix_feedback_tag_team_tag", "team_id", "tag"),)

    feedback_id: int = Field(foreign_key="feedback.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=100)
    team_id: str = Field(max_length=32)


class ClockHeartbeat(SQLModel, table=True):
    """The last tick of each running clock, so /healthz in any process can report it."""

    __tablename__ = "clock_heartbeat"

    team_id: str = Field(default="*", primary_key=True, max_length=32)
    clock_id: str = Field(primary_key=True, max_length=100)
    beat_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
