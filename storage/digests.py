"""Digest rows (subscriptions, once-only runs) and the digest's aggregations.

Every aggregation reads one team and one time window through an index and returns counts or
a bounded list: the cost follows the week's activity, not the size of the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlmodel import Session, col, select

from storage.db import insert_new
from storage.models import (
    DigestRun,
    DigestSubscription,
    Feedback,
    FeedbackEvent,
    LoopNotice,
    RetroAction,
    Ritual,
    RitualOccurrence,
    RitualRsvp,
    ScheduledTask,
    StackTool,
)

TASK_PREFIX = "digest:"

# ---------------------------------------------------------------------- subscriptions


def get_subscription(
    *, session: Session, team_id: str, channel_id: str
) -> DigestSubscription | None:
    """The channel's subscription (active or not)."""
    return session.exec(
        select(DigestSubscription).where(
            DigestSubscription.team_id == team_id, DigestSubscription.channel_id == channel_id
        )
    ).first()


def get_subscription_by_id(
    *, session: Session, team_id: str, subscription_id: int
) -> DigestSubscription | None:
    """A subscription of this team by id (another team's id finds nothing)."""
    found = session.get(DigestSubscription, subscription_id)
    return found if found is not None and found.team_id == team_id else None


def save_subscription(
    *, session: Session, team_id: str, channel_id: str, values: dict[str, Any]
) -> DigestSubscription:
    """Create the channel's subscription, or replace its settings (and make it active)."""
    created = insert_new(
        session,
        DigestSubscription,
        {"team_id": team_id, "channel_id": channel_id, "active": True, **values},
        ["team_id", "channel_id"],
    )
    if not created:
        session.execute(
            update(DigestSubscription)
            .where(
                col(DigestSubscription.team_id) == team_id,
                col(DigestSubscription.channel_id) == channel_id,
            )
            .values(active=True, **values)
        )
    found = get_subscription(session=session, team_id=team_id, channel_id=channel_id)
    assert found is not None
    session.refresh(found)
    return found


def deactivate(*, session: Session, team_id: str, channel_id: str) -> DigestSubscription | None:
    """Stop the channel's digest; the subscription as it was, None when there was none."""
    found = get_subscription(session=session, team_id=team_id, channel_id=channel_id)
    if found is None or not found.active:
        return None
    session.execute(
        update(DigestSubscription)
        .where(col(DigestSubscription.id) == found.id)
        .values(active=False)
    )
    return found


def active_subscriptions(
    *, session: Session, team_id: str, limit: int = 200
) -> list[DigestSubscription]:
    """The team's active subscriptions, by channel."""
    return list(
        session.exec(
            select(DigestSubscription)
            .where(DigestSubscription.team_id == team_id, col(DigestSubscription.active))
            .order_by(col(DigestSubscription.channel_id))
            .limit(limit)
        )
    )


def task_key(subscription_id: int, period: str) -> str:
    """The scheduled task of one run: digest:<subscription id>:<period>."""
    return f"{TASK_PREFIX}{subscription_id}:{period}"


def drop_pending_tasks(*, session: Session, team_id: str, subscription_id: int) -> None:
    """Forget the subscription's runs not yet claimed (unsubscribed or rescheduled)."""
    session.execute(
        delete(ScheduledTask).where(
            col(ScheduledTask.team_id) == team_id,
            col(ScheduledTask.key).startswith(task_key(subscription_id, ""), autoescape=True),
            col(ScheduledTask.claimed_at).is_(None),
        )
    )


# ---------------------------------------------------------------------- runs


def claim_run(
    *,
    session: Session,
    team_id: str,
    subscription_id: int,
    period: str,
    channel_id: str,
    at: datetime,
) -> bool:
    """Reserve one period's digest; False when it was posted (or is being posted) already."""
    return insert_new(
        session,
        DigestRun,
        {
            "team_id": team_id,
            "subscription_id": subscription_id,
            "period": period,
            "channel_id": channel_id,
            "claimed_at": at,
        },
        ["subscription_id", "period"],
    )


