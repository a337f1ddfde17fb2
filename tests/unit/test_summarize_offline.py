"""The offline summarizer on three realistic threads: a decision, an incident, a brainstorm."""

from __future__ import annotations

import random

from bot.summarize import (
    MAX_ACTION_ITEMS,
    ActionItem,
    Message,
    content_words,
    split_sentences,
    summarize_offline,
)

ANN, BOB, CAROL, DAVE, ERIN = "Ann Lee", "Bob Martin", "Carol Tanaka", "Dave Nguyen", "Erin Silva"

DECISION_THREAD = [
    Message(
        ANN,
        "We need to pick the billing provider for the new self-serve plans this week. "
        "The options are Stripe and Paddle; legal wants an answer before the pricing page "
        "goes live.",
    ),
    Message(
        BOB,
        "Stripe has the better API and we already use it for invoices. Paddle would handle "
        "VAT for us as merchant of record, which saves the finance team a lot of work.",
    ),
    Message(CAROL, "How much is Paddle's fee compared to Stripe's for our average basket?"),
    Message(
        BOB,
        "Paddle's fee is 5% plus 50 cents, Stripe is about 2.9% plus 30 cents before Stripe Tax.",
    ),
    Message(DAVE, "Finance told me the VAT filings cost us roughly two days a month today."),
    Message(ANN, "Thanks all. We agreed to go with Stripe and add Stripe Tax for VAT."),
    Message(ANN, "@Bob Martin will draft the migration plan for the invoices by Friday."),
    Message(CAROL, "I'll update the pricing page copy once the plan is ready."),
    Message(DAVE, "Do we keep the legacy annual plans on the old checkout or migrate them too?"),
    Message(ERIN, "TODO: @Dave check the Stripe Tax coverage for Brazil and Japan"),
]

INCIDENT_THREAD = [
    Message(
        DAVE,
        ":rotating_light: CSV export is timing out for large accounts since the 14:05 deploy. "
        "Acme and Globex reported it in support.",
    ),
    Message(BOB, "Looking. Error rate on the export worker jumped to 40% right after the deploy."),
    Message(
        BOB,
        "The new query in the export job does a full table scan on events without the team index.",
    ),
    Message(ANN, "Is the data safe, or are partial files being sent to customers?"),
    Message(BOB, "Data is safe: failed exports are discarded, nothing partial is sent."),
    Message(CAROL, "Should we roll back the whole deploy or just disable the new export path?"),
    Message(
        ANN,
        "Let's go with disabling the new export path behind the flag, rollback is riskier "
        "with the migration in it.",
    ),
    Message(BOB, "Flag is off. Error rate is back to 0.2% and exports complete in under a minute."),
    Message(
        ANN,
        "Great work. Action item: @Bob Martin add the missing index on events(team_id, created_at)",
    ),
    Message(DAVE, "@Carol Tanaka can you write the postmortem by thu?"),
    Message(CAROL, "Yes, I will write it and share it in #incidents."),
    Message(ERIN, "Do we need to credit Acme for the downtime under their SLA?"),
]

BRAINSTORM_THREAD = [
    Message(
        CAROL,
        "Brainstorm: how could we make onboarding faster for new workspaces? Drop every idea "
        "here, no bad ideas.",
    ),
    Message(ANN, "A guided checklist in the sidebar with the five first steps and progress."),
    Message(BOB, "Import from Trello and Asana so people don't start with an empty board."),
    Message(DAVE, "Templates per team type: design, engineering, marketing."),
    Message(ERIN, "What if the first project was created for them from their signup answers?"),
    Message(ANN, "Love the templates idea, could combine it with the checklist."),
    Message(BOB, "Could we measure time to first invite as the onboarding KPI?"),
    Message(CAROL, "Yes, time to first invite is already tracked in the warehouse."),
    Message(DAVE, "Which of these can we test in the next sprint without engineering help?"),
    Message(ERIN, "Video walkthroughs in the empty states, 30 seconds each."),
    Message(
        CAROL,
        "Great list. I will group the ideas and bring the top three to Thursday's product review.",
    ),
]


