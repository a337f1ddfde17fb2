"""Every surface in the manifest answers over the wire; events are processed once per id."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.manifest import BOT_EVENTS, COMMANDS
from bot.sandbox.server import Sandbox
from storage.models import ProcessedEvent

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("command", [c["command"] for c in COMMANDS])
def test_every_manifest_command_answers(sandbox: Sandbox, command: str) -> None:
    delivery = sandbox.sender.slash_command("U0002", "C0002", f"{command} help")
    assert delivery.status == 200
    [answer] = sandbox.workspace.ephemerals_for("U0002")
    assert answer["text"] and "dispatch_failed" not in answer["text"]


@pytest.mark.parametrize("event_type", BOT_EVENTS)
def test_every_manifest_event_is_acknowledged(sandbox: Sandbox, event_type: str) -> None:
    event = {"type": event_type, "user": "U0002", "event_ts": "1795510800.000100"}
    _, delivery = sandbox.sender.post_event(event)
    assert delivery.status == 200


def processed(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ProcessedEvent)).one())


def test_event_retries_are_processed_once(sandbox: Sandbox, engine: Engine) -> None:
    message = sandbox.workspace.add_message("C0001", user_id="U0002", text="hi")
    event = {
        "type": "reaction_added",
        "user": "U0001",
        "reaction": "eyes",
        "item": {"type": "message", "channel": "C0001", "ts": message["ts"]},
        "item_user": "U0002",
        "event_ts": message["ts"],
    }
    event_id, first = sandbox.sender.post_event(event)
    deliveries = [first] + [
        sandbox.sender.post_event(event, event_id=event_id, retry_num=n)[1] for n in (1, 2, 3)
    ]
    # A retry that claims to be the first delivery is still a duplicate: the id decides.
    deliveries.append(sandbox.sender.post_event(event, event_id=event_id)[1])
    assert [d.status for d in deliveries] == [200] * 5
    assert processed(engine) == 1
    sandbox.sender.post_event(event)
    assert processed(engine) == 2


def test_same_event_id_in_another_team_is_its_own_event(sandbox: Sandbox, engine: Engine) -> None:
    event = {
        "type": "app_mention",
        "user": "U0002",
        "text": "hi",
        "channel": "C0001",
        "ts": "1.1",
        "event_ts": "1.1",
    }
    sandbox.sender.post_event(event, event_id="EvSAME")
    original = sandbox.workspace.team_id
    try:
        sandbox.workspace.team_id = "T0002"
        sandbox.sender.post_event(event, event_id="EvSAME")
    finally:
        sandbox.workspace.team_id = original
    assert processed(engine) == 2
