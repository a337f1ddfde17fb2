"""Every table of the bot. Each row carries the Slack team id; datetimes are UTC-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Index,
    Numeric,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel, col


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


class Ritual(SQLModel, table=True):
    """A recurring or one-off ritual: standup, sync, workshop, brainstorm, retro, review."""

    __tablename__ = "ritual"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_ritual_team_number"),
        Index("ix_ritual_due", "status", "next_at"),
        Index("ix_ritual_team_status", "team_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    number: int
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    rule_json: str = Field(sa_column=Column(Text, nullable=False))
    rule_text: str = Field(max_length=300)
    tz: str = Field(max_length=64)
    channel_id: str = Field(max_length=32)
    participants: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    agenda: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_minutes: int = Field(default=30)
    reminder_minutes: int = Field(default=15)
    creator_id: str = Field(max_length=32)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    # The next occurrence not yet handled by the clock (UTC); None when there is none.
    next_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class RitualOccurrence(SQLModel, table=True):
    """One occurrence of a ritual; its unique key is what makes firing exactly-once."""

    __tablename__ = "ritual_occurrence"
    __table_args__ = (
        UniqueConstraint("ritual_id", "scheduled_at", name="uq_occurrence_ritual_at"),
        Index("ix_occurrence_team_at", "team_id", "scheduled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    ritual_id: int = Field(foreign_key="ritual.id", ondelete="CASCADE")
    scheduled_at: datetime = Field(sa_column=_utc_column())
    status: str = Field(default="posting", max_length=16)
    posted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RitualRsvp(SQLModel, table=True):
    """A person's answer to a workshop or brainstorm: going, maybe, cant."""

    __tablename__ = "ritual_rsvp"

    occurrence_id: int = Field(
        foreign_key="ritual_occurrence.id", primary_key=True, ondelete="CASCADE"
    )
    user_id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    answer: str = Field(max_length=16)
    at: datetime = Field(sa_column=_utc_column())


class RitualAgendaItem(SQLModel, table=True):
    """An item someone added to an occurrence's agenda."""

    __tablename__ = "ritual_agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    occurrence_id: int = Field(foreign_key="ritual_occurrence.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=_utc_column())


class StandupAnswer(SQLModel, table=True):
    """One participant's async standup answer."""

    __tablename__ = "standup_answer"

    occurrence_id: int = Field(
        foreign_key="ritual_occurrence.id", primary_key=True, ondelete="CASCADE"
    )
    user_id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    yesterday: str = Field(default="", sa_column=Column(Text, nullable=False))
    today: str = Field(default="", sa_column=Column(Text, nullable=False))
    blockers: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=_utc_column())


class ScheduledTask(SQLModel, table=True):
    """A one-off act the clock does at `run_at`: a reminder, a report, a follow-up.

    Its key makes it unique; claiming it (setting `claimed_at`) makes it happen once.
    """

    __tablename__ = "scheduled_task"
    __table_args__ = (Index("ix_scheduled_task_due", "claimed_at", "run_at"),)

    team_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=32)
    run_at: datetime = Field(sa_column=_utc_column())
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    claimed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    outcome: str | None = Field(default=None, max_length=16)


class Outbox(SQLModel, table=True):
    """A scheduled post (or the job that makes posts), written before Slack is called.

    A row is the intent: undelivered with `next_attempt_at` in the future while a process
    holds its lease, due again when the lease ran out or an attempt failed, delivered once
    Slack answered (with the message's `channel_id` and `message_ts`). See docs/DESIGN.md.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key", name="uq_outbox_team_key"),
        Index("ix_outbox_due", "delivered_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    dedupe_key: str = Field(max_length=200)
    method: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=_utc_column())
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_utc_column())
    delivered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class Retro(SQLModel, table=True):
    """A retrospective board: open (items hidden), revealed (voting), closed."""

    __tablename__ = "retro"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_retro_team_number"),
        Index("ix_retro_team_series", "team_id", "series", "created_at"),
        Index("ix_retro_team_channel_status", "team_id", "channel_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    number: int
    title: str = Field(max_length=200)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    facilitator_id: str = Field(max_length=32)
    # Retros of one series carry action items over: "ritual:<id>" or "channel:<id>".
    series: str = Field(max_length=64)
    occurrence_id: int | None = Field(default=None, foreign_key="ritual_occurrence.id")
    status: str = Field(default="open", max_length=16)
    votes_per_person: int = Field(default=3)
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_utc_column())
    revealed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class RetroItem(SQLModel, table=True):
    """A card on the board. Anonymous cards have no author id at all: it is never stored."""

    __tablename__ = "retro_item"
    __table_args__ = (
        UniqueConstraint("retro_id", "source_key", name="uq_retro_item_source"),
        Index("ix_retro_item_retro", "retro_id", "column"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    retro_id: int = Field(foreign_key="retro.id", ondelete="CASCADE")
    column: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str | None = Field(default=None, max_length=32)
    # What makes a submission unique (the modal's view id): retries add nothing.
    source_key: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=_utc_column())


class RetroVote(SQLModel, table=True):
    """One person's vote for one card."""

    __tablename__ = "retro_vote"
    __table_args__ = (Index("ix_retro_vote_retro_user", "retro_id", "user_id"),)

    item_id: int = Field(foreign_key="retro_item.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, max_length=32)
    retro_id: int = Field(foreign_key="retro.id", ondelete="CASCADE")
    team_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=_utc_column())


