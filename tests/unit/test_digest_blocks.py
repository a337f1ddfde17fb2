"""The digest's builder: golden files, Slack's limits at the largest inputs, safe text.

The golden JSON files in tests/golden/digest_*.json are what `build_digest` returns for fixed
reports. After a deliberate change to the digest, regenerate them with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_digest_blocks.py

and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import digest as blocks
from bot.blocks.usage import build_usage_card
from bot.sandbox.webapi import check_blocks
from bot.services.digests import (
    DigestReport,
    FeedbackNumbers,
    RitualHeld,
    ThemeMove,
    facts_text,
    window_before,
    with_tldr,
)
from bot.services.feedback import FeedbackItem
from bot.services.kpis import KpiInfo, Point, Summary, Target
from bot.services.retros import ActionInfo
from bot.services.stack import ToolInfo, parse_cost
from bot.summarize import ActionItem
from bot.summarize import Summary as TextSummary
from bot.text import MESSAGE_BLOCKS_MAX

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
# Monday 30 Nov 2026, 09:00 in Berlin: the run; the week is the 7 days before it.
RUN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TZ = "Europe/Berlin"
HOSTILE = "<!channel> <@U0002> <!here|here> @everyone &<>*_~` "
NAMES = {"U0001": "Ann Lee", "U0002": "Bob Martin", "U0003": "Carol Tanaka"}


def kpi(kpi_id: int, name: str, unit: str | None = None, target: str | None = None) -> KpiInfo:
    return KpiInfo(
        id=kpi_id,
        team_id="T0001",
        name=name,
        unit=unit,
        target=Target(">=", Decimal(target)) if target else None,
        direction="up",
        channel_id=None,
        description=None,
        created_by="U0001",
        created_at=RUN - timedelta(days=400),
    )


def summary(info: KpiInfo, values: list[str]) -> Summary:
    """Weekly values ending the day before the run, oldest first."""
    last = date(2026, 11, 29)
    points = tuple(
        Point(last - timedelta(weeks=len(values) - 1 - n), Decimal(v)) for n, v in enumerate(values)
    )
    return Summary(
        kpi=info,
        latest=points[-1] if points else None,
        week_ago=points[-2] if len(points) > 1 else None,
        points=points,
    )


def item(number: int, text: str, votes: int, status: str = "new") -> FeedbackItem:
    return FeedbackItem(
        number=number,
        text=text,
        reporter_id="U0002",
        channel_id="C0002",
        tags=(),
        customer=None,
        area=None,
        urgency="normal",
        status=status,
        created_at=RUN - timedelta(days=3),
        votes=votes,
    )


def tool(tool_id: int, name: str, renewal: date, owner: str | None, cost: str) -> ToolInfo:
    return ToolInfo(
        id=tool_id,
        team_id="T0001",
        name=name,
        owner_id=owner,
        purpose="design",
        url=None,
        cost=parse_cost(cost),
        renewal_on=renewal,
        created_by="U0001",
        created_at=RUN - timedelta(days=100),
    )


def full_report() -> DigestReport:
    nps = kpi(1, "nps", "%", "40")
    activation = kpi(2, "activation", "%", "30")
    signups = kpi(3, "signups")
    return DigestReport(
        team_id="T0001",
        window=window_before(RUN, TZ),
        kpis=(
            summary(activation, ["27", "26", "25"]),
            summary(nps, ["38", "40", "42"]),
            summary(signups, []),
        ),
        kpi_count=3,
        any_feedback=True,
        feedback=FeedbackNumbers(
            filed=6,
            triaged=3,
            shipped=1,
            declined=1,
            loops_closed=3,
            median_triage=timedelta(hours=6),
            triage_sample=3,
        ),
        themes=(
            ThemeMove("csv export", 3, 2, 7),
            ThemeMove("dark mode", 1, 1, 4),
        ),
        top_items=(
            item(7, "Dark mode for the dashboard", 4),
            item(8, "Slack notifications are too noisy <@U0002|bob> <!here>", 2, "triaged"),
        ),
        any_rituals=True,
        rituals=(RitualHeld(1, "workshop", "Pricing discovery", 1),),
        rsvps={"going": 2, "maybe": 1},
        any_actions=True,
        actions=(
            ActionInfo(1, "Fix the flaky deploy", "U0001", date(2026, 11, 20), "open", 1),
            ActionInfo(2, "Write the export FAQ", None, date(2026, 12, 10), "open", 1),
        ),
        open_actions=2,
        overdue_actions=1,
        any_tools=True,
        renewals=(tool(1, "Figma", date(2026, 12, 15), "U0001", "$45/mo"),),
        names=NAMES,
        tldr="Feedback this week: 6 new items, 3 triaged, 1 shipped.",
        channel_id="C0003",
        channel_summary=TextSummary(
            tldr="The squad agreed to ship the CSV fix on Friday.",
            key_points=("Exports time out for big accounts.",),
            decisions=("Ship the fix on Friday.",),
            action_items=(ActionItem("Write the release note", "Ann Lee", "Thursday"),),
            offline=True,
        ),
    )


def empty_report() -> DigestReport:
    return DigestReport(
        team_id="T0001", window=window_before(RUN, TZ), tldr="A quiet week: nothing to report yet."
    )


def largest_report() -> DigestReport:
    """Every list at its longest, every text at Slack's limits and hostile."""
    long_name = "k" * 64
    kpis = tuple(
        summary(kpi(n, f"{long_name[:60]}{n:04d}", "%", "1000000000"), ["123456789.123456"] * 12)
        for n in range(500)
    )
    text = (HOSTILE * 200)[:4000]
    report = full_report()
    return replace(
        report,
        kpis=kpis,
        kpi_count=500,
        themes=tuple(ThemeMove(HOSTILE * 5, 10**6, 0, 10**6) for _ in range(5)),
        top_items=tuple(item(10**9 - n, text, 10**6) for n in range(5)),
        rituals=tuple(RitualHeld(n, "workshop", text[:200], 99) for n in range(10)),
        actions=tuple(
            ActionInfo(n, text, "U0001", date(2026, 1, 1), "open", 10**6) for n in range(8)
        ),
        open_actions=10**6,
        overdue_actions=10**6,
        renewals=tuple(
            tool(n, (HOSTILE * 3)[:64], date(2026, 12, 1), "U0002", "$99,999/mo") for n in range(10)
        ),
        names={"U0001": HOSTILE * 10, "U0002": HOSTILE * 10},
        tldr=text * 10,
        tldr_model=HOSTILE * 20,
        channel_summary=TextSummary(
            tldr=text,
            key_points=tuple(text for _ in range(7)),
            decisions=tuple(text for _ in range(8)),
            action_items=tuple(ActionItem(text, HOSTILE, HOSTILE) for _ in range(12)),
            questions=tuple(text for _ in range(6)),
        ),
    )


