"""The people directory: users.info answers, cached in the database for a day."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.logs import get_logger
from storage import people
from storage.models import SlackUser

log = get_logger(__name__)

FRESH_FOR = timedelta(days=1)


def profile(deps: Deps, client: WebClient, team_id: str, user_id: str) -> SlackUser | None:
    """A person's profile: the cached one if fresh, else users.info (then cached).

    When Slack does not answer, a stale profile is better than none.
    """
    now = deps.now()
    with deps.session_scope() as session:
        cached = people.get_profile(session=session, team_id=team_id, user_id=user_id)
    if cached is not None and now - cached.fetched_at < FRESH_FOR:
        return cached
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as err:
        log.warning("users_info_failed", team=team_id, user=user_id, error=str(err))
        return cached
    fresh = SlackUser(
        team_id=team_id,
        user_id=user_id,
        name=str(user.get("name") or ""),
        real_name=str(user.get("real_name") or user.get("profile", {}).get("real_name") or ""),
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner") or user.get("is_primary_owner")),
        is_bot=bool(user.get("is_bot")),
        fetched_at=now,
    )
    with deps.session_scope() as session:
        people.save_profile(session=session, profile=fresh)
    return fresh


def is_ops(deps: Deps, client: WebClient, team_id: str, user_id: str) -> bool:
    """The ops check of SPEC §4, with the profile from users.info."""
    from bot.services.roles import is_ops as check

    if user_id in deps.settings.ops_admins:
        return True
    found = profile(deps, client, team_id, user_id)
    with deps.session_scope() as session:
        return check(
            session=session,
            team_id=team_id,
            user_id=user_id,
            ops_admins=deps.settings.ops_admins,
            profile=found,
        )
