"""Retros: boards, cards, votes and action items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.db import insert_new
from storage.models import Retro, RetroAction, RetroItem, RetroVote


def get(*, session: Session, team_id: str, retro_id: int, lock: bool = False) -> Retro | None:
    """A retro of this team (row-locked with `lock`, so votes and state changes queue)."""
    query = select(Retro).where(Retro.team_id == team_id, Retro.id == retro_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def by_number(*, session: Session, team_id: str, number: int) -> Retro | None:
    """Retro #<number> of this team."""
    return session.exec(
        select(Retro).where(Retro.team_id == team_id, Retro.number == number)
    ).first()


def by_occurrence(*, session: Session, team_id: str, occurrence_id: int) -> Retro | None:
    """The board a scheduled retro's occurrence opened, if it did."""
    return session.exec(
        select(Retro).where(Retro.team_id == team_id, Retro.occurrence_id == occurrence_id)
    ).first()


def latest_open_in(*, session: Session, team_id: str, channel_id: str) -> Retro | None:
    """The newest retro in a channel that is not closed."""
    return session.exec(
        select(Retro)
        .where(
            Retro.team_id == team_id,
            Retro.channel_id == channel_id,
            col(Retro.status).in_(["open", "revealed"]),
        )
        .order_by(col(Retro.created_at).desc(), col(Retro.id).desc())
    ).first()


def previous_in_series(
    *, session: Session, team_id: str, series: str, before_id: int
) -> Retro | None:
    """The retro of the series just before this one."""
    return session.exec(
        select(Retro)
        .where(Retro.team_id == team_id, Retro.series == series, col(Retro.id) < before_id)
        .order_by(col(Retro.id).desc())
    ).first()


def add_item(*, session: Session, item: RetroItem) -> bool:
    """Add a card once per source key."""
    return insert_new(
        session, RetroItem, item.model_dump(exclude={"id"}), ["retro_id", "source_key"]
    )


def items_of(*, session: Session, team_id: str, retro_id: int) -> list[RetroItem]:
    """Every card of a retro, oldest first."""
    return list(
        session.exec(
            select(RetroItem)
            .where(RetroItem.team_id == team_id, RetroItem.retro_id == retro_id)
            .order_by(col(RetroItem.id))
        )
    )


def vote_counts(*, session: Session, team_id: str, retro_id: int) -> dict[int, int]:
    """Votes per card."""
    rows = session.exec(
        select(RetroVote.item_id, func.count())
        .where(RetroVote.team_id == team_id, RetroVote.retro_id == retro_id)
        .group_by(col(RetroVote.item_id))
    )
    return {int(item): int(count) for item, count in rows}


def votes_by(*, session: Session, team_id: str, retro_id: int, user_id: str) -> int:
    """How many votes a person has spent on a retro."""
    return int(
        session.exec(
            select(func.count())
            .select_from(RetroVote)
            .where(
                RetroVote.team_id == team_id,
                RetroVote.retro_id == retro_id,
                RetroVote.user_id == user_id,
            )
        ).one()
    )


def add_vote(
    *, session: Session, team_id: str, retro_id: int, item_id: int, user_id: str, at: datetime
) -> bool:
    """A vote; False when this person already voted for this card."""
    return insert_new(
        session,
        RetroVote,
        {
            "item_id": item_id,
            "user_id": user_id,
            "retro_id": retro_id,
            "team_id": team_id,
            "at": at,
        },
        ["item_id", "user_id"],
    )


def add_action(*, session: Session, action: RetroAction) -> bool:
    """Add an action item once per source key."""
    return insert_new(
        session, RetroAction, action.model_dump(exclude={"id"}), ["retro_id", "source_key"]
    )


def actions_of(*, session: Session, team_id: str, retro_ids: Sequence[int]) -> list[RetroAction]:
    """Action items of these retros, oldest first."""
    if not retro_ids:
        return []
    return list(
        session.exec(
            select(RetroAction)
            .where(RetroAction.team_id == team_id, col(RetroAction.retro_id).in_(list(retro_ids)))
            .order_by(col(RetroAction.id))
        )
    )


def open_actions_in_series(
    *, session: Session, team_id: str, series: str, before_id: int
) -> list[RetroAction]:
    """Action items of earlier retros of the series that are still open."""
    return list(
        session.exec(
            select(RetroAction)
            .where(
                RetroAction.team_id == team_id,
                RetroAction.series == series,
                col(RetroAction.retro_id) < before_id,
                RetroAction.status == "open",
            )
            .order_by(col(RetroAction.id))
        )
    )


def get_action(*, session: Session, team_id: str, action_id: int) -> RetroAction | None:
    """An action item of this team."""
    found = session.get(RetroAction, action_id)
    return found if found is not None and found.team_id == team_id else None


def open_actions_of(
    *, session: Session, team_id: str, owner_id: str | None = None, limit: int = 100
) -> list[RetroAction]:
    """Open action items of the team (of one owner), oldest due first."""
    query = select(RetroAction).where(RetroAction.team_id == team_id, RetroAction.status == "open")
    if owner_id:
        query = query.where(RetroAction.owner_id == owner_id)
    return list(
        session.exec(
            query.order_by(
                col(RetroAction.due).is_(None), col(RetroAction.due), col(RetroAction.id)
            ).limit(limit)
        )
    )