def assert_fits(message: dict[str, Any]) -> None:
    assert check_blocks(message["blocks"]) == []
    assert len(message["blocks"]) <= MESSAGE_BLOCKS_MAX
    assert len(message["text"]) <= 300
    rendered = json.dumps(message, ensure_ascii=False)
    for ping in ("<!channel>", "<!here", "<!everyone>", "<@U"):
        assert ping not in rendered


@pytest.mark.parametrize(
    ("name", "report", "preview"),
    [
        ("digest_full", full_report, False),
        ("digest_preview", full_report, True),
        ("digest_empty", empty_report, False),
    ],
)
def test_digest_matches_its_golden_file(name: str, report: Any, preview: bool) -> None:
    message = blocks.build_digest(report(), preview=preview)
    path = GOLDEN / f"{name}.json"
    rendered = json.dumps(message, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_text(encoding="utf-8")
    assert_fits(message)


def test_every_section_is_there_with_its_numbers() -> None:
    text = json.dumps(blocks.build_digest(full_report())["blocks"], ensure_ascii=False)
    assert "Mon 23 Nov – Mon 30 Nov 2026" in text
    assert "*nps* 42% · ▲ +2 pts (+5.0%), better vs last week" in text
    assert ":white_check_mark: target met (≥ 40%)" in text
    assert "*activation* 25% · ▼ -1 pts (-3.8%), worse vs last week · :x: target missed" in text
    assert "*signups* no values yet" in text
    assert "1 of 2 on target" in text
    assert "Chart of the last 12 weeks in the thread (2 KPIs)" in text
    for label, value in (
        ("New", "6"),
        ("Triaged", "3"),
        ("Shipped", "1"),
        ("Loops closed", "3 DMs"),
        ("Median time to first triage", "6 h (3 items)"),
    ):
        assert f"*{label}*\\n{value}" in text
    assert "*csv export* 3 this week, ▲ 1 more than the week before (2)" in text
    assert "*dark mode* 1 this week, ▶ as many as the week before (1)" in text
    assert "*FB-7* 'Dark mode for the dashboard' · 4 votes · :new: New" in text
    assert "@Bob Martin" in text and "@\u2060here" in text
    assert "*Pricing discovery* (R-1) · workshop · held 1 time" in text
    assert "RSVPs: 2 going, 1 maybe" in text
    assert "2 open, 1 overdue" in text
    assert "Fix the flaky deploy (Ann Lee · due 2026-11-20 :warning: overdue) · retro 1" in text
    assert "Write the export FAQ (no owner · due 2026-12-10) · retro 1" in text
    assert "*Figma*" in text and "(in 15 days)" in text and "Ann Lee" in text
    assert "The week in <#C0003>" in text and "Ship the fix on Friday." in text


def test_an_empty_team_says_none_yet_in_every_section() -> None:
    message = blocks.build_digest(empty_report())
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    titles = ("KPIs", "Feedback", "Top themes", "Most voted", "Rituals", "retro action", "renewals")
    for title in titles:
        [found] = [s for s in sections if title in s]
        assert found.endswith("_none yet_"), found


def test_the_preview_says_so_and_mentions_the_chart() -> None:
    text = json.dumps(blocks.build_digest(full_report(), preview=True), ensure_ascii=False)
    assert "Preview, only you can see this" in text
    assert "The posted digest comes with a chart of the last 12 weeks" in text
    assert "in the thread" not in text


def test_the_largest_inputs_stay_within_slacks_limits() -> None:
    for preview in (False, True):
        message = blocks.build_digest(largest_report(), preview=preview)
        assert_fits(message)
        text = json.dumps(message, ensure_ascii=False)
        assert "/kpi list" in text  # the cut KPI list points to the rest
        assert "&lt;" in text and "&amp;" in text


def test_text_is_escaped_and_broadcasts_are_inert() -> None:
    report = replace(full_report(), tldr=HOSTILE)
    message = blocks.build_digest(report)
    assert_fits(message)
    tldr = message["blocks"][2]["text"]["text"]
    assert "@\u2060channel" in tldr and "@\u2060everyone" in tldr
    assert "&amp;&lt;&gt;" in tldr


def test_facts_for_the_tldr_name_the_numbers() -> None:
    sentences = facts_text(full_report())
    assert sentences[0].startswith("Feedback this week: 6 new items, 3 triaged, 1 shipped")
    assert "Median time to first triage was 6 h." in sentences[0]
    assert any("1 of 2 on target; off target: activation" in s for s in sentences)
    report = with_tldr(full_report(), llm=None)
    assert report.tldr and "6 new items" in report.tldr and report.tldr_model is None
    quiet = with_tldr(empty_report(), llm=None)
    assert quiet.tldr == "A quiet week: nothing to report yet."


def test_usage_card_and_answers() -> None:
    card = json.dumps(build_usage_card(blocks.DIGEST_USAGE))
    assert "subscribe #product weekly on mon at 9:00" in card and "Examples" in card
    assert "won't get" in blocks.build_unsubscribed("C0003", had=True)["text"]
    assert "has no weekly digest" in blocks.build_unsubscribed("C0003", had=False)["text"]
