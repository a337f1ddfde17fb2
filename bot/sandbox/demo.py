"""A believable team for `productops sandbox --demo`: feedback over 12 weeks with votes and
statuses, rituals, a past retro with action items, and a long thread to summarize.

Everything goes through the same services the bot uses, so the data is what the bot would
have made itself. Seeding twice is harmless: it only runs on an empty workspace.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.grammar import tokenize
from bot.sandbox.workspace import Workspace
from bot.services import feedback, retros, rituals
from storage.feedback import count_feedback

PEOPLE = ("U0001", "U0002", "U0003", "U0004", "U0006")

FEEDBACK = (
    ("CSV export times out on large accounts #export", "high", "Acme"),
    ("Exporting to CSV fails with a timeout for big customers #export", "high", "Globex"),
    ("Dark mode for the dashboard #ui", "normal", None),
    ("Please add a dark theme, my eyes hurt at night #ui", "low", None),
    ("SSO login is broken for Okta users #auth", "high", "Initech"),
    ("Can't log in with SSO via Okta since Tuesday #auth", "high", "Umbrella"),
    ("The mobile app crashes when uploading photos #mobile", "high", None),
    ("iOS app crashes on photo upload #mobile", "normal", "Acme"),
    ("Slack notifications for new comments #integrations", "normal", None),
    ("Calendar sync with Outlook #integrations", "low", "Hooli"),
    ("Bulk edit for tags #productivity", "normal", None),
    ("Invoices should show the VAT number #billing", "normal", "Vandelay"),
    ("Archived projects are missing from search results #search", "normal", None),
    ("Weekly email digest of what changed #notifications", "low", None),
    ("Two-factor authentication for admins #auth", "high", "Initech"),
    ("Keyboard shortcuts for the board view #productivity", "low", None),
    ("Reports load slowly with more than 10k rows #performance", "high", "Globex"),
    ("Filter the activity log by user #admin", "normal", None),
    ("Jira integration should sync status both ways #integrations", "normal", "Hooli"),
    ("Onboarding tour is too long #onboarding", "low", None),
    ("API rate limits are too strict for our nightly sync #api", "normal", "Acme"),
    ("Webhooks should retry when our endpoint is down #api", "normal", None),
    ("Charts should export as PNG #reports", "low", None),
    ("Let admins set a default timezone for the team #admin", "normal", None),
)
STATUSES = ("new", "new", "triaged", "planned", "in_progress", "shipped", "declined")

THREAD = (
    ("U0002", "Heads up: the CSV export for Acme timed out again this morning."),
    ("U0003", "Repro'd on staging: the export job hits the 30s gateway timeout at ~50k rows."),
    ("U0004", "Could we stream the file instead of building it in memory?"),
    ("U0001", "Streaming would also fix the memory spikes we saw last week."),
    ("U0006", "Acme's month-end close is on Friday, can we get them a workaround by then?"),
    ("U0003", "I can raise the timeout to 120s as a stopgap today."),
    ("U0002", "Let's do that. Decided: raise the timeout now, streaming next sprint."),
    ("U0004", "I'll write the streaming design doc by Wednesday."),
    ("U0001", "Who tells Acme? I can draft the note."),
    ("U0006", "Thanks Ann. Do we also need to backfill last month's failed exports?"),
    ("U0003", "Timeout raised to 120s in prod. Acme's export finished in 74s."),
    ("U0002", "Great, closing the incident. Action: Dave owns the streaming doc."),
)


def seed_demo(deps: Deps, workspace: Workspace, *, team_id: str = "T0001") -> bool:
    """Seed the (in-memory) conversations, and the database when it is empty.

    Returns False when the database had data already (then only conversations are added).
    """
    _seed_thread(workspace)
    with deps.session_scope() as session:
        if count_feedback(session=session, team_id=team_id):
            return False
    rng = random.Random(42)
    now = deps.now()
    _seed_feedback(deps, team_id, now, rng)
    _seed_rituals(deps, team_id, now)
    _seed_retro(deps, team_id, now)
    _seed_kpis(deps, team_id, now, rng)
    _seed_stack(deps, team_id, now)
    return True


def _seed_feedback(deps: Deps, team_id: str, now: datetime, rng: random.Random) -> None:
    for index, (text, urgency, customer) in enumerate(FEEDBACK):
        filed_at = now - timedelta(days=84 - index * 3, hours=rng.randint(0, 8))
        draft = feedback.parse_draft(tokenize(text))
        draft = feedback.FeedbackDraft(
            text=draft.text, tags=draft.tags, customer=customer, urgency=urgency
        )
        reporter = rng.choice(PEOPLE)
        with deps.session_scope() as session:
            filed = feedback.file_feedback(
                session=session,
                team_id=team_id,
                reporter_id=reporter,
                channel_id="C0001",
                draft=draft,
                now=filed_at,
                source_key=f"demo:{index}",
            )
            number = filed.item.number
            for voter in rng.sample(PEOPLE, rng.randint(0, 4)):
                feedback.vote(
                    session=session,
                    team_id=team_id,
                    number=number,
                    user_id=voter,
                    now=filed_at + timedelta(hours=2),
                )
            status = STATUSES[index % len(STATUSES)]
            if status != "new":
                feedback.set_status(
                    session=session,
                    team_id=team_id,
                    number=number,
                    status="triaged",
                    actor_id="U0001",
                    now=filed_at + timedelta(days=1),
                )
                if status != "triaged":
                    feedback.set_status(
                        session=session,
                        team_id=team_id,
                        number=number,
                        status=status,
                        actor_id="U0001",
                        now=filed_at + timedelta(days=6),
                        note="Thanks for the detail!"
                        if status in ("shipped", "declined")
                        else None,
                    )


def _seed_rituals(deps: Deps, team_id: str, now: datetime) -> None:
    plans = (
        (
            "U0001",
            "C0003",
            'standup "Squad A standup" every weekday at 9:30 with <@U0002> <@U0003> <@U0004> '
            "for 2h",
        ),
        (
            "U0001",
            "C0001",
            'workshop "Pricing discovery" tomorrow at 3pm for 90m with <@U0002> <@U0006>',
        ),
        ("U0001", "C0003", 'retro "Sprint retro" every 2 weeks on fri at 16:00'),
        ("U0002", "D0002", 'sync "Bob and Ann 1:1" every mon at 11:00'),
    )
    for creator, channel, line in plans:
        draft = rituals.parse_add(tokenize(line), default_channel=channel)
        tz = "Europe/Berlin" if creator == "U0001" else "America/New_York"
        with deps.session_scope() as session:
            rituals.create_ritual(
                session=session, team_id=team_id, creator_id=creator, draft=draft, tz=tz, now=now
            )


def _seed_retro(deps: Deps, team_id: str, now: datetime) -> None:
    started = now - timedelta(days=12)
    with deps.session_scope() as session:
        board = retros.start_retro(
            session=session,
            team_id=team_id,
            facilitator_id="U0001",
            title="Sprint 41 retro",
            channel_id="C0003",
            series="channel:C0003",
            now=started,
        )
        cards = (
            ("went_well", "Shipped the export fix ahead of month-end", "U0002", False),
            ("went_well", "Pairing on the SSO bug was great", "U0003", False),
            ("to_improve", "Too many meetings on Wednesdays", "U0004", True),
            ("to_improve", "Flaky end-to-end tests slowed every merge", "U0006", False),
            ("idea", "Demo day every other Friday", "U0002", False),
        )
        for n, (column, text, author, anonymous) in enumerate(cards):
            retros.add_card(
                session=session,
                team_id=team_id,
                retro_id=board.id,
                column=column,
                text=text,
                author_id=author,
                anonymous=anonymous,
                source_key=f"demo:{n}",
                now=started,
            )
        retros.reveal(
            session=session,
            team_id=team_id,
            retro_id=board.id,
            actor_id="U0001",
            is_ops=True,
            now=started,
        )
        items = retros.board(session=session, team_id=team_id, retro_id=board.id).cards
        for voter, picks in (("U0002", (2, 3)), ("U0003", (2, 4)), ("U0004", (3,))):
            for pick in picks:
                retros.vote(
                    session=session,
                    team_id=team_id,
                    retro_id=board.id,
                    item_id=items[pick % len(items)].id,
                    user_id=voter,
                    now=started,
                )
        for n, (text, owner, days) in enumerate(
            (
                ("Move the Wednesday syncs to async updates", "U0001", 7),
                ("Quarantine the flaky tests and fix the top three", "U0003", 10),
            )
        ):
            retros.add_action(
                session=session,
                team_id=team_id,
                retro_id=board.id,
                text=text,
                owner_id=owner,
                due=(started + timedelta(days=days)).date(),
                source_key=f"demo-action:{n}",
                now=started,
            )
        retros.close(
            session=session,
            team_id=team_id,
            retro_id=board.id,
            actor_id="U0001",
            is_ops=True,
            now=started,
        )


KPIS = (
    (
        'activation unit:% target:">=40" channel:<#C0001> "Share of signups active in week 1"',
        32.0,
        0.22,
    ),
    ('nps target:">=30" "Net promoter score from the in-app survey"', 24.0, 0.18),
    (
        'time_to_triage unit:h target:"<=48" "Median hours from feedback to first triage"',
        70.0,
        -0.45,
    ),
)
TOOLS = (
    'Figma owner:<@U0003> purpose:design cost:"$45/mo" renewal:{soon} url:<https://figma.com>',
    'Amplitude owner:<@U0001> purpose:analytics cost:"12000 EUR/yr" renewal:{later} '
    "url:<https://amplitude.com>",
    'Productboard owner:<@U0002> purpose:"product management" cost:"$1200/yr" renewal:{later2}',
    'Miro owner:<@U0004> purpose:design cost:"€16/month"',
)


def _seed_kpis(deps: Deps, team_id: str, now: datetime, rng: random.Random) -> None:
    from bot.services import kpis

    today = now.date()
    for line, start, trend in KPIS:
        definition = kpis.parse_definition(tokenize(line))
        with deps.session_scope() as session:
            kpis.define_kpi(
                session=session, team_id=team_id, definition=definition, user_id="U0001", now=now
            )
            value = start
            for week in range(52, -1, -1):
                value += trend + rng.uniform(-1.5, 1.5)
                kpis.record_value(
                    session=session,
                    team_id=team_id,
                    name=definition.name,
                    value=f"{max(value, 0):.1f}",
                    on=today - timedelta(weeks=week),
                    source="demo",
                    recorded_by="U0001",
                    now=now,
                    alerts=False,
                )


def _seed_stack(deps: Deps, team_id: str, now: datetime) -> None:
    from bot.services import stack

    today = now.date()
    dates = {
        "soon": today + timedelta(days=12),
        "later": today + timedelta(days=25),
        "later2": today + timedelta(days=140),
    }
    for line in TOOLS:
        text = line.format(**{k: v.isoformat() for k, v in dates.items()})
        request = stack.parse_request(tokenize(text), subcommand="add", actor="U0001", today=today)
        with deps.session_scope() as session:
            stack.add_tool(
                session=session,
                team_id=team_id,
                request=request,
                actor="U0001",
                now=now,
                tz="Europe/Berlin",
            )


def _seed_thread(workspace: Workspace) -> None:
    parent_user, parent_text = THREAD[0]
    parent = workspace.add_message("C0002", user_id=parent_user, text=parent_text)
    for user, text in THREAD[1:]:
        workspace.add_message("C0002", user_id=user, text=text, thread_ts=parent["ts"])
    workspace.add_message(
        "C0001", user_id="U0006", text="Customers keep asking for a Zapier integration"
    )
    workspace.add_message(
        "C0001", user_id="U0004", text="Search should also look inside attached PDFs"
    )
