"""/kpi end to end through the emulator, the ingest API over HTTP, and the CSV import CLI."""

from __future__ import annotations

import hmac
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.server import Sandbox, start_sandbox
from bot.sandbox.workspace import Fault
from bot.services.roles import OPS_ONLY
from bot.settings import Settings
from storage.models import Kpi, KpiAlert, KpiValue
from tests.e2e.helpers import ephemerals, find_block_action, text_of

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
TODAY = NOW.date()
TOKEN = "kpi-ingest-test-token-5f1c"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFINE_NPS = '/kpi define NPS unit:% target:"&gt;=40" channel:<#C0003|squad-a> "Net promoter"'


@pytest.fixture
def kpis(settings: Settings, engine: Engine) -> Iterator[Sandbox]:
    """A sandbox with the ingest API on and the bot's clock fixed at NOW."""
    running = start_sandbox(settings.model_copy(update={"kpi_ingest_token": TOKEN}))
    running.sender.settle = running.settle
    running.deps.now = lambda: NOW
    try:
        yield running
    finally:
        running.stop()


def kpi_command(sandbox: Sandbox, user: str, text: str, channel: str = "C0002") -> dict[str, Any]:
    """Type a /kpi command; return the ephemeral answer."""
    before = len(sandbox.workspace.ephemerals_for(user))
    delivery = sandbox.sender.slash_command(user, channel, text)
    assert delivery.status == 200
    answers = sandbox.workspace.ephemerals_for(user)
    assert len(answers) > before, f"no answer to {text}"
    answer = answers[before]
    assert "Sorry, something went wrong" not in answer["text"]
    return answer


def bot_posts(sandbox: Sandbox, channel: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.workspace.messages_in(channel) if m.get("bot_id")]


def values(engine: Engine) -> list[tuple[date, Decimal, str]]:
    with Session(engine) as session:
        rows = session.exec(select(KpiValue).order_by(KpiValue.on)).all()
        return [(r.on, Decimal(r.value), r.source) for r in rows]


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


# ---------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "text",
    [
        "/kpi",
        "/kpi help",
        "/kpi HELP",
        "/kpi lsit",
        '/kpi "nps"',
        '/kpi record nps "41',
        "/kpi show",
    ],
)
def test_help_empty_unknown_and_broken_input_get_the_usage_card(kpis: Sandbox, text: str) -> None:
    answer = kpi_command(kpis, "U0002", text)
    assert "*/kpi*: define KPIs" in text_of(answer)
    assert "`/kpi record nps 41.5`" in text_of(answer)


def test_a_typo_is_quoted_with_a_suggestion(kpis: Sandbox) -> None:
    answer = kpi_command(kpis, "U0002", "/kpi lsit")
    assert answer["blocks"][0]["text"]["text"] == (
        ":warning: I couldn't read `lsit`: unknown subcommand (did you mean `list`)."
    )


# ---------------------------------------------------------------------- define


def test_define_is_for_ops_and_names_ignore_case(kpis: Sandbox, engine: Engine) -> None:
    assert kpi_command(kpis, "U0002", DEFINE_NPS)["text"] == OPS_ONLY
    with Session(engine) as session:
        assert session.exec(select(Kpi)).all() == []
    card = kpi_command(kpis, "U0001", DEFINE_NPS)
    assert card["text"] == "Defined KPI NPS"
    assert "<#C0003> when a value crosses the target" in text_of(card)
    again = kpi_command(kpis, "U0001", '/kpi define nps target:"&gt;=45"')
    assert again["text"] == "Updated KPI NPS"
    with Session(engine) as session:
        [row] = session.exec(select(Kpi)).all()
    assert (row.name, row.name_key, row.team_id, row.target_op) == ("NPS", "nps", "T0001", ">=")
    assert Decimal(row.target_value) == 45 and row.channel_id == "C0003" and row.unit == "%"


def test_define_mistakes_are_quoted(kpis: Sandbox) -> None:
    answer = kpi_command(kpis, "U0001", "/kpi define nps target:40")
    assert "I couldn't read `40`" in answer["blocks"][0]["text"]["text"]
    answer = kpi_command(kpis, "U0001", "/kpi define n@ps")
    assert "not a KPI name" in answer["blocks"][0]["text"]["text"]


# ---------------------------------------------------------------------- record