def run_posted(
    *,
    session: Session,
    team_id: str,
    subscription_id: int,
    period: str,
    message_ts: str | None,
    at: datetime,
) -> None:
    """Record where the run's digest went (None: queued; a ts known already stays)."""
    values: dict[str, object] = {"posted_at": at}
    if message_ts is not None:
        values["message_ts"] = message_ts
    session.execute(
        update(DigestRun)
        .where(
            col(DigestRun.team_id) == team_id,
            col(DigestRun.subscription_id) == subscription_id,
            col(DigestRun.period) == period,
        )
        .values(**values)
    )


def get_run(*, session: Session, subscription_id: int, period: str) -> DigestRun | None:
    """A run by its key."""
    return session.get(DigestRun, (subscription_id, period))


# ---------------------------------------------------------------------- feedback numbers


def has_feedback(*, session: Session, team_id: str) -> bool:
    """Whether the team ever filed feedback (else the section says "none yet")."""
    found = session.exec(select(Feedback.id).where(Feedback.team_id == team_id).limit(1)).first()
    return found is not None


def count_filed(*, session: Session, team_id: str, start: datetime, end: datetime) -> int:
    """Items filed in [start, end) (merged duplicates too: they were filed)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Feedback)
            .where(
                Feedback.team_id == team_id,
                col(Feedback.created_at) >= start,
                col(Feedback.created_at) < end,
            )
        ).one()
    )


def status_moves(
    *, session: Session, team_id: str, start: datetime, end: datetime
) -> tuple[dict[str, int], int]:
    """Status changes in [start, end) from the items' history.

    Returns the number of distinct items moved into each status, and the number of distinct
    items moved out of `new` (triaged).
    """
    window = (
        col(FeedbackEvent.team_id) == team_id,
        col(FeedbackEvent.at) >= start,
        col(FeedbackEvent.at) < end,
        col(FeedbackEvent.kind) == "status",
    )
    rows = session.exec(
        select(col(FeedbackEvent.to_value), func.count(func.distinct(FeedbackEvent.feedback_id)))
        .where(*window)
        .group_by(col(FeedbackEvent.to_value))
    )
    into = {str(status): int(count) for status, count in rows if status}
    triaged = session.exec(
        select(func.count(func.distinct(FeedbackEvent.feedback_id))).where(
            *window, col(FeedbackEvent.from_value) == "new"
        )
    ).one()
    return into, int(triaged)


def triage_durations(
    *, session: Session, team_id: str, start: datetime, end: datetime, limit: int = 50_000
) -> list[float]:
    """Seconds from filing to first triage of the items first triaged in [start, end)."""
    rows = session.exec(
        select(col(Feedback.created_at), col(Feedback.first_triaged_at))
        .where(
            Feedback.team_id == team_id,
            col(Feedback.first_triaged_at) >= start,
            col(Feedback.first_triaged_at) < end,
        )
        .limit(limit)
    )
    return [
        max(0.0, (triaged - created).total_seconds())
        for created, triaged in rows
        if triaged is not None
    ]


def loops_closed(*, session: Session, team_id: str, start: datetime, end: datetime) -> int:
    """Close-the-loop DMs sent in [start, end)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(LoopNotice)
            .where(
                LoopNotice.team_id == team_id,
                col(LoopNotice.sent_at) >= start,
                col(LoopNotice.sent_at) < end,
            )
        ).one()
    )


def filed_between(
    *, session: Session, team_id: str, start: datetime, end: datetime, limit: int = 2000
) -> list[Feedback]:
    """Items filed in [start, end), merged ones left out, newest first (for themes)."""
    return list(
        session.exec(
            select(Feedback)
            .where(
                Feedback.team_id == team_id,
                col(Feedback.created_at) >= start,
                col(Feedback.created_at) < end,
                col(Feedback.merged_into_id).is_(None),
            )
            .order_by(col(Feedback.created_at).desc())
            .limit(limit)
        )
    )


