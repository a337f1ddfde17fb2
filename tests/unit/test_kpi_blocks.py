"""KPI Block Kit builders: what they say, and Slack's limits with the largest inputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.blocks import kpi as blocks
from bot.blocks.usage import build_usage_card
from bot.sandbox.webapi import check_blocks
from bot.services.kpis import (
    Alert,
    Defined,
    KpiInfo,
    Point,
    Recorded,
    Summary,
    Target,
)

TODAY = date(2026, 11, 25)
HUGE_NAME = "N" * 64
HOSTILE = "<!channel> & <@U0002> <#C0001|x> " + "&<>" * 160  # 500 characters


def kpi(**changes: Any) -> KpiInfo:
    values: dict[str, Any] = {
        "id": 7,
        "team_id": "T1",
        "name": "nps",
        "unit": "%",
        "target": Target(">=", Decimal(40)),
        "direction": "up",
        "channel_id": "C0003",
        "description": "Net promoter score",
        "created_by": "U0001",
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    values.update(changes)
    return KpiInfo(**values)


def huge_kpi(number: int = 0) -> KpiInfo:
    return kpi(
        id=number,
        name=f"{number:04d}" + HUGE_NAME[4:],
        unit="&<>" * 5 + "u",
        target=Target("<=", Decimal("-123456789.123456")),
        direction="down",
        description=HOSTILE[:500],
    )


BIG = Decimal("-123456789.123456")


def summary(info: KpiInfo, *, latest: bool = True) -> Summary:
    return Summary(
        kpi=info,
        latest=Point(TODAY, BIG) if latest else None,
        week_ago=Point(TODAY - timedelta(days=7), Decimal("999999999.999999")) if latest else None,
        points=(Point(TODAY, BIG),) if latest else (),
    )


def alert(info: KpiInfo) -> Alert:
    return Alert(info, Point(TODAY, BIG), Point(TODAY - timedelta(days=1), Decimal(41)), "missed")


def all_builders() -> list[tuple[str, dict[str, Any]]]:
    big = huge_kpi()
    many = [summary(huge_kpi(n)) for n in range(500)]
    return [
        ("usage", build_usage_card(blocks.KPI_USAGE)),
        ("usage problem", build_usage_card(blocks.KPI_USAGE, problem=HOSTILE, fragment=HOSTILE)),
        ("defined", blocks.build_defined(Defined(big, True))),
        ("defined no channel", blocks.build_defined(Defined(kpi(channel_id=None), False))),
        (
            "recorded",
            blocks.build_recorded(
                Recorded(big, Point(TODAY, BIG), Decimal(1), Point(TODAY, BIG), alert(big))
            ),
        ),
        ("recorded unchanged", blocks.build_recorded(Recorded(big, Point(TODAY, BIG), BIG, None))),
        ("detail", blocks.build_kpi_detail(summary(big), chart=True)),
        ("detail empty", blocks.build_kpi_detail(summary(big, latest=False), chart=False)),
        ("list", blocks.build_kpi_list(many, total=900)),
        ("list empty", blocks.build_kpi_list([])),
        ("confirm", blocks.build_delete_confirm(big, 10**9)),
        ("deleted", blocks.build_deleted(big.name, 10**9)),
        ("alert", blocks.build_alert(alert(big), by=HOSTILE)),
    ]


@pytest.mark.parametrize(("name", "message"), all_builders(), ids=[n for n, _ in all_builders()])
def test_every_builder_fits_slack_at_its_largest(name: str, message: dict[str, Any]) -> None:
    assert message["text"]
    assert check_blocks(message.get("blocks")) == []
    assert len(message["text"]) <= 40000


@pytest.mark.parametrize(("name", "message"), all_builders(), ids=[n for n, _ in all_builders()])
def test_user_text_never_pings(name: str, message: dict[str, Any]) -> None:
    rendered = json.dumps(message.get("blocks", []))
    assert "<!channel>" not in rendered and "<@U0002>" not in rendered


def test_defined_card_shows_the_options() -> None:
    card = blocks.build_defined(Defined(kpi(), True))
    assert card["text"] == "Defined KPI nps"
    fields = [f["text"] for f in card["blocks"][1]["fields"]]
    assert fields == [
        "*Unit*\n%",
        "*Target*\n≥ 40%",
        "*Direction*\nhigher is better",
        "*Alerts*\n<#C0003> when a value crosses the target",
    ]
    off = blocks.build_defined(Defined(kpi(channel_id=None), False))
    assert off["text"] == "Updated KPI nps"
    assert "add channel:#x" in off["blocks"][1]["fields"][3]["text"]


def test_recorded_says_when_it_replaced_a_value() -> None:
    point = Point(date(2026, 11, 20), Decimal("41.5"))
    replaced = blocks.build_recorded(Recorded(kpi(), point, Decimal(40), None))
    assert replaced["text"] == "Recorded nps = 41.5% for Fri 20 Nov 2026. It replaces 40%."
    same = blocks.build_recorded(Recorded(kpi(), point, Decimal("41.5"), None))
    assert "nothing changed" in same["text"]


def test_detail_and_chart_comment_show_target_and_change() -> None:
    info = kpi()
    shown = Summary(
        info,
        Point(TODAY, Decimal("41.5")),
        Point(TODAY - timedelta(days=7), Decimal(40)),
        (Point(TODAY, Decimal("41.5")),),
    )
    detail = json.dumps(blocks.build_kpi_detail(shown, chart=True), ensure_ascii=False)
    assert ":white_check_mark: on target (≥ 40%)" in detail
    assert "▲ +1.5 pts (+3.8%), better vs Wed 18 Nov 2026" in detail
    comment = blocks.chart_comment(shown)
    assert comment.startswith("*nps*: *41.5%* on Wed 25 Nov 2026")


def test_alert_names_people_plainly() -> None:
    message = blocks.build_alert(alert(kpi()), by="Bob <Martin>")
    assert message["text"] == "nps is off target: -123,456,789.123456% (target ≥ 40%)"
    context = message["blocks"][1]["elements"][0]["text"]
    assert context.startswith("Recorded by Bob &lt;Martin&gt;")


def test_delete_confirmation_carries_the_kpi_id() -> None:
    card = blocks.build_delete_confirm(kpi(), 1)
    buttons = card["blocks"][1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("kpi_delete_confirm", "7"),
        ("kpi_delete_cancel", "7"),
    ]
    assert card["text"] == "Delete nps and its 1 value?"


def test_a_long_list_says_how_many_more_there_are() -> None:
    many = [summary(huge_kpi(n)) for n in range(500)]
    message = blocks.build_kpi_list(many, total=500)
    listed = sum(b["text"]["text"].count("• ") for b in message["blocks"] if b["type"] == "section")
    footer = message["blocks"][-1]["elements"][0]["text"]
    assert 0 < listed < 500
    assert footer.startswith(f"… and {500 - listed} more.")
    short = blocks.build_kpi_list([summary(kpi())])
    assert short["blocks"][-1]["elements"][0]["text"].startswith("`/kpi show")
