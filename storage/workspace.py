"""What a workspace keeps for itself: its tool stack, its settings, and App Home's reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from storage.db import insert_into, insert_new
from storage.models import Ritual, RitualOccurrence, RitualRsvp, StackTool, TeamSettings

# ---------------------------------------------------------------------------- stack tools


def insert_tool(*, session: Session, values: Mapping[str, Any]) -> int | None:
    """Add a tool; its id, or None when the team has a tool of that name already."""
    if not insert_new(session, StackTool, dict(values), ["team_id", "name_key"]):
        return None
    found = session.exec(
        select(StackTool.id).where(
            StackTool.team_id == values["team_id"], StackTool.name_key == values["name_key"]
        )
    ).one()
    return int(found) if found is not None else None


def get_tool(*, session: Session, team_id: str, name_key: str) -> StackTool | None:
    """The team's tool of that (case-folded) name."""
    return session.exec(
        select(StackTool).where(StackTool.team_id == team_id, StackTool.name_key == name_key)
    ).first()


def get_tool_by_id(*, session: Session, team_id: str, tool_id: int) -> StackTool | None:
    """A tool of this team by id (buttons and scheduled reminders carry ids)."""
    found = session.get(StackTool, tool_id)
    return found if found is not None and found.team_id == team_id else None


def update_tool(
    *, session: Session, team_id: str, tool_id: int, changes: Mapping[str, Any]
) -> bool:
    """Change some columns of a tool; False if it is gone."""
    result = session.execute(
        update(StackTool)
        .where(col(StackTool.team_id) == team_id, col(StackTool.id) == tool_id)
        .values(**changes)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_tool(*, session: Session, team_id: str, tool_id: int) -> bool:
    """Remove a tool; False if it was gone already."""
    result = session.execute(
        delete(StackTool).where(col(StackTool.team_id) == team_id, col(StackTool.id) == tool_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_tools(*, session: Session, team_id: str, limit: int = 1000) -> list[StackTool]:
    """The team's tools by purpose, then name."""
    return list(
        session.exec(
            select(StackTool)
            .where(StackTool.team_id == team_id)
            .order_by(col(StackTool.purpose).is_(None), col(StackTool.purpose), StackTool.name_key)
            .limit(limit)
        )
    )


def count_tools(*, session: Session, team_id: str) -> int:
    """How many tools the team keeps."""
    return int(
        session.exec(
            select(func.count()).select_from(StackTool).where(StackTool.team_id == team_id)
        ).one()
    )


def tool_names(*, session: Session, team_id: str, limit: int = 1000) -> list[str]:
    """The names of the team's tools (for "did you mean")."""
    return list(
        session.exec(select(StackTool.name).where(StackTool.team_id == team_id).limit(limit))
    )


def renewing_before(
    *, session: Session, team_id: str, until: date, limit: int = 200
) -> list[StackTool]:
    """Tools whose renewal date is on or before `until` (overdue ones too), soonest first."""
    return list(
        session.exec(
            select(StackTool)
            .where(
                StackTool.team_id == team_id,
                col(StackTool.renewal_on).is_not(None),
                col(StackTool.renewal_on) <= until,
            )
            .order_by(col(StackTool.renewal_on), StackTool.name_key)
            .limit(limit)
        )
    )


# ---------------------------------------------------------------------------- settings


def get_settings(*, session: Session, team_id: str) -> TeamSettings | None:
    """The team's saved settings, if it saved any."""
    return session.get(TeamSettings, team_id)


def save_settings(*, session: Session, row: TeamSettings) -> None:
    """Insert or replace the team's settings."""
    values = row.model_dump()
    statement = insert_into(session, TeamSettings).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id"],
            set_={k: statement.excluded[k] for k in values if k != "team_id"},
        )
    )


# ---------------------------------------------------------------------------- App Home


def rsvps_of_user(
    *, session: Session, team_id: str, user_id: str, since: datetime, limit: int = 20
) -> list[tuple[RitualRsvp, RitualOccurrence, Ritual]]:
    """A person's RSVPs to occurrences from `since` on, soonest first."""
    rows = session.exec(
        select(RitualRsvp, RitualOccurrence, Ritual)
        .join(RitualOccurrence, col(RitualOccurrence.id) == col(RitualRsvp.occurrence_id))
        .join(Ritual, col(Ritual.id) == col(RitualOccurrence.ritual_id))
        .where(
            RitualRsvp.team_id == team_id,
            RitualRsvp.user_id == user_id,
            col(RitualOccurrence.scheduled_at) >= since,
        )
        .order_by(col(RitualOccurrence.scheduled_at))
        .limit(limit)
    )
    return [(r, o, ritual) for r, o, ritual in rows]
