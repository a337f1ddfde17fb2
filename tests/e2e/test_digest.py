"""/digest end to end: subscribe (ops only), preview, post now with the chart, and the clock
posting each week's digest once, catching up after a short downtime, stopping on unsubscribe.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot import digests as jobs
from bot.deps import build_deps
from bot.sandbox.server import Sandbox
from bot.scheduling import Clock
from bot.services.roles import OPS_ONLY
from storage.models import DigestRun, DigestSubscription, ScheduledTask
from tests.e2e.helpers import FakeClock, ephemerals, text_of, tick
from tests.unit.test_digest_service import RUN, seed_week

pytestmark = pytest.mark.e2e

# Wednesday 25 Nov 2026, 08:00 UTC (09:00 in Berlin, Ann's timezone).
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SUBSCRIBE = "/digest subscribe <#C0003|squad-a> weekly on mon at 9:00"


def answer(bot: Sandbox, user: str, channel: str, line: str) -> str:
    """Type a command; what the person was shown privately, as one string."""
    before = len(ephemerals(bot, user))
    delivery = bot.sender.slash_command(user, channel, line)
    assert delivery.status == 200
    shown = ephemerals(bot, user)[before:]
    assert shown, f"no answer to {line}"
    return "\n".join(shown)


def digests_in(bot: Sandbox, channel: str) -> list[dict[str, Any]]:
    """The bot's top-level posts in a channel (chart uploads go in their threads)."""
    return [
        m
        for m in bot.workspace.messages_in(channel)
        if m.get("bot_id") and m.get("thread_ts") in (None, m["ts"])
    ]


def uploads(bot: Sandbox) -> list[Any]:
    return bot.workspace.calls_to("files.completeUploadExternal")


def assert_no_pings(message: dict[str, Any]) -> None:
    shown = text_of(message)
    for ping in ("<@U", "<!here", "<!channel", "<!everyone"):
        assert ping not in shown


def digest_tasks(engine: Engine) -> list[ScheduledTask]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ScheduledTask)
                .where(ScheduledTask.kind == "digest")
                .order_by(col(ScheduledTask.run_at))
            )
        )


# ---------------------------------------------------------------------- commands


@pytest.mark.parametrize("line", ["/digest", "/digest help", "/digest sned", "/digest now please"])
def test_help_empty_unknown_and_extra_words_get_the_usage_card(bot: Sandbox, line: str) -> None:
    shown = answer(bot, "U0002", "C0002", line)
    assert "Examples" in shown and "/digest subscribe" in shown
    assert "not available" not in shown
    if line == "/digest sned":
        assert "unknown subcommand" in shown and "`sned`" in shown


def test_subscribe_is_for_ops_and_plans_the_weekly_runs(bot: Sandbox, engine: Engine) -> None:
    for line in (SUBSCRIBE, "/digest now", "/digest unsubscribe <#C0003|squad-a>"):
        assert OPS_ONLY in answer(bot, "U0002", "C0002", line)
    with Session(engine) as session:
        assert session.exec(select(DigestSubscription)).all() == []

    shown = answer(bot, "U0001", "C0002", SUBSCRIBE)
    assert "gets the weekly digest every Monday at 09:00 (Europe/Berlin)" in shown
    assert "Next: Mon 30 Nov, 09:00 (Europe/Berlin)" in shown
    with Session(engine) as session:
        [row] = session.exec(select(DigestSubscription)).all()
    assert (row.channel_id, row.tz, row.created_by, row.active) == (
        "C0003",
        "Europe/Berlin",
        "U0001",
        True,
    )
    assert digest_tasks(engine)[0].run_at == RUN

    # Defaults: this channel, Mondays at 9:00 in the subscriber's timezone.
    shown = answer(bot, "U0001", "C0002", "/digest subscribe")
    assert "<#C0002> gets the weekly digest every Monday at 09:00 (Europe/Berlin)" in shown
    # A mistake is quoted and changes nothing.
    shown = answer(bot, "U0001", "C0001", "/digest subscribe daily at 9")
    assert "not a weekly time" in shown and "`daily at 9`" in shown
    with Session(engine) as session:
        assert len(session.exec(select(DigestSubscription)).all()) == 2


