"""People: cached Slack profiles and granted ops roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.db import insert_into, insert_new
from storage.models import OpsGrant, SlackUser


def get_profile(*, session: Session, team_id: str, user_id: str) -> SlackUser | None:
    """The cached profile, however old."""
    return session.get(SlackUser, (team_id, user_id))


def save_profile(*, session: Session, profile: SlackUser) -> None:
    """Insert or refresh a cached profile."""
    values = profile.model_dump()
    statement = insert_into(session, SlackUser).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={k: statement.excluded[k] for k in values if k not in ("team_id", "user_id")},
        )
    )


def names_of(*, session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Display names of the cached people among `user_ids`."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(SlackUser).where(SlackUser.team_id == team_id, col(SlackUser.user_id).in_(user_ids))
    )
    return {row.user_id: row.real_name or row.name for row in rows}


def is_granted_ops(*, session: Session, team_id: str, user_id: str) -> bool:
    """True when an ops member granted this person the role."""
    return session.get(OpsGrant, (team_id, user_id)) is not None


def grant_ops(*, session: Session, team_id: str, user_id: str, by: str, at: datetime) -> bool:
    """Grant the ops role; False if the person had it already."""
    result = insert_new(
        session,
        OpsGrant,
        dict(team_id=team_id, user_id=user_id, granted_by=by, granted_at=at),
        ["team_id", "user_id"],
    )
    return result


def revoke_ops(*, session: Session, team_id: str, user_id: str) -> bool:
    """Take a granted ops role back; False if there was none."""
    result = session.execute(
        delete(OpsGrant).where(col(OpsGrant.team_id) == team_id, col(OpsGrant.user_id) == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def granted_ops(*, session: Session, team_id: str) -> list[str]:
    """Everyone granted the ops role in the team."""
    return list(session.exec(select(OpsGrant.user_id).where(OpsGrant.team_id == team_id)))
