"""Any text typed into any of the bot's forms gets a clear answer and is shown back as typed.

Each form is opened the way a person opens it (a command, a button) and submitted with
generated values: any unicode, right-to-left text, emoji, combining marks, control
characters, Slack control sequences, HTML, quotes, blanks, and text past the input's
`max_length` (Slack's client refuses that, so there the bot only has to answer cleanly).
Each submission must be answered (errors under a field of the form, or the form closes and
the result is shown), never with a failure; nothing the bot shows can ping; rows of another
team and other items stay as they were; what is stored is what was typed (after the
documented trimming) and what is shown gives it back once mrkdwn's escapes are undone.

FUZZ_MODAL_EXAMPLES (default 12) sets the number of submissions per form.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlmodel import Session, SQLModel

from bot.app import SORRY
from bot.blocks.retros import ACTIONS_ON_BOARD
from bot.grammar import unescape
from bot.sandbox.server import Sandbox, start_sandbox
from bot.services import feedback as feedback_service
from bot.services import rituals as ritual_service
from bot.settings import Settings
from bot.text import ELLIPSIS, escape, plain_names
from storage.models import (
    Feedback,
    Retro,
    RetroAction,
    RetroItem,
    Ritual,
    RitualAgendaItem,
    RitualOccurrence,
    StandupAnswer,
)
from tests.e2e.helpers import FakeClock, find_block_action, option, text_input, tick, top_view

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_MODAL_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OTHER_TEAM = "T0999"
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

HOSTILE = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U0002>",
        "<@U0002|bob>",
        "<#C0001|pf>",
        "&lt;b&gt;",
        "&amp;",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '"',
        "'",
        "“quoted”",
        "*bold* _it_ ~x~ `code`",
        "مرحبا بالعالم",
        "שלום",
        "\u202eevil",
        "e\u0301\u0301\u0301",
        "🚀👩‍👩‍👧",
        "日本語",
        "\x00",
        "\x07\x1b[0m",
        "\t",
        "\n\n",
        "   ",
        "x" * 4100,
        ("word " * 900).strip(),
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=6).map(" ".join),
)
SHOWING = {
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "response_url",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
}


# ---------------------------------------------------------------------- reading what is shown


def _mrkdwn_in(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for inner in value.values():
            _mrkdwn_in(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _mrkdwn_in(inner, found)


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def shown_since(sandbox: Sandbox, mark: int) -> list[str]:
    """Every mrkdwn text the bot sent to Slack after call number `mark` (message texts too)."""
    found: list[str] = []
    for call in sandbox.workspace.calls[mark:]:
        if call.method not in SHOWING:
            continue
        args = call.args
        is_message = call.method.startswith("chat.") or call.method == "response_url"
        if is_message and isinstance(args.get("text"), str):
            found.append(args["text"])
        _mrkdwn_in(_parsed(args.get("blocks")), found)
        _mrkdwn_in(_parsed(args.get("view")), found)
    return found


def assert_no_ping(shown: list[str]) -> None:
    """Nothing shown may ping or mention: user text is escaped, names are plain."""
    for text_shown in shown:
        assert "<!" not in text_shown, text_shown[:300]
        assert "<@" not in text_shown, text_shown[:300]


def assert_shown_back(typed: str, shown: list[str]) -> None:
    """Undoing mrkdwn's escapes in something shown gives back the typed text.

    Slack control sequences typed in may be shown as plain names (docs/DESIGN.md), block
    quotes prefix each line with ">", and long text may end in a visible ellipsis.
    """
    for expected in (typed, plain_names(typed)):
        for text_shown in shown:
            undone = unescape(text_shown.replace("\n>", "\n").removeprefix(">"))
            if expected in undone:
                return
            head = expected[:40]
            if len(expected) > 40 and head in undone and ELLIPSIS in undone:
                return
    raise AssertionError(f"{typed[:80]!r} not shown back in {[s[:120] for s in shown]}")


def answer_of(sandbox: Sandbox, view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """Submit the form; check the answer is clean; return the field errors (empty: closed)."""
    delivery = sandbox.sender.submit_view(view["_user"], view["id"], values)
    assert delivery.status == 200, delivery.body[:300]
    assert SORRY not in delivery.body and "Traceback" not in delivery.body
    answer = delivery.json()
    if isinstance(answer, dict) and answer.get("response_action") == "errors":
        errors = answer["errors"]
        fields = {b.get("block_id") for b in view["blocks"] if b["type"] == "input"}
        assert errors and set(errors) <= fields, errors
        for message in errors.values():
            assert isinstance(message, str) and 0 < len(message.strip()) <= 2000
        sandbox.sender.close_view(view["_user"], view["id"])
        return dict(errors)
    assert view["id"] not in (sandbox.workspace.view_stacks.get(view["_user"]) or [])
    return {}


def normal(typed: str) -> str:
    """What is stored of typed text: NUL dropped (docs/DESIGN.md), blanks trimmed."""
    return typed.replace("\x00", "").strip()


def opened(sandbox: Sandbox, user: str) -> dict[str, Any]:
    """The form just opened for `user`, waiting for it (the bot opens it after its ack)."""
    deadline = time.monotonic() + 15
    while not sandbox.workspace.view_stacks.get(user) and time.monotonic() < deadline:
        sandbox.workspace.wait_for_change(sandbox.workspace.version, 0.2)
    return top_view(sandbox, user)


def fits(view: dict[str, Any], block_id: str, typed: str) -> bool:
    """Whether Slack's client would send `typed` in this input (its max_length, else 3000)."""
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return len(typed) <= int(block["element"].get("max_length", 3000))


