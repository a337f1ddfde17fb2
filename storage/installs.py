"""Installs: which workspaces the bot serves, and removing a workspace's data on request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, select
from sqlmodel import Session, SQLModel, col

from storage.models import SLACK_OAUTH_STATES, TeamInstall


def record_install(
    *,
    session: Session,
    team_id: str,
    team_name: str | None,
    installed_by: str | None,
    now: datetime,
) -> None:
    """The bot was installed (or installed again) in `team_id`: its work runs."""
    row = session.get(TeamInstall, team_id)
    if row is None:
        row = TeamInstall(team_id=team_id, installed_at=now)
    row.team_name = team_name or row.team_name
    row.installed_by = installed_by or row.installed_by
    row.installed_at = now
    row.uninstalled_at = None
    session.add(row)


def record_uninstall(*, session: Session, team_id: str, now: datetime) -> bool:
    """The bot was removed from `team_id`: its scheduled work stops. False if it was already."""
    row = session.get(TeamInstall, team_id, with_for_update=True)
    if row is None:
        row = TeamInstall(team_id=team_id, installed_at=now)
    elif row.uninstalled_at is not None:
        return False
    row.uninstalled_at = now
    session.add(row)
    return True


def is_active(*, session: Session, team_id: str) -> bool:
    """True unless the bot was uninstalled from `team_id` (a team never seen is active)."""
    row = session.get(TeamInstall, team_id)
    return row is None or row.uninstalled_at is None


def team_is_active(team_column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows of teams the bot was not uninstalled from."""
    return ~exists(
        select(col(TeamInstall.team_id)).where(
            and_(
                col(TeamInstall.team_id) == team_column,
                col(TeamInstall.uninstalled_at).is_not(None),
            )
        )
    )


def _team_tables() -> list[Table]:
    # Children before parents, so foreign keys never stop a delete.
    tables = reversed(SQLModel.metadata.sorted_tables)
    return [table for table in tables if table is not SLACK_OAUTH_STATES]


def count_team_rows(*, session: Session, team_id: str) -> dict[str, int]:
    """How many rows `team_id` has in each table that holds any."""
    counts: dict[str, int] = {}
    for table in _team_tables():
        query = select(func.count()).select_from(table).where(table.c.team_id == team_id)
        count = int(session.execute(query).scalar_one())
        if count:
            counts[table.name] = count
    return counts


def purge_team(*, session: Session, team_id: str) -> dict[str, int]:
    """Delete every row of `team_id` from every table; returns the count per table."""
    deleted: dict[str, int] = {}
    for table in _team_tables():
        result = session.execute(delete(table).where(table.c.team_id == team_id))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            deleted[table.name] = count
    return deleted
