"""What App Home shows a person: their feedback, rituals and RSVPs; for ops, the triage inbox,
KPIs at a glance, renewals due and the team's settings. Reads only, bounded, per team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.services import feedback, kpis, retros, rituals, stack
from bot.services.feedback import FeedbackItem, ListQuery
from bot.services.kpis import Summary
from bot.services.retros import ActionInfo
from bot.services.rituals import RitualInfo
from bot.services.stack import ToolInfo
from bot.services.team_settings import TeamConfig
from storage import people
from storage import workspace as store

FEEDBACK_SHOWN = 5
RITUALS_SHOWN = 5
RITUAL_DAYS = 14
RSVPS_SHOWN = 5
ACTIONS_SHOWN = 5
RSVP_SINCE = timedelta(days=7)
TRIAGE_SHOWN = 3
KPIS_SHOWN = 8
RENEWALS_SHOWN = 5
GRANTED_SHOWN = 20
RENEWAL_DAYS = 30
# The "See all" modals: a modal holds 100 blocks.
FEEDBACK_ALL = 60
RITUALS_ALL = 60
TRIAGE_ALL = 20
KPIS_ALL = 150
RENEWALS_ALL = 150


@dataclass(frozen=True)
class Rsvp:
    """A person's answer to one occurrence."""

    ritual_key: str
    title: str
    kind: str
    at: datetime
    answer: str


@dataclass(frozen=True)
class Picked:
    """The person picked in the settings' ops role control, and their role."""

    user_id: str
    # member, granted (by an ops member: can be revoked) or builtin (admin, owner, OPS_ADMINS)
    role: str


@dataclass(frozen=True)
class OpsPanel:
    """What only ops see."""

    newest: list[FeedbackItem]
    most_voted: list[FeedbackItem]
    more_to_triage: bool
    kpis: list[Summary]
    kpi_total: int
    renewals: list[ToolInfo]
    renewal_total: int
    today: date
    config: TeamConfig
    granted: tuple[str, ...] = ()
    picked: Picked | None = None


@dataclass(frozen=True)
class HomeData:
    """Everything the home tab shows one person."""

    user_id: str
    viewer_tz: str
    now: datetime
    feedback: list[FeedbackItem]
    more_feedback: bool
    rituals: list[tuple[RitualInfo, datetime]]
    more_rituals: bool
    rsvps: list[Rsvp]
    actions: list[ActionInfo] = field(default_factory=list)
    reactions: tuple[str, ...] = ("inbox_tray",)
    ops: OpsPanel | None = None
    notice: str | None = None
    names: dict[str, str] = field(default_factory=dict)

    def people(self) -> list[str]:
        """Every user id the tab names (so the handler can look their names up)."""
        found = [i.owner_id for i in self.feedback]
        if self.ops:
            for item in (*self.ops.newest, *self.ops.most_voted):
                found += [item.reporter_id, item.owner_id]
            found += [t.owner_id for t in self.ops.renewals]
            found += list(self.ops.granted[:GRANTED_SHOWN])
            found += [self.ops.picked.user_id] if self.ops.picked else []
        return [u for u in dict.fromkeys(found) if u]


def my_feedback(
    *, session: Session, team_id: str, user_id: str, limit: int
) -> tuple[list[FeedbackItem], bool]:
    """What the person filed, any status, newest first; and whether there is more."""
    page = feedback.list_items(
        session=session,
        team_id=team_id,
        query=ListQuery(status="all", mine=True),
        user_id=user_id,
        page_size=limit,
    )
    return page.items, page.has_more


def my_rituals(
    *, session: Session, team_id: str, user_id: str, now: datetime, limit: int
) -> tuple[list[tuple[RitualInfo, datetime]], bool]:
    """The next occurrences of rituals the person takes part in or created, soonest first."""
    found = [
        (info, at)
        for info, at in rituals.upcoming(
            session=session, team_id=team_id, now=now, limit=1000, days=RITUAL_DAYS
        )
        if user_id == info.creator_id or user_id in info.participants
    ]
    return found[:limit], len(found) > limit


