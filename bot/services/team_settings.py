"""Per-team settings from App Home: capture emojis, triage channel, default timezone.

The environment (Settings) gives the defaults; a team's saved value wins over it. Only
values that differ from the environment are stored, so a team that never changed a
setting follows the operator's configuration when it changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.schedule import known_zone
from bot.settings import Settings
from storage import workspace as store
from storage.models import TeamSettings

REACTIONS_MAX = 10
_EMOJI_NAME = re.compile(r"[a-z0-9_+'\-]{1,64}(::skin-tone-[2-6])?")
# What a stored "" means for the triage channel: none, even if FEEDBACK_CHANNEL names one.
NO_CHANNEL = ""


class SettingInvalid(ValueError):
    """A setting that cannot be used; `field` names which one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TeamConfig:
    """The settings in effect for a team, and which of them the team chose itself."""

    feedback_reactions: tuple[str, ...]
    feedback_channel: str | None
    default_timezone: str
    customized: frozenset[str] = frozenset()


def team_settings(session: Session, team_id: str, settings: Settings) -> TeamConfig:
    """The effective values for `team_id`: the team's own, else the environment's."""
    row = store.get_settings(session=session, team_id=team_id)
    reactions = settings.feedback_reactions
    channel = settings.feedback_channel
    timezone = settings.default_timezone
    customized: set[str] = set()
    if row is not None:
        if row.feedback_reactions:
            reactions = tuple(row.feedback_reactions.split(","))
            customized.add("feedback_reactions")
        if row.feedback_channel is not None:
            channel = row.feedback_channel or None
            customized.add("feedback_channel")
        if row.default_timezone:
            timezone = row.default_timezone
            customized.add("default_timezone")
    return TeamConfig(
        feedback_reactions=tuple(reactions),
        feedback_channel=channel,
        default_timezone=timezone,
        customized=frozenset(customized),
    )


def parse_reactions(text: str) -> tuple[str, ...]:
    """`inbox_tray, :bulb:` -> ("inbox_tray", "bulb"); at least one, at most ten."""
    names = [part.strip().strip(":").lower() for part in re.split(r"[,\s]+", text or "")]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        raise SettingInvalid("feedback_reactions", "Name at least one emoji, like inbox_tray.")
    if len(names) > REACTIONS_MAX:
        raise SettingInvalid("feedback_reactions", f"At most {REACTIONS_MAX} emojis.")
    for name in names:
        if not _EMOJI_NAME.fullmatch(name):
            raise SettingInvalid(
                "feedback_reactions",
                f"'{name[:40]}' is not an emoji name: use names like inbox_tray or bulb.",
            )
    return tuple(names)


def check_timezone(name: str) -> str:
    """An IANA timezone name, or SettingInvalid."""
    name = (name or "").strip()
    if known_zone(name) is None:
        raise SettingInvalid(
            "default_timezone", "Use an IANA timezone name, like Europe/Berlin or UTC."
        )
    return name


def check_channel(channel_id: str | None) -> str | None:
    """A public or private channel id, or None for no triage channel."""
    if not channel_id:
        return None
    if not re.fullmatch(r"[CG][A-Z0-9]{2,30}", channel_id):
        raise SettingInvalid("feedback_channel", "Pick a channel for triage cards.")
    return channel_id


def save_team_settings(
    session: Session,
    team_id: str,
    settings: Settings,
    *,
    reactions: Sequence[str],
    channel: str | None,
    timezone: str,
    by: str,
    now: datetime,
) -> TeamConfig:
    """Store what differs from the environment's defaults; returns the values in effect."""
    row = TeamSettings(
        team_id=team_id,
        feedback_reactions=(
            None if tuple(reactions) == tuple(settings.feedback_reactions) else ",".join(reactions)
        ),
        feedback_channel=(
            None if channel == settings.feedback_channel else (channel or NO_CHANNEL)
        ),
        default_timezone=None if timezone == settings.default_timezone else timezone,
        updated_by=by,
        updated_at=now,
    )
    store.save_settings(session=session, row=row)
    return team_settings(session, team_id, settings)
