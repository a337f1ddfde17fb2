"""The weekly digest: subscriptions, their schedule, and the report of one week.

Plain functions on a Session with team ids, values and `now`; no Slack payloads. The report
is read in two steps so that no database transaction is held while slow work runs:
`gather` reads everything (bounded, aggregated queries) and `assemble` groups feedback into
themes and shapes the `DigestReport`. `build_report` does both. The TL;DR is written from
the report's own facts by the summarizer (`with_tldr`): the language model when one is
configured, else the offline one.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.grammar import (
    ChannelMention,
    CommandParseError,
    KeyValue,
    Tag,
    Token,
    Word,
)
from bot.schedule import Rule, describe, known_zone, next_occurrences, parse_schedule
from bot.services import feedback as feedback_service
from bot.services import kpis as kpi_service
from bot.services import retros as retro_service
from bot.services import stack as stack_service
from bot.services.feedback import FeedbackItem
from bot.services.kpis import Summary as KpiSummary
from bot.services.retros import ActionInfo
from bot.services.stack import ToolInfo
from bot.summarize import Completer, Message
from bot.summarize import Summary as TextSummary
from storage import digests as store
from storage import rituals as tasks
from storage.models import DigestSubscription, Feedback

SUBCOMMANDS = ("subscribe", "unsubscribe", "preview", "now", "help")
DEFAULT_SCHEDULE = "every mon at 9:00"
TASK_KIND = "digest"
PERIOD = timedelta(days=7)
# Runs kept scheduled ahead: a run skipped after a long downtime leaves the next ones.
RUNS_AHEAD = 4
KPIS_MAX = 500
THEME_ITEMS_MAX = 2000
THEMES_MAX = 5
TOP_ITEMS = 5
ACTIONS_SHOWN = 8
RENEWALS_SHOWN = 10
RENEWAL_DAYS = 30
RITUALS_SHOWN = 10
DIGEST_AUTHOR = "productops digest"

_SUMMARY_WORDS = (("with", "channel", "summary"), ("with", "summary"))
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SHOWN_LIMIT = 40


def shown(text: str) -> str:
    """User text cut short for a message."""
    text = text.strip()
    return text if len(text) <= _SHOWN_LIMIT else text[:_SHOWN_LIMIT] + "…"


# ---------------------------------------------------------------------- values


@dataclass(frozen=True)
class SubscribeRequest:
    """What `/digest subscribe` asked for; None means "the default"."""

    channel_id: str
    schedule: str | None = None
    with_channel_summary: bool = False
    tz: str | None = None


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as the rest of the bot sees it, with its next runs."""

    id: int
    team_id: str
    channel_id: str
    rule: Rule
    schedule: str
    tz: str
    with_channel_summary: bool
    created_by: str
    active: bool
    next_runs: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Window:
    """The digest's week: [start, end), and the timezone its days are read in."""

    start: datetime
    end: datetime
    tz: str

    @property
    def before(self) -> datetime:
        """The start of the week before (for week-over-week moves)."""
        return self.start - PERIOD

    @property
    def first_day(self) -> date:
        """The first day of the week, in `tz`."""
        return self.start.astimezone(ZoneInfo(self.tz)).date()

    @property
    def last_day(self) -> date:
        """The last day of the week, in `tz` (the day before the run)."""
        return (self.end - timedelta(microseconds=1)).astimezone(ZoneInfo(self.tz)).date()

    @property
    def today(self) -> date:
        """The day of the run, in `tz`."""
        return self.end.astimezone(ZoneInfo(self.tz)).date()


@dataclass(frozen=True)
class FeedbackNumbers:
    """The week's feedback: filed, triaged, moved into each status, loops closed, triage time."""

    filed: int
    triaged: int
    shipped: int
    declined: int
    loops_closed: int
    median_triage: timedelta | None
    triage_sample: int


@dataclass(frozen=True)
class ThemeMove:
    """A feedback theme with its items filed this week and the week before."""

    name: str
    this_week: int
    last_week: int
    votes: int
    examples: tuple[FeedbackItem, ...] = ()

    @property
    def change(self) -> int:
        """How many more (or fewer) items than the week before."""
        return self.this_week - self.last_week


@dataclass(frozen=True)
class RitualHeld:
    """A ritual and how many times it was held in the week."""

    number: int
    kind: str
    title: str
    times: int

    @property
    def key(self) -> str:
        """R-3."""
        return f"R-{self.number}"