def my_rsvps(*, session: Session, team_id: str, user_id: str, now: datetime) -> list[Rsvp]:
    """The person's RSVPs to occurrences of the last week and later."""
    rows = store.rsvps_of_user(
        session=session, team_id=team_id, user_id=user_id, since=now - RSVP_SINCE, limit=RSVPS_SHOWN
    )
    return [
        Rsvp(
            ritual_key=f"R-{ritual.number}",
            title=ritual.title,
            kind=ritual.kind,
            at=occurrence.scheduled_at,
            answer=rsvp.answer,
        )
        for rsvp, occurrence, ritual in rows
    ]


def triage_inbox(
    *, session: Session, team_id: str, user_id: str, shown: int
) -> tuple[list[FeedbackItem], list[FeedbackItem], bool]:
    """The newest new items, the most voted new ones (not among the newest), and whether
    there are more new items than shown."""
    newest = feedback.list_items(
        session=session,
        team_id=team_id,
        query=ListQuery(status="new"),
        user_id=user_id,
        page_size=shown,
    )
    top = feedback.list_items(
        session=session,
        team_id=team_id,
        query=ListQuery(status="new"),
        user_id=user_id,
        page_size=shown * 2,
        order="votes",
    )
    seen = {i.number for i in newest.items}
    voted = [i for i in top.items if i.number not in seen and i.votes > 0][:shown]
    return newest.items, voted, newest.has_more


def triage_queue(*, session: Session, team_id: str, user_id: str) -> list[FeedbackItem]:
    """The triage queue for "See all": new items, most voted first."""
    return feedback.list_items(
        session=session,
        team_id=team_id,
        query=ListQuery(status="new"),
        user_id=user_id,
        page_size=TRIAGE_ALL,
        order="votes",
    ).items


def kpis_at_a_glance(
    *, session: Session, team_id: str, today: date, limit: int
) -> tuple[list[Summary], int]:
    """The first KPIs by name with their latest values, and how many there are."""
    return (
        kpis.summaries(session=session, team_id=team_id, today=today, limit=limit),
        kpis.count_kpis(session=session, team_id=team_id),
    )


def home_data(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    now: datetime,
    viewer_tz: str,
    config: TeamConfig,
    is_ops: bool,
    picked: Picked | None = None,
    notice: str | None = None,
) -> HomeData:
    """Everything for one person's home tab, a few bounded queries in all."""
    items, more_items = my_feedback(
        session=session, team_id=team_id, user_id=user_id, limit=FEEDBACK_SHOWN
    )
    upcoming, more_upcoming = my_rituals(
        session=session, team_id=team_id, user_id=user_id, now=now, limit=RITUALS_SHOWN
    )
    ops = None
    if is_ops:
        today = stack.today_in(now, config.default_timezone)
        newest, voted, more = triage_inbox(
            session=session, team_id=team_id, user_id=user_id, shown=TRIAGE_SHOWN
        )
        summaries, kpi_total = kpis_at_a_glance(
            session=session, team_id=team_id, today=today, limit=KPIS_SHOWN
        )
        due = stack.renewals_due(
            session, team_id, now, RENEWAL_DAYS, tz=config.default_timezone, limit=RENEWALS_ALL
        )
        ops = OpsPanel(
            newest=newest,
            most_voted=voted,
            more_to_triage=more,
            kpis=summaries,
            kpi_total=kpi_total,
            renewals=due[:RENEWALS_SHOWN],
            renewal_total=len(due),
            today=today,
            config=config,
            granted=tuple(sorted(people.granted_ops(session=session, team_id=team_id))),
            picked=picked,
        )
    return HomeData(
        user_id=user_id,
        viewer_tz=viewer_tz,
        now=now,
        feedback=items,
        more_feedback=more_items,
        rituals=upcoming,
        more_rituals=more_upcoming,
        rsvps=my_rsvps(session=session, team_id=team_id, user_id=user_id, now=now),
        actions=retros.open_actions(
            session=session, team_id=team_id, owner_id=user_id, limit=ACTIONS_SHOWN
        ),
        reactions=config.feedback_reactions,
        ops=ops,
        notice=notice,
    )