def test_decision_thread() -> None:
    summary = summarize_offline(DECISION_THREAD, note="no language model is configured")
    assert summary.offline and summary.note == "no language model is configured"
    assert summary.decisions == ("We agreed to go with Stripe and add Stripe Tax for VAT.",)
    assert summary.action_items == (
        ActionItem(task="draft the migration plan for the invoices", owner=BOB, due="Friday"),
        ActionItem(task="update the pricing page copy once the plan is ready", owner=CAROL),
        # "@Dave" is a first name: the owner is written in full.
        ActionItem(task="check the Stripe Tax coverage for Brazil and Japan", owner=DAVE),
    )
    # Carol's fee question was answered by Bob; Dave's about legacy plans was not.
    assert summary.questions == (
        "Do we keep the legacy annual plans on the old checkout or migrate them too?",
    )
    assert "We agreed to go with Stripe" in summary.tldr
    assert 1 <= len(summary.tldr) <= 600
    assert any("Paddle" in point for point in summary.key_points)


def test_incident_thread() -> None:
    summary = summarize_offline(INCIDENT_THREAD)
    assert summary.decisions == (
        "Let's go with disabling the new export path behind the flag, rollback is riskier "
        "with the migration in it.",
    )
    assert summary.action_items == (
        ActionItem(task="add the missing index on events(team_id, created_at)", owner=BOB),
        # "Yes, I will write it" accepts the request: not a second item.
        ActionItem(task="write the postmortem", owner=CAROL, due="thu"),
    )
    # "Is the data safe?" and "roll back or disable?" were answered in the thread.
    assert summary.questions == ("Do we need to credit Acme for the downtime under their SLA?",)
    assert summary.tldr.startswith(":rotating_light: CSV export is timing out")
    authors = {m.author for m in INCIDENT_THREAD for p in summary.key_points if p in m.text}
    assert len(authors) >= 2


def test_brainstorm_thread() -> None:
    summary = summarize_offline(BRAINSTORM_THREAD)
    assert summary.decisions == ()
    assert summary.action_items == (
        ActionItem(
            task="group the ideas and bring the top three to Thursday's product review",
            owner=CAROL,
        ),
    )
    # The opening question is the topic; the KPI question got a "Yes, ..." answer.
    assert summary.questions == (
        "What if the first project was created for them from their signup answers?",
        "Which of these can we test in the next sprint without engineering help?",
    )
    assert summary.tldr.startswith("Brainstorm: how could we make onboarding faster")
    ideas = ("checklist", "Trello", "Templates")
    assert sum(any(idea in p for p in summary.key_points) for idea in ideas) >= 2


def test_people_mentioned_but_silent_can_own_action_items() -> None:
    messages = [
        Message(ANN, "The partner API docs are out of date for the v2 endpoints."),
        Message(BOB, "@Erin Silva to update the partner docs before the 3rd of March"),
    ]
    summary = summarize_offline(messages, people=[ERIN])
    assert summary.action_items == (
        ActionItem(task="update the partner docs", owner=ERIN, due="3rd of March"),
    )


def test_requests_with_a_deadline_and_self_assigned_tasks() -> None:
    messages = [
        Message(ANN, "Can you send the churn numbers by eod?"),
        Message(BOB, "Sure. I'll pull them from the warehouse after lunch."),
        Message(CAROL, "I will be out on Friday."),
    ]
    summary = summarize_offline(messages)
    assert summary.action_items == (
        ActionItem(task="send the churn numbers", due="eod"),
        ActionItem(task="pull them from the warehouse after lunch", owner=BOB),
    )
    assert summary.questions == ()


def test_many_languages_and_empty_input() -> None:
    assert summarize_offline([]).tldr == "Nothing to summarize yet."
    messages = [
        Message(ANN, "Die Veröffentlichung verschiebt sich auf Montag wegen der QA-Ergebnisse."),
        Message(BOB, "設計レビューは木曜日に行います。資料は水曜日までに共有します。"),
    ]
    summary = summarize_offline(messages)
    assert summary.tldr and summary.key_points


def test_two_thousand_messages_are_summarized_with_bounded_sections() -> None:
    rng = random.Random(3)
    pool = DECISION_THREAD + INCIDENT_THREAD + BRAINSTORM_THREAD
    messages = [
        Message(rng.choice([ANN, BOB, CAROL, DAVE, ERIN]), f"{rng.choice(pool).text} ({i})")
        for i in range(2_000)
    ]
    summary = summarize_offline(messages)
    assert summary.tldr
    assert len(summary.key_points) <= 7
    assert len(summary.action_items) == MAX_ACTION_ITEMS
    assert summary.action_items[-1].task.startswith("… and ")


def test_sentences_and_words() -> None:
    assert split_sentences("One. Two?\n- three\n\nFour!") == ["One.", "Two?", "three", "Four!"]
    assert content_words("The exports are timing out") == {"export", "timing"}
