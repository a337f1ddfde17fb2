"""Tenants apart: two workspaces side by side through every surface; nothing crosses.

Acme (T0001) and Globex (T0002) install the bot through OAuth. Acme fills every feature
with text marked "acme-only"; Globex then uses the same commands, buttons, summaries, digest,
export and App Home, and tries Acme's ids (FB-3, R-1, KPI names, tool names, channel ids,
occurrence ids). Every such attempt is answered as not found and changes nothing, and no
word of Acme's ever reaches Globex's screens, or the other way round.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from bot.cli import cli
from bot.sandbox.sender import EventSender
from bot.sandbox.server import Sandbox
from bot.sandbox.workspace import Workspace
from bot.services.feedback import export_rows
from storage.models import SLACK_OAUTH_STATES, Ritual, RitualOccurrence
from tests.e2e.helpers import TEN_BERLIN, FakeClock, install, text_of, tick

ACME = "acme-only"
GLOBEX = "globex-only"


def everything_shown(workspace: Workspace) -> str:
    """Every message, ephemeral, modal and home tab of a workspace, as one string."""
    with workspace.lock:
        shown = [text_of(m) for msgs in workspace.messages.values() for m in msgs]
        shown += [text_of(e) for e in workspace.ephemerals]
        shown += [json.dumps(v, ensure_ascii=False) for v in workspace.views.values()]
    return "\n".join(shown)


def last_answer(workspace: Workspace, user: str) -> str:
    answers = workspace.ephemerals_for(user)
    assert answers, f"{user} was shown nothing"
    return text_of(answers[-1])


def team_counts(engine: Engine, team: str) -> dict[str, int]:
    """Rows per table of one team."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table is SLACK_OAUTH_STATES:
                continue
            query = select(func.count()).select_from(table).where(table.c.team_id == team)
            counts[table.name] = int(conn.execute(query).scalar_one())
    return counts


def fill_acme(multi: Sandbox, clock: FakeClock) -> None:
    """Acme uses every feature, with text no one in Globex may ever see."""
    say = multi.sender.slash_command
    for n in range(1, 4):
        say("U0002", "C0001", f"/feedback {ACME} complaint number {n} about CSV export")
    say("U0001", "C0003", f'/ritual add sync "{ACME} sync" daily at 10:00')
    say("U0001", "C0002", f'/kpi define activation unit:% "{ACME} activation rate"')
    say("U0001", "C0002", "/kpi record activation 42")
    say("U0001", "C0002", f"/stack add Figma purpose:{ACME}-design cost:$45/mo")
    say("U0001", "C0003", f'/retro start "{ACME} retro"')
    say("U0001", "C0003", "/digest subscribe <#C0003|squad-a> weekly on mon at 9:00")
    root = multi.workspace.add_message("C0003", user_id="U0004", text=f"{ACME} incident thread")
    multi.workspace.add_message(
        "C0003", user_id="U0002", text=f"{ACME} root cause found", thread_ts=root["ts"]
    )
    tick(multi, TEN_BERLIN, clock)  # Acme's ritual posts its first occurrence
    multi.sender.open_home("U0001")


