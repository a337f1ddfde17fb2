"""Roles: who is ops (SPEC §4). Members file, vote and RSVP; ops triage and schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from storage import people
from storage.models import SlackUser

OPS_ONLY = (
    "Only ops can do that: workspace admins and owners, the people listed in OPS_ADMINS, "
    "and anyone an ops member grants the role in App Home."
)


def is_ops(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    ops_admins: Sequence[str],
    profile: SlackUser | None,
) -> bool:
    """True for admins and owners, OPS_ADMINS, and people granted the role."""
    if user_id in ops_admins:
        return True
    if profile is not None and (profile.is_admin or profile.is_owner):
        return True
    return people.is_granted_ops(session=session, team_id=team_id, user_id=user_id)


def grant(*, session: Session, team_id: str, user_id: str, by: str, now: datetime) -> bool:
    """Give `user_id` the ops role; False if they had it already."""
    return people.grant_ops(session=session, team_id=team_id, user_id=user_id, by=by, at=now)


def revoke(*, session: Session, team_id: str, user_id: str) -> bool:
    """Take a granted ops role back."""
    return people.revoke_ops(session=session, team_id=team_id, user_id=user_id)
