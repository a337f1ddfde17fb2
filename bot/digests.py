"""The weekly digest's work after the ack: build the report, post it, upload the KPI chart.

`run_scheduled` is what the clock does for a `digest` task (`bot.jobs.run_task` claims the
task first): it claims the period's `DigestRun` (so two clocks, a retry or a restart post
once), schedules the runs after it, builds the digest of the 7 days before the planned time
and posts it with the outbox-backed `post`, then uploads the chart into the digest's thread.
`post_now` and `preview` serve `/digest now` and `/digest preview`.

Database reads happen in short sessions; the slow parts (theme grouping, the TL;DR, a
channel summary, drawing the chart) run outside any transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import digest as blocks
from bot.deps import Deps
from bot.jobs import names_for, post
from bot.llm import ChatModel
from bot.logs import get_logger
from bot.services import digests as service
from bot.services import kpis as kpi_service
from bot.services.digests import DigestReport, SubscriptionInfo
from bot.services.team_settings import team_settings

log = get_logger(__name__)


# ---------------------------------------------------------------------- building


def team_timezone(deps: Deps, team_id: str) -> str:
    """The team's default timezone (App Home setting, else DEFAULT_TIMEZONE)."""
    with deps.session_scope() as session:
        return team_settings(session, team_id, deps.settings).default_timezone


def make_report(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    end: datetime,
    tz: str,
    channel_id: str | None = None,
    with_channel_summary: bool = False,
) -> DigestReport:
    """The digest of the 7 days before `end`: numbers, names, TL;DR, maybe the channel's week."""
    with deps.session_scope() as session:
        facts = service.gather(session=session, team_id=team_id, now=end, tz=tz)
    report = service.assemble(facts)
    report = replace(report, names=names_for(deps, team_id, report.people()))
    llm = ChatModel(deps.settings)
    try:
        report = service.with_tldr(report, llm=llm, prompts_dir=deps.settings.prompts_dir)
        if with_channel_summary and channel_id:
            report = _with_channel_summary(deps, client, report, channel_id, llm)
    finally:
        llm.close()
    return report


def _with_channel_summary(
    deps: Deps, client: WebClient, report: DigestReport, channel_id: str, llm: ChatModel
) -> DigestReport:
    """The report with a summary of the channel's week (via the summaries feature)."""
    from bot.services import summaries

    report = replace(report, channel_id=channel_id)
    try:
        conversation = summaries.read_channel(
            client,
            channel_id,
            oldest=report.window.start,
            latest=report.window.end,
            scope="channel:7d",
        )
        people = names_for(deps, report.team_id, conversation.people())
        messages = summaries.to_messages(conversation, people, bot_user_id=_bot_user_id(client))
        if not messages:
            return replace(report, channel_summary_note="Nobody wrote in this channel this week.")
        stored = summaries.summarize_conversation(
            session_scope=deps.session_scope,
            team_id=report.team_id,
            conversation=conversation,
            messages=messages,
            names=people,
            llm=llm,
            prompts_dir=deps.settings.prompts_dir,
            requested_by=None,
            now=deps.now(),
        )
    except summaries.SummaryProblem as err:
        log.info("digest_channel_summary_failed", team=report.team_id, channel=channel_id)
        return replace(report, channel_summary_note=str(err))
    return replace(report, channel_summary=stored.summary)


def _bot_user_id(client: WebClient) -> str | None:
    try:
        return str(client.auth_test().get("user_id") or "") or None
    except SlackApiError:
        return None


def render_chart(report: DigestReport) -> bytes | None:
    """One PNG of the charted KPIs' last 12 weeks; None when no KPI has a value in them."""
    from bot.charts import ChartSeries, render_kpis_chart

    charted = report.charted
    if not charted:
        return None
    last = report.window.last_day
    window = (kpi_service.chart_since(last), last)
    return render_kpis_chart(
        [
            ChartSeries(
                name=s.kpi.name,
                unit=s.kpi.unit,
                points=[(p.on, p.value) for p in s.points],
                target=s.kpi.target.value if s.kpi.target else None,
                target_op=s.kpi.target.op if s.kpi.target else None,
                window=window,
            )
            for s in charted
        ]
    )


# ---------------------------------------------------------------------- posting


class DigestNotPosted(Exception):
    """`/digest now` could not post: Slack refused the channel, or the post is queued."""


_REFUSALS = {
    "not_in_channel": "I'm not in this channel: invite me with `/invite @productops`, then "
    "try again.",
    "channel_not_found": "I can't find this channel (or I'm not allowed in it).",
    "is_archived": "This channel is archived.",
}