@dataclass(frozen=True)
class Facts:
    """What `gather` read from the database (no grouping done yet)."""

    team_id: str
    window: Window
    kpis: tuple[KpiSummary, ...]
    kpi_count: int
    any_feedback: bool
    feedback: FeedbackNumbers
    recent: tuple[FeedbackItem, ...]
    top_items: tuple[FeedbackItem, ...]
    any_rituals: bool
    rituals: tuple[RitualHeld, ...]
    rsvps: Mapping[str, int]
    any_actions: bool
    actions: tuple[ActionInfo, ...]
    open_actions: int
    overdue_actions: int
    any_tools: bool
    renewals: tuple[ToolInfo, ...]


@dataclass(frozen=True)
class DigestReport:
    """Everything one digest shows; `build_digest` renders it without reading anything else."""

    team_id: str
    window: Window
    kpis: tuple[KpiSummary, ...] = ()
    kpi_count: int = 0
    any_feedback: bool = False
    feedback: FeedbackNumbers = field(
        default_factory=lambda: FeedbackNumbers(0, 0, 0, 0, 0, None, 0)
    )
    themes: tuple[ThemeMove, ...] = ()
    top_items: tuple[FeedbackItem, ...] = ()
    any_rituals: bool = False
    rituals: tuple[RitualHeld, ...] = ()
    rsvps: Mapping[str, int] = field(default_factory=dict)
    any_actions: bool = False
    actions: tuple[ActionInfo, ...] = ()
    open_actions: int = 0
    overdue_actions: int = 0
    any_tools: bool = False
    renewals: tuple[ToolInfo, ...] = ()
    # Filled in after the report is built: plain names, the TL;DR, the channel's week.
    names: Mapping[str, str] = field(default_factory=dict)
    tldr: str | None = None
    tldr_model: str | None = None
    channel_id: str | None = None
    channel_summary: TextSummary | None = None
    channel_summary_note: str | None = None

    @property
    def charted(self) -> tuple[KpiSummary, ...]:
        """The KPIs the chart shows: those with a value in the last 12 weeks (at most 12)."""
        from bot.charts import MULTIPLES_MAX

        return tuple(s for s in self.kpis if s.points)[:MULTIPLES_MAX]

    def people(self) -> list[str]:
        """Every user id the digest names (owners, and people mentioned in feedback)."""
        found: dict[str, None] = {}
        for action in self.actions:
            if action.owner_id:
                found[action.owner_id] = None
        for tool in self.renewals:
            if tool.owner_id:
                found[tool.owner_id] = None
        texts = [i.text for i in self.top_items]
        texts += [a.text for a in self.actions]
        texts += [e.text for t in self.themes for e in t.examples]
        for text in texts:
            for user_id in _MENTION.findall(text):
                found[user_id] = None
        return list(found)


# ---------------------------------------------------------------------- reading commands


def _words(tokens: Sequence[Token]) -> str:
    return " ".join(t.raw for t in tokens)


def parse_subscribe(tokens: Sequence[Token], *, default_channel: str) -> SubscribeRequest:
    """`subscribe [#channel] [weekly on mon at 9:00] [with channel summary] [tz:Europe/Paris]`."""
    channel: str | None = None
    tz: str | None = None
    words: list[str] = []
    for token in tokens:
        if isinstance(token, ChannelMention):
            if channel is not None:
                raise CommandParseError("name one channel to subscribe", fragment=token.raw)
            channel = token.channel_id
        elif isinstance(token, KeyValue) and token.key in ("tz", "timezone"):
            tz = check_timezone(token.value)
        elif isinstance(token, Word):
            words.append(token.text)
        elif isinstance(token, Tag):
            raise CommandParseError(
                f"'#{shown(token.name)}' is not a channel I can post to: type # and pick the "
                "channel from Slack's list so it becomes a link",
                fragment=token.raw,
            )
        elif isinstance(token, KeyValue):
            raise CommandParseError(
                f"unknown option '{shown(token.key)}': the only option is tz:", fragment=token.raw
            )
        else:
            raise CommandParseError(
                "unexpected text: say a channel, a weekly time and maybe 'with channel summary'",
                fragment=token.raw,
            )
    with_summary = False
    lowered = [w.lower() for w in words]
    for phrase in _SUMMARY_WORDS:
        for start in range(len(lowered) - len(phrase) + 1):
            if tuple(lowered[start : start + len(phrase)]) == phrase:
                with_summary = True
                del words[start : start + len(phrase)]
                del lowered[start : start + len(phrase)]
                break
        if with_summary:
            break
    schedule = " ".join(words).strip() or None
    return SubscribeRequest(
        channel_id=channel or default_channel,
        schedule=schedule,
        with_channel_summary=with_summary,
        tz=tz,
    )


