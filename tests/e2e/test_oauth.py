"""Many workspaces: OAuth install, tokens per team, the installer as ops, removal stops work."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.sandbox.server import Sandbox, start_install
from bot.sandbox.workspace import Workspace
from bot.schedule import parse_schedule
from storage import people
from storage.models import SLACK_BOTS, Feedback, Ritual, TeamInstall
from tests.e2e.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEN_BERLIN,
    FakeClock,
    ephemerals,
    install,
    tick,
)


def bot_tokens(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(SLACK_BOTS.c.team_id, SLACK_BOTS.c.bot_token)).all()
    return {str(team): str(token) for team, token in rows}


def feedback_count(engine: Engine, team: str) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.team_id == team)
            )
            or 0
        )


def test_install_gives_each_workspace_its_own_token_and_makes_the_installer_ops(
    multi: Sandbox, engine: Engine
) -> None:
    acme, globex = multi.workspaces.all
    assert install(multi, "T0001", "U0001").status_code == 200
    # Carol is no admin in Globex: installing makes her ops there (and nowhere else).
    done = install(multi, "T0002", "U2003")
    assert done.status_code == 200
    assert "Thank you" in done.text or "success" in done.text.lower()

    tokens = bot_tokens(engine)
    assert set(tokens) == {"T0001", "T0002"}
    assert tokens["T0001"] in acme.tokens and tokens["T0002"] in globex.tokens
    assert tokens["T0001"] != tokens["T0002"]
    with Session(engine) as session:
        assert people.is_granted_ops(session=session, team_id="T0002", user_id="U2003")
        assert not people.is_granted_ops(session=session, team_id="T0001", user_id="U2003")
        row = session.get(TeamInstall, "T0002")
        assert row is not None and row.installed_by == "U2003" and row.uninstalled_at is None

    # Each team files its own FB-1, and every call the bot makes for a team carries its token.
    multi.sender.slash_command("U0002", "C0001", "/feedback Export to CSV times out")
    globex_people = multi.sender_for(globex)
    globex_people.slash_command("U2002", "C2001", "/feedback Dark mode for reports")
    assert any("FB-1" in text for text in ephemerals(multi, "U0002"))
    assert any("FB-1" in e["text"] for e in globex.ephemerals_for("U2002"))
    assert feedback_count(engine, "T0001") == 1 and feedback_count(engine, "T0002") == 1
    assert {c.token for c in acme.calls if c.token} <= acme.tokens
    assert {c.token for c in globex.calls if c.token} <= globex.tokens
    assert [c for c in globex.calls if c.token], "the bot called Globex with its token"


def test_a_workspace_that_never_installed_is_not_served(multi: Sandbox, engine: Engine) -> None:
    install(multi, "T0001", "U0001")
    globex = multi.workspaces.all[1]
    delivery = multi.sender_for(globex).slash_command("U2002", "C2001", "/feedback hello")
    assert delivery.status == 200
    [answer] = globex.ephemerals_for("U2002")
    assert "not installed in this workspace" in answer["text"]
    assert feedback_count(engine, "T0002") == 0
    assert globex.calls_to("chat.postMessage") == []


def test_the_install_flow_checks_its_state_and_uses_each_code_once(
    multi: Sandbox, engine: Engine
) -> None:
    def redirect_back(code: str, state: str | None = None) -> requests.Response:
        """Slack sending the browser back with `code` (and the state of a fresh install page)."""
        with requests.Session() as browser:
            page = start_install(browser, multi)
            found = re.search(r"state=([^&]+)", page.headers["Location"])
            assert found
            return browser.get(
                f"{multi.url}/bot/slack/oauth_redirect",
                params={"code": code, "state": state or found.group(1)},
                timeout=10,
            )

    code = multi.workspaces.authorize("T0002", "U2001")
    assert redirect_back(code, state="made-up").status_code >= 400
    assert bot_tokens(engine) == {}
    assert redirect_back(code).status_code == 200
    assert list(bot_tokens(engine)) == ["T0002"]
    # The same code a second time (a reload, or someone replaying the link) installs nothing.
    assert redirect_back(code).status_code >= 400
    assert list(bot_tokens(engine)) == ["T0002"]


def ritual_posts(workspace: Workspace, channel: str) -> list[dict]:
    return [m for m in workspace.messages_in(channel) if m.get("bot_id")]


@pytest.mark.parametrize("removal", ["app_uninstalled", "tokens_revoked"])
def test_removing_the_app_stops_all_of_that_teams_work(
    multi: Sandbox, engine: Engine, clock: FakeClock, removal: str
) -> None:
    acme, globex = multi.workspaces.all
    globex_people = multi.sender_for(globex)
    install(multi, "T0001", "U0001")
    install(multi, "T0002", "U2001")
    multi.sender.slash_command("U0001", "C0003", '/ritual add sync "Acme sync" daily at 10:00')
    globex_people.slash_command("U2001", "C2003", '/ritual add sync "Globex sync" daily at 10:00')
    before_acme, before_globex = (
        len(ritual_posts(acme, "C0003")),
        len(ritual_posts(globex, "C2003")),
    )

    event: dict = {"type": removal}
    if removal == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": [globex.bot_user_id]}
    _, delivery = globex_people.post_event(event)
    assert delivery.status == 200
    multi.workspaces.uninstall("T0002")  # Slack stops accepting its tokens
    assert list(bot_tokens(engine)) == ["T0001"]
    with Session(engine) as session:
        row = session.get(TeamInstall, "T0002")
        assert row is not None and row.uninstalled_at is not None

    # At 10:00 in Berlin (both creators' zone) Acme's ritual is posted; Globex's is not, and
    # nothing is queued or called for it.
    calls_before = len(globex.calls)
    tick(multi, TEN_BERLIN, clock)
    assert len(ritual_posts(acme, "C0003")) == before_acme + 1
    assert len(ritual_posts(globex, "C2003")) == before_globex
    assert len(globex.calls) == calls_before
    assert multi.workspaces.refused == []  # not even tried with the old token

    # Installing again resumes the team.
    install(multi, "T0002", "U2001")
    with Session(engine) as session:
        row = session.get(TeamInstall, "T0002")
        assert row is not None and row.uninstalled_at is None
    tick(multi, TEN_BERLIN + timedelta(days=1), clock)
    assert len(ritual_posts(globex, "C2003")) == before_globex + 1


def test_one_token_mode_stops_on_uninstall_and_resumes_when_slack_writes_again(
    bot: Sandbox, engine: Engine, clock: FakeClock
) -> None:
    bot.sender.slash_command("U0001", "C0003", '/ritual add sync "Acme sync" daily at 10:00')
    posts = len(ritual_posts(bot.workspace, "C0003"))
    bot.sender.post_event({"type": "app_uninstalled"})
    tick(bot, TEN_BERLIN, clock)
    assert len(ritual_posts(bot.workspace, "C0003")) == posts
    # Slack only writes to an installed app: a command means the bot was added back.
    bot.sender.slash_command("U0002", "C0001", "/feedback back again")
    tick(bot, TEN_BERLIN + timedelta(days=1), clock)
    assert len(ritual_posts(bot.workspace, "C0003")) == posts + 1


def test_a_separate_clock_process_posts_for_each_workspace_with_its_token(
    multi: Sandbox, engine: Engine, database_url: str
) -> None:
    acme, globex = multi.workspaces.all
    install(multi, "T0001", "U0001")
    install(multi, "T0002", "U2001")
    now = datetime.now(UTC)
    with Session(engine) as session:
        for team, channel in (("T0001", "C0002"), ("T0002", "C2002")):
            session.add(
                Ritual(
                    team_id=team,
                    number=1,
                    kind="sync",
                    title=f"{team} sync",
                    rule_json=parse_schedule("daily at 9:00", now=now, tz="UTC").to_json(),
                    rule_text="daily at 9:00",
                    tz="UTC",
                    channel_id=channel,
                    creator_id="U0001" if team == "T0001" else "U2001",
                    created_at=now,
                    next_at=now + timedelta(seconds=3),
                )
            )
        session.commit()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "DATABASE_URL": database_url,
        "SLACK_API_URL": f"{multi.url}/api/",
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "LOG_LEVEL": "WARNING",
    }
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if ritual_posts(acme, "C0002") and ritual_posts(globex, "C2002"):
                break
            time.sleep(0.2)
    finally:
        clock.send_signal(signal.SIGTERM)
        clock.wait(timeout=30)
    assert [m["text"].split(":")[0] for m in ritual_posts(acme, "C0002")] == ["T0001 sync"]
    assert [m["text"].split(":")[0] for m in ritual_posts(globex, "C2002")] == ["T0002 sync"]
    tokens = bot_tokens(engine)
    assert {c.token for c in globex.calls_to("chat.postMessage")} == {tokens["T0002"]}
    assert {c.token for c in acme.calls_to("chat.postMessage")} == {tokens["T0001"]}
