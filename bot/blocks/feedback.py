"""Block Kit for feedback: cards, the modal, duplicate offers, triage, lists, detail, themes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import field as _field
from bot.blocks.kit import metadata as _metadata
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.blocks.usage import Usage
from bot.services.feedback import (
    STATUSES,
    FeedbackDraft,
    FeedbackItem,
    FiledFeedback,
    ItemDetail,
    Page,
    Similar,
    ThemeSummary,
    VoteResult,
)
from bot.text import (
    OPTION_TEXT_MAX,
    SECTION_TEXT_MAX,
    escape,
    safe_mrkdwn,
    truncate,
)

FEEDBACK_MODAL = "feedback_modal"
CLOSE_NOTE_MODAL = "feedback_close_note"
ACTION_VOTE = "feedback_vote"
ACTION_EDIT = "feedback_edit"
ACTION_MERGE = "feedback_merge"
ACTION_KEEP = "feedback_keep_separate"
ACTION_STATUS = "feedback_set_status"
ACTION_OWNER = "feedback_set_owner"
ACTION_MORE = "feedback_more"

FIELD_TEXT = "fb_text"
FIELD_TAGS = "fb_tags"
FIELD_CUSTOMER = "fb_customer"
FIELD_AREA = "fb_area"
FIELD_URGENCY = "fb_urgency"
FIELD_NOTE = "fb_note"
VALUE = "value"

FEEDBACK_USAGE = Usage(
    command="/feedback",
    summary="file, find and triage product feedback",
    forms=(
        (
            '<text> [#tag ...] [customer:"Acme"] [area:billing] [urgency:low|normal|high]',
            "file feedback",
        ),
        ("", "open a form to file feedback"),
        ("list [status|open|closed|all] [#tag] [mine]", "list feedback, newest first"),
        ("search <words>", "full-text search, best match first"),
        ("show FB-42", "an item with its votes and history"),
        ("themes", "recurring topics in open and recent feedback"),
        ("triage [FB-42 ...]", "ops: the triage queue, or these items"),
        ("help", "show this card"),
    ),
    examples=(
        'CSV export times out on large accounts #export customer:"Acme" urgency:high',
        "list triaged #export",
        "search csv timeout",
        "show FB-42",
    ),
    notes=(
        "Slash commands don't work inside threads: react with :inbox_tray: on a message, or "
        "use its ⋯ menu → Capture as feedback.",
    ),
)

STATUS_LABELS = {
    "new": "New",
    "triaged": "Triaged",
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "declined": "Declined",
    "merged": "Merged",
}
STATUS_EMOJI = {
    "new": ":new:",
    "triaged": ":mag:",
    "planned": ":calendar:",
    "in_progress": ":hammer_and_wrench:",
    "shipped": ":rocket:",
    "declined": ":no_entry_sign:",
    "merged": ":twisted_rightwards_arrows:",
}
_URGENCY_EMOJI = {"low": ":white_circle:", "normal": ":large_blue_circle:", "high": ":red_circle:"}


def _name(names: Mapping[str, str], user_id: str | None) -> str:
    if not user_id:
        return "nobody"
    return escape(names.get(user_id) or user_id)


def quote(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    """Feedback text as a mrkdwn block quote, safe and within `limit`."""
    safe = truncate(safe_mrkdwn(text), limit - 200)
    return "\n".join(f">{line}" for line in safe.split("\n"))


def headline(item: FeedbackItem, limit: int = 80) -> str:
    """A one-line, safe summary: *FB-42* 'CSV export times out'."""
    first = item.text.strip().split("\n", 1)[0]
    return f"*{item.key}* '{truncate(safe_mrkdwn(first), limit)}'"


def _votes(count: int) -> str:
    return f"{count} vote" if count == 1 else f"{count} votes"


def _status(item: FeedbackItem) -> str:
    label = STATUS_LABELS.get(item.status, item.status)
    if item.merged_into:
        return f"{STATUS_EMOJI['merged']} merged into FB-{item.merged_into}"
    return f"{STATUS_EMOJI.get(item.status, '')} {label}".strip()


# ---------------------------------------------------------------------------- cards


def build_feedback_card(filed: FiledFeedback) -> dict[str, Any]:
    """The answer to filing: FB id, the text, what was parsed, and Edit."""
    item = filed.item
    verb = "Filed" if filed.created else "Already filed"
    fields = [_field("Urgency", f"{_URGENCY_EMOJI[item.urgency]} {item.urgency}")]
    if item.tags:
        fields.append(_field("Tags", " ".join(f"#{escape(tag)}" for tag in item.tags)))
    if item.customer:
        fields.append(_field("Customer", escape(item.customer)))
    if item.area:
        fields.append(_field("Area", escape(item.area)))
    blocks: list[dict[str, Any]] = [
        _section(f":inbox_tray: {verb} *{item.key}*\n{quote(item.text)}"),
        {"type": "section", "fields": fields},
        _context(f"Status: *{_status(item)}* · {_votes(item.votes)} · thank you!"),
        {
            "type": "actions",
            "block_id": f"card:{item.number}",
            "elements": [_button("Edit details", ACTION_EDIT, item.key)],
        },
    ]
    return {"text": f"{verb} {item.key}", "blocks": blocks}


def build_vote_answer(result: VoteResult) -> dict[str, Any]:
    """What a person sees after +1 (by button or reaction)."""
    item = result.item
    if result.added:
        text = f":+1: Your vote for {headline(item)} is counted: {_votes(item.votes)} now."
    else:
        text = f"You already voted for {headline(item)} ({_votes(item.votes)})."
    return {"text": text.replace("*", ""), "blocks": [_section(text)]}


def build_capture_answer(result: VoteResult, *, created: bool) -> dict[str, Any]:
    """The reactor's ephemeral confirmation of a capture or a +1 by reaction."""
    item = result.item
    if created:
        text = (
            f":inbox_tray: Captured as {headline(item)}. Others who react with the same "
            "emoji add their vote."
        )
    elif result.added:
        text = f":+1: Added your vote to {headline(item)}: {_votes(item.votes)} now."
    else:
        text = f"You already voted for {headline(item)} ({_votes(item.votes)})."
    return {"text": text.replace("*", ""), "blocks": [_section(text)]}