def parse_channel_only(tokens: Sequence[Token], *, default_channel: str, subcommand: str) -> str:
    """`unsubscribe [#channel]`."""
    if not tokens:
        return default_channel
    if len(tokens) == 1 and isinstance(tokens[0], ChannelMention):
        return tokens[0].channel_id
    raise CommandParseError(
        f"{subcommand} takes at most a channel, like /digest {subcommand} #product",
        fragment=_words(tokens),
    )


def check_timezone(name: str) -> str:
    """An IANA timezone name, or a parse error quoting it."""
    if known_zone(name) is None:
        raise CommandParseError(
            "unknown timezone, use an IANA name like Europe/Berlin", fragment=name
        )
    return name


def weekly_rule(text: str | None, *, now: datetime, tz: str) -> Rule:
    """A weekly schedule with one day and one time: "weekly on mon at 9:00", "fri 17:30"."""
    typed = " ".join((text or "").split())
    if not typed:
        return parse_schedule(DEFAULT_SCHEDULE, now=now, tz=tz)
    bare = re.sub(r"^(?:weekly|every\s+week)\s+", "", typed, flags=re.IGNORECASE)
    bare = re.sub(r"^(?:on|every)\s+", "", bare, flags=re.IGNORECASE)
    problem: CommandParseError | None = None
    rule: Rule | None = None
    for candidate in (typed, f"every {bare}"):
        try:
            found = parse_schedule(candidate, now=now, tz=tz)
        except CommandParseError as err:
            problem = problem or err
            continue
        if found.kind == "weekly":
            rule = found
            break
    if rule is None:
        raise CommandParseError(
            f"'{shown(typed)}' is not a weekly time: say a day and a time, like "
            "weekly on mon at 9:00 or every fri at 16:00",
            fragment=typed,
        ) from problem
    if len(rule.weekdays) != 1 or len(rule.times) != 1:
        raise CommandParseError(
            "the digest covers a week, so it goes out once a week: name one day and one time, "
            "like weekly on mon at 9:00",
            fragment=typed,
        )
    return replace(rule, text=typed)


# ---------------------------------------------------------------------- subscriptions


def info(row: DigestSubscription, next_runs: Sequence[datetime] = ()) -> SubscriptionInfo:
    """The domain view of a subscription row."""
    assert row.id is not None
    rule = Rule.from_json(row.rule_json)
    return SubscriptionInfo(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        rule=rule,
        schedule=describe(rule),
        tz=row.tz,
        with_channel_summary=row.with_channel_summary,
        created_by=row.created_by,
        active=row.active,
        next_runs=tuple(next_runs),
    )


def period_of(at: datetime, tz: str) -> str:
    """The name of the run at `at`: its day in the subscription's timezone (2026-11-30)."""
    return at.astimezone(ZoneInfo(tz)).date().isoformat()


def subscribe(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    request: SubscribeRequest,
    tz: str,
    now: datetime,
) -> SubscriptionInfo:
    """Subscribe the channel (or change its schedule) and schedule its next runs."""
    zone = request.tz or tz
    rule = weekly_rule(request.schedule, now=now, tz=zone)
    row = store.save_subscription(
        session=session,
        team_id=team_id,
        channel_id=request.channel_id,
        values={
            "rule_json": rule.to_json(),
            "rule_text": rule.text[:300],
            "tz": zone,
            "with_channel_summary": request.with_channel_summary,
            "created_by": user_id,
            "created_at": now,
        },
    )
    assert row.id is not None
    # A changed schedule replaces the runs planned under the old one.
    store.drop_pending_tasks(session=session, team_id=team_id, subscription_id=row.id)
    return info(row, schedule_runs(session=session, subscription=row, now=now))


def unsubscribe(*, session: Session, team_id: str, channel_id: str) -> SubscriptionInfo | None:
    """Stop the channel's digest and drop its planned runs; None when it had none."""
    row = store.deactivate(session=session, team_id=team_id, channel_id=channel_id)
    if row is None or row.id is None:
        return None
    store.drop_pending_tasks(session=session, team_id=team_id, subscription_id=row.id)
    return replace(info(row), active=False)


