"""App Home's builder: golden files for a member and for ops, and Slack's limits at any size.

The golden JSON files in tests/golden/ are what `build_home` returns for fixed data. After a
deliberate change to the tab, regenerate them with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_home.py

and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import home as blocks
from bot.sandbox.webapi import check_blocks
from bot.schedule import describe, parse_schedule
from bot.services.feedback import FeedbackItem
from bot.services.home import HomeData, OpsPanel, Picked, Rsvp
from bot.services.kpis import KpiInfo, Point, Summary, Target
from bot.services.rituals import RitualInfo
from bot.services.stack import Cost, ToolInfo, parse_cost
from bot.services.team_settings import TeamConfig

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
HOSTILE = "<!channel> &<>*_~` " * 300


def item(number: int, **changes: Any) -> FeedbackItem:
    values: dict[str, Any] = {
        "number": number,
        "text": f"CSV export times out on large accounts ({number})",
        "reporter_id": "U0002",
        "channel_id": "C0002",
        "tags": ("export",),
        "customer": "Acme",
        "area": None,
        "urgency": "normal",
        "status": "new",
        "created_at": NOW - timedelta(hours=number),
        "votes": number % 7,
    }
    values.update(changes)
    return FeedbackItem(**values)


def ritual(number: int, title: str = "Squad standup", kind: str = "standup") -> RitualInfo:
    rule = parse_schedule("every weekday at 9:30", now=NOW, tz="Europe/Berlin")
    return RitualInfo(
        number=number,
        kind=kind,
        title=title,
        schedule=describe(rule),
        tz="Europe/Berlin",
        channel_id="C0003",
        participants=("U0001", "U0002"),
        agenda=None,
        duration_minutes=30,
        reminder_minutes=15,
        creator_id="U0001",
        status="active",
        next_at=NOW + timedelta(minutes=30),
        rule=rule,
    )


def summary(name: str, value: str | None, before: str | None = None) -> Summary:
    kpi = KpiInfo(
        id=1,
        team_id="T0001",
        name=name,
        unit="%",
        target=Target(">=", Decimal(40)),
        direction="up",
        channel_id=None,
        description=None,
        created_by="U0001",
        created_at=NOW,
    )
    return Summary(
        kpi=kpi,
        latest=Point(TODAY, Decimal(value)) if value else None,
        week_ago=Point(TODAY - timedelta(days=7), Decimal(before)) if before else None,
    )


def tool(number: int, **changes: Any) -> ToolInfo:
    values: dict[str, Any] = {
        "id": number,
        "team_id": "T0001",
        "name": f"Tool {number}",
        "owner_id": "U0002",
        "purpose": "design",
        "url": "https://figma.com",
        "cost": parse_cost("$45/mo"),
        "renewal_on": TODAY + timedelta(days=number),
        "created_by": "U0001",
        "created_at": NOW,
    }
    values.update(changes)
    return ToolInfo(**values)


CONFIG = TeamConfig(
    feedback_reactions=("inbox_tray", "bulb"),
    feedback_channel="C0001",
    default_timezone="Europe/Berlin",
    customized=frozenset({"feedback_channel"}),
)
NAMES = {"U0001": "Ann Lee", "U0002": "Bob Martin", "U0003": "Carol Tanaka"}


def member_home() -> HomeData:
    return HomeData(
        user_id="U0002",
        viewer_tz="America/New_York",
        now=NOW,
        feedback=[item(1), item(2, status="shipped", owner_id="U0001"), item(3, merged_into=1)],
        more_feedback=False,
        rituals=[(ritual(1), NOW + timedelta(minutes=30)), (ritual(1), NOW + timedelta(days=1))],
        more_rituals=False,
        rsvps=[Rsvp("R-2", "Pricing discovery", "workshop", NOW - timedelta(days=1), "going")],
        reactions=("inbox_tray",),
        names=NAMES,
    )


def ops_home() -> HomeData:
    return replace(
        member_home(),
        user_id="U0001",
        viewer_tz="Europe/Berlin",
        more_feedback=True,
        notice="Bob Martin now has the ops role.",
        ops=OpsPanel(
            newest=[item(4), item(5, owner_id="U0003")],
            most_voted=[item(6, votes=12)],
            more_to_triage=True,
            kpis=[summary("nps", "41", "38"), summary("activation", "31"), summary("churn", None)],
            kpi_total=12,
            renewals=[tool(-3, name="Old CRM"), tool(12, name="Figma"), tool(30, owner_id=None)],
            renewal_total=3,
            today=TODAY,
            config=CONFIG,
            granted=("U0003",),
            picked=Picked("U0002", "granted"),
        ),
    )


def empty_home(ops: bool) -> HomeData:
    panel = OpsPanel(
        newest=[],
        most_voted=[],
        more_to_triage=False,
        kpis=[],
        kpi_total=0,
        renewals=[],
        renewal_total=0,
        today=TODAY,
        config=TeamConfig(("inbox_tray",), None, "UTC"),
    )
    return HomeData(
        user_id="U0001",
        viewer_tz="UTC",
        now=NOW,
        feedback=[],
        more_feedback=False,
        rituals=[],
        more_rituals=False,
        rsvps=[],
        ops=panel if ops else None,
    )


def huge_home() -> HomeData:
    """Thousands of everything, hostile text everywhere; the builder gets what services give
    (a few of each), but must hold even if handed whole lists."""
    items = [
        item(n, text=HOSTILE, customer=HOSTILE[:200], tags=("x" * 100,) * 10) for n in range(3000)
    ]
    return HomeData(
        user_id="U0001",
        viewer_tz="Pacific/Chatham",
        now=NOW,
        feedback=items,
        more_feedback=True,
        rituals=[(ritual(1, HOSTILE[:200], "workshop"), NOW)] * 2000,
        more_rituals=True,
        rsvps=[Rsvp(f"R-{n}", HOSTILE[:200], "workshop", NOW, "maybe") for n in range(2000)],
        reactions=tuple(f"emoji_{n}" for n in range(10)),
        notice=HOSTILE,
        names={f"U{n:04d}": HOSTILE[:80] for n in range(100)},
        ops=OpsPanel(
            newest=items[:3000],
            most_voted=items[:3000],
            more_to_triage=True,
            kpis=[summary(f"kpi-{n}", str(n)) for n in range(1000)],
            kpi_total=1000,
            renewals=[
                tool(n, name=HOSTILE[:64], cost=Cost(Decimal(10**11), "USD", "month", "x"))
                for n in range(2000)
            ],
            renewal_total=2000,
            today=TODAY,
            config=TeamConfig(tuple(f"e{n}" for n in range(10)), "C0001", "Pacific/Chatham"),
            granted=tuple(f"U{n:04d}" for n in range(5000)),
            picked=Picked("U0002", "builtin"),
        ),
    )


def assert_fits(view: dict[str, Any], surface: str) -> None:
    assert check_blocks(view["blocks"], surface=surface) == []
    ids = Counter(b["block_id"] for b in view["blocks"] if "block_id" in b)
    assert not [i for i, n in ids.items() if n > 1], "block_ids must be unique in a view"
    for block in view["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    if surface == "modal":
        assert len(view["title"]["text"]) <= 24
    mrkdwn = json.dumps(view["blocks"])
    assert "<!channel>" not in mrkdwn


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("home_member", member_home),
        ("home_ops", ops_home),
        ("home_empty_member", lambda: empty_home(False)),
        ("home_empty_ops", lambda: empty_home(True)),
    ],
)
def test_home_matches_its_golden_file(name: str, data: Any) -> None:
    view = blocks.build_home(data())
    path = GOLDEN / f"{name}.json"
    rendered = json.dumps(view, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_text(encoding="utf-8")
    assert_fits(view, "home")


def test_member_home_shows_their_things_and_no_ops_tools() -> None:
    view = blocks.build_home(member_home())
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "*FB-2* 'CSV export times out on large accounts (2)' · :rocket: Shipped" in text
    assert "merged into FB-1" in text
    assert "Wed 25 Nov 2026, 03:30 (America/New_York)" in text
    assert "*Pricing discovery* (R-2)" in text and "*Going*" in text
    assert "Triage inbox" not in text and "home_ops_pick" not in text
    assert "feedback_set_status" not in text


def test_ops_home_has_triage_kpis_renewals_and_settings() -> None:
    view = blocks.build_home(ops_home())
    text = json.dumps(view["blocks"], ensure_ascii=False)
    actions = {
        e.get("action_id")
        for b in view["blocks"]
        for e in [*b.get("elements", []), b.get("accessory") or {}]
    }
    assert {
        "feedback_set_status",
        "feedback_set_owner",
        "feedback_vote",
        "home_see_all",
        "home_ops_pick",
        "home_ops_grant",
        "home_ops_revoke",
        "home_settings_open",
    } <= actions
    assert [
        b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("triage:")
    ] == [
        "triage:4",
        "triage:5",
        "triage:6",
    ]
    assert "See all 12 KPIs" in text
    assert "renewal passed on Sun 22 Nov 2026 without an update" in text
    assert "*Triage channel* (team setting): <#C0001>" in text
    assert "Bob Martin has the ops role, granted here" in text


def test_nothing_picked_means_buttons_without_values() -> None:
    view = blocks.build_home(empty_home(True))
    [ops] = [b for b in view["blocks"] if b.get("block_id") == blocks.OPS_BLOCK]
    assert [("value" in e) for e in ops["elements"]] == [False, False, False]
    assert "KPIs: none yet" in json.dumps(view["blocks"])


def test_a_huge_team_stays_within_100_blocks() -> None:
    view = blocks.build_home(huge_home())
    assert len(view["blocks"]) <= 100
    assert_fits(view, "home")


def test_see_all_modals_fit_a_modal_whatever_the_size() -> None:
    data = huge_home()
    assert data.ops is not None
    lines = [blocks.feedback_line(i, data.names) for i in data.feedback]
    modals = [
        blocks.build_list_modal("My feedback and more words than fit", lines),
        blocks.build_list_modal("KPIs", [blocks.kpi_line(s) for s in data.ops.kpis], total=5000),
        blocks.build_list_modal("Nothing", []),
        blocks.build_triage_modal(data.feedback[:20], data.names, more=True),
        blocks.build_settings_modal(data.ops.config),
        blocks.build_settings_modal(CONFIG),
    ]
    for modal in modals:
        assert modal["type"] == "modal"
        assert_fits(modal, "modal")
    assert len(modals[0]["blocks"]) <= 100
    assert modals[1]["blocks"][-1]["elements"][0]["text"].endswith("more.")


def test_see_all_list_counts_what_it_left_out() -> None:
    lines = [f"• line {n} " + "x" * 200 for n in range(3000)]
    modal = blocks.build_list_modal("Lines", lines)
    shown = sum(
        b["text"]["text"].count("• line") for b in modal["blocks"] if b["type"] == "section"
    )
    left = modal["blocks"][-1]["elements"][0]["text"]
    assert left == f"… and {3000 - shown} more."