def no_failure_shown(sandbox: Sandbox, mark: int) -> None:
    for call in sandbox.workspace.calls[mark:]:
        dumped = json.dumps(call.args, ensure_ascii=False)
        assert SORRY not in dumped and "Traceback" not in dumped, dumped[:300]


# ---------------------------------------------------------------------- rows left alone


def rows_apart(engine: Engine, keep: Callable[[str, dict[str, Any]], bool]) -> dict[str, Any]:
    """Every row of every table with a team id that `keep` picks, as plain values."""
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "team_id" not in table.c:
                continue
            rows = [dict(r._mapping) for r in conn.execute(select(table))]
            picked = [r for r in rows if keep(table.name, r)]
            found[table.name] = sorted(repr(sorted(r.items())) for r in picked)
    return found


def other_team(table: str, row: dict[str, Any]) -> bool:
    return bool(row["team_id"] == OTHER_TEAM)


class OtherTeam:
    """Another team's rows, compared at the end of the test with the last snapshot."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows = rows_apart(engine, other_team)

    def snapshot(self) -> None:
        """Take the snapshot again (after the test's own clock ran the other team's jobs)."""
        self.rows = rows_apart(self.engine, other_team)


@pytest.fixture
def seeded(engine: Engine) -> Iterator[OtherTeam]:
    """Another team with feedback and a ritual; checked untouched after the test."""
    with Session(engine) as session:
        feedback_service.file_feedback(
            session=session,
            team_id=OTHER_TEAM,
            reporter_id="U0002",
            channel_id="C0001",
            draft=feedback_service.FeedbackDraft(text="Other team: <!here> & more"),
            now=START,
        )
        ritual_service.create_ritual(
            session=session,
            team_id=OTHER_TEAM,
            creator_id="U0001",
            draft=ritual_service.RitualDraft(
                kind="sync",
                title="Other sync",
                when="every weekday at 9:30",
                channel_id="C0001",
                participants=(),
                duration_minutes=30,
                agenda=None,
            ),
            tz="UTC",
            now=START,
        )
        # Paused: the clock of a test that moves time would post it otherwise.
        ritual_service.set_status(
            session=session, team_id=OTHER_TEAM, number=1, action="pause", now=START
        )
        session.commit()
    other = OtherTeam(engine)
    assert other.rows["feedback"] and other.rows["ritual"]
    yield other
    assert rows_apart(engine, other_team) == other.rows


@pytest.fixture
def triage(settings: Settings, engine: Engine) -> Iterator[Sandbox]:
    """A sandbox whose triage channel is #product-feedback (C0001): cards are posted there."""
    running = start_sandbox(settings.model_copy(update={"feedback_channel": "C0001"}))
    running.sender.settle = running.settle
    try:
        yield running
    finally:
        running.stop()


def feedback_rows(engine: Engine, team: str = "T0001") -> list[Feedback]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Feedback).where(Feedback.team_id == team).order_by(Feedback.number)
            ).scalars()
        )


# ---------------------------------------------------------------------- the feedback form