def test_preview_shows_every_section_only_to_the_caller(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    seed_week(engine)
    clock.set(RUN)
    shown = answer(bot, "U0002", "C0002", "/digest preview")
    assert "Putting this week's digest together" in shown
    preview = bot.workspace.ephemerals_for("U0002")[-1]
    assert_no_pings(preview)
    text = text_of(preview)
    for expected in (
        "Weekly digest",
        "Preview, only you can see this",
        "*TL;DR*",
        "KPIs*  1 of 2 on target",
        "*nps* 42% · ▲ +2 pts (+5.0%), better vs last week",
        ":x: target missed (≥ 30%)",
        "*signups* no values yet",
        "The posted digest comes with a chart of the last 12 weeks",
        "Feedback this week",
        "*New*\\n6",
        "*Triaged*\\n4",
        "*Shipped*\\n1",
        "*Loops closed*\\n3 DMs",
        "*Median time to first triage*\\n15 h (4 items)",
        "Top themes",
        "Most voted open feedback",
        "*FB-9* 'Dark mode for the dashboard' · 4 votes",
        "*Pricing discovery* (R-1) · workshop · held 2 times",
        "RSVPs: 2 going, 1 maybe",
        "2 open, 1 overdue",
        "Fix the flaky deploy (Ann Lee · due 2026-11-20 :warning: overdue)",
        "*Figma*",
        "(in 15 days)",
    ):
        assert expected in text, expected
    assert "Miro" not in text
    assert digests_in(bot, "C0002") == [] and uploads(bot) == []


def test_now_posts_the_digest_and_its_chart_once(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    seed_week(engine)
    clock.set(RUN)
    answer(bot, "U0001", "C0002", "/digest now")
    [post] = digests_in(bot, "C0002")
    assert "Weekly digest" in text_of(
        post
    ) and "Chart of the last 12 weeks in the thread" in text_of(post)
    assert_no_pings(post)
    [upload] = uploads(bot)
    assert upload.args["channel_id"] == "C0002" and upload.args["thread_ts"] == post["ts"]
    [stored] = bot.workspace.files.values()
    assert stored["content"].startswith(PNG_SIGNATURE)
    assert stored["name"] == "digest-kpis-2026-11-30.png"
    [chart] = [m for m in bot.workspace.messages_in("C0002") if m.get("files")]
    assert chart["thread_ts"] == post["ts"] and "nps" in chart["text"]

    # A Slack retry of the same command (same trigger) posts nothing more.
    with Session(engine) as session:
        [run] = session.exec(select(DigestRun)).all()
    assert run.message_ts == post["ts"] and run.subscription_id == 0
    again = jobs.post_now(
        bot.deps,
        bot.deps.client,
        team_id="T0001",
        channel_id="C0002",
        tz="Europe/Berlin",
        trigger=run.period.removeprefix("now:"),
        subscription=None,
    )
    assert again is None and len(digests_in(bot, "C0002")) == 1 and len(uploads(bot)) == 1


def test_now_where_the_bot_cannot_post_says_so(bot: Sandbox) -> None:
    from bot.sandbox.workspace import Fault

    bot.workspace.inject("chat.postMessage", Fault(error="not_in_channel"))
    shown = answer(bot, "U0001", "C0003", "/digest now")
    assert "invite me with `/invite @productops`" in "\n".join(ephemerals(bot, "U0001")), shown
    assert digests_in(bot, "C0003") == []


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 1},
        {"status": 500},
        {"delay": 1.5},
        {"after": True, "drop": True},
    ],
    ids=["429", "500", "slow", "dropped-after-posting"],
)
def test_now_through_a_slack_fault_posts_once(bot: Sandbox, fault: dict[str, Any]) -> None:
    from bot.sandbox.workspace import Fault

    bot.workspace.inject("chat.postMessage", Fault(**fault))
    bot.sender.slash_command("U0001", "C0002", "/digest now")
    [post] = digests_in(bot, "C0002")
    assert "Weekly digest" in text_of(post)
    told = "\n".join(ephemerals(bot, "U0001"))
    if fault.get("drop"):
        # Posted, but the answer was lost: not sent again; the person hears it is on its way.
        assert len(bot.workspace.calls_to("chat.postMessage")) == 1
        assert "queued" in told
    else:
        assert "Something went wrong" not in told and "queued" not in told


