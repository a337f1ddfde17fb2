"""Feedback: read what a person typed into a draft, file it once, and describe it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.grammar import (
    ChannelMention,
    CommandParseError,
    KeyValue,
    Link,
    Quoted,
    SpecialMention,
    Tag,
    Token,
    UserMention,
    Word,
)
from storage import feedback as feedback_store
from storage.models import Feedback

URGENCIES = ("low", "normal", "high")
OPTION_KEYS = ("customer", "area", "urgency")
SUBCOMMANDS = ("help", "list", "search", "show", "triage", "themes")
TEXT_MAX = 4000
CUSTOMER_MAX = 200
AREA_MAX = 100
TAG_MAX = 100


@dataclass(frozen=True)
class FeedbackDraft:
    """What a person asked to file, before it is stored."""

    text: str
    tags: tuple[str, ...] = ()
    customer: str | None = None
    area: str | None = None
    urgency: str = "normal"


@dataclass(frozen=True)
class FeedbackItem:
    """A stored feedback item as the rest of the bot sees it."""

    number: int
    text: str
    reporter_id: str
    channel_id: str | None
    tags: tuple[str, ...]
    customer: str | None
    area: str | None
    urgency: str
    status: str
    created_at: datetime
    permalink: str | None = None
    votes: int = 0

    @property
    def key(self) -> str:
        """The id people type and read: FB-42."""
        return f"FB-{self.number}"


@dataclass(frozen=True)
class FiledFeedback:
    """The outcome of filing: the item, and whether this call created it."""

    item: FeedbackItem
    created: bool
    similar: list[FeedbackItem] = field(default_factory=list)


def mistyped_subcommand(tokens: list[Token]) -> tuple[str, str] | None:
    """(typed, meant) when the whole text is one word close to a subcommand: `lsit` -> `list`.

    Any other text is feedback; a lone word that is near no subcommand is filed too.
    """
    if len(tokens) != 1 or not isinstance(tokens[0], Word):
        return None
    typed = tokens[0].text
    matches = difflib.get_close_matches(typed.lower(), SUBCOMMANDS, n=1, cutoff=0.75)
    return (typed, matches[0]) if matches else None


def parse_draft(tokens: list[Token]) -> FeedbackDraft:
    """Turn `/feedback` tokens into a draft: text, #tags and the known key:value options.

    Unknown `key:value` pairs are part of the text ("note: slow" is feedback, not an error).
    """
    words: list[str] = []
    tags: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        match token:
            case Tag(name=name):
                if len(name) > TAG_MAX:
                    raise CommandParseError(f"a tag can be at most {TAG_MAX} characters", name)
                tags.append(name)
            case KeyValue(key=key, value=value) if key in OPTION_KEYS:
                if key in options:
                    raise CommandParseError(f"{key}: is given twice", token.raw)
                options[key] = value.strip()
            case KeyValue(key=key, value=value, quoted=quoted):
                words.append(f'{key}:"{value}"' if quoted else f"{key}:{value}")
            case Quoted(text=text):
                words.append(f'"{text}"')
            case Word(text=text):
                words.append(text)
            case UserMention() | ChannelMention() | Link() | SpecialMention():
                # Kept as Slack markup: ids survive, and display turns them into plain names.
                words.append(token.raw)
    urgency = options.get("urgency", "normal").lower()
    if urgency not in URGENCIES:
        raise CommandParseError(
            "urgency must be low, normal or high", f"urgency:{options['urgency']}"
        )
    text = " ".join(words).strip()
    if not text:
        raise CommandParseError("there is no feedback text, only options", "")
    if len(text) > TEXT_MAX:
        raise CommandParseError(f"feedback can be at most {TEXT_MAX} characters", text[:40])
    customer = options.get("customer") or None
    if customer and len(customer) > CUSTOMER_MAX:
        raise CommandParseError(f"customer can be at most {CUSTOMER_MAX} characters", customer)
    area = (options.get("area") or "").lower() or None
    if area and len(area) > AREA_MAX:
        raise CommandParseError(f"area can be at most {AREA_MAX} characters", area)
    return FeedbackDraft(
        text=text, tags=tuple(dict.fromkeys(tags)), customer=customer, area=area, urgency=urgency
    )


def file_feedback(
    *,
    session: Session,
    team_id: str,
    reporter_id: str,
    channel_id: str | None,
    draft: FeedbackDraft,
    now: datetime,
    source: str = "command",
    source_key: str | None = None,
) -> FiledFeedback:
    """Store the draft once per `source_key`; a repeat returns the first item, not a new one."""
    row, created = feedback_store.insert_feedback(
        session=session,
        team_id=team_id,
        reporter_id=reporter_id,
        channel_id=channel_id,
        text=draft.text,
        tags=draft.tags,
        customer=draft.customer,
        area=draft.area,
        urgency=draft.urgency,
        source=source,
        source_key=source_key,
        created_at=now,
    )
    return FiledFeedback(item=_item(session, row), created=created)


def _item(session: Session, row: Feedback) -> FeedbackItem:
    assert row.id is not None
    tags = feedback_store.tags_of(session=session, team_id=row.team_id, feedback_id=row.id)
    return FeedbackItem(
        number=row.number,
        text=row.text,
        reporter_id=row.reporter_id,
        channel_id=row.channel_id,
        tags=tuple(tags),
        customer=row.customer,
        area=row.area,
        urgency=row.urgency,
        status=row.status,
        created_at=row.created_at,
        permalink=row.permalink,
    )
