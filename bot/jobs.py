"""What the clock does: post occurrences, reminders, follow-ups and standup reports.

Each function takes ids, opens its own short sessions, claims its work in the database
first (so a second process, a restart or a retry does nothing), writing the job's intent
to the outbox in the same transaction, then talks to Slack through the outbox-backed
`post`. A process that dies half way leaves an intent whose lease runs out: the next
clock's `deliver_outbox` does the job again, and each post, keyed and carrying its key in
Slack's message metadata, goes out exactly once (docs/DESIGN.md, "Exactly once").
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.blocks import rituals as ritual_blocks
from bot.deps import Deps
from bot.logs import get_logger
from bot.services import rituals as service
from storage import outbox as outbox_store
from storage import people
from storage import rituals as ritual_store
from storage.db import unit_of_work

log = get_logger(__name__)

OUTBOX_MAX_ATTEMPTS = 10
# The metadata every scheduled post carries: its key, so a post that Slack took but whose
# answer never came back is found in the channel instead of being sent again.
POST_EVENT_TYPE = "productops_post"
# How many of a channel's newest messages recovery looks through for a post's key.
HISTORY_SCAN = 1000


def post_metadata(key: str) -> dict[str, Any]:
    """Slack message metadata naming the post's dedupe key."""
    return {"event_type": POST_EVENT_TYPE, "event_payload": {"key": key}}


def post(
    deps: Deps,
    *,
    team_id: str,
    key: str,
    payload: dict[str, Any],
    on_delivered: dict[str, Any] | None = None,
    client: WebClient | None = None,
    refusals: Collection[str] = (),
) -> dict[str, Any] | None:
    """chat.postMessage once per `key`, across retries, clocks, restarts and crashes.

    The intent is written to the outbox first and leased to this process; then Slack is
    called; then the row is marked delivered with the message's ts and `on_delivered` runs,
    in one transaction. Returns Slack's answer (or where the message went, when it went out
    before); None when the post failed and waits in the outbox, or another process holds it.
    A Slack error in `refusals` (a person is waiting, and retrying would not help) drops
    the intent and is raised. `client`: the workspace's client (default: its token's).
    """
    args = {**payload, "metadata": post_metadata(key)}
    attempt = unit_of_work(
        deps.session_scope,
        lambda session: outbox_store.begin(
            session=session,
            team_id=team_id,
            dedupe_key=key,
            method="chat.postMessage",
            payload=json.dumps({"args": args, "on_delivered": on_delivered}),
            now=deps.now(),
            lease_seconds=deps.settings.outbox_lease_seconds,
        ),
    )
    if attempt.state == "delivered":
        return {"channel": attempt.channel_id, "ts": attempt.message_ts}
    if attempt.state == "busy":
        log.info("post_held_elsewhere", team=team_id, key=key)
        return None
    return _attempt(
        deps,
        team_id=team_id,
        row_id=attempt.row_id,
        key=key,
        args=args,
        on_delivered=on_delivered,
        tried_before=attempt.tried_before,
        attempts=attempt.attempts,
        client=client,
        refusals=refusals,
    )