def test_record_replace_and_bad_values(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    first = kpi_command(kpis, "U0002", f"/kpi record nps 41.5% {days_ago(5)}")
    assert first["text"] == "Recorded NPS = 41.5% for Fri 20 Nov 2026."
    assert ":white_check_mark: on target (≥ 40%)" in text_of(first)
    replaced = kpi_command(kpis, "U0002", "/kpi record NPS 1,200 fri")
    assert replaced["text"] == "Recorded NPS = 1,200% for Fri 20 Nov 2026. It replaces 41.5%."
    same = kpi_command(kpis, "U0002", f"/kpi record nps 1200 {days_ago(5)}")
    assert "nothing changed" in same["text"]
    kpi_command(kpis, "U0002", "/kpi record nps -3 yesterday")
    assert values(engine) == [
        (TODAY - timedelta(days=5), Decimal(1200), "slack"),
        (TODAY - timedelta(days=1), Decimal(-3), "slack"),
    ]
    problems = {
        "/kpi record nps lots": "`lots`: 'lots' is not a number",
        "/kpi record nps 41,5": "`41,5`: '41,5' is not a number",
        "/kpi record nps 40ms": "is not a number in %",
        "/kpi record nps 40 tomorrow": "is in the future (2026-11-26)",
        f"/kpi record nps 40 {(TODAY + timedelta(days=30)).isoformat()}": "is in the future",
        "/kpi record nps 40 2026-02-30": "is not a real date",
        "/kpi record nps": "record needs a KPI name and a value",
        "/kpi record nps 4 today and more": "`and more`",
    }
    for text, expected in problems.items():
        answer = kpi_command(kpis, "U0002", text)
        assert expected in text_of(answer), text
    unknown = kpi_command(kpis, "U0002", "/kpi record churn 3")
    assert unknown["text"].startswith(":warning: There is no KPI named `churn`")
    assert len(values(engine)) == 2


# ---------------------------------------------------------------------- show and list


def test_show_answers_at_once_then_uploads_a_png_chart(kpis: Sandbox) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    for days, value in ((70, "35"), (42, "37.5"), (14, "38"), (7, "40"), (0, "42")):
        kpi_command(kpis, "U0002", f"/kpi record nps {value} {days_ago(days)}")
    detail = kpi_command(kpis, "U0002", "/kpi show nps")
    assert detail["text"] == "NPS: 42% on Wed 25 Nov 2026"
    shown = text_of(detail)
    assert ":white_check_mark: on target (≥ 40%)" in shown
    assert "▲ +2 pts (+5.0%), better vs Wed 18 Nov 2026" in shown
    [upload] = kpis.workspace.calls_to("files.completeUploadExternal")
    assert upload.args["channel_id"] == "C0002"
    assert "*NPS*: *42%*" in upload.args["initial_comment"]
    [stored] = kpis.workspace.files.values()
    assert stored["name"] == "kpi-NPS.png" and stored["title"] == "NPS, last 12 weeks"
    assert stored["content"].startswith(PNG_SIGNATURE)
    [post] = bot_posts(kpis, "C0002")
    assert post["files"][0]["id"] == stored["id"]


def test_show_without_values_or_kpi_uploads_nothing(kpis: Sandbox) -> None:
    kpi_command(kpis, "U0001", "/kpi define signups")
    assert "No values yet" in text_of(kpi_command(kpis, "U0002", "/kpi show signups"))
    assert "no KPI named `nope`" in kpi_command(kpis, "U0002", "/kpi show nope")["text"]
    assert kpis.workspace.calls_to("files.completeUploadExternal") == []


def test_show_where_the_bot_is_not_a_member_says_so(kpis: Sandbox) -> None:
    kpi_command(kpis, "U0001", "/kpi define signups")
    kpi_command(kpis, "U0002", "/kpi record signups 12")
    kpis.workspace.inject("files.completeUploadExternal", Fault(error="not_in_channel"))
    kpi_command(kpis, "U0002", "/kpi show signups", channel="C0003")
    assert "I couldn't share the chart here (not_in_channel)" in ephemerals(kpis, "U0002")[-1]


def test_list_shows_every_kpi(kpis: Sandbox) -> None:
    assert "No KPIs yet" in kpi_command(kpis, "U0002", "/kpi list")["text"]
    kpi_command(kpis, "U0001", DEFINE_NPS)
    kpi_command(kpis, "U0001", '/kpi define triage-hours unit:h target:"&lt;=24"')
    kpi_command(kpis, "U0002", "/kpi record triage-hours 30")
    listing = text_of(kpi_command(kpis, "U0002", "/kpi list"))
    assert listing.index("*NPS*  no values yet") < listing.index("*triage-hours*  *30 h*")
    assert ":x: off target (≤ 24 h)" in listing
    assert "list takes nothing" in text_of(kpi_command(kpis, "U0002", "/kpi list all"))


# ---------------------------------------------------------------------- delete


def test_delete_asks_first_and_only_ops_may(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    kpi_command(kpis, "U0002", "/kpi record nps 41")
    assert kpi_command(kpis, "U0002", "/kpi delete nps")["text"] == OPS_ONLY
    confirm = kpi_command(kpis, "U0001", "/kpi delete NPS")
    assert confirm["text"] == "Delete NPS and its 1 value?"
    keep = find_block_action(confirm, "kpi_delete_cancel")
    kpis.sender.click(
        "U0001",
        action_id="kpi_delete_cancel",
        value=keep["value"],
        channel_id="C0002",
        message_ts=confirm["ts"],
    )
    assert kpis.workspace.ephemerals_for("U0001")[-1]["text"] == "Kept it: nothing was deleted."
    assert len(values(engine)) == 1

    confirm = kpi_command(kpis, "U0001", "/kpi delete nps")
    button = find_block_action(confirm, "kpi_delete_confirm")
    kpis.sender.click(
        "U0001",
        action_id="kpi_delete_confirm",
        value=button["value"],
        channel_id="C0002",
        message_ts=confirm["ts"],
        times=2,
    )
    final = kpis.workspace.ephemerals_for("U0001")[-1]["text"]
    assert final in ("Deleted KPI NPS and its 1 value.", "That KPI was already deleted.")
    texts = [c.args.get("text") for c in kpis.workspace.calls_to("response_url")]
    assert texts.count("Deleted KPI NPS and its 1 value.") == 1
    assert values(engine) == []
    with Session(engine) as session:
        assert session.exec(select(Kpi)).all() == []


def test_an_old_delete_button_spares_a_new_kpi_of_that_name(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", "/kpi define nps")
    first = kpi_command(kpis, "U0001", "/kpi delete nps")
    stale = kpi_command(kpis, "U0001", "/kpi delete nps")
    for confirm in (first, stale):
        button = find_block_action(confirm, "kpi_delete_confirm")
        kpis.sender.click(
            "U0001",
            action_id="kpi_delete_confirm",
            value=button["value"],
            channel_id="C0002",
            message_ts=confirm["ts"],
        )
        if confirm is first:
            kpi_command(kpis, "U0001", "/kpi define nps")  # a new KPI of the same name
    [answer] = [e for e in kpis.workspace.ephemerals_for("U0001") if e["ts"] == stale["ts"]]
    assert answer["text"] == "That KPI was already deleted."
    with Session(engine) as session:
        assert len(session.exec(select(Kpi)).all()) == 1


# ---------------------------------------------------------------------- alerts


def test_a_crossing_is_posted_once_to_the_kpi_channel(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    kpi_command(kpis, "U0002", f"/kpi record nps 41 {days_ago(7)}")
    assert bot_posts(kpis, "C0003") == []
    answer = kpi_command(kpis, "U0002", "/kpi record nps 38 yesterday")
    assert "<#C0003> hears about it" in text_of(answer)
    kpi_command(kpis, "U0002", "/kpi record nps 38 yesterday")
    kpi_command(kpis, "U0003", f"/kpi record nps 38% {days_ago(1)}")
    [alert] = bot_posts(kpis, "C0003")
    assert alert["text"] == "NPS is off target: 38% (target ≥ 40%)"
    posted = text_of(alert)
    assert "Recorded by Bob Martin" in posted and "<@" not in posted
    kpi_command(kpis, "U0002", "/kpi record nps 45")
    assert [p["text"] for p in bot_posts(kpis, "C0003")] == [
        "NPS is off target: 38% (target ≥ 40%)",
        "NPS is back on target: 45% (target ≥ 40%)",
    ]
    with Session(engine) as session:
        claims = session.exec(select(KpiAlert)).all()
    assert sorted(c.state for c in claims) == ["met", "missed"]
    assert all(c.posted_at is not None for c in claims)


def test_an_alert_that_could_not_be_posted_is_tried_again(kpis: Sandbox) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    kpi_command(kpis, "U0002", f"/kpi record nps 41 {days_ago(7)}")
    kpis.workspace.inject("chat.postMessage", Fault(error="channel_not_found"))
    kpi_command(kpis, "U0002", "/kpi record nps 38")
    assert bot_posts(kpis, "C0003") == []
    kpi_command(kpis, "U0002", "/kpi record nps 38")
    assert len(bot_posts(kpis, "C0003")) == 1


# ---------------------------------------------------------------------- the ingest API


def post(sandbox: Sandbox, name: str, body: Any, token: str | None = TOKEN, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers.update(kw.pop("headers", {}))
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        f"{sandbox.url}/bot/api/kpi/{name}", data=data, headers=headers, timeout=30
    )


def test_api_records_a_value(
    kpis: Sandbox, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kpi_command(kpis, "U0001", DEFINE_NPS)
    response = post(kpis, "nps", {"value": 41.5, "at": days_ago(5)})
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "team": "T0001",
        "kpi": "NPS",
        "at": days_ago(5),
        "value": "41.5",
        "display": "41.5%",
        "replaced": None,
        "unchanged": False,
        "status": "met",
    }
    today = post(kpis, "NPS", {"value": "1,200.25%"})
    assert today.status_code == 200 and today.json()["at"] == TODAY.isoformat()
    assert values(engine) == [
        (TODAY - timedelta(days=5), Decimal("41.5"), "api"),
        (TODAY, Decimal("1200.25"), "api"),
    ]
    assert TOKEN not in caplog.text


def test_api_refuses_without_the_right_token(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    for token in (None, "wrong", TOKEN + "x", ""):
        response = post(kpis, "nps", {"value": 1}, token=token)
        assert response.status_code == 401, token
        assert response.json()["ok"] is False
    basic = post(kpis, "nps", {"value": 1}, token=None, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert values(engine) == []


def test_api_token_is_decided_by_a_constant_time_comparison(
    kpis: Sandbox, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    real = hmac.compare_digest
    compared: list[tuple[Any, Any]] = []
    verdict: list[bool] = []

    def spy(given: Any, expected: Any) -> bool:
        compared.append((given, expected))
        return verdict[0] if verdict else real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert post(kpis, "nps", {"value": 1}, token="guess").status_code == 401
    assert (b"guess", TOKEN.encode()) in compared
    # Whatever hmac.compare_digest says goes: it is what decides, not an == beside it.
    verdict.append(True)
    assert post(kpis, "nps", {"value": 2}, token="guess").status_code == 200
    verdict[0] = False
    assert post(kpis, "nps", {"value": 3}).status_code == 401
    monkeypatch.undo()
    assert [value for _, value, _ in values(engine)] == [Decimal("2")]


def test_api_unknown_kpi_and_bad_bodies(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    missing = post(kpis, "churn", {"value": 1})
    assert missing.status_code == 404 and "no KPI named 'churn'" in missing.json()["error"]
    bad = {
        b"not json": "not JSON",
        b"\xff\xfe": "not JSON",
        "[1, 2]": "JSON object",
        json.dumps({"value": True}): "must be a number",
        json.dumps({"value": None}): "must be a number",
        json.dumps({"value": "lots"}): "'lots' is not a number",
        json.dumps({"value": 1e300}): "too many digits",
        json.dumps({"value": 1, "at": "2026-11-31"}): "not a real date",
        json.dumps({"value": 1, "at": "tomorrow"}): "YYYY-MM-DD",
        json.dumps({"value": 1, "at": (TODAY + timedelta(days=1)).isoformat()}): "in the future",
        json.dumps({"value": 1, "at": 20261120}): '"at" must be a date',
        json.dumps({"value": 1, "vlaue": 2}): "unknown field 'vlaue'",
        json.dumps({"value": 1, "team": 5}): '"team" must be',
    }
    for body, expected in bad.items():
        response = post(kpis, "nps", body)
        assert response.status_code == 422, body
        assert expected in response.json()["error"], body
    assert values(engine) == []


def test_api_needs_a_team_when_several_have_kpis(kpis: Sandbox, engine: Engine) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    with Session(engine) as session:
        session.add(Kpi(team_id="T0002", name="nps", name_key="nps", created_by="U9"))
        session.commit()
    ambiguous = post(kpis, "nps", {"value": 41})
    assert ambiguous.status_code == 422 and "T0001, T0002" in ambiguous.json()["error"]
    chosen = post(kpis, "nps", {"value": 41, "team": "T0002"})
    assert chosen.status_code == 200 and chosen.json()["team"] == "T0002"
    assert post(kpis, "nps", {"value": 41, "team": "T0009"}).status_code == 404
    with Session(engine) as session:
        [row] = session.exec(select(KpiValue)).all()
    assert row.team_id == "T0002"


def test_api_alerts_once(kpis: Sandbox) -> None:
    kpi_command(kpis, "U0001", DEFINE_NPS)
    assert post(kpis, "nps", {"value": 45, "at": days_ago(1)}).status_code == 200
    for _ in range(3):
        assert post(kpis, "nps", {"value": 39.5}).status_code == 200
    [alert] = bot_posts(kpis, "C0003")
    assert alert["text"] == "NPS is off target: 39.5% (target ≥ 40%)"
    assert "Recorded by" not in text_of(alert)


def test_api_is_off_without_a_token(sandbox: Sandbox) -> None:
    response = post(sandbox, "nps", {"value": 1})
    assert response.status_code == 404 and "ingest API is off" in response.json()["error"]


# ---------------------------------------------------------------------- the CSV import


def run_import(
    sandbox: Sandbox, database_url: str, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_API_URL": f"{sandbox.url}/api/",
        "SLACK_BOT_TOKEN": "xoxb-test-T0001",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "kpi", "import", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_csv_import(sandbox: Sandbox, database_url: str, tmp_path: Path, engine: Engine) -> None:
    # The subprocess reads the real clock: dates are relative to today in UTC.
    today = datetime.now(UTC).date()
    kpi_command(sandbox, "U0001", DEFINE_NPS)
    kpi_command(sandbox, "U0001", "/kpi define signups")
    rows = [
        "name,value,date",
        f"nps,41.5,{today - timedelta(days=21)}",
        f"churn,3,{today - timedelta(days=14)}",
        f"NPS,45%,{today - timedelta(days=14)}",
        f"nps,lots,{today - timedelta(days=10)}",
        f"nps,40,{today + timedelta(days=30)}",
        f"nps,39,{today - timedelta(days=7)}",
        f'signups,"1,200",{today - timedelta(days=7)}',
        "nps,40,not-a-date",
    ]
    values_csv = tmp_path / "values.csv"
    values_csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = run_import(sandbox, database_url, tmp_path, "values.csv", "--team", "T0001")
    assert first.returncode == 0, first.stderr
    assert "T0001: imported 4, unchanged 0, skipped 4, 1 alert(s) posted" in first.stdout
    assert "line 3: unknown KPI 'churn'" in first.stderr
    assert "line 5: 'lots' is not a number" in first.stderr
    assert "line 6: " in first.stderr and "is in the future" in first.stderr
    assert "line 9: 'not-a-date' is not a date" in first.stderr
    assert "Traceback" not in first.stderr
    assert len(values(engine)) == 4
    [alert] = bot_posts(sandbox, "C0003")
    assert alert["text"] == "NPS is off target: 39% (target ≥ 40%)"

    again = run_import(sandbox, database_url, tmp_path, "values.csv")  # the only team with KPIs
    assert again.returncode == 0, again.stderr
    assert "T0001: imported 0, unchanged 4, skipped 4" in again.stdout
    assert len(values(engine)) == 4 and len(bot_posts(sandbox, "C0003")) == 1

    only_bad = tmp_path / "bad.csv"
    only_bad.write_text(f"name,value,date\nnope,1,{today}\n", encoding="utf-8")
    bad = run_import(sandbox, database_url, tmp_path, str(only_bad), "--team", "T0001")
    assert bad.returncode == 1 and "imported 0, unchanged 0, skipped 1" in bad.stdout

    missing = run_import(sandbox, database_url, tmp_path, "nowhere.csv", "--team", "T0001")
    assert missing.returncode == 2 and "nowhere.csv: no such file" in missing.stderr

    header = tmp_path / "header.csv"
    header.write_text("kpi,amount\nnps,1\n", encoding="utf-8")
    wrong = run_import(sandbox, database_url, tmp_path, str(header))
    assert wrong.returncode == 2 and "name,value,date" in wrong.stderr


def test_api_before_any_kpi_is_defined(kpis: Sandbox) -> None:
    response = post(kpis, "nps", {"value": 1})
    assert response.status_code == 404 and "no KPI named 'nps'" in response.json()["error"]
