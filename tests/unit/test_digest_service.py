"""The digest's numbers on a seeded week, subscriptions and their runs (on every backend).

`seed_week` files feedback, triages it, closes loops, records KPI values, holds rituals,
adds retro actions and tools around the week before RUN, with items just inside and just
outside the window and another team's data that must never count. The end-to-end tests
seed the same week.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.grammar import CommandParseError, tokenize
from bot.schedule import describe
from bot.services import digests as service
from bot.services import feedback as feedback_service
from bot.services import kpis as kpi_service
from bot.services import retros as retro_service
from bot.services import stack as stack_service
from bot.services.feedback import FeedbackDraft
from bot.services.kpis import Definition, Target
from bot.services.stack import ToolRequest, parse_cost
from storage import digests as store
from storage import rituals as ritual_store
from storage.db import session_factory
from storage.models import DigestRun, DigestSubscription, RitualOccurrence, ScheduledTask

# Monday 30 Nov 2026, 09:00 in Berlin: the run. The week is [Mon 23 Nov 08:00, RUN) UTC.
RUN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
START = RUN - timedelta(days=7)
TZ = "Europe/Berlin"
TEAM = "T0001"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _file(session: Session, team: str, text: str, when: datetime, reporter: str = "U0002") -> int:
    filed = feedback_service.file_feedback(
        session=session,
        team_id=team,
        reporter_id=reporter,
        channel_id="C0002",
        draft=FeedbackDraft(text=text),
        now=when,
        source_key=f"seed:{team}:{text}",
    )
    return filed.item.number


def _status(session: Session, team: str, number: int, status: str, when: datetime) -> list[str]:
    change = feedback_service.set_status(
        session=session,
        team_id=team,
        number=number,
        status=status,
        actor_id="U0001",
        now=when,
        note="done" if status in ("shipped", "declined") else None,
    )
    return list(change.notify)


def _close_loops(session: Session, team: str, number: int, status: str, when: datetime) -> None:
    for user in _status(session, team, number, status, when):
        feedback_service.notice_sent(
            session=session, team_id=team, number=number, user_id=user, status=status, now=when
        )


def seed_week(engine: Engine) -> None:
    """The seeded week (see the module docstring); expected numbers are in EXPECTED."""
    scope = session_factory(engine)
    with scope() as session:
        # Before the window: filed and triaged long ago, declined inside the window.
        old = _file(session, TEAM, "CSV export times out on large reports", at(10))
        _status(session, TEAM, old, "triaged", at(11))
        shipped_before = _file(session, TEAM, "Invoices need the VAT number", at(12))
        _close_loops(session, TEAM, shipped_before, "shipped", at(20))  # before: not counted
        # The week before: the CSV theme starts.
        _file(session, TEAM, "Export to CSV is slow for big accounts", at(17))
        _file(session, TEAM, "CSV export fails for big files", at(18))
        _file(session, TEAM, "Dark mode please, the dashboard is too bright", at(19))
        # The week: exactly at its start counts; exactly at its end does not.
        _file(session, TEAM, "Calendar sync with Outlook drops events", START)
        fast = _file(session, TEAM, "CSV export times out again for big accounts", at(24, 10))
        _status(session, TEAM, fast, "triaged", at(24, 12))  # 2 h
        shipped = _file(session, TEAM, "CSV export should include the tags", at(25, 9), "U0001")
        _status(session, TEAM, shipped, "triaged", at(25, 15))  # 6 h
        _status(session, TEAM, shipped, "planned", at(26))
        feedback_service.vote(
            session=session, team_id=TEAM, number=shipped, user_id="U0003", now=at(26)
        )
        _close_loops(session, TEAM, shipped, "shipped", at(27))  # 2 DMs
        dark = _file(session, TEAM, "Dark mode for the dashboard", at(26))
        for voter in ("U0001", "U0003", "U0004"):
            feedback_service.vote(
                session=session, team_id=TEAM, number=dark, user_id=voter, now=at(26)
            )
        slow = _file(
            session, TEAM, "Slack notifications are too noisy <@U0004|dave> <!here>", at(28)
        )
        _status(session, TEAM, slow, "triaged", at(29))  # 24 h
        _file(session, TEAM, "CSV export button is missing on mobile", at(29))
        _close_loops(session, TEAM, old, "declined", at(24))  # 1 DM in the window
        _file(session, TEAM, "Filed exactly when the digest runs", RUN)
        # A DM claimed but never sent is no loop closed.
        pending = _file(session, TEAM, "Search ignores archived projects", at(21))
        _status(session, TEAM, pending, "declined", at(28))
        # Another workspace, same week: never counted.
        other = _file(session, "T0002", "CSV export times out (other team)", at(25))
        _close_loops(session, "T0002", other, "shipped", at(26))

        # KPIs: a year of weekly values; nps ends at 42 (40 a week before), activation off.
        for name, unit, target, last, step in (
            ("nps", "%", ">=40", Decimal(42), Decimal(2)),
            ("activation", "%", ">=30", Decimal(25), Decimal(-1)),
        ):
            op, value = target[:2], Decimal(target[2:])
            kpi_service.define_kpi(
                session=session,
                team_id=TEAM,
                definition=Definition(name, {"unit": unit, "target": Target(op, value)}),
                user_id="U0001",
                now=at(1),
            )
            for week in range(52):
                kpi_service.record_value(
                    session=session,
                    team_id=TEAM,
                    name=name,
                    value=last - step * week,
                    on=date(2026, 11, 29) - timedelta(weeks=week),
                    source="csv",
                    recorded_by="U0001",
                    now=at(1),
                    alerts=False,
                )
        kpi_service.define_kpi(
            session=session,
            team_id=TEAM,
            definition=Definition("signups", {}),
            user_id="U0001",
            now=at(1),
        )

        # Rituals: a workshop held twice this week (one skipped), with RSVPs.
        from bot.services.rituals import RitualDraft, create_ritual

        info, _ = create_ritual(
            session=session,
            team_id=TEAM,
            creator_id="U0001",
            draft=RitualDraft("workshop", "Pricing discovery", "every tue,thu at 15:00", "C0003"),
            tz=TZ,
            now=at(1),
        )
        ritual = ritual_store.get_ritual(session=session, team_id=TEAM, number=info.number)
        assert ritual is not None and ritual.id is not None
        for when, status in (
            (at(24, 14), "posted"),
            (at(26, 14), "posted"),
            (at(27, 14), "skipped"),
            (at(19, 14), "posted"),  # the week before
        ):
            occurrence_id = ritual_store.claim_occurrence(
                session=session, team_id=TEAM, ritual_id=ritual.id, scheduled_at=when, status=status
            )
            assert occurrence_id is not None
            if when == at(24, 14):
                for user, answer in (("U0001", "going"), ("U0002", "going"), ("U0003", "maybe")):
                    ritual_store.set_rsvp(
                        session=session,
                        team_id=TEAM,
                        occurrence_id=occurrence_id,
                        user_id=user,
                        answer=answer,
                        at=when,
                    )
            if when == at(19, 14):
                ritual_store.set_rsvp(
                    session=session,
                    team_id=TEAM,
                    occurrence_id=occurrence_id,
                    user_id="U0004",
                    answer="cant",
                    at=when,
                )

        # Retro actions: one overdue, one due later, one done.
        board = retro_service.start_retro(
            session=session,
            team_id=TEAM,
            facilitator_id="U0001",
            title="Sprint 48",
            channel_id="C0003",
            series="channel:C0003",
            now=at(20),
        )
        for key, text, owner, due in (
            ("a1", "Fix the flaky deploy", "U0001", date(2026, 11, 20)),
            ("a2", "Write the export FAQ", None, date(2026, 12, 10)),
            ("a3", "Rotate the API keys", "U0002", date(2026, 11, 1)),
        ):
            retro_service.add_action(
                session=session,
                team_id=TEAM,
                retro_id=board.id,
                text=text,
                owner_id=owner,
                due=due,
                source_key=key,
                now=at(20),
            )
        [done] = [
            a
            for a in retro_service.open_actions(session=session, team_id=TEAM)
            if a.text.startswith("Rotate")
        ]
        retro_service.set_action_done(
            session=session,
            team_id=TEAM,
            action_id=done.id,
            user_id="U0002",
            is_ops=False,
            now=at(21),
        )

        # Stack: Figma renews in 15 days, Miro in March.
        for name, owner, renewal, cost in (
            ("Figma", "U0001", date(2026, 12, 15), "$45/mo"),
            ("Miro", "U0002", date(2027, 3, 1), "1200/yr"),
        ):
            stack_service.add_tool(
                session=session,
                team_id=TEAM,
                request=ToolRequest(
                    name, {"owner": owner, "renewal": renewal, "cost": parse_cost(cost)}
                ),
                actor="U0001",
                now=at(1),
                tz=TZ,
            )


EXPECTED = {
    "filed": 6,
    "triaged": 4,
    "shipped": 1,
    "declined": 2,
    "loops_closed": 3,
    # 2 h, 6 h, 24 h and 7 days (the declined one): the middle two average to 15 h.
    "median_triage": timedelta(hours=15),
}


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_week(engine)
    return engine


def report_of(engine: Engine) -> service.DigestReport:
    with Session(engine) as session:
        return service.build_report(session=session, team_id=TEAM, now=RUN, tz=TZ)


def test_feedback_numbers_of_the_seeded_week(seeded: Engine) -> None:
    numbers = report_of(seeded).feedback
    assert numbers.filed == EXPECTED["filed"]
    assert numbers.triaged == EXPECTED["triaged"]
    assert numbers.shipped == EXPECTED["shipped"]
    assert numbers.declined == EXPECTED["declined"]
    assert numbers.loops_closed == EXPECTED["loops_closed"]
    assert numbers.median_triage == EXPECTED["median_triage"]
    assert numbers.triage_sample == 4


def test_the_window_is_exactly_the_seven_days_before_the_run(seeded: Engine) -> None:
    with Session(seeded) as session:
        just_after = store.count_filed(
            session=session, team_id=TEAM, start=START + timedelta(seconds=1), end=RUN
        )
        with_end = store.count_filed(
            session=session, team_id=TEAM, start=START, end=RUN + timedelta(seconds=1)
        )
    assert (just_after, with_end) == (EXPECTED["filed"] - 1, EXPECTED["filed"] + 1)


def test_kpis_themes_top_items_rituals_actions_and_renewals(seeded: Engine) -> None:
    report = report_of(seeded)
    by_name = {s.kpi.name: s for s in report.kpis}
    assert set(by_name) == {"activation", "nps", "signups"}
    nps = by_name["nps"]
    assert nps.latest is not None and nps.latest.value == Decimal(42)
    assert nps.change is not None and nps.change.delta == Decimal(2)
    assert nps.status == "met" and by_name["activation"].status == "missed"
    assert len(nps.points) == 12 and by_name["signups"].latest is None
    assert [s.kpi.name for s in report.charted] == ["activation", "nps"]

    csv = [t for t in report.themes if "csv" in t.name.lower() or "export" in t.name.lower()]
    assert csv, [t.name for t in report.themes]
    assert (csv[0].this_week, csv[0].last_week) == (3, 2)

    top = report.top_items[0]
    assert (top.number, top.votes) == (9, 4)  # "Dark mode for the dashboard"
    assert all(i.is_open for i in report.top_items)

    assert [(r.title, r.times) for r in report.rituals] == [("Pricing discovery", 2)]
    assert dict(report.rsvps) == {"going": 2, "maybe": 1}

    assert report.open_actions == 2 and report.overdue_actions == 1
    assert [a.text for a in report.actions] == ["Fix the flaky deploy", "Write the export FAQ"]

    assert [t.name for t in report.renewals] == ["Figma"]
    assert set(report.people()) >= {"U0001", "U0004"}


def test_another_team_sees_only_its_own(seeded: Engine) -> None:
    with Session(seeded) as session:
        report = service.build_report(session=session, team_id="T0002", now=RUN, tz=TZ)
    assert report.feedback.filed == 1 and report.feedback.loops_closed == 1
    assert report.kpis == () and report.rituals == () and report.renewals == ()
    assert not report.any_rituals and not report.any_tools and not report.any_actions


def test_an_empty_team_has_nothing_yet(engine: Engine) -> None:
    report = report_of(engine)
    assert not report.any_feedback and report.feedback.filed == 0
    assert report.feedback.median_triage is None
    assert report.themes == () and report.top_items == () and report.kpis == ()


# ---------------------------------------------------------------------- commands


def test_subscribe_parses_channel_schedule_summary_and_timezone() -> None:
    request = service.parse_subscribe(
        tokenize("<#C0003|squad-a> weekly on fri at 16:00 with channel summary tz:Asia/Tokyo"),
        default_channel="C0002",
    )
    assert request == service.SubscribeRequest(
        "C0003", "weekly on fri at 16:00", True, "Asia/Tokyo"
    )
    assert service.parse_subscribe([], default_channel="C0002") == service.SubscribeRequest("C0002")
    for text, problem in (
        ("#squad-a", "pick the channel"),
        ("<#C1|a> <#C2|b>", "one channel"),
        ("tz:Mars/Base", "unknown timezone"),
        ("color:red", "unknown option"),
    ):
        with pytest.raises(CommandParseError, match=problem):
            service.parse_subscribe(tokenize(text), default_channel="C0002")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "every Monday at 09:00"),
        ("weekly on mon at 9:00", "every Monday at 09:00"),
        ("on fri at 16:00", "every Friday at 16:00"),
        ("every wednesday at 8am", "every Wednesday at 08:00"),
        ("thu 17:30", "every Thursday at 17:30"),
    ],
)
def test_weekly_rules(text: str | None, expected: str) -> None:
    assert describe(service.weekly_rule(text, now=RUN, tz=TZ)) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("daily at 9", "not a weekly time"),
        ("every mon,thu at 9:00", "once a week"),
        ("every mon at 9:00 and 17:00", "once a week"),
        ("whenever", "not a weekly time"),
    ],
)
def test_schedules_that_are_not_weekly_are_refused(text: str, problem: str) -> None:
    with pytest.raises(CommandParseError, match=problem):
        service.weekly_rule(text, now=RUN, tz=TZ)


# ---------------------------------------------------------------------- subscriptions and runs


def digest_tasks(engine: Engine) -> list[ScheduledTask]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ScheduledTask)
                .where(ScheduledTask.kind == "digest")
                .order_by(col(ScheduledTask.run_at))
            )
        )


def test_subscribe_plans_runs_once_and_unsubscribe_drops_them(engine: Engine) -> None:
    scope = session_factory(engine)
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    request = service.SubscribeRequest("C0003")
    for _ in range(2):  # subscribing twice changes nothing
        with scope() as session:
            sub = service.subscribe(
                session=session, team_id=TEAM, user_id="U0001", request=request, tz=TZ, now=now
            )
    assert sub.next_runs[0] == RUN and len(sub.next_runs) == service.RUNS_AHEAD
    tasks = digest_tasks(engine)
    assert [t.key for t in tasks] == [
        f"digest:{sub.id}:2026-11-30",
        f"digest:{sub.id}:2026-12-07",
        f"digest:{sub.id}:2026-12-14",
        f"digest:{sub.id}:2026-12-21",
    ]
    assert json.loads(tasks[0].payload)["at"] == RUN.isoformat()

    # A new time replaces the planned runs.
    with scope() as session:
        moved = service.subscribe(
            session=session,
            team_id=TEAM,
            user_id="U0001",
            request=service.SubscribeRequest("C0003", "every fri at 16:00", True),
            tz=TZ,
            now=now,
        )
    assert moved.id == sub.id and moved.with_channel_summary
    assert digest_tasks(engine)[0].run_at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert len(digest_tasks(engine)) == service.RUNS_AHEAD

    with scope() as session:
        assert service.unsubscribe(session=session, team_id=TEAM, channel_id="C0003")
        assert service.unsubscribe(session=session, team_id=TEAM, channel_id="C0003") is None
    assert digest_tasks(engine) == []
    with Session(engine) as session:
        [row] = session.exec(select(DigestSubscription)).all()
    assert row.active is False


def test_a_run_is_claimed_once_and_plans_the_next(engine: Engine) -> None:
    scope = session_factory(engine)
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    with scope() as session:
        sub = service.subscribe(
            session=session,
            team_id=TEAM,
            user_id="U0001",
            request=service.SubscribeRequest("C0003"),
            tz=TZ,
            now=now,
        )
    payload = json.loads(digest_tasks(engine)[0].payload)
    with scope() as session:
        run = service.start_run(session=session, team_id=TEAM, payload=payload, now=RUN)
        again = service.start_run(session=session, team_id=TEAM, payload=payload, now=RUN)
        other_team = service.start_run(session=session, team_id="T0002", payload=payload, now=RUN)
    assert run is not None and run.period == "2026-11-30" and run.at == RUN
    assert again is None and other_team is None
    # Four runs stay planned after this one.
    assert [t.run_at for t in digest_tasks(engine)][-1] == RUN + timedelta(weeks=4)
    with Session(engine) as session:
        [claimed] = session.exec(select(DigestRun)).all()
    assert (claimed.subscription_id, claimed.period) == (sub.id, "2026-11-30")

    # A run planned under an old schedule, or for a stopped subscription, is dropped.
    stale = {**payload, "period": "2026-12-01", "at": "2026-12-01T08:00:00+00:00"}
    with scope() as session:
        assert service.start_run(session=session, team_id=TEAM, payload=stale, now=RUN) is None
        service.unsubscribe(session=session, team_id=TEAM, channel_id="C0003")
        later = {**payload, "period": "2026-12-07", "at": "2026-12-07T08:00:00+00:00"}
        assert service.start_run(session=session, team_id=TEAM, payload=later, now=RUN) is None


def test_digest_now_is_claimed_once_per_command(engine: Engine) -> None:
    scope = session_factory(engine)
    with scope() as session:
        first = service.claim_now(
            session=session, team_id=TEAM, channel_id="C0002", trigger="t1", now=RUN
        )
        retry = service.claim_now(
            session=session, team_id=TEAM, channel_id="C0002", trigger="t1", now=RUN
        )
        other = service.claim_now(
            session=session, team_id=TEAM, channel_id="C0002", trigger="t2", now=RUN
        )
    assert (first, retry, other) == (True, False, True)


def test_the_occurrences_seeded_are_counted_by_status(seeded: Engine) -> None:
    with Session(seeded) as session:
        statuses = sorted(r.status for r in session.exec(select(RitualOccurrence)).all())
    assert statuses == ["posted", "posted", "posted", "skipped"]
