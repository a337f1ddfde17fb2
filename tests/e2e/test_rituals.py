"""Rituals end to end: scheduling in chat, the clock posting once, RSVPs, standups, outbox."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.deps import build_deps
from bot.sandbox.sender import Delivery
from bot.sandbox.server import Sandbox, start_sandbox
from bot.sandbox.workspace import Fault
from bot.scheduling import Clock
from bot.settings import Settings
from storage.models import Outbox, Ritual, RitualOccurrence, RitualRsvp
from tests.e2e.helpers import (
    FakeClock,
    counter_held,
    dms,
    ephemerals,
    find_block_action,
    text_input,
    tick,
    top_view,
)

pytestmark = pytest.mark.e2e

# Wednesday 25 Nov 2026, 08:00 UTC (09:00 in Berlin, Ann's timezone).
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def channel_posts(bot: Sandbox, channel: str) -> list[dict]:
    return [m for m in bot.workspace.messages_in(channel) if m.get("bot_id")]


def test_add_confirms_with_three_times_in_the_creators_zone(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command(
        "U0001",
        "C0003",
        '/ritual add standup "Squad standup" every weekday at 9:30 with <@U0002|bob> '
        "<@U0003|carol> for 2h",
    )
    answer = ephemerals(bot, "U0001")[-1]
    assert "Scheduled *R-1*" in answer and "Squad standup" in answer
    # 09:30 Berlin on the next three weekdays after Wed 09:00 Berlin.
    for day in ("Wed 25 Nov 2026, 09:30", "Thu 26 Nov 2026, 09:30", "Fri 27 Nov 2026, 09:30"):
        assert f"{day} (Europe/Berlin)" in answer
    with Session(engine) as session:
        ritual = session.exec(select(Ritual)).one()
    assert (ritual.channel_id, ritual.tz, ritual.duration_minutes) == (
        "C0003",
        "Europe/Berlin",
        120,
    )
    assert json.loads(ritual.participants) == ["U0002", "U0003"]
    assert ritual.next_at == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def test_a_ritual_held_up_past_slacks_deadline_is_not_scheduled(
    sandbox: Sandbox, engine: Engine
) -> None:
    """Slack shows "failed" after 3 s: a ritual that would be confirmed later is rolled back."""
    line = '/ritual add sync "Held sync" daily at 10'
    sandbox.sender.slash_command("U0002", "D0002", '/ritual add sync "First sync" daily at 9')
    with counter_held(sandbox, engine, "ritual") as send:
        assert send(sandbox.sender.slash_command, "U0002", "D0002", line).result(60).status == 404
    with Session(engine) as session:
        assert [r.title for r in session.exec(select(Ritual))] == ["First sync"]
    sandbox.sender.slash_command("U0002", "D0002", line)
    assert "Scheduled *R-2*" in ephemerals(sandbox, "U0002")[-1]


def test_channels_are_for_ops_and_dms_for_everyone(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0002", "C0003", '/ritual add sync "Bob sync" daily at 10')
    assert "Scheduling in a channel is for ops" in ephemerals(bot, "U0002")[-1]
    bot.sender.slash_command("U0002", "D0002", '/ritual add sync "Bob sync" daily at 10')
    assert "Scheduled *R-1*" in ephemerals(bot, "U0002")[-1]
    # Bob's own timezone (New York) is used: 10:00 there.
    assert "(America/New_York)" in ephemerals(bot, "U0002")[-1]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('/ritual add party "x" daily at 9', "the kind must be one of"),
        ("/ritual add standup daily at 9", "the title goes in quotes"),
        ('/ritual add standup "Daily" every tuesdy at 9', "try:"),
        ('/ritual add standup "Daily" daily at 9 tz:Mars/Base', "unknown timezone"),
        ('/ritual add workshop "Old" on 2020-01-01 10:00', "already passed"),
        ("/ritual dance", "unknown subcommand"),
        ("/ritual pause R-99", "R-99 does not exist"),
    ],
)
def test_bad_input_is_answered_and_changes_nothing(
    bot: Sandbox, engine: Engine, line: str, expected: str
) -> None:
    bot.sender.slash_command("U0001", "C0003", line)
    assert expected in ephemerals(bot, "U0001")[-1]
    with Session(engine) as session:
        assert session.exec(select(Ritual)).all() == []


def test_an_earlier_rsvp_click_handled_late_does_not_win(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    """Two quick clicks may be handled in either order (two processes): the later click wins."""
    bot.sender.slash_command(
        "U0001", "C0001", '/ritual add workshop "Roadmap jam" on 2026-12-03 15:00'
    )
    at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    tick(bot, at + timedelta(seconds=5), clock)
    post = channel_posts(bot, "C0001")[-1]
    assert "Roadmap jam" in post["text"]

    def click(answer: str) -> Delivery:
        return bot.sender.click(
            "U0002",
            action_id="ritual_rsvp",
            value=f"1:{answer}",
            channel_id="C0001",
            message_ts=post["ts"],
        )

    going = click("going")
    click("cant")
    # The "going" click arrives again after "cant" (a retry, or a slow process).
    assert bot.sender.resend(going).status == 200
    with Session(engine) as session:
        assert [(r.user_id, r.answer) for r in session.exec(select(RitualRsvp))] == [
            ("U0002", "cant")
        ]
    assert "*Can't* 1: Bob Martin" in json.dumps(channel_posts(bot, "C0001")[-1]["blocks"])


def test_workshop_posts_once_with_rsvps_reminder_and_notes(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command(
        "U0001",
        "C0001",
        '/ritual add workshop "Pricing discovery" on 2026-12-03 15:00 for 90m with '
        "<@U0002|bob> <@U0003|carol>",
    )
    # 15:00 Berlin = 14:00 UTC; the workshop reminder comes 24 h before.
    at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    tick(bot, at - timedelta(hours=24, minutes=1), clock)
    assert channel_posts(bot, "C0001") == []
    tick(bot, at - timedelta(hours=23, minutes=59), clock)
    tick(bot, at - timedelta(hours=23, minutes=58), clock)
    reminders = channel_posts(bot, "C0001")
    assert len(reminders) == 1 and "starts in 24 hours" in reminders[0]["text"]
    tick(bot, at + timedelta(seconds=5), clock)
    tick(bot, at + timedelta(seconds=10), clock)
    posts = channel_posts(bot, "C0001")
    assert len(posts) == 2
    post = posts[1]
    assert "Pricing discovery" in post["text"]
    assert "Bob Martin, Carol Tanaka" in json.dumps(post["blocks"])
    for user, answer in (
        ("U0002", "going"),
        ("U0003", "maybe"),
        ("U0004", "going"),
        ("U0002", "cant"),
    ):
        bot.sender.click(
            user,
            action_id="ritual_rsvp",
            value=f"1:{answer}",
            channel_id="C0001",
            message_ts=post["ts"],
        )
    shown = json.dumps(channel_posts(bot, "C0001")[1]["blocks"])
    assert "*Going* 1: Dave Nguyen" in shown
    assert "*Maybe* 1: Carol Tanaka" in shown and "*Can't* 1: Bob Martin" in shown
    bot.sender.click(
        "U0003",
        action_id="ritual_agenda_open",
        value="1",
        channel_id="C0001",
        message_ts=post["ts"],
    )
    bot.sender.submit_view(
        "U0003", top_view(bot, "U0003")["id"], {"text": text_input("Competitor pricing <!here>")}
    )
    shown = json.dumps(channel_posts(bot, "C0001")[1]["blocks"])
    assert "Competitor pricing @here" in shown and "<!here>" not in shown
    # After the end: one follow-up in the thread with "Add notes & outcomes".
    tick(bot, at + timedelta(minutes=91), clock)
    tick(bot, at + timedelta(minutes=92), clock)
    replies = [
        m
        for m in bot.workspace.messages_in("C0001")
        if m.get("thread_ts") == post["ts"] and m["ts"] != post["ts"]
    ]
    assert len(replies) == 1
    bot.sender.click(
        "U0001",
        action_id="ritual_notes_open",
        value="1",
        channel_id="C0001",
        message_ts=replies[0]["ts"],
    )
    bot.sender.submit_view(
        "U0001", top_view(bot, "U0001")["id"], {"text": text_input("Decided: usage-based tier")}
    )
    with Session(engine) as session:
        [occurrence] = session.exec(select(RitualOccurrence)).all()
    assert occurrence.notes == "Decided: usage-based tier" and occurrence.status == "posted"
    assert "Decided: usage-based tier" in json.dumps(channel_posts(bot, "C0001")[1]["blocks"])


def test_async_standup_collects_answers_and_reports_once(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command(
        "U0001",
        "C0003",
        '/ritual add standup "Squad standup" every weekday at 9:30 with <@U0002|bob> '
        "<@U0003|carol> for 2h",
    )
    first = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    tick(bot, first + timedelta(seconds=1), clock)
    assert "Squad standup" in channel_posts(bot, "C0003")[0]["text"]
    dm = dms(bot, "U0002")[-1]
    button = find_block_action(dm, "standup_open")
    bot.sender.click(
        "U0002",
        action_id="standup_open",
        value=button["value"],
        channel_id=bot.workspace.dm_of("U0002").id,
        message_ts=dm["ts"],
    )
    bot.sender.submit_view(
        "U0002",
        top_view(bot, "U0002")["id"],
        {
            "yesterday": text_input("Shipped the export fix"),
            "today": text_input("Dark mode spike"),
            "blockers": text_input(""),
        },
    )
    tick(bot, first + timedelta(hours=2, seconds=1), clock)
    tick(bot, first + timedelta(hours=2, seconds=2), clock)
    reports = [m for m in channel_posts(bot, "C0003") if "report" in m["text"].lower()]
    assert len(reports) == 1
    report = json.dumps(reports[0]["blocks"])
    assert "Bob Martin" in report and "Shipped the export fix" in report
    assert "No answer from Carol Tanaka" in report and "<@" not in report


def test_two_clocks_post_each_occurrence_once(
    bot: Sandbox, engine: Engine, clock: FakeClock, settings: Settings
) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    second = build_deps(bot.settings, now=clock)
    clocks = [Clock(bot.deps), Clock(second)]
    clock.set(datetime(2026, 11, 25, 8, 15, 2, tzinfo=UTC))
    threads = [threading.Thread(target=c.reconcile) for c in clocks for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle()
    assert len(channel_posts(bot, "C0002")) == 1
    second.engine.dispose()


def test_downtime_within_grace_fires_once_and_older_is_skipped(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    # Down at 09:15 Berlin; back at 09:25 (within the 15-minute grace): it fires, once.
    tick(bot, datetime(2026, 11, 25, 8, 25, tzinfo=UTC), clock)
    tick(bot, datetime(2026, 11, 25, 8, 26, tzinfo=UTC), clock)
    assert len(channel_posts(bot, "C0002")) == 1
    # Down all of the next morning; back at 11:00 Berlin: Thursday's is skipped, not posted.
    tick(bot, datetime(2026, 11, 26, 10, 0, tzinfo=UTC), clock)
    assert len(channel_posts(bot, "C0002")) == 1
    with Session(engine) as session:
        rows = session.exec(select(RitualOccurrence).order_by(RitualOccurrence.scheduled_at)).all()
        ritual = session.exec(select(Ritual)).one()
    assert [r.status for r in rows] == ["posted", "skipped"]
    assert ritual.next_at == datetime(2026, 11, 27, 8, 15, tzinfo=UTC)


def test_a_failing_post_goes_to_the_outbox_and_is_delivered_later(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    bot.workspace.inject("chat.postMessage", *[Fault(status=503)] * 4)
    tick(bot, datetime(2026, 11, 25, 8, 15, 1, tzinfo=UTC), clock)
    assert channel_posts(bot, "C0002") == []
    with Session(engine) as session:
        rows = {row.dedupe_key: row for row in session.exec(select(Outbox))}
    # The job (make the occurrence's posts) is done; its post waits in the outbox.
    assert set(rows) == {"job:occurrence:1", "occurrence:1"}
    assert rows["job:occurrence:1"].delivered_at is not None
    assert rows["occurrence:1"].delivered_at is None
    tick(bot, datetime(2026, 11, 25, 8, 15, 30, tzinfo=UTC), clock)
    assert channel_posts(bot, "C0002") == []
    tick(bot, datetime(2026, 11, 25, 8, 16, 30, tzinfo=UTC), clock)
    assert len(channel_posts(bot, "C0002")) == 1
    tick(bot, datetime(2026, 11, 25, 8, 17, tzinfo=UTC), clock)
    assert len(channel_posts(bot, "C0002")) == 1
    with Session(engine) as session:
        occurrence = session.exec(select(RitualOccurrence)).one()
        assert occurrence.message_ts is not None
        delivered = session.exec(select(Outbox).where(Outbox.dedupe_key == "occurrence:1")).one()
        assert delivered.delivered_at is not None
        assert delivered.message_ts == occurrence.message_ts


def test_list_next_pause_resume_cancel(bot: Sandbox, engine: Engine, clock: FakeClock) -> None:
    bot.sender.slash_command("U0001", "C0002", '/ritual add sync "Daily sync" daily at 9:15')
    bot.sender.slash_command("U0002", "C0002", "/ritual list")
    assert "Daily sync" in ephemerals(bot, "U0002")[-1]
    bot.sender.slash_command("U0002", "C0002", "/ritual next")
    # Bob sees it in New York time: 09:15 Berlin is 03:15 there.
    assert "03:15 (America/New_York)" in ephemerals(bot, "U0002")[-1]
    bot.sender.slash_command("U0002", "C0002", "/ritual pause R-1")
    assert "Only its creator or ops" in ephemerals(bot, "U0002")[-1]
    bot.sender.slash_command("U0001", "C0002", "/ritual pause R-1")
    tick(bot, datetime(2026, 11, 25, 8, 15, 1, tzinfo=UTC), clock)
    assert channel_posts(bot, "C0002") == []
    bot.sender.slash_command("U0001", "C0002", "/ritual resume R-1")
    assert "Next: Thu 26 Nov 2026, 09:15" in ephemerals(bot, "U0001")[-1]
    bot.sender.slash_command("U0001", "C0002", "/ritual cancel R-1")
    tick(bot, datetime(2026, 11, 26, 8, 15, 1, tzinfo=UTC), clock)
    assert channel_posts(bot, "C0002") == []


def test_the_form_schedules_and_edits(bot: Sandbox, engine: Engine) -> None:
    bot.sender.slash_command("U0001", "C0002", "/ritual add")
    view = top_view(bot, "U0001")
    values = {
        "r_kind": {"value": {"type": "static_select", "selected_option": {"value": "brainstorm"}}},
        "r_title": text_input("Onboarding ideas"),
        "r_when": text_input("every tuesdy at 9"),
        "r_channel": {"value": {"type": "conversations_select", "selected_conversation": "C0003"}},
        "r_people": {"value": {"type": "multi_users_select", "selected_users": ["U0004"]}},
        "r_duration": text_input("45m"),
        "r_agenda": text_input(""),
    }
    bot.sender.submit_view("U0001", view["id"], values)
    assert "try:" in top_view(bot, "U0001")["_errors"]["r_when"]
    values["r_when"] = text_input("every tue at 9")
    bot.sender.submit_view("U0001", view["id"], values)
    assert "Scheduled *R-1*" in ephemerals(bot, "U0001")[-1]
    bot.sender.slash_command("U0001", "C0002", "/ritual edit R-1")
    edit = top_view(bot, "U0001")
    assert edit["blocks"][1]["element"]["initial_value"] == "Onboarding ideas"
    values["r_title"] = text_input("Onboarding ideas v2")
    bot.sender.submit_view("U0001", edit["id"], values)
    with Session(engine) as session:
        ritual = session.exec(select(Ritual)).one()
    assert (ritual.title, ritual.kind, ritual.channel_id, ritual.duration_minutes) == (
        "Onboarding ideas v2",
        "brainstorm",
        "C0003",
        45,
    )


def test_the_sandbox_clock_fast_forwards_to_the_next_post(
    settings: Settings, engine: Engine
) -> None:
    import requests

    from bot.sandbox.server import SandboxClock

    running = start_sandbox(settings, now=SandboxClock())
    running.sender.settle = running.settle
    try:
        running.sender.slash_command(
            "U0001", "C0002", '/ritual add sync "Planning" tomorrow at 3pm'
        )
        assert channel_posts(running, "C0002") == []
        before = requests.get(f"{running.url}/sandbox/clock", timeout=5).json()
        answer = requests.post(f"{running.url}/sandbox/clock", json={"to": "next"}, timeout=30)
        running.settle()
        assert answer.status_code == 200 and answer.json()["offset_seconds"] > 3600
        assert answer.json()["now"] > before["now"]
        [post] = channel_posts(running, "C0002")
        assert "Planning" in post["text"]
        refused = requests.post(f"{running.url}/sandbox/clock", json={"to": "yesterday"}, timeout=5)
        assert refused.status_code == 400
    finally:
        running.stop()