def build_duplicate_offer(new: FeedbackItem, similar: Sequence[Similar]) -> dict[str, Any]:
    """'Looks like FB-17 'CSV export times out' (5 votes)': [Merge as +1] [Keep separate]."""
    blocks: list[dict[str, Any]] = []
    for match in similar:
        original = match.item
        blocks.append(
            _section(
                f":mag: {new.key} looks like {headline(original)} ({_votes(original.votes)}, "
                f"{STATUS_LABELS.get(original.status, original.status).lower()})"
            )
        )
        value = f"{new.number}:{original.number}"
        blocks.append(
            {
                "type": "actions",
                "block_id": f"dup:{new.number}:{original.number}",
                "elements": [
                    _button(f"Merge as +1 to {original.key}", ACTION_MERGE, value, "primary"),
                    _button("Keep separate", ACTION_KEEP, value),
                ],
            }
        )
    first = similar[0].item if similar else None
    text = f"{new.key} looks like {first.key}" if first else new.key
    return {"text": text, "blocks": blocks or [_section(text)]}


def build_merged_answer(duplicate: int, original: FeedbackItem) -> dict[str, Any]:
    """After Merge as +1."""
    text = (
        f":twisted_rightwards_arrows: Merged FB-{duplicate} into {headline(original)}: "
        f"{_votes(original.votes)} now. Everyone on FB-{duplicate} will hear when it ships."
    )
    return {"text": text.replace("*", ""), "blocks": [_section(text)]}


# ---------------------------------------------------------------------------- modals