def most_voted(
    *, session: Session, team_id: str, statuses: Sequence[str], before: datetime, limit: int
) -> list[Feedback]:
    """The most voted items in these statuses, filed before `before`.

    One index range per status (team, status, votes, number), merged here: each reads about
    `limit` rows, however many items the team has. (Items filed after `before`, which only a
    late run sees, are left out here: a condition on created_at in SQL would tempt SQLite
    into the created_at index and a sort of the whole history.)
    """
    found: list[Feedback] = []
    for status in statuses:
        rows = session.exec(
            select(Feedback)
            .where(
                Feedback.team_id == team_id,
                Feedback.status == status,
                col(Feedback.merged_into_id).is_(None),
            )
            .order_by(col(Feedback.vote_count).desc(), col(Feedback.number).desc())
            .limit(limit * 2)
        )
        found += [row for row in rows if row.created_at < before]
    found.sort(key=lambda row: (-row.vote_count, -row.number))
    return found[:limit]


# ---------------------------------------------------------------------- rituals


def rituals_held(
    *, session: Session, team_id: str, start: datetime, end: datetime, limit: int = 50
) -> list[tuple[int, str, str, int]]:
    """(ritual number, kind, title, occurrences posted) in [start, end), most held first."""
    held = func.count(col(RitualOccurrence.id))
    rows = session.exec(
        select(col(Ritual.number), col(Ritual.kind), col(Ritual.title), held)
        .join(Ritual, col(Ritual.id) == col(RitualOccurrence.ritual_id))
        .where(
            RitualOccurrence.team_id == team_id,
            col(RitualOccurrence.scheduled_at) >= start,
            col(RitualOccurrence.scheduled_at) < end,
            RitualOccurrence.status == "posted",
        )
        .group_by(col(Ritual.number), col(Ritual.kind), col(Ritual.title))
        .order_by(held.desc(), col(Ritual.number))
        .limit(limit)
    )
    return [(int(n), str(k), str(t), int(c)) for n, k, t, c in rows]


def rsvp_counts(
    *, session: Session, team_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """RSVP answers (going, maybe, cant) to the occurrences posted in [start, end)."""
    rows = session.exec(
        select(col(RitualRsvp.answer), func.count())
        .join(RitualOccurrence, col(RitualOccurrence.id) == col(RitualRsvp.occurrence_id))
        .where(
            RitualOccurrence.team_id == team_id,
            col(RitualOccurrence.scheduled_at) >= start,
            col(RitualOccurrence.scheduled_at) < end,
            RitualOccurrence.status == "posted",
            RitualRsvp.team_id == team_id,
        )
        .group_by(col(RitualRsvp.answer))
    )
    return {str(answer): int(count) for answer, count in rows}


def has_rituals(*, session: Session, team_id: str) -> bool:
    """Whether the team ever scheduled a ritual."""
    found = session.exec(select(Ritual.id).where(Ritual.team_id == team_id).limit(1)).first()
    return found is not None


# ---------------------------------------------------------------------- retro actions


def open_action_counts(*, session: Session, team_id: str, today: date) -> tuple[int, int]:
    """(open action items, of which overdue: due before `today`)."""
    overdue = func.sum(case((col(RetroAction.due) < today, 1), else_=0))
    row = session.exec(
        select(func.count(), overdue).where(
            RetroAction.team_id == team_id, RetroAction.status == "open"
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def has_actions(*, session: Session, team_id: str) -> bool:
    """Whether any retro ever had an action item."""
    found = session.exec(
        select(RetroAction.id).where(RetroAction.team_id == team_id).limit(1)
    ).first()
    return found is not None


# ---------------------------------------------------------------------- stack


def has_tools(*, session: Session, team_id: str) -> bool:
    """Whether the team keeps any tool in its stack."""
    found = session.exec(select(StackTool.id).where(StackTool.team_id == team_id).limit(1)).first()
    return found is not None
