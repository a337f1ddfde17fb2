"""KPI services on a real database: define, record and replace, trends, crossings, tenants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.grammar import CommandParseError, parse_command
from bot.services import kpis as service
from bot.services.kpis import KpiInfo, KpiNotFound, KpiTeamUnknown, Point, Target
from storage.db import SessionScope, session_factory
from storage.models import KpiAlert, KpiValue

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def kpi(direction: str = "up", target: Target | None = None, unit: str | None = "%") -> KpiInfo:
    return KpiInfo(
        id=1,
        team_id="T1",
        name="nps",
        unit=unit,
        target=target,
        direction=direction,
        channel_id="C1",
        description=None,
        created_by="U1",
        created_at=NOW,
    )


# ---------------------------------------------------------------------- pure rules


def test_week_over_week_says_better_or_worse_by_direction() -> None:
    before, latest = Point(date(2026, 11, 18), Decimal(40)), Point(TODAY, Decimal(42))
    up = service.week_over_week(kpi("up"), latest, before)
    assert (up.delta, up.percent, up.better) == (Decimal(2), Decimal("5.0"), True)
    down = service.week_over_week(kpi("down"), latest, before)
    assert down.better is False
    flat = service.week_over_week(kpi(), Point(TODAY, Decimal(40)), before)
    assert flat.better is None and flat.delta == 0


def test_week_over_week_from_zero_has_no_percentage() -> None:
    change = service.week_over_week(
        kpi(), Point(TODAY, Decimal(3)), Point(date(2026, 11, 18), Decimal(0))
    )
    assert change.percent is None and change.delta == 3


def test_target_status() -> None:
    at_least = kpi(target=Target(">=", Decimal(40)))
    assert at_least.status(Decimal(40)) == "met"
    assert at_least.status(Decimal("39.9")) == "missed"
    assert kpi().status(Decimal(40)) is None
    assert at_least.status(None) is None


@pytest.mark.parametrize(
    ("target", "previous", "value", "expected"),
    [
        (Target(">=", Decimal(40)), "41", "39", "missed"),
        (Target(">=", Decimal(40)), "39", "40", "met"),
        (Target(">=", Decimal(40)), "41", "45", None),
        (Target(">=", Decimal(40)), "30", "39", None),
        (Target("<", Decimal(3)), "2", "3", "missed"),
        (Target("=", Decimal(100)), "99", "100", "met"),
        (None, "1", "100", None),
    ],
)
def test_crossing(target: Target | None, previous: str, value: str, expected: str | None) -> None:
    assert service.crossing(kpi(target=target), Decimal(previous), Decimal(value)) == expected


# ---------------------------------------------------------------------- with a database


@pytest.fixture
def scope(engine: Engine) -> Iterator[SessionScope]:
    yield session_factory(engine)


def define(scope: SessionScope, text: str, team: str = "T1") -> service.Defined:
    with scope() as session:
        return service.define_kpi(
            session=session,
            team_id=team,
            definition=service.parse_definition(parse_command(text).tokens),
            user_id="U1",
            now=NOW,
        )


def record(
    scope: SessionScope, name: str, value: str, on: date, team: str = "T1"
) -> service.Recorded:
    with scope() as session:
        return service.record_value(
            session=session,
            team_id=team,
            name=name,
            value=value,
            on=on,
            source="slack",
            recorded_by="U2",
            now=NOW,
        )


def test_define_then_change_only_the_options_given(scope: SessionScope) -> None:
    created = define(scope, 'NPS unit:% target:"<=40" channel:C0003 "Net promoter"')
    assert created.created and created.kpi.direction == "down"
    updated = define(scope, 'nps target:">=45"')
    assert not updated.created
    assert updated.kpi.name == "NPS" and updated.kpi.id == created.kpi.id
    assert updated.kpi.target == Target(">=", Decimal(45))
    assert updated.kpi.direction == "up"  # follows the new target
    assert (updated.kpi.unit, updated.kpi.channel_id, updated.kpi.description) == (
        "%",
        "C0003",
        "Net promoter",
    )
    with pytest.raises(CommandParseError, match="contradicts"):
        define(scope, "NPS direction:down")
    cleared = define(scope, "nps target:none channel:none")
    assert cleared.kpi.target is None and cleared.kpi.channel_id is None


def test_direction_is_up_without_a_target(scope: SessionScope) -> None:
    assert define(scope, "signups").kpi.direction == "up"
    assert define(scope, "bugs direction:down").kpi.direction == "down"


def test_recording_again_replaces_and_says_so(scope: SessionScope, engine: Engine) -> None:
    define(scope, "nps unit:%")
    first = record(scope, "NPS", "40", TODAY)
    assert first.replaced is None and not first.unchanged
    again = record(scope, "nps", "40.0%", TODAY)
    assert again.unchanged
    replaced = record(scope, "nps", "41.5", TODAY)
    assert replaced.replaced == Decimal(40) and not replaced.unchanged
    with Session(engine) as session:
        rows = session.exec(select(KpiValue)).all()
    assert [(r.on, r.value) for r in rows] == [(TODAY, Decimal("41.5"))]


def test_values_keep_every_digit_on_every_backend(scope: SessionScope) -> None:
    define(scope, "revenue")
    record(scope, "revenue", "123,456,789.123456", TODAY)
    record(scope, "revenue", "-0.000001", TODAY - timedelta(days=1))
    with scope() as session:
        summary = service.summarize(session=session, team_id="T1", name="revenue", today=TODAY)
    assert summary.latest == Point(TODAY, Decimal("123456789.123456"))
    assert summary.points[0].value == Decimal("-0.000001")


def test_unknown_kpi(scope: SessionScope) -> None:
    with pytest.raises(KpiNotFound):
        record(scope, "nope", "1", TODAY)


def test_week_over_week_uses_a_value_7_to_13_days_before(scope: SessionScope) -> None:
    define(scope, "nps")
    record(scope, "nps", "30", TODAY - timedelta(days=14))
    record(scope, "nps", "50", TODAY)
    with scope() as session:
        summary = service.summarize(session=session, team_id="T1", name="nps", today=TODAY)
    assert summary.week_ago is None and summary.change is None
    record(scope, "nps", "40", TODAY - timedelta(days=9))
    record(scope, "nps", "45", TODAY - timedelta(days=3))
    with scope() as session:
        summary = service.summarize(session=session, team_id="T1", name="nps", today=TODAY)
    assert summary.week_ago == Point(TODAY - timedelta(days=9), Decimal(40))
    assert summary.change is not None and summary.change.delta == Decimal(10)
    assert [p.on for p in summary.points] == [TODAY - timedelta(days=d) for d in (14, 9, 3, 0)]


def test_chart_points_cover_the_last_12_weeks_only(scope: SessionScope) -> None:
    define(scope, "nps")
    for weeks in range(20):
        record(scope, "nps", str(weeks), TODAY - timedelta(weeks=weeks))
    with scope() as session:
        summary = service.summarize(session=session, team_id="T1", name="nps", today=TODAY)
    assert len(summary.points) == 12
    assert summary.points[0].on == TODAY - timedelta(weeks=11)


def test_a_crossing_alerts_only_for_the_newest_value(scope: SessionScope) -> None:
    define(scope, 'nps target:">=40" channel:C0003')
    assert record(scope, "nps", "41", TODAY - timedelta(days=7)).alert is None  # first value
    alert = record(scope, "nps", "38", TODAY).alert
    assert alert is not None and alert.state == "missed"
    assert alert.previous == Point(TODAY - timedelta(days=7), Decimal(41))
    # A backfilled day that crosses is history: no alert.
    assert record(scope, "nps", "45", TODAY - timedelta(days=3)).alert is None
    # Today is compared with the day before it, now the backfilled 45.
    again = record(scope, "nps", "39", TODAY).alert
    assert again is not None and again.previous.value == 45
    assert record(scope, "nps", "41", TODAY).alert is None


def test_no_alert_without_a_channel(scope: SessionScope) -> None:
    define(scope, 'nps target:">=40"')
    record(scope, "nps", "41", TODAY - timedelta(days=1))
    assert record(scope, "nps", "30", TODAY).alert is None


def test_an_alert_is_claimed_once(scope: SessionScope, engine: Engine) -> None:
    define(scope, 'nps target:">=40" channel:C0003')
    record(scope, "nps", "41", TODAY - timedelta(days=1))
    alert = record(scope, "nps", "30", TODAY).alert
    assert alert is not None
    with scope() as session:
        assert service.claim_alert(session=session, alert=alert, now=NOW)
    with scope() as session:
        assert not service.claim_alert(session=session, alert=alert, now=NOW)
        service.alert_done(session=session, alert=alert, now=NOW, posted=True)
    with Session(engine) as session:
        [claim] = session.exec(select(KpiAlert)).all()
    assert claim.posted_at == NOW and claim.team_id == "T1"


def test_a_failed_post_gives_the_claim_back(scope: SessionScope) -> None:
    define(scope, 'nps target:">=40" channel:C0003')
    record(scope, "nps", "41", TODAY - timedelta(days=1))
    alert = record(scope, "nps", "30", TODAY).alert
    assert alert is not None
    with scope() as session:
        assert service.claim_alert(session=session, alert=alert, now=NOW)
    with scope() as session:
        service.alert_done(session=session, alert=alert, now=NOW, posted=False)
    with scope() as session:
        assert service.claim_alert(session=session, alert=alert, now=NOW)


def test_latest_alert_after_an_import(scope: SessionScope) -> None:
    define(scope, 'nps target:">=40" channel:C0003')
    with scope() as session:
        for days, value in ((3, "45"), (2, "41"), (1, "35")):
            service.record_value(
                session=session,
                team_id="T1",
                name="nps",
                value=value,
                on=TODAY - timedelta(days=days),
                source="csv",
                recorded_by=None,
                now=NOW,
                alerts=False,
            )
    with scope() as session:
        kpi_id = service.get_kpi(session=session, team_id="T1", name="nps").id
        alert = service.latest_alert(session=session, team_id="T1", kpi_id=kpi_id)
    assert alert is not None and alert.state == "missed"
    assert alert.point == Point(TODAY - timedelta(days=1), Decimal(35))


def test_teams_never_mix(scope: SessionScope) -> None:
    define(scope, 'nps unit:% target:">=40"', team="T1")
    define(scope, "nps unit:pts", team="T2")
    record(scope, "nps", "41", TODAY, team="T1")
    record(scope, "nps", "7", TODAY, team="T2")
    with scope() as session:
        one = service.summaries(session=session, team_id="T1", today=TODAY)
        two = service.summaries(session=session, team_id="T2", today=TODAY)
        other = service.get_kpi(session=session, team_id="T2", name="nps")
        assert service.delete_kpi(session=session, team_id="T1", kpi_id=other.id) is None
    assert [(s.kpi.unit, s.latest) for s in one] == [("%", Point(TODAY, Decimal(41)))]
    assert [(s.kpi.unit, s.latest) for s in two] == [("pts", Point(TODAY, Decimal(7)))]


def test_delete_takes_the_values_and_claims(scope: SessionScope, engine: Engine) -> None:
    define(scope, 'nps target:">=40" channel:C0003')
    record(scope, "nps", "41", TODAY - timedelta(days=1))
    alert = record(scope, "nps", "30", TODAY).alert
    assert alert is not None
    with scope() as session:
        service.claim_alert(session=session, alert=alert, now=NOW)
        kpi_info, values = service.deletion(session=session, team_id="T1", name="NPS")
    assert values == 2
    with scope() as session:
        assert service.delete_kpi(session=session, team_id="T1", kpi_id=kpi_info.id) == (
            "nps",
            2,
        )
    with Session(engine) as session:
        assert session.exec(select(KpiValue)).all() == []
        assert session.exec(select(KpiAlert)).all() == []
    with scope() as session:
        assert service.delete_kpi(session=session, team_id="T1", kpi_id=kpi_info.id) is None


def test_list_of_many_kpis_takes_a_few_queries(scope: SessionScope) -> None:
    for number in range(30):
        define(scope, f"kpi-{number:02d}")
        record(scope, f"kpi-{number:02d}", str(number), TODAY)
        record(scope, f"kpi-{number:02d}", "0", TODAY - timedelta(days=7))
    with scope() as session:
        found = service.summaries(session=session, team_id="T1", today=TODAY)
    assert [s.kpi.name for s in found] == [f"kpi-{n:02d}" for n in range(30)]
    assert all(s.change is not None and s.change.delta == n for n, s in enumerate(found))


def test_resolve_team(scope: SessionScope) -> None:
    with scope() as session, pytest.raises(KpiTeamUnknown, match="no workspace"):
        service.resolve_team(session=session, team_id=None)
    define(scope, "nps", team="T1")
    with scope() as session:
        assert service.resolve_team(session=session, team_id=None) == "T1"
        assert service.resolve_team(session=session, team_id="T9") == "T9"
    define(scope, "nps", team="T2")
    with scope() as session, pytest.raises(KpiTeamUnknown, match="T1, T2"):
        service.resolve_team(session=session, team_id=None)
