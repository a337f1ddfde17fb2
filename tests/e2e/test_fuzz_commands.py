"""Any text sent to any command gets a clear answer: never a failure, a trace or a ping."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import SORRY
from bot.manifest import COMMANDS
from bot.sandbox.server import Sandbox

pytestmark = pytest.mark.e2e

HOSTILE = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U0002|bob>",
        "<#C0001|pf>",
        "&lt;b&gt;",
        "<script>alert(1)</script>",
        '"',
        "“",
        "key:",
        "urgency:maybe",
        "#",
        "FB-0",
        "R-99999",
        "מרחבא",
        "日本語",
        "🚀",
        "\u202e",
        "\x00",
        "x" * 4000,
        "every tuesdy at 9",
        "tz:Mars/X",
        "tz:Europe",
    ]
)
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=6).map(" ".join),
)


@pytest.mark.parametrize("command", [c["command"] for c in COMMANDS])
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
@example(text="export \x00 fails")
@example(text='add standup "Standup" every weekday at 9:30 tz:Europe')
@example(text='add "<!channel> <@U0002>" cost:"<!here> 5/mo"')
def test_any_text_gets_a_clear_answer(sandbox: Sandbox, command: str, text: str) -> None:
    before = len(sandbox.workspace.ephemerals_for("U0002"))
    # Slack sends at most about 4,000 characters of command text.
    delivery = sandbox.sender.slash_command("U0002", "C0001", f"{command} {text[:4000]}")
    assert delivery.status == 200
    answers = sandbox.workspace.ephemerals_for("U0002")[before:]
    views = sandbox.workspace.view_stacks.get("U0002") or []
    assert answers or views, "no answer at all"
    for answer in answers:
        shown = answer["text"] + json.dumps(answer.get("blocks", []))
        assert "Traceback" not in shown and "dispatch_failed" not in shown
        assert SORRY not in shown
        assert "<!" not in shown and "<@" not in shown, shown[:300]
    sandbox.workspace.view_stacks.pop("U0002", None)