def test_two_workspaces_never_see_each_others_data(
    multi: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    acme, globex = multi.workspaces.all
    install(multi, "T0001", "U0001")
    install(multi, "T0002", "U2001")
    fill_acme(multi, clock)
    acme_before = team_counts(engine, "T0001")
    assert acme_before["feedback"] == 3 and acme_before["ritual"] == 1
    with Session(engine) as session:
        acme_occurrence = session.exec(select(RitualOccurrence.id)).one()[0]
        acme_ritual = session.exec(select(Ritual)).one()[0]

    people: EventSender = multi.sender_for(globex)
    say = people.slash_command
    say("U2002", "C2001", f"/feedback {GLOBEX} wish for dark mode")
    assert "FB-1" in last_answer(globex, "U2002")  # numbers are per workspace

    # Acme's ids, typed in Globex, are not found there.
    acme_thread = f"https://acme-product.slack.com/archives/C0003/p{root_ts(acme)}"
    attempts = [
        ("C2001", "/feedback show FB-3", "FB-3 does not exist in this workspace"),
        ("C2001", "/feedback search complaint", "Feedback matching"),
        ("C2003", "/ritual cancel R-1", "R-1 does not exist in this workspace"),
        ("C2003", "/ritual pause R-1", "R-1 does not exist in this workspace"),
        ("C2002", "/kpi record activation 99", "no KPI named `activation` in this workspace"),
        ("C2002", "/kpi show activation", "no KPI named `activation` in this workspace"),
        ("C2002", "/kpi delete activation", "no KPI named `activation` in this workspace"),
        ("C2002", "/stack show Figma", "no tool named 'Figma'"),
        ("C2002", "/stack remove Figma", "no tool named 'Figma'"),
        ("C2003", "/retro close", "no open retro in this channel"),
        ("C2003", "/digest unsubscribe <#C0003|squad-a>", "has no weekly digest"),
        ("C2002", "/summarize <#C0003|squad-a> 7d", "can't find that channel"),
        ("C2002", f"/summarize <{acme_thread}>", "can't find that channel"),
    ]
    for channel, line, expected in attempts:
        assert say("U2001", channel, line).status == 200, line
        answer = last_answer(globex, "U2001")
        assert expected in answer, (line, answer)
        assert ACME not in answer, line

    # Buttons carrying Acme's ids (a crafted message: +1 on FB-3, RSVP to Acme's occurrence).
    crafted = globex.add_message(
        "C2001",
        user_id=globex.bot_user_id,
        text="crafted",
        blocks=[
            {
                "type": "actions",
                "elements": [
                    button("feedback_vote", "FB-3"),
                    button("ritual_rsvp", f"{acme_occurrence}:going"),
                ],
            }
        ],
    )
    for action, value in (("feedback_vote", "FB-3"), ("ritual_rsvp", f"{acme_occurrence}:going")):
        delivery = people.click(
            "U2003", action_id=action, value=value, channel_id="C2001", message_ts=crafted["ts"]
        )
        assert delivery.status == 200
        assert ACME not in last_answer(globex, "U2003")

    # Globex's own surfaces show Globex's things only.
    thread = globex.add_message("C2003", user_id="U2004", text=f"{GLOBEX} outage in billing")
    globex.add_message("C2003", user_id="U2002", text="Rolling back now", thread_ts=thread["ts"])
    link = f"https://globex.slack.com/archives/C2003/p{thread['ts'].replace('.', '')}"
    say("U2001", "C2002", f"/summarize <{link}>")
    assert "outage in billing" in last_answer(globex, "U2001")
    say("U2001", "C2002", "/digest preview")
    people.open_home("U2001")
    say("U2001", "C2001", "/feedback list")
    assert team_counts(engine, "T0001") == acme_before, "Globex changed Acme's rows"
    with Session(engine) as session:
        exported = export_rows(session=session, team_id="T0002")
        assert [row["text"] for row in exported] == [f"{GLOBEX} wish for dark mode"]
        assert session.get(Ritual, acme_ritual.id).status == "active"  # type: ignore[union-attr]

    globex_shown = everything_shown(globex)
    assert ACME not in globex_shown
    assert GLOBEX in globex_shown
    assert GLOBEX not in everything_shown(acme)
    # Every call the bot made for a workspace carried that workspace's own token.
    assert multi.workspaces.refused == []
    assert {c.token for c in globex.calls if c.token} <= globex.tokens
    assert {c.token for c in acme.calls if c.token} <= acme.tokens


def button(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": action_id},
    }


def root_ts(workspace: Workspace) -> str:
    """Acme's incident thread's ts, as a permalink writes it."""
    thread = next(
        m for m in workspace.messages_in("C0003") if m.get("reply_count") and not m.get("bot_id")
    )
    return str(thread["ts"]).replace(".", "")


def test_purge_deletes_one_workspace_and_nothing_else(
    multi: Sandbox, engine: Engine, clock: FakeClock, database_url: str, monkeypatch: Any
) -> None:
    _, globex = multi.workspaces.all
    install(multi, "T0001", "U0001")
    install(multi, "T0002", "U2001")
    fill_acme(multi, clock)
    people = multi.sender_for(globex)
    people.slash_command("U2002", "C2001", f"/feedback {GLOBEX} one")
    people.slash_command("U2001", "C2003", f'/ritual add sync "{GLOBEX} sync" daily at 10:00')
    people.slash_command("U2001", "C2002", "/stack add Miro cost:$10/mo")
    acme_before = team_counts(engine, "T0001")
    assert sum(team_counts(engine, "T0002").values()) > 5

    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    declined = runner.invoke(cli, ["purge", "--team", "T0002"], input="n\n")
    assert declined.exit_code == 1 and "nothing was deleted" in declined.output
    assert "feedback: 1" in declined.output
    assert sum(team_counts(engine, "T0002").values()) > 5

    done = runner.invoke(cli, ["purge", "--team", "T0002", "--yes"])
    assert done.exit_code == 0, done.output
    assert "deleted" in done.output
    assert sum(team_counts(engine, "T0002").values()) == 0
    assert team_counts(engine, "T0001") == acme_before

    again = runner.invoke(cli, ["purge", "--team", "T0002", "--yes"])
    assert again.exit_code == 0 and "nothing is stored for T0002" in again.output
    bad = runner.invoke(cli, ["purge", "--team", "'; drop table feedback;--"])
    assert bad.exit_code == 2 and "expected a Slack team id" in bad.output
    # Globex is no longer installed: its people are told, and nothing is stored again.
    people.slash_command("U2002", "C2001", "/feedback are you there?")
    assert "not installed" in last_answer(globex, "U2002")
    assert sum(team_counts(engine, "T0002").values()) == 0