def subscription_of(*, session: Session, team_id: str, channel_id: str) -> SubscriptionInfo | None:
    """The channel's active subscription, if any."""
    row = store.get_subscription(session=session, team_id=team_id, channel_id=channel_id)
    return info(row) if row is not None and row.active else None


def schedule_runs(
    *, session: Session, subscription: DigestSubscription, now: datetime, ahead: int = RUNS_AHEAD
) -> list[datetime]:
    """Keep the next `ahead` runs scheduled (tasks keyed by period, so each exists once)."""
    if subscription.id is None or not subscription.active:
        return []
    rule = Rule.from_json(subscription.rule_json)
    runs = next_occurrences(rule, subscription.tz, now, ahead)
    for at in runs:
        period = period_of(at, subscription.tz)
        tasks.add_task(
            session=session,
            team_id=subscription.team_id,
            key=store.task_key(subscription.id, period),
            kind=TASK_KIND,
            run_at=at,
            payload=json.dumps(
                {"subscription_id": subscription.id, "period": period, "at": at.isoformat()}
            ),
            now=now,
        )
    return runs


@dataclass(frozen=True)
class Run:
    """A scheduled run this process now owns: post the digest of the week before `at`."""

    subscription: SubscriptionInfo
    period: str
    at: datetime


def start_run(
    *, session: Session, team_id: str, payload: Mapping[str, object], now: datetime
) -> Run | None:
    """Claim a scheduled run once and schedule the ones after it.

    None when the subscription was stopped or changed since the run was planned, or when
    the run was claimed already (another clock, a retry).
    """
    subscription_id = int(str(payload["subscription_id"]))
    period = str(payload["period"])
    at = datetime.fromisoformat(str(payload["at"]))
    row = store.get_subscription_by_id(
        session=session, team_id=team_id, subscription_id=subscription_id
    )
    if row is None or not row.active:
        return None
    current = info(row)
    # Planned under another schedule (changed since): not this subscription's run.
    just_before = at - timedelta(seconds=1)
    if next_occurrences(current.rule, current.tz, just_before, 1) != [at]:
        return None
    schedule_runs(session=session, subscription=row, now=max(now, at))
    if not store.claim_run(
        session=session,
        team_id=team_id,
        subscription_id=subscription_id,
        period=period,
        channel_id=row.channel_id,
        at=now,
    ):
        return None
    return Run(current, period, at)


def resume_run(*, session: Session, team_id: str, payload: Mapping[str, object]) -> Run | None:
    """A run claimed by a process that died before posting it (None: posted, or stopped)."""
    subscription_id = int(str(payload["subscription_id"]))
    period = str(payload["period"])
    run = store.get_run(session=session, subscription_id=subscription_id, period=period)
    if run is None or run.team_id != team_id or run.posted_at is not None:
        return None
    row = store.get_subscription_by_id(
        session=session, team_id=team_id, subscription_id=subscription_id
    )
    if row is None or not row.active:
        return None
    return Run(info(row), period, datetime.fromisoformat(str(payload["at"])))


def claim_now(
    *, session: Session, team_id: str, channel_id: str, trigger: str, now: datetime
) -> bool:
    """Reserve one `/digest now` (a Slack retry of the same command posts nothing more)."""
    return store.claim_run(
        session=session,
        team_id=team_id,
        subscription_id=0,
        period=f"now:{trigger}"[:100],
        channel_id=channel_id,
        at=now,
    )


def run_posted(
    *,
    session: Session,
    team_id: str,
    subscription_id: int,
    period: str,
    message_ts: str | None,
    now: datetime,
) -> None:
    """Record where a run's digest went."""
    store.run_posted(
        session=session,
        team_id=team_id,
        subscription_id=subscription_id,
        period=period,
        message_ts=message_ts,
        at=now,
    )


# ---------------------------------------------------------------------- the report


def window_before(end: datetime, tz: str) -> Window:
    """The 7 days before `end`."""
    return Window(start=end - PERIOD, end=end, tz=tz)