def _attempt(
    deps: Deps,
    *,
    team_id: str,
    row_id: int,
    key: str,
    args: dict[str, Any],
    on_delivered: dict[str, Any] | None,
    tried_before: bool,
    attempts: int,
    client: WebClient | None = None,
    refusals: Collection[str] = (),
) -> dict[str, Any] | None:
    """One attempt at a leased post: look for it first if it may have gone out, else send."""
    client = client or deps.client_for(team_id)
    try:
        answer = find_posted(client, args, key) if tried_before else None
        if answer is not None:
            log.warning("post_found_in_channel", team=team_id, key=key, ts=answer["ts"])
        else:
            answer = dict(client.chat_postMessage(**args).data)  # type: ignore[arg-type]
    except (SlackApiError, OSError) as err:
        error = err.response.get("error") if isinstance(err, SlackApiError) else repr(err)
        if isinstance(err, SlackApiError) and error in refusals:
            with deps.session_scope() as session:
                outbox_store.drop(session=session, row_id=row_id)
            raise
        give_up = attempts >= OUTBOX_MAX_ATTEMPTS
        delay = timedelta(
            seconds=outbox_store.FIRST_RETRY_SECONDS if attempts <= 1 else 60 * min(60, 2**attempts)
        )
        with deps.session_scope() as session:
            outbox_store.failed(
                session=session,
                row_id=row_id,
                error=str(error)[:500],
                next_at=deps.now() + delay,
                give_up=give_up,
            )
        log.warning(
            "post_queued_in_outbox" if attempts <= 1 else "outbox_delivery_failed",
            team=team_id,
            key=key,
            outbox_id=row_id,
            attempts=attempts,
            giving_up=give_up,
            error=str(error)[:200],
        )
        return None

    def delivered(session: Session) -> None:
        outbox_store.done(
            session=session,
            row_id=row_id,
            now=deps.now(),
            channel_id=str(answer["channel"]),
            message_ts=str(answer["ts"]),
        )
        if on_delivered:
            _delivered(session, deps, team_id, on_delivered, answer)

    unit_of_work(deps.session_scope, delivered)
    return answer


