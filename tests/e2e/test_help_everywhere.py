"""Every command of the manifest answers `help`, an empty call and an unknown subcommand with
a usage card with examples, and never a stack trace (SPEC §1; STYLE 15).

Exceptions, by design:
- `/feedback` with nothing after it opens the feedback form (SPEC F1), so for it the empty
  call must open that modal instead of a card.
- `/feedback <anything>` files feedback, so its "unknown subcommand" is a near miss of a
  subcommand (`lsit`), which gets the card with "did you mean".
"""

from __future__ import annotations

import pytest

from bot.app import SORRY
from bot.manifest import COMMANDS
from bot.sandbox.server import Sandbox
from tests.e2e.helpers import ephemerals

pytestmark = pytest.mark.e2e

NAMES = [c["command"] for c in COMMANDS]
UNKNOWN = {"/feedback": "lsit"}


def answer_to(sandbox: Sandbox, line: str) -> str:
    delivery = sandbox.sender.slash_command("U0002", "C0002", line)
    assert delivery.status == 200
    answers = ephemerals(sandbox, "U0002")
    assert answers, f"{line!r} got no answer"
    return answers[-1]


def assert_usage_card(answer: str, command: str) -> None:
    assert "Examples" in answer, answer[:300]
    assert f"`{command} " in answer
    for failure in ("Traceback", "dispatch_failed", SORRY, 'File "'):
        assert failure not in answer


@pytest.mark.parametrize("command", NAMES)
def test_help_shows_the_usage_card(sandbox: Sandbox, command: str) -> None:
    assert_usage_card(answer_to(sandbox, f"{command} help"), command)


@pytest.mark.parametrize("command", NAMES)
def test_an_empty_call_shows_the_usage_card(sandbox: Sandbox, command: str) -> None:
    if command == "/feedback":
        sandbox.sender.slash_command("U0002", "C0002", command)
        [view_id] = sandbox.workspace.view_stacks["U0002"]
        assert sandbox.workspace.views[view_id]["callback_id"] == "feedback_modal"
        return
    assert_usage_card(answer_to(sandbox, command), command)


@pytest.mark.parametrize("command", NAMES)
def test_an_unknown_subcommand_shows_the_usage_card(sandbox: Sandbox, command: str) -> None:
    word = UNKNOWN.get(command, "frobnicate")
    answer = answer_to(sandbox, f"{command} {word}")
    assert_usage_card(answer, command)
    if command in ("/feedback", "/ritual", "/kpi", "/stack"):
        assert f"`{word}`" in answer and "unknown subcommand" in answer
