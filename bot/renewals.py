"""Renewal reminders: the clock's DM to a tool's owner 30 and 7 days before it renews.

`bot.jobs.run_task` claims the ScheduledTask row first (so a reminder goes out once, however
many clocks run) and then calls `send_renewal_reminder` with the task's payload.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks.stack import build_renewal_dm
from bot.deps import Deps
from bot.jobs import names_for, post
from bot.logs import get_logger
from bot.services import stack as service
from bot.services.team_settings import team_settings

log = get_logger(__name__)


def send_renewal_reminder(deps: Deps, team_id: str, key: str, payload: dict[str, Any]) -> bool:
    """DM the owner (or, without one, whoever added the tool); False when nothing is due.

    A reminder for a date that was changed since, or for a removed tool, is dropped.
    """
    renewal_on = date.fromisoformat(str(payload["renewal_on"]))
    with deps.session_scope() as session:
        tool = service.reminder_target(
            session=session,
            team_id=team_id,
            tool_id=int(payload["tool_id"]),
            renewal_on=renewal_on,
        )
        tz = team_settings(session, team_id, deps.settings).default_timezone
    if tool is None:
        log.info("renewal_reminder_dropped", team=team_id, key=key)
        return False
    recipient = tool.owner_id or tool.created_by
    names = names_for(deps, team_id, [recipient])
    message = build_renewal_dm(
        tool,
        service.today_in(deps.now(), tz),
        owner=tool.owner_id is not None,
        names=names,
    )
    post(deps, team_id=team_id, key=key, payload={"channel": recipient, **message})
    log.info("renewal_reminder_sent", team=team_id, tool=tool.id, lead=payload.get("lead"))
    return True