def test_feedback_form(triage: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox = triage
    sandbox.sender.slash_command("U0002", "C0001", "/feedback First item stays as it is")
    [first] = feedback_rows(engine)

    @FUZZ
    @given(
        typed=TEXT,
        tags=TEXT,
        customer=TEXT,
        area=TEXT,
        urgency=st.sampled_from(["low", "normal", "high"]),
    )
    @example(
        typed="<!channel> export & <b>import</b> &lt; <@U0002>",
        tags="<!here>",
        customer="<script>alert(1)</script>",
        area="\u202e&amp;",
        urgency="high",
    )
    def submit(typed: str, tags: str, customer: str, area: str, urgency: str) -> None:
        sandbox.sender.slash_command("U0002", "C0001", "/feedback")
        view = opened(sandbox, "U0002")
        before = len(feedback_rows(engine))
        mark = len(sandbox.workspace.calls)
        values = {
            "fb_text": text_input(typed),
            "fb_tags": text_input(tags),
            "fb_customer": text_input(customer),
            "fb_area": text_input(area),
            "fb_urgency": option(urgency),
        }
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        rows = feedback_rows(engine)
        if errors:
            assert len(rows) == before
            return
        assert len(rows) == before + 1
        row = rows[-1]
        if not all(fits(view, b, v) for b, v in (("fb_text", typed), ("fb_area", area))):
            return
        assert row.text == normal(typed)
        assert row.customer == (normal(customer) or None)
        assert row.area == (normal(area).lower() or None)
        assert row.urgency == urgency
        assert_shown_back(row.text, shown)

    submit()
    assert feedback_rows(engine)[0] == first


def test_feedback_edit_form(triage: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox = triage
    sandbox.sender.slash_command("U0002", "C0001", "/feedback First item stays as it is")
    sandbox.sender.slash_command("U0002", "C0001", "/feedback Second item, edited below")
    card = sandbox.workspace.ephemerals_for("U0002")[-1]
    first, _ = feedback_rows(engine)

    @FUZZ
    @given(typed=TEXT, tags=TEXT, customer=TEXT, area=TEXT)
    @example(typed="<!everyone> <b>bold</b> & &gt;", tags="", customer="\u202e", area="")
    def submit(typed: str, tags: str, customer: str, area: str) -> None:
        sandbox.sender.click(
            "U0002",
            action_id="feedback_edit",
            value="FB-2",
            channel_id="C0001",
            message_ts=card["ts"],
        )
        view = opened(sandbox, "U0002")
        # The form shows the stored values as they are.
        stored = feedback_rows(engine)[1]
        by_block = {b.get("block_id"): b for b in view["blocks"]}
        assert by_block["fb_text"]["element"]["initial_value"] == stored.text
        assert by_block["fb_customer"]["element"].get("initial_value", "") == (
            stored.customer or ""
        )
        mark = len(sandbox.workspace.calls)
        values = {
            "fb_text": text_input(typed),
            "fb_tags": text_input(tags),
            "fb_customer": text_input(customer),
            "fb_area": text_input(area),
            "fb_urgency": option("normal"),
        }
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        row = feedback_rows(engine)[1]
        if errors:
            assert row == stored
            return
        if not all(fits(view, b, v) for b, v in (("fb_text", typed), ("fb_area", area))):
            return
        assert row.text == normal(typed)
        assert row.customer == (normal(customer) or None)
        assert_shown_back(row.text, shown)

    submit()
    assert feedback_rows(engine)[0] == first


def test_capture_shortcut_form(triage: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox = triage

    @FUZZ
    @given(typed=TEXT)
    @example(typed="<!channel> & <script>alert(1)</script> &lt;")
    def submit(typed: str) -> None:
        # Slack escapes & < > in what people write; the form shows it unescaped.
        message = sandbox.sender.post_message("U0002", "C0002", escape(typed))
        sandbox.sender.shortcut("U0003", "C0002", message["ts"], "capture_feedback")
        view = opened(sandbox, "U0003")
        prefilled = {b.get("block_id"): b for b in view["blocks"]}["fb_text"]["element"]
        sent = typed.replace("\x00", "")[:4000]
        assert prefilled.get("initial_value", "") == sent
        before = len(feedback_rows(engine))
        mark = len(sandbox.workspace.calls)
        values = {
            "fb_text": text_input(prefilled.get("initial_value", "")),
            "fb_urgency": option("normal"),
        }
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        rows = feedback_rows(engine)
        if errors:
            assert len(rows) == before and not normal(sent)
            return
        assert len(rows) == before + 1 and rows[-1].text == normal(sent)
        assert_shown_back(rows[-1].text, shown)

    submit()


# ---------------------------------------------------------------------- closing with a note


def test_close_note_form(triage: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox = triage
    sandbox.sender.slash_command("U0002", "C0001", "/feedback First item stays as it is")
    [first] = feedback_rows(engine)

    @FUZZ
    @given(note=TEXT, status=st.sampled_from(["shipped", "declined"]))
    @example(note="x" * 2001, status="shipped")
    @example(note="\r\n ", status="declined")
    @example(note="<!channel> &lt;b&gt; <img src=x onerror=alert(1)>", status="shipped")
    def submit(note: str, status: str) -> None:
        sandbox.sender.slash_command("U0002", "C0001", "/feedback Please make exports faster")
        number = feedback_rows(engine)[-1].number
        sandbox.sender.slash_command("U0001", "C0001", f"/feedback triage FB-{number}")
        queue = sandbox.workspace.ephemerals_for("U0001")[-1]
        select_ = find_block_action(queue, "feedback_set_status")
        sandbox.sender.click(
            "U0001",
            action_id="feedback_set_status",
            block_id=select_["block_id"],
            channel_id="C0001",
            message_ts=queue["ts"],
            selected={
                "selected_option": {
                    "text": {"type": "plain_text", "text": status},
                    "value": f"{number}:{status}",
                }
            },
        )
        view = opened(sandbox, "U0001")
        mark = len(sandbox.workspace.calls)
        errors = answer_of(sandbox, view, {"fb_note": text_input(note)})
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        row = feedback_rows(engine)[number - 1]
        if errors:
            assert row.status == "new"
            return
        assert row.status == status
        if not fits(view, "fb_note", note):
            return
        assert row.ops_note == (normal(note) or None)
        if row.ops_note:
            assert_shown_back(row.ops_note, shown)

    submit()
    assert feedback_rows(engine)[0] == first


# ---------------------------------------------------------------------- the ritual form

WHEN = st.one_of(
    st.sampled_from(["every weekday at 9:30", "on 2026-12-03 15:00", "every friday at 16:00"]),
    TEXT,
)
DURATION = st.one_of(st.sampled_from(["", "45m", "1h", "2h30m"]), TEXT)


def rituals(engine: Engine, team: str = "T0001") -> list[Ritual]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Ritual).where(Ritual.team_id == team).order_by(Ritual.number)
            ).scalars()
        )


def test_ritual_form(sandbox: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox.sender.slash_command(
        "U0001", "C0001", '/ritual add sync "First stays" every weekday at 10:00'
    )
    [first] = rituals(engine)

    @FUZZ
    @given(
        kind=st.sampled_from(ritual_service.KINDS),
        title=TEXT,
        when=WHEN,
        duration=DURATION,
        agenda=TEXT,
        people=st.lists(st.sampled_from(["U0002", "U0003", "U0004"]), unique=True, max_size=3),
    )
    @example(
        kind="sync",
        title="t" * 201,
        when="every weekday at 9:30",
        duration="",
        agenda="",
        people=[],
    )
    @example(
        kind="sync", title=" \x00 ", when="every weekday at 9:30", duration="", agenda="", people=[]
    )
    @example(
        kind="workshop",
        title="<!channel> & <@U0002>",
        when="every weekday at 9:30",
        duration="45m",
        agenda="<!here> &lt;",
        people=[],
    )
    def submit(
        kind: str, title: str, when: str, duration: str, agenda: str, people: list[str]
    ) -> None:
        sandbox.sender.slash_command("U0001", "C0001", "/ritual add")
        view = opened(sandbox, "U0001")
        before = len(rituals(engine))
        mark = len(sandbox.workspace.calls)
        values = {
            "r_kind": option(kind),
            "r_title": text_input(title),
            "r_when": text_input(when),
            "r_channel": {
                "value": {"type": "conversations_select", "selected_conversation": "C0001"}
            },
            "r_people": {"value": {"type": "multi_users_select", "selected_users": people}},
            "r_duration": text_input(duration),
            "r_agenda": text_input(agenda),
        }
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        rows = rituals(engine)
        if errors:
            assert len(rows) == before
            return
        assert len(rows) == before + 1
        row = rows[-1]
        if not all(fits(view, b, v) for b, v in (("r_title", title), ("r_agenda", agenda))):
            return
        assert (row.kind, row.title, row.channel_id) == (kind, normal(title), "C0001")
        assert row.agenda == (normal(agenda) or None)
        assert json.loads(row.participants) == people
        assert_shown_back(row.title, shown)

    submit()
    assert rituals(engine)[0] == first


# ---------------------------------------------------------------------- retro cards and actions


def retro_board(sandbox: Sandbox) -> dict[str, Any]:
    return [
        m
        for m in sandbox.workspace.messages_in("C0003")
        if m.get("bot_id") and m.get("text", "").startswith("Retro #")
    ][-1]


def retro_rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)).scalars())


