"""Installs: a workspace adds the bot (its installer becomes ops) or removes it (work stops)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.services import roles
from storage import installs


def installed(
    *, session: Session, team_id: str, team_name: str | None, installer_id: str, now: datetime
) -> None:
    """The bot was installed by `installer_id`: record it and make them ops."""
    installs.record_install(
        session=session, team_id=team_id, team_name=team_name, installed_by=installer_id, now=now
    )
    roles.grant(session=session, team_id=team_id, user_id=installer_id, by="install", now=now)


def uninstalled(*, session: Session, team_id: str, now: datetime) -> bool:
    """The bot was removed from `team_id`: its rituals, digests and reminders stop.

    The team's data stays (`productops purge --team` deletes it); installing again resumes.
    False when the team was already uninstalled (Slack may say so twice).
    """
    return installs.record_uninstall(session=session, team_id=team_id, now=now)


def resumed(*, session: Session, team_id: str, now: datetime) -> bool:
    """A team marked uninstalled is served again (one-token mode); False if it was not stopped."""
    if installs.is_active(session=session, team_id=team_id):
        return False
    installs.record_install(
        session=session, team_id=team_id, team_name=None, installed_by=None, now=now
    )
    return True


def stored_rows(*, session: Session, team_id: str) -> dict[str, int]:
    """What is kept for `team_id`: row counts per table."""
    return installs.count_team_rows(session=session, team_id=team_id)


def purge(*, session: Session, team_id: str) -> dict[str, int]:
    """Delete everything kept for `team_id`, its install and tokens included."""
    return installs.purge_team(session=session, team_id=team_id)