def deliver(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    channel_id: str,
    key: str,
    report: DigestReport,
    interactive: bool = False,
    on_delivered: dict[str, Any] | None = None,
) -> str | None:
    """Post the digest, then its chart in the thread; returns the message ts.

    A scheduled digest goes through the outbox when Slack fails (None: queued, retried by
    the clock; `on_delivered` records where it went). For `/digest now` (`interactive`), a
    channel the bot cannot post in raises DigestNotPosted so the person is told at once.
    Either way the post is keyed: an answer lost on the way back never doubles it.
    """
    message = blocks.build_digest(report)
    payload = {"channel": channel_id, "unfurl_links": False, "unfurl_media": False, **message}
    try:
        answer = post(
            deps,
            team_id=team_id,
            key=key,
            payload=payload,
            on_delivered=on_delivered,
            client=client,
            refusals=_REFUSALS if interactive else (),
        )
    except SlackApiError as err:
        error = str(err.response.get("error") or "") if err.response else ""
        raise DigestNotPosted(_REFUSALS[error]) from err
    ts = str(answer["ts"]) if answer and answer.get("ts") else None
    if ts is None:
        log.warning("digest_queued_without_chart", team=team_id, channel=channel_id, key=key)
        return None
    upload_chart(client, team_id=team_id, channel_id=channel_id, thread_ts=ts, report=report)
    return ts


def upload_chart(
    client: WebClient, *, team_id: str, channel_id: str, thread_ts: str, report: DigestReport
) -> bool:
    """Draw the KPIs' 12-week chart and upload it into the digest's thread."""
    png = render_chart(report)
    if png is None:
        return False
    try:
        client.files_upload_v2(
            channel=channel_id,
            thread_ts=thread_ts,
            file=png,
            filename=f"digest-kpis-{report.window.last_day.isoformat()}.png",
            title=blocks.chart_title(report),
            initial_comment=blocks.chart_comment(report),
        )
    except SlackApiError as err:
        error = err.response.get("error") if err.response else str(err)
        log.warning("digest_chart_upload_failed", team=team_id, channel=channel_id, error=error)
        return False
    return True


def run_scheduled(
    deps: Deps, team_id: str, key: str, payload: dict[str, Any], resumed: bool = False
) -> bool:
    """The clock's digest task: post the period's digest once, and plan the next runs.

    `resumed`: the process that claimed the run died before it was posted; build it again
    (the post is keyed, so a digest Slack took already is found, not sent twice).
    """
    with deps.session_scope() as session:
        if resumed:
            run = service.resume_run(session=session, team_id=team_id, payload=payload)
        else:
            run = service.start_run(
                session=session, team_id=team_id, payload=payload, now=deps.now()
            )
    if run is None:
        log.info("digest_run_dropped", team=team_id, key=key)
        return False
    subscription = run.subscription
    client = deps.client_for(team_id)
    try:
        report = make_report(
            deps,
            client,
            team_id=team_id,
            end=run.at,
            tz=subscription.tz,
            channel_id=subscription.channel_id,
            with_channel_summary=subscription.with_channel_summary,
        )
        ts = deliver(
            deps,
            client,
            team_id=team_id,
            channel_id=subscription.channel_id,
            key=key,
            report=report,
            on_delivered={"digest_run": {"subscription_id": subscription.id, "period": run.period}},
        )
    except Exception as err:
        # The clock goes on with its other work; the failure is in the logs.
        log.error("digest_failed", team=team_id, key=key, error=str(err)[:200], exc_info=err)
        return False
    with deps.session_scope() as session:
        service.run_posted(
            session=session,
            team_id=team_id,
            subscription_id=subscription.id,
            period=run.period,
            message_ts=ts,
            now=deps.now(),
        )
    log.info("digest_posted", team=team_id, channel=subscription.channel_id, period=run.period)
    return True


def post_now(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    channel_id: str,
    tz: str,
    trigger: str,
    subscription: SubscriptionInfo | None,
) -> str | None:
    """`/digest now`: the digest of the last 7 days, posted once per command."""
    now = deps.now()
    with deps.session_scope() as session:
        first = service.claim_now(
            session=session, team_id=team_id, channel_id=channel_id, trigger=trigger, now=now
        )
    if not first:
        log.info("digest_now_repeated", team=team_id, channel=channel_id)
        return None
    report = make_report(
        deps,
        client,
        team_id=team_id,
        end=now,
        tz=subscription.tz if subscription else tz,
        channel_id=channel_id,
        with_channel_summary=bool(subscription and subscription.with_channel_summary),
    )
    period = f"now:{trigger}"[:100]
    ts = deliver(
        deps,
        client,
        team_id=team_id,
        channel_id=channel_id,
        key=f"digest:now:{trigger}"[:200],
        report=report,
        interactive=True,
        on_delivered={"digest_run": {"subscription_id": 0, "period": period}},
    )
    with deps.session_scope() as session:
        service.run_posted(
            session=session,
            team_id=team_id,
            subscription_id=0,
            period=period,
            message_ts=ts,
            now=deps.now(),
        )
    if ts is None:
        raise DigestNotPosted(
            "Slack did not take the digest just now. It is queued and will appear in this "
            "channel within a few minutes."
        )
    log.info("digest_posted_now", team=team_id, channel=channel_id)
    return ts


def preview(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    channel_id: str,
    tz: str,
    subscription: SubscriptionInfo | None,
) -> dict[str, Any]:
    """`/digest preview`: this week's digest as a message body (no chart upload)."""
    report = make_report(
        deps,
        client,
        team_id=team_id,
        end=deps.now(),
        tz=subscription.tz if subscription else tz,
        channel_id=channel_id,
        with_channel_summary=bool(subscription and subscription.with_channel_summary),
    )
    return blocks.build_digest(report, preview=True)
