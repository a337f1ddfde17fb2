"""What the clock does: post occurrences, reminders, follow-ups and standup reports.

Each function takes ids, opens its own short sessions, claims its work in the database
first (so a second process, a restart or a retry does nothing), then talks to Slack through
the outbox-backed `post`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks import rituals as ritual_blocks
from bot.deps import Deps
from bot.logs import get_logger
from bot.services import rituals as service
from storage import outbox as outbox_store
from storage import people
from storage import rituals as ritual_store

log = get_logger(__name__)

OUTBOX_MAX_ATTEMPTS = 10


def post(
    deps: Deps,
    *,
    team_id: str,
    key: str,
    payload: dict[str, Any],
    on_delivered: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """chat.postMessage with the gateway's retries; what still fails goes to the outbox."""
    try:
        answer = deps.client_for(team_id).chat_postMessage(**payload)
    except (SlackApiError, OSError) as err:
        error = err.response.get("error") if isinstance(err, SlackApiError) else str(err)
        log.warning("post_queued_in_outbox", team=team_id, key=key, error=error)
        with deps.session_scope() as session:
            outbox_store.enqueue(
                session=session,
                team_id=team_id,
                dedupe_key=key,
                method="chat.postMessage",
                payload=json.dumps({"args": payload, "on_delivered": on_delivered}),
                now=deps.now(),
                error=str(error)[:500],
            )
        return None
    if on_delivered:
        _delivered(deps, team_id, on_delivered, answer.data)  # type: ignore[arg-type]
    return dict(answer.data)  # type: ignore[arg-type]


def _delivered(deps: Deps, team_id: str, hook: dict[str, Any], answer: dict[str, Any]) -> None:
    if "occurrence_id" in hook:
        with deps.session_scope() as session:
            service.occurrence_posted(
                session=session,
                team_id=team_id,
                occurrence_id=int(hook["occurrence_id"]),
                channel_id=str(answer["channel"]),
                ts=str(answer["ts"]),
                now=deps.now(),
            )


def deliver_outbox(deps: Deps) -> int:
    """Retry queued posts that are due; returns how many went out."""
    now = deps.now()
    with deps.session_scope() as session:
        due = [
            (row.id, row.team_id)
            for row in outbox_store.due(session=session, now=now)
            if row.id is not None
        ]
    sent = 0
    for row_id, team_id in due:
        with deps.session_scope() as session:
            row = outbox_store.claim(session=session, row_id=row_id, now=now)
            if row is None:
                continue
            body = json.loads(row.payload)
            attempts = row.attempts
        try:
            answer = deps.client_for(team_id).api_call(row.method, json=body["args"])
        except (SlackApiError, OSError) as err:
            give_up = attempts >= OUTBOX_MAX_ATTEMPTS
            delay = timedelta(minutes=min(60, 2**attempts))
            with deps.session_scope() as session:
                outbox_store.failed(
                    session=session,
                    row_id=row_id,
                    error=str(err)[:500],
                    next_at=now + delay,
                    give_up=give_up,
                )
            log.error(
                "outbox_delivery_failed",
                team=team_id,
                outbox_id=row_id,
                attempts=attempts,
                giving_up=give_up,
                error=str(err)[:200],
            )
            continue
        with deps.session_scope() as session:
            outbox_store.done(session=session, row_id=row_id, now=deps.now())
        if body.get("on_delivered"):
            _delivered(deps, team_id, body["on_delivered"], dict(answer.data))  # type: ignore[arg-type]
        sent += 1
    return sent