def gather(*, session: Session, team_id: str, now: datetime, tz: str) -> Facts:
    """Read the week before `now` (a few bounded, indexed queries per section)."""
    window = window_before(now, tz)
    start, end = window.start, window.end
    today = window.today

    kpis = kpi_service.summaries(
        session=session, team_id=team_id, today=window.last_day, with_points=True, limit=KPIS_MAX
    )

    into, triaged = store.status_moves(session=session, team_id=team_id, start=start, end=end)
    durations = store.triage_durations(session=session, team_id=team_id, start=start, end=end)
    numbers = FeedbackNumbers(
        filed=store.count_filed(session=session, team_id=team_id, start=start, end=end),
        triaged=triaged,
        shipped=into.get("shipped", 0),
        declined=into.get("declined", 0),
        loops_closed=store.loops_closed(session=session, team_id=team_id, start=start, end=end),
        median_triage=timedelta(seconds=statistics.median(durations)) if durations else None,
        triage_sample=len(durations),
    )
    recent_rows = store.filed_between(
        session=session, team_id=team_id, start=window.before, end=end, limit=THEME_ITEMS_MAX
    )
    top_rows = store.most_voted(
        session=session,
        team_id=team_id,
        statuses=feedback_service.OPEN_STATUSES,
        before=end,
        limit=TOP_ITEMS,
    )
    held = store.rituals_held(
        session=session, team_id=team_id, start=start, end=end, limit=RITUALS_SHOWN
    )
    actions = retro_service.open_actions(session=session, team_id=team_id, limit=ACTIONS_SHOWN)
    open_count, overdue = store.open_action_counts(session=session, team_id=team_id, today=today)
    renewals = stack_service.renewals_due(
        session, team_id, end, RENEWAL_DAYS, tz=tz, limit=RENEWALS_SHOWN
    )
    return Facts(
        team_id=team_id,
        window=window,
        kpis=tuple(kpis),
        kpi_count=len(kpis),
        any_feedback=bool(numbers.filed) or store.has_feedback(session=session, team_id=team_id),
        feedback=numbers,
        recent=tuple(shown_item(row) for row in recent_rows),
        top_items=tuple(shown_item(row) for row in top_rows),
        any_rituals=bool(held) or store.has_rituals(session=session, team_id=team_id),
        rituals=tuple(RitualHeld(*row) for row in held),
        rsvps=store.rsvp_counts(session=session, team_id=team_id, start=start, end=end),
        any_actions=bool(open_count) or store.has_actions(session=session, team_id=team_id),
        actions=tuple(actions),
        open_actions=open_count,
        overdue_actions=overdue,
        any_tools=bool(renewals) or store.has_tools(session=session, team_id=team_id),
        renewals=tuple(renewals),
    )


def shown_item(row: Feedback) -> FeedbackItem:
    """What the digest needs of an item (no tags: they are not shown, and reading them for
    a long list of items is one more query)."""
    return FeedbackItem(
        number=row.number,
        text=row.text,
        reporter_id=row.reporter_id,
        channel_id=row.channel_id,
        tags=(),
        customer=row.customer,
        area=row.area,
        urgency=row.urgency,
        status=row.status,
        created_at=row.created_at,
        permalink=row.permalink,
        votes=row.vote_count,
        owner_id=row.owner_id,
        first_triaged_at=row.first_triaged_at,
        closed_at=row.closed_at,
    )


def theme_moves(
    items: Sequence[FeedbackItem], window: Window, *, max_themes: int = THEMES_MAX
) -> list[ThemeMove]:
    """Themes of the last two weeks' feedback, with their counts this week and the week before.

    Both weeks are grouped together, so a theme has one name across them.
    """
    moves = []
    for theme in feedback_service.group_into_themes(items, max_themes=max_themes * 2):
        this_week = sum(1 for i in theme.items if i.created_at >= window.start)
        moves.append(
            ThemeMove(
                name=theme.name,
                this_week=this_week,
                last_week=len(theme.items) - this_week,
                votes=theme.votes,
                examples=tuple(theme.items[:2]),
            )
        )
    moves.sort(key=lambda m: (-m.this_week, -m.change, -m.votes, m.name))
    return [m for m in moves if m.this_week or m.last_week][:max_themes]


