"""Small adapters every handler module shares: reading payloads, answering people."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.deps import Deps
from bot.logs import get_logger
from bot.services.team_settings import TeamConfig, team_settings

log = get_logger(__name__)


ACK_DEADLINE_SECONDS = 2.5


def too_late(context: Any) -> bool:
    """True when a listener starts so late that Slack has already shown the person an error."""
    received = context.get("received_at") if context is not None else None
    return received is not None and time.monotonic() - received > ACK_DEADLINE_SECONDS


class TooLate(Exception):
    """Raised inside a unit of work whose answer could no longer reach Slack in time."""


def in_time(context: Any) -> None:
    """Raise TooLate past the ack deadline: called last inside a `session_scope()`, it rolls
    back what the person, who has seen Slack's error by then, would not expect to exist."""
    if too_late(context):
        raise TooLate


def config_of(deps: Deps, team_id: str) -> TeamConfig:
    """The team's settings in effect (App Home settings, else the environment)."""
    with deps.session_scope() as session:
        return team_settings(session, team_id, deps.settings)


def team_of(body: dict[str, Any]) -> str:
    """The team id of any Slack payload."""
    team = body.get("team")
    user = body.get("user")
    return str(
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or (user.get("team_id") if isinstance(user, dict) else None)
        or ""
    )


def user_of(body: dict[str, Any]) -> str:
    """The acting user's id of any Slack payload."""
    user = body.get("user")
    return str(body.get("user_id") or (user.get("id") if isinstance(user, dict) else user) or "")


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    """A view's private_metadata as a dict ({} when absent or not ours)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def input_value(view: dict[str, Any], block_id: str) -> Any:
    """The submitted state of an input block's `value` element: text, option value or user."""
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if "selected_option" in state:
        option = state.get("selected_option") or {}
        return option.get("value")
    for key in (
        "selected_user",
        "selected_users",
        "selected_conversation",
        "selected_channel",
        "selected_date",
        "selected_time",
    ):
        if key in state:
            return state.get(key)
    return state.get("value")


def tell(
    client: WebClient,
    *,
    channel_id: str | None,
    user_id: str,
    message: dict[str, Any],
    thread_ts: str | None = None,
) -> None:
    """Show `message` to one person: ephemeral in the channel, else as a DM from the bot."""
    if channel_id:
        try:
            client.chat_postEphemeral(
                channel=channel_id, user=user_id, thread_ts=thread_ts, **message
            )
            return
        except SlackApiError as err:
            log.info("ephemeral_failed_dm_instead", channel=channel_id, error=str(err))
    client.chat_postMessage(channel=user_id, **message)


def names(
    deps: Deps, client: WebClient, team_id: str, user_ids: Iterable[str | None]
) -> dict[str, str]:
    """Display names for user ids (real name, else handle); unknown ids map to themselves."""
    found: dict[str, str] = {}
    for user_id in dict.fromkeys(u for u in user_ids if u):
        profile = directory.profile(deps, client, team_id, user_id)
        found[user_id] = (profile.real_name or profile.name) if profile else user_id
    return found