def test_retro_card_and_action_forms(sandbox: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    sandbox.sender.slash_command("U0001", "C0003", '/retro start "First retro"')
    first_retro = retro_rows(engine, Retro)[0].id
    sandbox.sender.slash_command("U0001", "C0001", '/retro start "Second retro"')
    sandbox.sender.slash_command("U0001", "C0003", '/retro start "Fuzzed retro"')

    def untouched(table: str, row: dict[str, Any]) -> bool:
        return row["team_id"] == OTHER_TEAM or row.get("retro_id", row.get("id")) == first_retro

    apart = rows_apart(engine, untouched)

    @FUZZ
    @given(
        typed=TEXT,
        column=st.sampled_from(["went_well", "to_improve", "idea", "action"]),
        anonymous=st.booleans(),
        owner=st.sampled_from([None, "U0002"]),
        due=st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 12, 31))),
    )
    def submit(
        typed: str, column: str, anonymous: bool, owner: str | None, due: date | None
    ) -> None:
        board = retro_board(sandbox)
        value = next(
            e["value"]
            for b in board["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("value", "").endswith(f":{column}")
        )
        sandbox.sender.click(
            "U0002", action_id="retro_add", value=value, channel_id="C0003", message_ts=board["ts"]
        )
        view = opened(sandbox, "U0002")
        values: dict[str, Any] = {"text": text_input(typed)}
        if column == "action":
            values["owner"] = {"value": {"type": "users_select", "selected_user": owner}}
            values["due"] = {
                "value": {"type": "datepicker", "selected_date": due.isoformat() if due else None}
            }
        elif anonymous:
            values["anonymous"] = {
                "value": {
                    "type": "checkboxes",
                    "selected_options": [
                        {"value": "anonymous", "text": {"type": "plain_text", "text": "Anon"}}
                    ],
                }
            }
        model = RetroAction if column == "action" else RetroItem
        before = len(retro_rows(engine, model))
        mark = len(sandbox.workspace.calls)
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        rows = retro_rows(engine, model)
        if errors:
            assert len(rows) == before
            return
        assert len(rows) == before + 1
        if not fits(view, "text", typed):
            return
        assert rows[-1].text == normal(typed)
        if column == "action":
            assert (rows[-1].owner_id, rows[-1].due) == (owner, due)
            if len(rows) > ACTIONS_ON_BOARD:
                assert any(f"{len(rows) - ACTIONS_ON_BOARD} more action items" in t for t in shown)
            elif not any(t.startswith("*Action items*") and t.endswith(ELLIPSIS) for t in shown):
                assert_shown_back(rows[-1].text, shown)

    submit()
    assert rows_apart(engine, untouched) == apart


# ---------------------------------------------------------------------- team settings

TIMEZONE = st.one_of(st.sampled_from(["Europe/Berlin", "UTC", "America/Sao_Paulo"]), TEXT)
REACTIONS = st.one_of(st.sampled_from(["memo, inbox_tray", "bulb", "+1, eyes"]), TEXT)


def test_team_settings_form(sandbox: Sandbox, engine: Engine, seeded: OtherTeam) -> None:
    @FUZZ
    @given(
        reactions=REACTIONS,
        timezone=TIMEZONE,
        channel=st.sampled_from([None, "C0001", "C0003"]),
    )
    @example(reactions="memo", timezone="Europe", channel=None)
    @example(reactions="memo", timezone="x" * 300, channel="C0001")
    @example(reactions="<!channel>, &lt;", timezone=" UTC ", channel=None)
    def submit(reactions: str, timezone: str, channel: str | None) -> None:
        sandbox.sender.open_home("U0001")
        home = sandbox.workspace.home_views["U0001"]
        sandbox.sender.click("U0001", action_id="home_settings_open", view_id=home)
        view = opened(sandbox, "U0001")
        with engine.connect() as conn:
            before = conn.execute(text("SELECT * FROM team_settings")).all()
        mark = len(sandbox.workspace.calls)
        values = {
            "hs_reactions": text_input(reactions),
            "hs_channel": {"value": {"type": "channels_select", "selected_channel": channel}},
            "hs_timezone": text_input(timezone),
        }
        errors = answer_of(sandbox, view, values)
        shown = shown_since(sandbox, mark)
        no_failure_shown(sandbox, mark)
        assert_no_ping(shown)
        with engine.connect() as conn:
            after = conn.execute(text("SELECT * FROM team_settings")).all()
        if errors:
            assert after == before
            return
        assert any("Saved the team settings" in s for s in shown)
        sandbox.sender.open_home("U0001")
        home = sandbox.workspace.home_views["U0001"]
        reopened = sandbox.sender.click("U0001", action_id="home_settings_open", view_id=home)
        assert reopened.status == 200
        form = opened(sandbox, "U0001")
        by_block = {b["block_id"]: b for b in form["blocks"]}
        assert by_block["hs_timezone"]["element"]["initial_value"] == normal(timezone)
        if channel:
            assert by_block["hs_channel"]["element"]["initial_channel"] == channel
        sandbox.sender.close_view("U0001", form["id"])

    submit()


# ---------------------------------------------------------------------- a posted ritual's forms


def test_agenda_notes_and_standup_forms(
    bot: Sandbox, engine: Engine, clock: FakeClock, seeded: OtherTeam
) -> None:
    bot.sender.slash_command(
        "U0001",
        "C0001",
        '/ritual add workshop "Pricing" on 2026-11-25 10:00 for 30m with <@U0002|bob>',
    )
    bot.sender.slash_command(
        "U0001",
        "C0003",
        '/ritual add standup "Squad standup" every weekday at 9:30 with <@U0002|bob> for 2h',
    )
    for minute in (30, 61, 62, 92, 93):
        tick(bot, START + timedelta(minutes=minute), clock)
    seeded.snapshot()
    posts = [m for m in bot.workspace.messages_in("C0001") if m.get("bot_id")]
    [post] = [m for m in posts if "ritual_agenda_open" in json.dumps(m.get("blocks"))]
    [followup] = [m for m in posts if "ritual_notes_open" in json.dumps(m.get("blocks"))]
    dm = [m for m in bot.workspace.messages_in(bot.workspace.dm_of("U0002").id)][-1]
    standup = find_block_action(dm, "standup_open")
    with Session(engine) as session:
        workshop, daily = session.exec(
            select(RitualOccurrence).order_by(RitualOccurrence.id)
        ).scalars()
    if workshop.channel_id != "C0001":
        workshop, daily = daily, workshop

    @FUZZ
    @given(
        typed=TEXT,
        form=st.sampled_from(["agenda", "notes", "standup"]),
        today=TEXT,
        blockers=TEXT,
    )
    def submit(typed: str, form: str, today: str, blockers: str) -> None:
        if form == "standup":
            bot.sender.click(
                "U0002",
                action_id="standup_open",
                value=standup["value"],
                channel_id=bot.workspace.dm_of("U0002").id,
                message_ts=dm["ts"],
            )
            values = {
                "yesterday": text_input(typed),
                "today": text_input(today),
                "blockers": text_input(blockers),
            }
        else:
            bot.sender.click(
                "U0002",
                action_id=f"ritual_{form}_open",
                value=str(workshop.id),
                channel_id="C0001",
                message_ts=(post if form == "agenda" else followup)["ts"],
            )
            values = {"text": text_input(typed)}
        values_typed = {b: v["value"]["value"] for b, v in values.items()}
        view = opened(bot, "U0002")
        mark = len(bot.workspace.calls)
        errors = answer_of(bot, view, values)
        shown = shown_since(bot, mark)
        no_failure_shown(bot, mark)
        assert_no_ping(shown)
        with Session(engine) as session:
            agenda = list(session.exec(select(RitualAgendaItem.text)).scalars())
            notes = session.get(RitualOccurrence, workshop.id).notes
            answer = session.get(StandupAnswer, (daily.id, "U0002"))
        if errors or not all(fits(view, b, v) for b, v in values_typed.items()):
            return
        if form == "agenda":
            assert agenda[-1] == normal(typed)
            assert_shown_back(normal(typed), shown)
        elif form == "notes":
            assert notes == normal(typed)
            assert_shown_back(normal(typed), shown)
        else:
            assert answer is not None
            typed_answer = (normal(typed), normal(today), normal(blockers))
            assert (answer.yesterday, answer.today, answer.blockers) == typed_answer

    submit()