def build_feedback_modal(
    *,
    metadata: Mapping[str, Any],
    draft: FeedbackDraft | None = None,
    title: str = "Capture feedback",
    source_line: str | None = None,
) -> dict[str, Any]:
    """The feedback form: text, tags, customer, area, urgency (pre-filled when given)."""
    draft = draft or FeedbackDraft(text="")

    def text_input(
        block_id: str,
        label: str,
        value: str | None,
        *,
        multiline: bool = False,
        optional: bool = True,
        placeholder: str = "",
        max_length: int = 200,
        hint: str | None = None,
    ) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": VALUE,
            "multiline": multiline,
            "max_length": max_length,
        }
        if value:
            element["initial_value"] = value[:max_length]
        if placeholder:
            element["placeholder"] = _plain(placeholder, 150)
        block: dict[str, Any] = {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": _plain(label, 2000),
            "element": element,
        }
        if hint:
            block["hint"] = _plain(hint, 2000)
        return block

    urgency_options = [
        {"text": _plain(u, OPTION_TEXT_MAX), "value": u} for u in ("low", "normal", "high")
    ]
    blocks: list[dict[str, Any]] = []
    if source_line:
        blocks.append(_context(source_line))
    blocks += [
        text_input(
            FIELD_TEXT,
            "Feedback",
            draft.text,
            multiline=True,
            optional=False,
            placeholder="What did the customer or teammate say?",
            max_length=4000,
        ),
        text_input(
            FIELD_TAGS,
            "Tags",
            ", ".join(draft.tags),
            placeholder="export, billing",
            hint="Separate tags with commas or spaces.",
        ),
        text_input(FIELD_CUSTOMER, "Customer", draft.customer, placeholder="Acme"),
        text_input(FIELD_AREA, "Area", draft.area, placeholder="billing", max_length=100),
        {
            "type": "input",
            "block_id": FIELD_URGENCY,
            "label": _plain("Urgency", 2000),
            "element": {
                "type": "static_select",
                "action_id": VALUE,
                "options": urgency_options,
                "initial_option": next(o for o in urgency_options if o["value"] == draft.urgency),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "title": _plain(title, 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": _metadata(metadata),
        "blocks": blocks,
    }


def build_close_note_modal(
    item: FeedbackItem, status: str, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """Asks for the note that everyone who filed or voted gets when an item ships or not."""
    verb = "Ship" if status == "shipped" else "Decline"
    return {
        "type": "modal",
        "callback_id": CLOSE_NOTE_MODAL,
        "title": _plain(f"{verb} {item.key}", 24),
        "submit": _plain(verb, 24),
        "close": _plain("Cancel", 24),
        "private_metadata": _metadata(metadata),
        "blocks": [
            _section(quote(item.text, 1500)),
            _context(
                f"{_votes(item.votes)}: each voter and the reporter get one DM with this note."
            ),
            {
                "type": "input",
                "block_id": FIELD_NOTE,
                "optional": True,
                "label": _plain("Note to everyone who asked for it", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": _plain("Shipped in 4.2: exports now stream.", 150),
                },
            },
        ],
    }


# ---------------------------------------------------------------------------- triage


def _status_select(item: FeedbackItem) -> dict[str, Any]:
    options = [
        {"text": _plain(STATUS_LABELS[s], OPTION_TEXT_MAX), "value": f"{item.number}:{s}"}
        for s in STATUSES
    ]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ACTION_STATUS,
        "placeholder": _plain("Set status", 150),
        "options": options,
    }
    current = next((o for o in options if o["value"] == f"{item.number}:{item.status}"), None)
    if current:
        select["initial_option"] = current
    return select


def _owner_select(item: FeedbackItem) -> dict[str, Any]:
    select: dict[str, Any] = {
        "type": "users_select",
        "action_id": ACTION_OWNER,
        "placeholder": _plain("Owner", 150),
    }
    if item.owner_id:
        select["initial_user"] = item.owner_id
    return select


def _triage_blocks(item: FeedbackItem, names: Mapping[str, str]) -> list[dict[str, Any]]:
    source = f" · <{item.permalink}|original message>" if item.permalink else ""
    details = [
        f"{_status(item)}",
        _votes(item.votes),
        f"{_URGENCY_EMOJI[item.urgency]} {item.urgency}",
        f"from {_name(names, item.reporter_id)}",
        f"owner {_name(names, item.owner_id)}",
    ]
    if item.tags:
        details.append(" ".join(f"#{escape(t)}" for t in item.tags[:10]))
    if item.customer:
        details.append(f"customer {escape(item.customer)}")
    blocks: list[dict[str, Any]] = [
        _section(f"*{item.key}*{source}\n{quote(item.text, 1200)}"),
        _context(" · ".join(details)),
    ]
    if item.merged_into:
        return blocks
    blocks.append(
        {
            "type": "actions",
            "block_id": f"triage:{item.number}",
            "elements": [
                _status_select(item),
                _owner_select(item),
                _button(f"+1 ({item.votes})", ACTION_VOTE, item.key),
            ],
        }
    )
    return blocks


def build_triage_card(item: FeedbackItem, names: Mapping[str, str]) -> dict[str, Any]:
    """The card posted to the triage channel, updated in place on every change."""
    return {
        "text": f"{item.key}: {truncate(safe_mrkdwn(item.text), 150)}",
        "blocks": _triage_blocks(item, names),
    }


def build_triage_queue(
    items: Sequence[FeedbackItem], names: Mapping[str, str], *, title: str
) -> dict[str, Any]:
    """The ephemeral triage queue: each item with status, owner and +1 controls."""
    blocks: list[dict[str, Any]] = [_section(f"*{escape(title)}*")]
    if not items:
        blocks.append(_context("Nothing to triage. :sparkles:"))
    for item in items[:15]:
        blocks += [{"type": "divider"}, *_triage_blocks(item, names)]
    return {"text": title, "blocks": blocks[:50]}


def build_status_answer(item: FeedbackItem, previous: str, notified: int) -> dict[str, Any]:
    """Confirmation to the ops member who changed a status."""
    text = (
        f"{headline(item)}: {STATUS_LABELS.get(previous, previous)} → "
        f"*{STATUS_LABELS.get(item.status, item.status)}*"
    )
    if notified:
        text += f". {notified} {'person' if notified == 1 else 'people'} will get a DM."
    return {"text": text.replace("*", ""), "blocks": [_section(text)]}


def build_loop_dm(item: FeedbackItem) -> dict[str, Any]:
    """Close the loop: the DM to everyone who filed or voted when an item ships or not."""
    if item.status == "shipped":
        head = f":rocket: Good news: {headline(item)} has *shipped*."
    else:
        head = f":no_entry_sign: {headline(item)} was *declined*."
    blocks = [_section(f"{head}\n{quote(item.text, 1000)}")]
    if item.ops_note:
        blocks.append(_section(f"*Note from the product team*\n{quote(item.ops_note, 2200)}"))
    blocks.append(_context("You get this because you filed or voted for this feedback. Thanks!"))
    return {"text": head.replace("*", ""), "blocks": blocks}


# ---------------------------------------------------------------------------- finding


def build_item_list(page: Page, *, title: str, more_value: str | None) -> dict[str, Any]:
    """A page of items, each with a +1 button, and More when there is more."""
    blocks: list[dict[str, Any]] = [_section(f"*{escape(title)}*")]
    if not page.items:
        blocks.append(_context("Nothing found."))
    for item in page.items:
        line = f"{headline(item, 120)}\n{_status(item)} · {_votes(item.votes)}" + (
            " · " + " ".join(f"#{escape(t)}" for t in item.tags[:5]) if item.tags else ""
        )
        blocks.append(
            _section(line, accessory=_button(f"+1 ({item.votes})", ACTION_VOTE, item.key))
        )
    if page.has_more and more_value:
        blocks.append(
            {
                "type": "actions",
                "block_id": "more",
                "elements": [_button("More", ACTION_MORE, more_value[:2000])],
            }
        )
    return {"text": title, "blocks": blocks[:50]}


def build_item_detail(detail: ItemDetail, names: Mapping[str, str]) -> dict[str, Any]:
    """`/feedback show FB-42`: text, fields, votes, history, permalink."""
    item = detail.item
    fields = [
        _field("Status", _status(item)),
        _field("Votes", str(item.votes)),
        _field("Urgency", f"{_URGENCY_EMOJI[item.urgency]} {item.urgency}"),
        _field("Reporter", _name(names, item.reporter_id)),
        _field("Owner", _name(names, item.owner_id)),
    ]
    if item.tags:
        fields.append(_field("Tags", " ".join(f"#{escape(t)}" for t in item.tags)))
    if item.customer:
        fields.append(_field("Customer", escape(item.customer)))
    if item.area:
        fields.append(_field("Area", escape(item.area)))
    blocks: list[dict[str, Any]] = [
        _section(
            f"*{item.key}*"
            + (f" · <{item.permalink}|original message>" if item.permalink else "")
            + f"\n{quote(item.text)}"
        ),
        {"type": "section", "fields": fields[:10]},
    ]
    if item.ops_note:
        blocks.append(_section(f"*Ops note*\n{quote(item.ops_note, 2200)}"))
    voters = ", ".join(_name(names, v) for v in detail.voters[:30])
    more = len(detail.voters) - 30
    if voters:
        blocks.append(_context(f"Voters: {voters}" + (f" and {more} more" if more > 0 else "")))
    if detail.merged_from:
        merged = ", ".join(f"FB-{n}" for n in detail.merged_from[:20])
        blocks.append(_context(f"Merged into this: {merged}"))
    lines = []
    for event in detail.history[-15:]:
        when = event.at.strftime("%Y-%m-%d %H:%M UTC")
        who = _name(names, event.actor_id)
        if event.kind == "status":
            what = (
                f"{STATUS_LABELS.get(event.from_value or '', event.from_value)} → "
                f"{STATUS_LABELS.get(event.to_value or '', event.to_value)}"
            )
        elif event.kind == "comment":
            what = f"comment from {escape(event.from_value or '')}: " + truncate(
                safe_mrkdwn(event.text or ""), 150
            )
        elif event.kind == "owner":
            what = f"owner → {_name(names, event.to_value)}"
        elif event.kind == "merged":
            what = f"{escape(event.from_value or '')} merged in"
        else:
            what = escape(event.kind)
        lines.append(f"• {when} · {who}: {what}")
    if lines:
        blocks.append(_section("*History*\n" + "\n".join(lines)))
    if item.is_open:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"show:{item.number}",
                "elements": [_button(f"+1 ({item.votes})", ACTION_VOTE, item.key)],
            }
        )
    return {"text": f"{item.key}: {truncate(safe_mrkdwn(item.text), 200)}", "blocks": blocks[:50]}


def build_themes(themes: Sequence[ThemeSummary]) -> dict[str, Any]:
    """`/feedback themes`: recurring topics with their most voted items."""
    blocks: list[dict[str, Any]] = [_section("*Themes in open and recent feedback*")]
    if not themes:
        blocks.append(_context("Not enough feedback yet to see themes."))
    for theme in themes[:10]:
        top = "\n".join(f"• {headline(i, 90)} ({_votes(i.votes)})" for i in theme.items[:3])
        blocks.append(
            _section(
                f"*{escape(theme.name)}* · {len(theme.items)} items · {_votes(theme.votes)}\n{top}"
            )
        )
    return {"text": "Feedback themes", "blocks": blocks[:50]}
