"""`/feedback <text>` end to end: signed requests from the emulator, answers and rows checked."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.sandbox.sender import sign
from bot.sandbox.server import Sandbox
from storage.models import Feedback, FeedbackTag
from tests.e2e.helpers import counter_held

pytestmark = pytest.mark.e2e


def rows(engine: Engine) -> list[Feedback]:
    with Session(engine) as session:
        return list(session.exec(select(Feedback).order_by(Feedback.number)))


def tags(engine: Engine) -> set[tuple[int, str]]:
    with Session(engine) as session:
        return {(t.feedback_id, t.tag) for t in session.exec(select(FeedbackTag))}


def last_ephemeral(sandbox: Sandbox, user: str = "U0001") -> dict:
    found = sandbox.workspace.ephemerals_for(user)
    assert found, "no ephemeral answer"
    return found[-1]


def all_text(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False) + message["text"]


def test_feedback_is_stored_and_answered_with_a_card(sandbox: Sandbox, engine: Engine) -> None:
    delivery = sandbox.sender.slash_command(
        "U0001",
        "C0001",
        '/feedback CSV export times out on large accounts #export customer:"Acme" '
        "area:billing urgency:high",
    )
    assert delivery.status == 200
    card = last_ephemeral(sandbox)
    assert card["text"] == "Filed FB-1"
    text = all_text(card)
    assert "FB-1" in text and "CSV export times out on large accounts" in text
    assert "#export" in text and "Acme" in text and "billing" in text and "high" in text
    [item] = rows(engine)
    assert (item.team_id, item.number, item.reporter_id, item.channel_id) == (
        "T0001",
        1,
        "U0001",
        "C0001",
    )
    assert item.text == "CSV export times out on large accounts"
    assert (item.customer, item.area, item.urgency, item.status) == (
        "Acme",
        "billing",
        "high",
        "new",
    )
    assert item.created_at.tzinfo is not None
    assert tags(engine) == {(item.id, "export")}
    # Answered in the ack itself: no Web API call was needed to show the card.
    assert sandbox.workspace.calls_to("chat.postEphemeral") == []


def test_numbers_count_up_per_team(sandbox: Sandbox, engine: Engine) -> None:
    for text in ("first idea", "second idea", "third idea"):
        sandbox.sender.slash_command("U0002", "C0002", f"/feedback {text}")
    assert [(r.number, r.text) for r in rows(engine)] == [
        (1, "first idea"),
        (2, "second idea"),
        (3, "third idea"),
    ]
    assert last_ephemeral(sandbox, "U0002")["text"] == "Filed FB-3"


@pytest.mark.parametrize("line", ["/feedback help", "/feedback HELP"])
def test_help_shows_the_usage_card(sandbox: Sandbox, engine: Engine, line: str) -> None:
    sandbox.sender.slash_command("U0001", "C0001", line)
    card = last_ephemeral(sandbox)
    assert "*/feedback*" in all_text(card) and "Examples" in all_text(card)
    assert rows(engine) == []


@pytest.mark.parametrize(
    ("line", "quoted", "problem"),
    [
        (
            "/feedback slow export urgency:maybe",
            "urgency:maybe",
            "urgency must be low, normal or high",
        ),
        ('/feedback the "export is slow', '\\"export is slow', "unclosed quote"),
        ("/feedback lsit", "lsit", "did you mean `list`"),
        ("/feedback #export urgency:high", "", "there is no feedback text"),
    ],
)
def test_bad_input_gets_a_usage_card_and_stores_nothing(
    sandbox: Sandbox, engine: Engine, line: str, quoted: str, problem: str
) -> None:
    sandbox.sender.slash_command("U0001", "C0001", line)
    card = last_ephemeral(sandbox)
    text = all_text(card)
    assert ":warning:" in text and problem in text
    if quoted:
        assert f"`{quoted}`" in text
    assert "Traceback" not in text
    assert rows(engine) == []


def test_hostile_text_is_stored_as_typed_and_shown_inert(sandbox: Sandbox, engine: Engine) -> None:
    # As Slack sends it: a real <!channel> and a user mention, and typed &, <, > escaped.
    sandbox.sender.slash_command(
        "U0003",
        "C0001",
        '/feedback <!channel> ask <@U0002|bob> why a &lt; b &amp;&amp; "quotes" 🚀 مرحبا 日本',
    )
    [item] = rows(engine)
    assert item.text == '<!channel> ask <@U0002|bob> why a < b && "quotes" 🚀 مرحبا 日本'
    card = all_text(last_ephemeral(sandbox, "U0003"))
    assert "<!channel>" not in card and "<@U0002" not in card
    assert "@channel ask @bob why a &lt; b &amp;&amp;" in card
    assert "🚀 مرحبا 日本" in card


def test_longest_command_text_is_filed_and_the_card_fits(sandbox: Sandbox, engine: Engine) -> None:
    long_text = ("word&<> " * 500)[:3990]
    escaped = long_text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    delivery = sandbox.sender.slash_command("U0001", "C0001", f"/feedback {escaped}")
    assert delivery.status == 200
    [item] = rows(engine)
    assert item.text == long_text.strip()
    card = last_ephemeral(sandbox)
    assert all(len(b["text"]["text"]) <= 3000 for b in card["blocks"] if "text" in b)
    assert "…" in card["blocks"][0]["text"]["text"]


def test_same_request_delivered_twice_files_once(sandbox: Sandbox, engine: Engine) -> None:
    fields = {
        "team_id": "T0001",
        "channel_id": "C0001",
        "user_id": "U0001",
        "command": "/feedback",
        "text": "Retry me once",
        "trigger_id": "1111.2222.retry",
        "response_url": f"{sandbox.url}/response/none",
    }
    first = sandbox.sender.post_form(fields)
    again = sandbox.sender.post_form(fields, retry_num=1)
    assert first.status == again.status == 200
    assert "Filed FB-1" in first.body and "Already filed FB-1" in again.body
    assert [r.text for r in rows(engine)] == ["Retry me once"]


def test_a_filing_held_up_past_slacks_deadline_keeps_nothing(
    sandbox: Sandbox, engine: Engine
) -> None:
    """Slack shows "failed" after 3 s: a filing that would be answered later is rolled back."""
    first = sandbox.sender.slash_command("U0001", "C0001", "/feedback first")
    assert first.json()["text"] == "Filed FB-1"
    with counter_held(sandbox, engine, "feedback") as send:
        held = send(sandbox.sender.slash_command, "U0002", "C0001", "/feedback held up")
        # Bolt gives up waiting for the ack (404) while the filing still waits.
        assert held.result(timeout=60).status == 404
    assert [item.text for item in rows(engine)] == ["first"]
    again = sandbox.sender.slash_command("U0002", "C0001", "/feedback held up")
    assert again.json()["text"] == "Filed FB-2"
    assert [item.text for item in rows(engine)] == ["first", "held up"]


def test_concurrent_commands_get_distinct_numbers(sandbox: Sandbox, engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda n: sandbox.sender.slash_command("U0001", "C0001", f"/feedback item {n}"),
                range(24),
            )
        )
    numbers = sorted(r.number for r in rows(engine))
    assert numbers == list(range(1, 25))


def _signed_fields(sandbox: Sandbox) -> bytes:
    return urlencode(
        {
            "team_id": "T0001",
            "channel_id": "C0001",
            "user_id": "U0001",
            "command": "/feedback",
            "text": "unsigned attempt",
            "trigger_id": "9.9.9",
        }
    ).encode()


@pytest.mark.parametrize("case", ["wrong", "old", "missing", "tampered"])
def test_bad_signatures_get_401_and_change_nothing(
    sandbox: Sandbox, engine: Engine, case: str
) -> None:
    body = _signed_fields(sandbox)
    now = int(time.time())
    sender = sandbox.sender
    content = "application/x-www-form-urlencoded"
    if case == "wrong":
        status = sender.post(body, content, signature="v0=" + "0" * 64).status
    elif case == "old":
        status = sender.post(body, content, timestamp=now - 301).status
    elif case == "missing":
        headers = {"Content-Type": content}
        status = sender.http.post(sender.bot_url, data=body, headers=headers).status_code
    else:
        signature = sign(sender.signing_secret, str(now), body)
        status = sender.post(body + b"x", content, timestamp=now, signature=signature).status
    assert status == 401
    assert rows(engine) == []


def test_url_verification_is_answered(sandbox: Sandbox) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2r", "type": "url_verification"})
    delivery = sandbox.sender.post(body.encode(), "application/json")
    assert delivery.status == 200
    assert delivery.json() == {"challenge": "3eZbrw1aBm2r"}