def find_posted(client: WebClient, args: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The message a post with `key` left in its channel (or thread), if Slack has it.

    Reads the newest messages with their metadata (`include_all_metadata`); a DM addressed
    by user id is looked up in its D… channel. Raises when Slack cannot be read: then
    nobody can tell whether the post went out, and it must not be sent again yet.
    """
    channel = str(args["channel"])
    if channel.startswith(("U", "W")):
        channel = str(client.conversations_open(users=channel)["channel"]["id"])
    thread_ts = args.get("thread_ts")
    cursor: str | None = None
    seen = 0
    while seen < HISTORY_SCAN:
        if thread_ts:
            page = client.conversations_replies(
                channel=channel, ts=str(thread_ts), include_all_metadata=True, cursor=cursor
            )
        else:
            page = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=200, cursor=cursor
            )
        messages = list(page.get("messages") or [])
        for message in messages:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == POST_EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return {"channel": channel, "ts": str(message["ts"]), "message": message}
        seen += len(messages)
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not messages or not cursor:
            break
    return None


def _delivered(
    session: Session, deps: Deps, team_id: str, hook: dict[str, Any], answer: dict[str, Any]
) -> None:
    """Record where a post went, in the transaction that marks its outbox row delivered."""
    channel_id, ts = str(answer["channel"]), str(answer["ts"])
    if "occurrence_id" in hook:
        service.occurrence_posted(
            session=session,
            team_id=team_id,
            occurrence_id=int(hook["occurrence_id"]),
            channel_id=channel_id,
            ts=ts,
            now=deps.now(),
        )
    if "retro_id" in hook:
        from bot.services import retros as retro_service

        retro_service.posted(
            session=session, team_id=team_id, retro_id=int(hook["retro_id"]), message_ts=ts
        )
    if "digest_run" in hook:
        from bot.services import digests as digest_service

        digest_service.run_posted(
            session=session,
            team_id=team_id,
            subscription_id=int(hook["digest_run"]["subscription_id"]),
            period=str(hook["digest_run"]["period"]),
            message_ts=ts,
            now=deps.now(),
        )


# ---------------------------------------------------------------------- jobs


def start_job(session: Session, deps: Deps, team_id: str, key: str, job: dict[str, Any]) -> None:
    """Write a job's intent in the transaction that claims its work (see `resume_job`)."""
    outbox_store.begin(
        session=session,
        team_id=team_id,
        dedupe_key=_job_key(key),
        method="job",
        payload=json.dumps(job),
        now=deps.now(),
        lease_seconds=deps.settings.outbox_lease_seconds,
    )


def finish_job(deps: Deps, team_id: str, key: str) -> None:
    """The job's posts went out (or wait in the outbox themselves): the intent is done."""
    with deps.session_scope() as session:
        row = outbox_store.by_key(session=session, team_id=team_id, dedupe_key=_job_key(key))
        if row is not None and row.id is not None:
            outbox_store.done(session=session, row_id=row.id, now=deps.now())


def _job_key(key: str) -> str:
    return f"job:{key}"[:200]


def resume_job(deps: Deps, team_id: str, job: dict[str, Any]) -> None:
    """Do again a job whose process died: its posts are keyed, so none goes out twice."""
    if job.get("job") == "occurrence":
        post_occurrence(deps, team_id, int(job["occurrence_id"]))
    elif job.get("job") == "task":
        with deps.session_scope() as session:
            task = session.get(ritual_store.ScheduledTask, (team_id, str(job["key"])))
            found = (task.kind, json.loads(task.payload)) if task is not None else None
        if found is not None:
            _do_task(deps, team_id, str(job["key"]), found[0], found[1], resumed=True)
    else:
        log.error("unknown_job", team=team_id, job=job)


def deliver_outbox(deps: Deps) -> int:
    """Take up due rows: failed posts, posts and jobs of a process that died; returns posts sent."""
    now = deps.now()
    lease = deps.settings.outbox_lease_seconds
    with deps.session_scope() as session:
        due = [
            (row.id, row.team_id)
            for row in outbox_store.due(session=session, now=now)
            if row.id is not None
        ]
    sent = 0
    for row_id, team_id in due:
        with deps.session_scope() as session:
            row = outbox_store.claim(session=session, row_id=row_id, now=now, lease_seconds=lease)
            if row is None:
                continue
            method, key, attempts = row.method, row.dedupe_key, row.attempts
            body = json.loads(row.payload)
        if method == "job":
            _run_job_again(deps, team_id, row_id, key, body, attempts)
            continue
        answer = _attempt(
            deps,
            team_id=team_id,
            row_id=row_id,
            key=key,
            args=body["args"],
            on_delivered=body.get("on_delivered"),
            tried_before=True,
            attempts=attempts,
        )
        sent += answer is not None
    return sent


def _run_job_again(
    deps: Deps, team_id: str, row_id: int, key: str, job: dict[str, Any], attempts: int
) -> None:
    log.warning("job_resumed", team=team_id, key=key, attempts=attempts)
    try:
        resume_job(deps, team_id, job)
    except Exception as err:
        give_up = attempts >= OUTBOX_MAX_ATTEMPTS
        with deps.session_scope() as session:
            outbox_store.failed(
                session=session,
                row_id=row_id,
                error=repr(err)[:500],
                next_at=deps.now() + timedelta(minutes=min(60, 2**attempts)),
                give_up=give_up,
            )
        log.error("job_failed", team=team_id, key=key, giving_up=give_up, exc_info=err)
        return
    with deps.session_scope() as session:
        outbox_store.done(session=session, row_id=row_id, now=deps.now())


def names_for(deps: Deps, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Plain names for people (from users.info, cached), for posts that must not ping."""
    from bot import directory

    client = deps.client_for(team_id)
    found: dict[str, str] = {}
    for user_id in dict.fromkeys(user_ids):
        profile = directory.profile(deps, client, team_id, user_id)
        found[user_id] = (profile.real_name or profile.name) if profile else user_id
    return found


def fire_ritual(deps: Deps, ritual_id: int, scheduled_at: datetime) -> bool:
    """Post one occurrence, once, whichever process or retry gets here first."""

    def claim(session: Session) -> tuple[str, int] | None:
        fired = service.start_occurrence(
            session=session,
            ritual_id=ritual_id,
            scheduled_at=scheduled_at,
            now=deps.now(),
            grace=timedelta(seconds=deps.settings.scheduler_grace_seconds),
        )
        team_id = _team_of_ritual(session, ritual_id)
        if fired is None or team_id is None:
            return None
        # In the claim's transaction: if this process dies now, the next clock finishes.
        start_job(
            session,
            deps,
            team_id,
            f"occurrence:{fired.occurrence_id}",
            {"job": "occurrence", "occurrence_id": fired.occurrence_id},
        )
        return team_id, fired.occurrence_id

    claimed = unit_of_work(deps.session_scope, claim)
    if claimed is None:
        return False
    team_id, occurrence_id = claimed
    ritual_key = post_occurrence(deps, team_id, occurrence_id)
    log.info(
        "occurrence_posted", team=team_id, ritual=ritual_key, scheduled_at=scheduled_at.isoformat()
    )
    return True


def post_occurrence(deps: Deps, team_id: str, occurrence_id: int) -> str:
    """The posts of a claimed occurrence (again after a crash: each post is keyed).

    Returns the ritual's key, for the log.
    """
    with deps.session_scope() as session:
        occurrence = service.get_occurrence(
            session=session, team_id=team_id, occurrence_id=occurrence_id
        )
    info = occurrence.ritual
    if info.kind == "retro":
        _open_retro(deps, team_id, occurrence)
    else:
        names = names_for(deps, team_id, list(info.participants))
        message = ritual_blocks.build_occurrence_message(occurrence, names)
        post(
            deps,
            team_id=team_id,
            key=f"occurrence:{occurrence_id}",
            payload={"channel": info.channel_id, **message},
            on_delivered={"occurrence_id": occurrence_id},
        )
        if info.kind == "standup":
            dm = ritual_blocks.build_standup_dm(occurrence)
            for person in info.participants:
                post(
                    deps,
                    team_id=team_id,
                    key=f"standup_dm:{occurrence_id}:{person}",
                    payload={"channel": person, **dm},
                )
    finish_job(deps, team_id, f"occurrence:{occurrence_id}")
    return info.key


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
        board = retro_service.board_for_occurrence(
            session=session, team_id=team_id, occurrence_id=occurrence.id
        ) or retro_service.start_retro(
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
    post(
        deps,
        team_id=team_id,
        key=f"occurrence:{occurrence.id}",
        payload={"channel": info.channel_id, **message},
        on_delivered={"occurrence_id": occurrence.id, "retro_id": board.id},
    )


def _team_of_ritual(session: Any, ritual_id: int) -> str | None:
    row = ritual_store.get_ritual_by_id(session=session, ritual_id=ritual_id)
    return row.team_id if row else None


def run_task(deps: Deps, team_id: str, key: str) -> bool:
    """Do a scheduled task once (reminder, follow-up, standup report, renewal, digest)."""
    now = deps.now()

    def claim(session: Session) -> tuple[bool, str, dict[str, Any]] | None:
        task = session.get(ritual_store.ScheduledTask, (team_id, key))
        if task is None or task.claimed_at is not None:
            return None
        late = now - task.run_at > timedelta(seconds=deps.settings.scheduler_grace_seconds)
        outcome = "skipped" if late else "done"
        if not ritual_store.claim_task(
            session=session, team_id=team_id, key=key, at=now, outcome=outcome
        ):
            return None
        if not late:
            start_job(session, deps, team_id, key, {"job": "task", "key": key})
        return late, task.kind, json.loads(task.payload)

    claimed = unit_of_work(deps.session_scope, claim)
    if claimed is None:
        return False
    late, kind, payload = claimed
    if late:
        log.warning("task_skipped", team=team_id, key=key)
        return False
    return _do_task(deps, team_id, key, kind, payload)


def _do_task(
    deps: Deps, team_id: str, key: str, kind: str, payload: dict[str, Any], resumed: bool = False
) -> bool:
    """A claimed task's work, then its intent marked done."""
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

        run_scheduled(deps, team_id, key, payload, resumed=resumed)
    else:
        log.error("unknown_task", team=team_id, key=key, kind=kind)
        finish_job(deps, team_id, key)
        return False
    finish_job(deps, team_id, key)
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