def test_now_that_slack_keeps_failing_is_queued_and_said_so(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    from bot.sandbox.workspace import Fault

    clock.set(RUN)
    bot.workspace.inject("chat.postMessage", *[Fault(status=503)] * 4)
    shown = answer(bot, "U0001", "C0002", "/digest now")
    assert "It is queued and will appear in this channel" in shown
    assert digests_in(bot, "C0002") == []
    tick(bot, RUN + timedelta(minutes=2), clock)
    [post] = digests_in(bot, "C0002")
    with Session(engine) as session:
        [run] = session.exec(select(DigestRun)).all()
    assert run.message_ts == post["ts"]


def test_a_failure_after_the_ack_is_told_not_hidden(
    bot: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import digests as service

    def broken(**_: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "gather", broken)
    for line in ("/digest preview", "/digest now"):
        shown = answer(bot, "U0001", "C0002", line)
        assert "Something went wrong putting the digest together" in shown, line
    assert digests_in(bot, "C0002") == []


# ---------------------------------------------------------------------- the clock


def test_the_weekly_run_posts_once_with_two_clocks_and_repeated_reconciles(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    seed_week(engine)
    answer(bot, "U0001", "C0002", SUBSCRIBE)
    tick(bot, RUN - timedelta(minutes=1), clock)
    assert digests_in(bot, "C0003") == []

    second = build_deps(bot.settings, now=clock)
    clocks = [Clock(bot.deps), Clock(second)]
    clock.set(RUN + timedelta(seconds=2))
    threads = [threading.Thread(target=c.reconcile) for c in clocks for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle()
    tick(bot, RUN + timedelta(seconds=30), clock)
    tick(bot, RUN + timedelta(minutes=1), clock)
    second.engine.dispose()

    [post] = digests_in(bot, "C0003")
    assert_no_pings(post)
    text = text_of(post)
    assert "Mon 23 Nov – Mon 30 Nov 2026" in text and "*New*\\n6" in text
    [upload] = uploads(bot)
    assert upload.args["thread_ts"] == post["ts"]
    with Session(engine) as session:
        [run] = session.exec(select(DigestRun)).all()
    assert (run.period, run.message_ts) == ("2026-11-30", post["ts"])
    # The next four Mondays are planned.
    pending = [t.run_at for t in digest_tasks(engine) if t.claimed_at is None]
    assert pending == [RUN + timedelta(weeks=n) for n in range(1, 5)]


def test_a_run_missed_within_grace_is_caught_up_once_and_a_late_one_skipped(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    answer(bot, "U0001", "C0002", SUBSCRIBE)
    # Down at 09:00 Berlin on Monday; back at 09:10 (grace is 15 minutes): posted once.
    tick(bot, RUN + timedelta(minutes=10), clock)
    tick(bot, RUN + timedelta(minutes=11), clock)
    assert len(digests_in(bot, "C0003")) == 1
    # Down all of the next Monday morning: that week's digest is skipped, not posted late...
    tick(bot, RUN + timedelta(weeks=1, hours=2), clock)
    assert len(digests_in(bot, "C0003")) == 1
    skipped = [t for t in digest_tasks(engine) if t.run_at == RUN + timedelta(weeks=1)]
    assert skipped[0].outcome == "skipped"
    # ...and the one after goes out as planned.
    tick(bot, RUN + timedelta(weeks=2, seconds=5), clock)
    posts = digests_in(bot, "C0003")
    assert len(posts) == 2 and "Mon 7 Dec – Mon 14 Dec 2026" in text_of(posts[-1])


def test_unsubscribe_stops_the_weekly_digest(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    answer(bot, "U0001", "C0002", SUBSCRIBE)
    shown = answer(bot, "U0001", "C0002", "/digest unsubscribe <#C0003|squad-a>")
    assert "won't get the weekly digest any more" in shown
    assert "has no weekly digest" in answer(bot, "U0001", "C0002", "/digest unsubscribe")
    assert [t for t in digest_tasks(engine) if t.claimed_at is None] == []
    tick(bot, RUN + timedelta(seconds=5), clock)
    tick(bot, RUN + timedelta(weeks=1, seconds=5), clock)
    assert digests_in(bot, "C0003") == []
    # Subscribing again brings it back, under the same subscription.
    answer(bot, "U0001", "C0002", SUBSCRIBE)
    tick(bot, RUN + timedelta(weeks=2, seconds=5), clock)
    assert len(digests_in(bot, "C0003")) == 1
    with Session(engine) as session:
        assert len(session.exec(select(DigestSubscription)).all()) == 1


def test_with_channel_summary_adds_the_channels_week(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    # The emulator stamps messages with the wall clock: the bot's "now" follows it here.
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    answer(bot, "U0001", "C0003", "/digest subscribe with channel summary")
    for user, text in (
        ("U0002", "The CSV export times out for Acme again."),
        ("U0003", "We decided to ship the export fix on Friday."),
        ("U0001", "<@U0002|bob> will write the release note by Thursday. <!here>"),
    ):
        bot.sender.post_message(user, "C0003", text)
    clock.set(now + timedelta(minutes=1))
    answer(bot, "U0001", "C0003", "/digest now")
    [post] = digests_in(bot, "C0003")
    assert_no_pings(post)
    text = text_of(post)
    assert "The week in <#C0003>" in text and "export fix on Friday" in text
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert "Summarized offline" in blocks