def assemble(facts: Facts) -> DigestReport:
    """The report from what was read (groups the feedback into themes; no database)."""
    return DigestReport(
        team_id=facts.team_id,
        window=facts.window,
        kpis=facts.kpis,
        kpi_count=facts.kpi_count,
        any_feedback=facts.any_feedback,
        feedback=facts.feedback,
        themes=tuple(theme_moves(facts.recent, facts.window)),
        top_items=facts.top_items,
        any_rituals=facts.any_rituals,
        rituals=facts.rituals,
        rsvps=facts.rsvps,
        any_actions=facts.any_actions,
        actions=facts.actions,
        open_actions=facts.open_actions,
        overdue_actions=facts.overdue_actions,
        any_tools=facts.any_tools,
        renewals=facts.renewals,
    )


def build_report(*, session: Session, team_id: str, now: datetime, tz: str) -> DigestReport:
    """The digest of the 7 days before `now`."""
    return assemble(gather(session=session, team_id=team_id, now=now, tz=tz))


# ---------------------------------------------------------------------- the TL;DR


def format_span(span: timedelta) -> str:
    """3 d 4 h, 5 h 12 min, 40 min, under a minute."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def facts_text(report: DigestReport) -> list[str]:
    """The report's facts as plain sentences, most important first (for the TL;DR)."""
    sentences: list[str] = []
    numbers = report.feedback
    if report.any_feedback:
        line = (
            f"Feedback this week: {_plural(numbers.filed, 'new item')}, "
            f"{numbers.triaged} triaged, {numbers.shipped} shipped and "
            f"{_plural(numbers.loops_closed, 'loop')} closed with the people who asked."
        )
        if numbers.median_triage is not None:
            line += f" Median time to first triage was {format_span(numbers.median_triage)}."
        sentences.append(line)
    with_target = [s for s in report.kpis if s.status is not None]
    if with_target:
        met = sum(1 for s in with_target if s.status == kpi_service.MET)
        missed = [s.kpi.name for s in with_target if s.status != kpi_service.MET]
        line = f"KPIs: {met} of {len(with_target)} on target"
        line += f"; off target: {', '.join(missed[:5])}." if missed else "."
        sentences.append(line)
    moved = [s for s in report.kpis if s.change is not None and s.latest is not None]
    if moved:
        biggest = max(moved, key=lambda s: abs(s.change.percent or Decimal(0)) if s.change else 0)
        change = biggest.change
        assert change is not None and biggest.latest is not None
        sentences.append(
            f"{biggest.kpi.name} moved {kpi_service.format_delta(change.delta, biggest.kpi.unit)} "
            f"to {biggest.kpi.show(biggest.latest.value)} in a week."
        )
    if report.themes:
        top = report.themes[0]
        sentences.append(
            f"The biggest feedback theme is {top.name}: {_plural(top.this_week, 'new item')} "
            f"this week, {top.last_week} the week before."
        )
    if report.top_items:
        item = report.top_items[0]
        first = item.text.strip().split("\n", 1)[0][:120]
        sentences.append(
            f"The most voted open request is {item.key} ({_plural(item.votes, 'vote')}): {first}"
        )
    if report.rituals:
        total = sum(r.times for r in report.rituals)
        rsvps = sum(report.rsvps.values())
        sentences.append(f"{_plural(total, 'ritual')} held, with {_plural(rsvps, 'RSVP')}.")
    if report.open_actions:
        sentences.append(
            f"{_plural(report.open_actions, 'retro action item')} open, "
            f"{report.overdue_actions} overdue."
        )
    if report.renewals:
        soonest = report.renewals[0]
        when = soonest.renewal_on.isoformat() if soonest.renewal_on else "soon"
        sentences.append(
            f"{_plural(len(report.renewals), 'tool')} to renew within {RENEWAL_DAYS} days, "
            f"first {soonest.name} on {when}."
        )
    return sentences


def with_tldr(
    report: DigestReport, *, llm: Completer | None, prompts_dir: str | Path | None = None
) -> DigestReport:
    """The report with a TL;DR of its facts: by the language model if any, else offline."""
    from bot.summarize import OFFLINE_MODEL, summarize

    sentences = facts_text(report)
    if not sentences:
        return replace(report, tldr="A quiet week: nothing to report yet.", tldr_model=None)
    messages = [
        Message(author=DIGEST_AUTHOR, text=s, ts=f"{n}.000000") for n, s in enumerate(sentences, 1)
    ]
    outcome = summarize(messages, llm=llm, prompts_dir=prompts_dir)
    tldr = outcome.summary.tldr.strip() or sentences[0]
    model = None if outcome.model == OFFLINE_MODEL else outcome.model
    return replace(report, tldr=tldr, tldr_model=model)
