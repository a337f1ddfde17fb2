"""The sandbox's demo team: seeded through the services, once."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.sandbox.demo import FEEDBACK, seed_demo
from bot.sandbox.server import Sandbox
from storage.models import Feedback, Kpi, KpiValue, Retro, RetroAction, Ritual, StackTool

pytestmark = pytest.mark.e2e


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_demo_seeds_a_believable_team_once(sandbox: Sandbox, engine: Engine) -> None:
    assert seed_demo(sandbox.deps, sandbox.workspace) is True
    assert count(engine, Feedback) == len(FEEDBACK)
    assert count(engine, Ritual) == 4 and count(engine, Retro) == 1
    assert count(engine, RetroAction) == 2
    assert count(engine, Kpi) == 3 and count(engine, KpiValue) == 3 * 53
    assert count(engine, StackTool) == 4
    with Session(engine) as session:
        statuses = set(session.exec(select(Feedback.status)))
        spread = session.exec(
            select(func.min(Feedback.created_at), func.max(Feedback.created_at))
        ).one()
    assert {"new", "triaged", "shipped", "declined"} <= statuses
    assert (spread[1] - spread[0]).days >= 60
    thread = [m for m in sandbox.workspace.messages_in("C0002") if m.get("thread_ts")]
    assert len(thread) >= 10
    assert seed_demo(sandbox.deps, sandbox.workspace) is False
    assert count(engine, Feedback) == len(FEEDBACK)
    # The seeded data works with the commands.
    sandbox.sender.slash_command("U0001", "C0001", "/feedback list all")
    assert "FB-24" in str(sandbox.workspace.ephemerals_for("U0001")[-1]["blocks"])


def test_demo_kpis_chart_and_stack_answer(sandbox: Sandbox, engine: Engine) -> None:
    seed_demo(sandbox.deps, sandbox.workspace)
    sandbox.sender.slash_command("U0002", "C0001", "/kpi show activation")
    [upload] = sandbox.workspace.calls_to("files.completeUploadExternal")
    [stored] = sandbox.workspace.files.values()
    assert stored["content"].startswith(b"\x89PNG") and upload.args["files"]
    sandbox.sender.slash_command("U0002", "C0001", "/stack list")
    listing = str(sandbox.workspace.ephemerals_for("U0002")[-1]["blocks"])
    assert "Figma" in listing and "Amplitude" in listing