def names_for(deps: Deps, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Plain names for people (from users.info, cached), for posts that must not ping."""
    from bot import directory

    found: dict[str, str] = {}
    for user_id in dict.fromkeys(user_ids):
        profile = directory.profile(deps, deps.client_for(team_id), team_id, user_id)
        found[user_id] = (profile.real_name or profile.name) if profile else user_id
    return found


def fire_ritual(deps: Deps, ritual_id: int, scheduled_at: datetime) -> bool:
    """Post one occurrence, once, whichever process or retry gets here first."""
    with deps.session_scope() as session:
        fired = service.start_occurrence(
            session=session,
            ritual_id=ritual_id,
            scheduled_at=scheduled_at,
            now=deps.now(),
            grace=timedelta(seconds=deps.settings.scheduler_grace_seconds),
        )
        team_id = _team_of_ritual(session, ritual_id)
    if fired is None or team_id is None:
        return False
    with deps.session_scope() as session:
        occurrence = service.get_occurrence(
            session=session, team_id=team_id, occurrence_id=fired.occurrence_id
        )
    info = occurrence.ritual
    if info.kind == "retro":
        _open_retro(deps, team_id, occurrence)
        return True
    names = names_for(deps, team_id, list(info.participants))
    message = ritual_blocks.build_occurrence_message(occurrence, names)
    post(
        deps,
        team_id=team_id,
        key=f"occurrence:{fired.occurrence_id}",
        payload={"channel": info.channel_id, **message},
        on_delivered={"occurrence_id": fired.occurrence_id},
    )
    if info.kind == "standup":
        dm = ritual_blocks.build_standup_dm(occurrence)
        for person in info.participants:
            post(
                deps,
                team_id=team_id,
                key=f"standup_dm:{fired.occurrence_id}:{person}",
                payload={"channel": person, **dm},
            )
    log.info(
        "occurrence_posted", team=team_id, ritual=info.key, scheduled_at=scheduled_at.isoformat()
    )
    return True


def _open_retro(deps: Deps, team_id: str, occurrence: service.OccurrenceInfo) -> None:
    """A scheduled retro opens a board; the ritual is its series, so actions carry over."""
    from bot.blocks import retros as retro_blocks
    from bot.services import retros as retro_service

    info = occurrence.ritual
    with deps.session_scope() as session:
        row = ritual_store.get_occurrence(
            session=session, team_id=team_id, occurrence_id=occurrence.id
        )
        ritual_id = row.ritual_id if row else 0
        board = retro_service.start_retro(
            session=session,
            team_id=team_id,
            facilitator_id=info.creator_id,
            title=info.title,
            channel_id=info.channel_id,
            series=f"ritual:{ritual_id}",
            now=deps.now(),
            occurrence_id=occurrence.id,
        )
    people = [board.facilitator_id, *(a.owner_id for a in board.carried if a.owner_id)]
    message = retro_blocks.build_board(
        board, names_for(deps, team_id, people), today=deps.now().date()
    )
    answer = post(
        deps,
        team_id=team_id,
        key=f"occurrence:{occurrence.id}",
        payload={"channel": info.channel_id, **message},
        on_delivered={"occurrence_id": occurrence.id},
    )
    if answer is not None:
        with deps.session_scope() as session:
            retro_service.posted(
                session=session, team_id=team_id, retro_id=board.id, message_ts=str(answer["ts"])
            )


def _team_of_ritual(session: Any, ritual_id: int) -> str | None:
    row = ritual_store.get_ritual_by_id(session=session, ritual_id=ritual_id)
    return row.team_id if row else None


def run_task(deps: Deps, team_id: str, key: str) -> bool:
    """Do a scheduled task once (reminder, follow-up, standup report)."""
    now = deps.now()
    with deps.session_scope() as session:
        task = session.get(ritual_store.ScheduledTask, (team_id, key))
        if task is None or task.claimed_at is not None:
            return False
        late = now - task.run_at > timedelta(seconds=deps.settings.scheduler_grace_seconds)
        outcome = "skipped" if late else "done"
        if not ritual_store.claim_task(
            session=session, team_id=team_id, key=key, at=now, outcome=outcome
        ):
            return False
        kind, payload = task.kind, json.loads(task.payload)
    if late:
        log.warning("task_skipped", team=team_id, key=key)
        return False
    if kind == "reminder":
        _remind(deps, team_id, key, payload)
    elif kind == "followup":
        _follow_up(deps, team_id, key, payload)
    elif kind == "standup_report":
        _standup_report(deps, team_id, key, payload)
    elif kind == "renewal_reminder":
        from bot.renewals import send_renewal_reminder

        send_renewal_reminder(deps, team_id, key, payload)
    elif kind == "digest":
        from bot.digests import run_scheduled

        run_scheduled(deps, team_id, key, payload)
    else:
        log.error("unknown_task", team=team_id, key=key, kind=kind)
        return False
    return True


def _remind(deps: Deps, team_id: str, key: str, payload: dict[str, Any]) -> None:
    at = datetime.fromisoformat(payload["at"])
    with deps.session_scope() as session:
        info = service.reminder_target(session=session, ritual_id=int(payload["ritual_id"]), at=at)
    if info is not None:
        post(
            deps,
            team_id=team_id,
            key=key,
            payload={"channel": info.channel_id, **ritual_blocks.build_reminder(info, at)},
        )


def _follow_up(deps: Deps, team_id: str, key: str, payload: dict[str, Any]) -> None:
    with deps.session_scope() as session:
        occurrence = service.get_occurrence(
            session=session, team_id=team_id, occurrence_id=int(payload["occurrence_id"])
        )
    message = ritual_blocks.build_followup(occurrence)
    args: dict[str, Any] = {
        "channel": occurrence.channel_id or occurrence.ritual.channel_id,
        **message,
    }
    if occurrence.message_ts:
        args["thread_ts"] = occurrence.message_ts
    post(deps, team_id=team_id, key=key, payload=args)


def _standup_report(deps: Deps, team_id: str, key: str, payload: dict[str, Any]) -> None:
    with deps.session_scope() as session:
        occurrence, answers, missing = service.standup_report(
            session=session, team_id=team_id, occurrence_id=int(payload["occurrence_id"])
        )
        known = people.names_of(
            session=session, team_id=team_id, user_ids=[a.user_id for a in answers] + missing
        )
    names = {
        **names_for(
            deps, team_id, [u for u in missing + [a.user_id for a in answers] if u not in known]
        ),
        **known,
    }
    message = ritual_blocks.build_standup_report(occurrence, answers, missing, names)
    post(
        deps, team_id=team_id, key=key, payload={"channel": occurrence.ritual.channel_id, **message}
    )