class RetroAction(SQLModel, table=True):
    """An action item from a retro, with owner and due date; carried to the next retro."""

    __tablename__ = "retro_action"
    __table_args__ = (
        UniqueConstraint("retro_id", "source_key", name="uq_retro_action_source"),
        Index("ix_retro_action_team_status", "team_id", "status"),
        Index("ix_retro_action_team_owner", "team_id", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    retro_id: int = Field(foreign_key="retro.id", ondelete="CASCADE")
    series: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: str | None = Field(default=None, max_length=32)
    due: date | None = None
    status: str = Field(default="open", max_length=16)
    source_key: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=_utc_column())
    done_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class ClockHeartbeat(SQLModel, table=True):
    """The last tick of each running clock, so /healthz in any process can report it."""

    __tablename__ = "clock_heartbeat"

    team_id: str = Field(default="*", primary_key=True, max_length=32)
    clock_id: str = Field(primary_key=True, max_length=100)
    beat_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


# ---- KPIs


class Kpi(SQLModel, table=True):
    """A metric a team tracks: its unit, target and the channel that hears when it crosses."""

    __tablename__ = "kpi"
    # AUTOINCREMENT: SQLite would otherwise hand a deleted KPI's id to the next one, and an
    # old delete button (which names the id) would delete the new KPI.
    __table_args__ = (
        UniqueConstraint("team_id", "name_key", name="uq_kpi_team_name"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    name: str = Field(max_length=64)
    # The name lower-cased: NPS and nps are one KPI.
    name_key: str = Field(max_length=64)
    unit: str | None = Field(default=None, max_length=16)
    target_op: str | None = Field(default=None, max_length=2)
    target_value: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(20, 6), nullable=True)
    )
    direction: str = Field(default="up", max_length=4)
    channel_id: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class KpiValue(SQLModel, table=True):
    """A KPI's value on one day; recording the same day again replaces it."""

    __tablename__ = "kpi_value"
    __table_args__ = (
        UniqueConstraint("kpi_id", "on", name="uq_kpi_value_kpi_on"),
        Index("ix_kpi_value_team_kpi_on", "team_id", "kpi_id", "on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kpi_id: int = Field(foreign_key="kpi.id", ondelete="CASCADE")
    on: date
    value: Decimal = Field(sa_column=Column(Numeric(20, 6), nullable=False))
    # slack, csv or api
    source: str = Field(default="slack", max_length=16)
    recorded_by: str | None = Field(default=None, max_length=32)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class KpiAlert(SQLModel, table=True):
    """The claim on one target-crossing alert: the key makes retries and re-imports post once."""

    __tablename__ = "kpi_alert"
    __table_args__ = (Index("ix_kpi_alert_team_kpi_on", "team_id", "kpi_id", "on"),)

    kpi_id: int = Field(foreign_key="kpi.id", primary_key=True, ondelete="CASCADE")
    on: date = Field(primary_key=True)
    # met or missed: the state the value crossed into
    state: str = Field(primary_key=True, max_length=8)
    team_id: str = Field(max_length=32)
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    posted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


# ---- Stack


class StackTool(SQLModel, table=True):
    """A tool in the team's product stack: owner, purpose, cost and next renewal."""

    __tablename__ = "stack_tool"
    # AUTOINCREMENT: a remove button names the tool's id, and SQLite would otherwise hand a
    # removed tool's id to the next one added.
    __table_args__ = (
        UniqueConstraint("team_id", "name_key", name="uq_stack_tool_team_name"),
        Index("ix_stack_tool_team_renewal", "team_id", "renewal_on"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    name: str = Field(max_length=64)
    # The name case-folded: Figma and figma are one tool.
    name_key: str = Field(max_length=64)
    owner_id: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    # The cost as typed ("$99/mo"), and what it means: amount, currency, period.
    cost_text: str | None = Field(default=None, max_length=100)
    cost_amount: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(20, 6), nullable=True)
    )
    cost_currency: str | None = Field(default=None, max_length=8)
    cost_period: str | None = Field(default=None, max_length=8)
    renewal_on: date | None = Field(default=None)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class TeamSettings(SQLModel, table=True):
    """Per-team settings from App Home; None means "the environment's default"."""

    __tablename__ = "team_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    # Comma-separated emoji names.
    feedback_reactions: str | None = Field(default=None, max_length=500)
    # A channel id; "" means "no triage channel" even when FEEDBACK_CHANNEL is set.
    feedback_channel: str | None = Field(default=None, max_length=32)
    default_timezone: str | None = Field(default=None, max_length=64)
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


# ---- Summaries


class ConversationSummary(SQLModel, table=True):
    """A summary made once per conversation state: the key says what it summarized and how.

    `scope` is the thread's ts, or "channel:<window>" (channel:7d); `latest_ts` is the newest
    message it read, so a new message makes a new summary. `body` is the rendered summary's
    sections as JSON (already plain text: names, no mentions).
    """

    __tablename__ = "conversation_summary"
    __table_args__ = (
        UniqueConstraint(
            "team_id",
            "channel_id",
            "scope",
            "latest_ts",
            "model",
            "prompt_version",
            name="uq_conversation_summary_key",
        ),
        Index("ix_conversation_summary_team_created", "team_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    scope: str = Field(max_length=64)
    latest_ts: str = Field(max_length=32)
    model: str = Field(max_length=100)
    prompt_version: str = Field(max_length=32)
    body: str = Field(sa_column=Column(Text, nullable=False))
    message_count: int = Field(default=0)
    model_calls: int = Field(default=0)
    requested_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column())


class SummaryPost(SQLModel, table=True):
    """A summary posted into its conversation: claimed first, so a double click posts once."""

    __tablename__ = "summary_post"

    team_id: str = Field(primary_key=True, max_length=32)
    summary_id: int = Field(
        foreign_key="conversation_summary.id", primary_key=True, ondelete="CASCADE"
    )
    posted_by: str = Field(max_length=32)
    claimed_at: datetime = Field(sa_column=_utc_column())
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


# ---- Digests


class DigestSubscription(SQLModel, table=True):
    """A channel's weekly digest: its schedule (a rule read in `tz`) and what it includes."""

    __tablename__ = "digest_subscription"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", name="uq_digest_subscription_team_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    rule_json: str = Field(sa_column=Column(Text, nullable=False))
    rule_text: str = Field(max_length=300)
    tz: str = Field(max_length=64)
    with_channel_summary: bool = Field(default=False)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=_utc_column())
    # Unsubscribing keeps the row (inactive): subscribing again reuses its id.
    active: bool = Field(default=True)


class DigestRun(SQLModel, table=True):
    """One digest posted (or being posted): the key makes each period's digest happen once.

    `subscription_id` 0 is `/digest now`, whose period is "now:<trigger id>".
    """

    __tablename__ = "digest_run"

    subscription_id: int = Field(primary_key=True)
    period: str = Field(primary_key=True, max_length=100)
    team_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    claimed_at: datetime = Field(sa_column=_utc_column())
    posted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    message_ts: str | None = Field(default=None, max_length=32)


# What the digest's window queries read, on other features' tables.
# (Built from the mapped columns, each index attaches itself to that table.)
Index("ix_feedback_team_triaged", col(Feedback.team_id), col(Feedback.first_triaged_at))
Index(
    "ix_feedback_team_status_votes",
    col(Feedback.team_id),
    col(Feedback.status),
    col(Feedback.vote_count),
    col(Feedback.number),
)
Index("ix_loop_notice_team_sent", col(LoopNotice.team_id), col(LoopNotice.sent_at))


# ---- Installs

# slack_sdk's OAuth stores keep their rows in tables of their own layout; declaring them
# here puts them in the migrations, so `productops migrate` creates them like every other.
# (The state table holds only short-lived OAuth states, before any team is known.)
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, "slack_installations"
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, "slack_oauth_states"
)


class TeamInstall(SQLModel, table=True):
    """A workspace the bot is installed in; `uninstalled_at` set means all its work stops."""

    __tablename__ = "team_install"

    team_id: str = Field(primary_key=True, max_length=32)
    team_name: str | None = Field(default=None, max_length=200)
    installed_by: str | None = Field(default=None, max_length=32)
    installed_at: datetime = Field(sa_column=_utc_column())
    uninstalled_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
