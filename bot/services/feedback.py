"""Feedback: file it once, vote, find duplicates, merge, triage, close the loop, find, export.

Plain functions taking a Session, the team id, plain values and `now`; no Slack payloads.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

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
from storage import feedback as store
from storage.models import Feedback, FeedbackEvent
from storage.search import search_feedback_ids

URGENCIES = ("low", "normal", "high")
STATUSES = ("new", "triaged", "planned", "in_progress", "shipped", "declined")
OPEN_STATUSES = store.OPEN_STATUSES
CLOSED_STATUSES = ("shipped", "declined")
MERGED = "merged"
OPTION_KEYS = ("customer", "area", "urgency")
SUBCOMMANDS = ("help", "list", "search", "show", "triage", "themes")
TEXT_MAX = 4000
CUSTOMER_MAX = 200
AREA_MAX = 100
TAG_MAX = 100
NOTE_MAX = 2000
PAGE_SIZE = 10
_NUMBER = re.compile(r"^(?:fb-?)?(\d{1,9})$", re.IGNORECASE)


class FeedbackNotFound(LookupError):
    """No item with this number in this team."""

    def __init__(self, number: int) -> None:
        super().__init__(f"FB-{number} does not exist in this workspace")
        self.number = number


class FeedbackConflict(ValueError):
    """The action does not fit the item's state (merging an item into itself...)."""


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
    owner_id: str | None = None
    ops_note: str | None = None
    source: str = "command"
    source_author_id: str | None = None
    merged_into: int | None = None
    first_triaged_at: datetime | None = None
    closed_at: datetime | None = None
    card_channel_id: str | None = None
    card_ts: str | None = None

    @property
    def key(self) -> str:
        """The id people type and read: FB-42."""
        return f"FB-{self.number}"

    @property
    def is_open(self) -> bool:
        """Still waiting to ship or be declined."""
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Similar:
    """An open item that new feedback resembles."""

    item: FeedbackItem
    score: float


@dataclass(frozen=True)
class FiledFeedback:
    """The outcome of filing: the item, and whether this call created it."""

    item: FeedbackItem
    created: bool
    similar: list[Similar] = field(default_factory=list)


@dataclass(frozen=True)
class VoteResult:
    """The item after a vote, and whether the vote was new."""

    item: FeedbackItem
    added: bool


@dataclass(frozen=True)
class StatusChange:
    """A triage change, and who must now be told (close the loop)."""

    item: FeedbackItem
    previous: str
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemDetail:
    """Everything `/feedback show` needs."""

    item: FeedbackItem
    voters: tuple[str, ...]
    history: tuple[FeedbackEvent, ...]
    merged_from: tuple[int, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of a list or search."""

    items: list[FeedbackItem]
    offset: int
    has_more: bool


@dataclass(frozen=True)
class ListQuery:
    """What `/feedback list` asked for."""

    status: str | None = None
    tag: str | None = None
    mine: bool = False


# ---------------------------------------------------------------------------- reading text


def mistyped_subcommand(tokens: list[Token]) -> tuple[str, str] | None:
    """(typed, meant) when the whole text is one word close to a subcommand: `lsit` -> `list`.

    Any other text is feedback; a lone word that is near no subcommand is filed too.
    """
    if len(tokens) != 1 or not isinstance(tokens[0], Word):
        return None
    typed = tokens[0].text
    if typed.lower() in SUBCOMMANDS:
        return None
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
    return make_draft(
        text=" ".join(words),
        tags=tags,
        customer=options.get("customer"),
        area=options.get("area"),
        urgency=options.get("urgency"),
        urgency_fragment=f"urgency:{options.get('urgency')}",
    )


def make_draft(
    *,
    text: str,
    tags: Sequence[str] = (),
    customer: str | None = None,
    area: str | None = None,
    urgency: str | None = None,
    urgency_fragment: str | None = None,
) -> FeedbackDraft:
    """Validate the fields of a draft, from a command or a modal."""
    urgency = (urgency or "normal").strip().lower()
    if urgency not in URGENCIES:
        raise CommandParseError(
            "urgency must be low, normal or high", urgency_fragment or f"urgency:{urgency}"
        )
    text = text.strip()
    if not text:
        raise CommandParseError("there is no feedback text, only options", "")
    if len(text) > TEXT_MAX:
        raise CommandParseError(f"feedback can be at most {TEXT_MAX} characters", text[:40])
    clean_tags = [t.strip().lstrip("#").lower() for t in tags if t.strip().lstrip("#")]
    for tag in clean_tags:
        if len(tag) > TAG_MAX:
            raise CommandParseError(f"a tag can be at most {TAG_MAX} characters", tag[:40])
    customer = (customer or "").strip() or None
    if customer and len(customer) > CUSTOMER_MAX:
        raise CommandParseError(f"customer can be at most {CUSTOMER_MAX} characters", customer[:40])
    area = (area or "").strip().lower() or None
    if area and len(area) > AREA_MAX:
        raise CommandParseError(f"area can be at most {AREA_MAX} characters", area[:40])
    return FeedbackDraft(
        text=text,
        tags=tuple(dict.fromkeys(clean_tags)),
        customer=customer,
        area=area,
        urgency=urgency,
    )


def parse_number(text: str) -> int:
    """`FB-42`, `fb42` or `42` -> 42."""
    found = _NUMBER.match(text.strip())
    if not found:
        raise CommandParseError("expected a feedback id like FB-42", text[:40])
    return int(found.group(1))


def parse_list_query(tokens: list[Token]) -> ListQuery:
    """`[status] [#tag] [mine]` of `/feedback list`."""
    status: str | None = None
    tag: str | None = None
    mine = False
    for token in tokens:
        if isinstance(token, Tag):
            tag = token.name
        elif isinstance(token, Word) and token.text.lower() == "mine":
            mine = True
        elif isinstance(token, Word) and token.text.lower().replace("-", "_") in (
            *STATUSES,
            MERGED,
            "open",
            "closed",
            "all",
        ):
            status = token.text.lower().replace("-", "_")
        else:
            raise CommandParseError(
                "list takes a status (new, triaged, planned, in_progress, shipped, declined, "
                "open, closed, all), a #tag and/or mine",
                token.raw,
            )
    return ListQuery(status=status, tag=tag, mine=mine)


# ---------------------------------------------------------------------------- filing


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
    author_id: str | None = None,
    permalink: str | None = None,
) -> FiledFeedback:
    """Store the draft once per `source_key`; a repeat returns the first item, not a new one.

    The reporter's own interest counts as the first vote.
    """
    row, created = store.insert_feedback(
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
        source_author_id=author_id,
        permalink=permalink,
        created_at=now,
        number_now=False,
    )
    assert row.id is not None
    if created:
        store.add_vote(
            session=session,
            team_id=team_id,
            feedback_id=row.id,
            user_id=reporter_id,
            source="reporter",
            at=now,
        )
        store.add_event(
            session=session,
            team_id=team_id,
            feedback_id=row.id,
            at=now,
            kind="filed",
            actor_id=reporter_id,
            to_value="new",
        )
        session.refresh(row)
        item = to_item(session, row)
        # Last: the team's counter is locked from here to the commit.
        number = store.assign_number(session=session, item=row)
        return FiledFeedback(item=replace(item, number=number), created=True)
    return FiledFeedback(item=to_item(session, row), created=False)


def capture_message(
    *,
    session: Session,
    team_id: str,
    reactor_id: str,
    channel_id: str,
    message_ts: str,
    text: str,
    author_id: str | None,
    permalink: str | None,
    now: datetime,
) -> VoteResult:
    """Capture a Slack message once; every later reactor adds a vote.

    `added` is False when this person had already captured or voted for it.
    """
    draft = make_draft(text=text[:TEXT_MAX])
    filed = file_feedback(
        session=session,
        team_id=team_id,
        reporter_id=reactor_id,
        channel_id=channel_id,
        draft=draft,
        now=now,
        source="reaction",
        source_key=message_key(channel_id, message_ts),
        author_id=author_id,
        permalink=permalink,
    )
    if filed.created:
        return VoteResult(item=filed.item, added=True)
    return vote(
        session=session,
        team_id=team_id,
        number=filed.item.number,
        user_id=reactor_id,
        now=now,
        source="reaction",
    )


def message_key(channel_id: str, message_ts: str) -> str:
    """The capture identity of a Slack message."""
    return f"message:{channel_id}:{message_ts}"


def captured_item(
    *, session: Session, team_id: str, channel_id: str, message_ts: str
) -> FeedbackItem | None:
    """The item captured from this message, if any."""
    row = store.get_by_source_key(
        session=session, team_id=team_id, source_key=message_key(channel_id, message_ts)
    )
    return to_item(session, row) if row else None


# ---------------------------------------------------------------------------- votes


def vote(
    *,
    session: Session,
    team_id: str,
    number: int,
    user_id: str,
    now: datetime,
    source: str = "button",
) -> VoteResult:
    """One vote per person and item; a vote for a merged item counts for the original."""
    row = _row(session, team_id, number)
    if row.merged_into_id is not None:
        row = _original_of(session, team_id, row)
    assert row.id is not None
    added = store.add_vote(
        session=session,
        team_id=team_id,
        feedback_id=row.id,
        user_id=user_id,
        source=source,
        at=now,
    )
    session.refresh(row)
    return VoteResult(item=to_item(session, row), added=added)


def unvote(*, session: Session, team_id: str, number: int, user_id: str) -> VoteResult:
    """Take a person's vote back (the item stays, even if it was theirs)."""
    row = _row(session, team_id, number)
    if row.merged_into_id is not None:
        row = _original_of(session, team_id, row)
    assert row.id is not None
    removed = store.remove_vote(
        session=session, team_id=team_id, feedback_id=row.id, user_id=user_id
    )
    session.refresh(row)
    return VoteResult(item=to_item(session, row), added=not removed)


# ---------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class DuplicateQuery:
    """What the duplicate check needs from the database: read first, scored after."""

    text: str
    candidates: dict[int, FeedbackItem]
    background: list[str]


def duplicate_candidates(
    *, session: Session, team_id: str, number: int, limit: int = 50
) -> DuplicateQuery | None:
    """Open items sharing words with item `number` (full-text search), and background texts."""
    row = _row(session, team_id, number)
    ids = search_feedback_ids(
        session=session,
        team_id=team_id,
        query=row.text,
        limit=limit,
        any_word=True,
        statuses=OPEN_STATUSES,
    )
    rows = [
        r
        for r in store.get_by_ids(session=session, team_id=team_id, ids=ids)
        if r.id != row.id and r.merged_into_id is None
    ]
    if not rows:
        return None
    return DuplicateQuery(
        text=row.text,
        candidates={item.number: item for item in to_items(session, rows)},
        background=store.recent_texts(session=session, team_id=team_id, limit=300),
    )


def rank_duplicates(query: DuplicateQuery | None, *, limit: int = 3) -> list[Similar]:
    """The candidates that are likely duplicates, best first (pure: no session held)."""
    if query is None:
        return []
    from bot.similarity import Candidate, find_duplicates

    candidates = [
        Candidate(id=n, number=n, text=i.text, votes=i.votes) for n, i in query.candidates.items()
    ]
    matches = find_duplicates(query.text, candidates, background=query.background, limit=limit)
    return [Similar(item=query.candidates[m.candidate.number], score=m.score) for m in matches]


def similar_open(*, session: Session, team_id: str, number: int, limit: int = 3) -> list[Similar]:
    """Open items of the team that item `number` most likely duplicates, best first."""
    query = duplicate_candidates(session=session, team_id=team_id, number=number)
    return rank_duplicates(query, limit=limit)


def merge(
    *,
    session: Session,
    team_id: str,
    duplicate: int,
    original: int,
    actor_id: str,
    now: datetime,
) -> FeedbackItem:
    """Merge `duplicate` into `original` as +1s: its reporter and voters move over, its text
    stays as a comment, and it is closed as merged. Merging again changes nothing.
    """
    if duplicate == original:
        raise FeedbackConflict("an item cannot be merged into itself")
    # Locked: a double click's second merge waits here, then sees the first one's result.
    dup = _row(session, team_id, duplicate, lock=True)
    target = _row(session, team_id, original)
    if target.merged_into_id is not None:
        target = _original_of(session, team_id, target)
    assert dup.id is not None and target.id is not None
    if dup.id == target.id:
        raise FeedbackConflict(f"FB-{original} was merged into FB-{duplicate} already")
    if dup.merged_into_id is not None:
        if dup.merged_into_id == target.id:
            return to_item(session, target)
        raise FeedbackConflict(f"FB-{duplicate} was already merged into another item")
    for user_id in store.voters_of(session=session, team_id=team_id, feedback_id=dup.id):
        store.add_vote(
            session=session,
            team_id=team_id,
            feedback_id=target.id,
            user_id=user_id,
            source="merge",
            at=now,
        )
    store.add_event(
        session=session,
        team_id=team_id,
        feedback_id=target.id,
        at=now,
        kind="comment",
        actor_id=dup.reporter_id,
        from_value=f"FB-{dup.number}",
        text=dup.text,
    )
    store.add_event(
        session=session,
        team_id=team_id,
        feedback_id=target.id,
        at=now,
        kind="merged",
        actor_id=actor_id,
        from_value=f"FB-{dup.number}",
        to_value=f"FB-{target.number}",
    )
    store.add_event(
        session=session,
        team_id=team_id,
        feedback_id=dup.id,
        at=now,
        kind="status",
        actor_id=actor_id,
        from_value=dup.status,
        to_value=MERGED,
    )
    dup.status = MERGED
    dup.merged_into_id = target.id
    dup.closed_at = now
    session.add(dup)
    session.flush()
    session.refresh(target)
    return to_item(session, target)


# ---------------------------------------------------------------------------- triage


def set_status(
    *,
    session: Session,
    team_id: str,
    number: int,
    status: str,
    actor_id: str,
    now: datetime,
    note: str | None = None,
) -> StatusChange:
    """Move an item to `status`; shipping or declining it claims one DM per voter."""
    if status not in STATUSES:
        raise CommandParseError(f"status must be one of {', '.join(STATUSES)}", status)
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise CommandParseError(f"a note can be at most {NOTE_MAX} characters", note[:40])
    row = _row(session, team_id, number)
    assert row.id is not None
    if row.merged_into_id is not None:
        raise FeedbackConflict(f"FB-{number} was merged; triage the item it was merged into")
    previous = row.status
    if previous != status:
        row.status = status
        if previous == "new" and row.first_triaged_at is None:
            row.first_triaged_at = now
        row.closed_at = now if status in CLOSED_STATUSES else None
        store.add_event(
            session=session,
            team_id=team_id,
            feedback_id=row.id,
            at=now,
            kind="status",
            actor_id=actor_id,
            from_value=previous,
            to_value=status,
            text=note,
        )
    if note:
        row.ops_note = note
    session.add(row)
    session.flush()
    notify: list[str] = []
    if status in CLOSED_STATUSES:
        for user_id in store.voters_of(session=session, team_id=team_id, feedback_id=row.id):
            if store.claim_notice(
                session=session,
                team_id=team_id,
                feedback_id=row.id,
                user_id=user_id,
                status=status,
            ):
                notify.append(user_id)
    return StatusChange(item=to_item(session, row), previous=previous, notify=tuple(notify))


def notice_sent(
    *, session: Session, team_id: str, number: int, user_id: str, status: str, now: datetime
) -> None:
    """Record that a close-the-loop DM went out."""
    row = _row(session, team_id, number)
    assert row.id is not None
    store.mark_notice_sent(
        session=session,
        team_id=team_id,
        feedback_id=row.id,
        user_id=user_id,
        status=status,
        at=now,
    )


def set_owner(
    *,
    session: Session,
    team_id: str,
    number: int,
    owner_id: str | None,
    actor_id: str,
    now: datetime,
) -> FeedbackItem:
    """Give an item an owner (or none)."""
    row = _row(session, team_id, number)
    assert row.id is not None
    if row.owner_id != owner_id:
        store.add_event(
            session=session,
            team_id=team_id,
            feedback_id=row.id,
            at=now,
            kind="owner",
            actor_id=actor_id,
            from_value=row.owner_id,
            to_value=owner_id,
        )
        row.owner_id = owner_id
        session.add(row)
        session.flush()
    return to_item(session, row)


def edit_feedback(
    *,
    session: Session,
    team_id: str,
    number: int,
    draft: FeedbackDraft,
    actor_id: str,
    now: datetime,
) -> FeedbackItem:
    """Change an item's text and fields (its reporter or ops)."""
    row = _row(session, team_id, number)
    assert row.id is not None
    if draft.text != row.text:
        store.add_event(
            session=session,
            team_id=team_id,
            feedback_id=row.id,
            at=now,
            kind="edited",
            actor_id=actor_id,
            text=row.text,
        )
    row.text, row.customer, row.area, row.urgency = (
        draft.text,
        draft.customer,
        draft.area,
        draft.urgency,
    )
    session.add(row)
    store.set_tags(session=session, team_id=team_id, feedback_id=row.id, tags=draft.tags)
    session.flush()
    return to_item(session, row)


def attach_card(*, session: Session, team_id: str, number: int, channel_id: str, ts: str) -> None:
    """Remember where the item's triage card was posted."""
    row = _row(session, team_id, number)
    row.card_channel_id, row.card_ts = channel_id, ts
    session.add(row)


# ---------------------------------------------------------------------------- finding


def get_item(*, session: Session, team_id: str, number: int) -> FeedbackItem:
    """FB-<number> of this team, or FeedbackNotFound."""
    return to_item(session, _row(session, team_id, number))


def show(*, session: Session, team_id: str, number: int) -> ItemDetail:
    """An item with its voters and history."""
    row = _row(session, team_id, number)
    assert row.id is not None
    merged_from = tuple(
        r.number for r in store.merged_into(session=session, team_id=team_id, feedback_id=row.id)
    )
    return ItemDetail(
        item=to_item(session, row),
        voters=tuple(store.voters_of(session=session, team_id=team_id, feedback_id=row.id)),
        history=tuple(store.history_of(session=session, team_id=team_id, feedback_id=row.id)),
        merged_from=merged_from,
    )


def list_items(
    *,
    session: Session,
    team_id: str,
    query: ListQuery,
    user_id: str,
    offset: int = 0,
    page_size: int = PAGE_SIZE,
    order: str = "newest",
) -> Page:
    """A page of `/feedback list`: open items unless a status says otherwise."""
    statuses: Sequence[str] | None
    if query.status in (None, "open"):
        statuses = OPEN_STATUSES
    elif query.status == "closed":
        statuses = (*CLOSED_STATUSES, MERGED)
    elif query.status == "all":
        statuses = None
    else:
        statuses = (query.status,)
    rows = store.list_feedback(
        session=session,
        team_id=team_id,
        statuses=statuses,
        tag=query.tag,
        reporter_id=user_id if query.mine else None,
        order=order,
        limit=page_size + 1,
        offset=offset,
    )
    return Page(
        items=to_items(session, rows[:page_size]), offset=offset, has_more=len(rows) > page_size
    )


def search_items(
    *, session: Session, team_id: str, words: str, offset: int = 0, page_size: int = PAGE_SIZE
) -> Page:
    """A page of `/feedback search`: full-text matches, best first."""
    ids = search_feedback_ids(
        session=session, team_id=team_id, query=words, limit=offset + page_size + 1
    )
    rows = store.get_by_ids(session=session, team_id=team_id, ids=ids[offset:])
    return Page(
        items=to_items(session, rows[:page_size]), offset=offset, has_more=len(rows) > page_size
    )


@dataclass(frozen=True)
class ThemeSummary:
    """A recurring topic with its items (most voted first)."""

    name: str
    items: list[FeedbackItem]
    votes: int


def themable_items(
    *, session: Session, team_id: str, now: datetime, days: int = 90, limit: int = 2000
) -> list[FeedbackItem]:
    """Open and recent feedback (merged items left out), most voted first."""
    rows = store.themable(
        session=session, team_id=team_id, since=now - timedelta(days=days), limit=limit
    )
    return to_items(session, rows)


def group_into_themes(items: Sequence[FeedbackItem], *, max_themes: int = 8) -> list[ThemeSummary]:
    """Items grouped into named themes, biggest first (pure: no session held)."""
    from bot.similarity import group_themes

    by_number = {item.number: item for item in items}
    found = group_themes([(i.number, i.text) for i in items], max_themes=max_themes)
    summaries = []
    for theme in found:
        members = sorted(
            (by_number[n] for n in theme.item_ids if n in by_number),
            key=lambda it: (-it.votes, -it.number),
        )
        summaries.append(
            ThemeSummary(name=theme.name, items=members, votes=sum(it.votes for it in members))
        )
    return summaries


def themes(
    *, session: Session, team_id: str, now: datetime, days: int = 90, max_themes: int = 8
) -> list[ThemeSummary]:
    """Open and recent feedback grouped into named themes, biggest first."""
    items = themable_items(session=session, team_id=team_id, now=now, days=days)
    return group_into_themes(items, max_themes=max_themes)


def export_rows(*, session: Session, team_id: str) -> list[dict[str, object]]:
    """Every item of the team with its votes and status history, for CSV or JSON."""
    rows = store.all_for_export(session=session, team_id=team_id)
    ids = [r.id for r in rows if r.id is not None]
    tags = store.tags_for(session=session, team_id=team_id, ids=ids)
    voters = store.voters_for(session=session, team_id=team_id, ids=ids)
    history = store.status_history_for(session=session, team_id=team_id, ids=ids)
    numbers = {r.id: r.number for r in rows}
    out: list[dict[str, object]] = []
    for r in rows:
        assert r.id is not None
        out.append(
            {
                "id": f"FB-{r.number}",
                "team_id": r.team_id,
                "status": r.status,
                "text": r.text,
                "tags": tags.get(r.id, []),
                "customer": r.customer,
                "area": r.area,
                "urgency": r.urgency,
                "reporter_id": r.reporter_id,
                "source": r.source,
                "source_author_id": r.source_author_id,
                "channel_id": r.channel_id,
                "permalink": r.permalink,
                "owner_id": r.owner_id,
                "ops_note": r.ops_note,
                "votes": r.vote_count,
                "voters": voters.get(r.id, []),
                "merged_into": f"FB-{numbers[r.merged_into_id]}"
                if r.merged_into_id in numbers
                else None,
                "created_at": r.created_at.isoformat(),
                "first_triaged_at": r.first_triaged_at.isoformat() if r.first_triaged_at else None,
                "closed_at": r.closed_at.isoformat() if r.closed_at else None,
                "status_history": history.get(r.id, []),
            }
        )
    return out


# ---------------------------------------------------------------------------- helpers


def _row(session: Session, team_id: str, number: int, *, lock: bool = False) -> Feedback:
    row = store.get_by_number(session=session, team_id=team_id, number=number, lock=lock)
    if row is None:
        raise FeedbackNotFound(number)
    return row


def _original_of(session: Session, team_id: str, row: Feedback) -> Feedback:
    seen = set()
    while row.merged_into_id is not None and row.id not in seen:
        seen.add(row.id)
        found = store.get_by_ids(session=session, team_id=team_id, ids=[row.merged_into_id])
        if not found:
            break
        row = found[0]
    return row


def to_item(session: Session, row: Feedback) -> FeedbackItem:
    """The domain view of a row."""
    return to_items(session, [row])[0]


def to_items(session: Session, rows: Sequence[Feedback]) -> list[FeedbackItem]:
    """Domain views of several rows, with their tags in one query."""
    ids = [r.id for r in rows if r.id is not None]
    tags = store.tags_for(session=session, team_id=rows[0].team_id, ids=ids) if rows else {}
    merged = {r.merged_into_id for r in rows if r.merged_into_id is not None}
    numbers = (
        {
            r.id: r.number
            for r in store.get_by_ids(session=session, team_id=rows[0].team_id, ids=list(merged))
        }
        if merged
        else {}
    )
    return [
        FeedbackItem(
            number=r.number,
            text=r.text,
            reporter_id=r.reporter_id,
            channel_id=r.channel_id,
            tags=tuple(tags.get(r.id or 0, [])),
            customer=r.customer,
            area=r.area,
            urgency=r.urgency,
            status=r.status,
            created_at=r.created_at,
            permalink=r.permalink,
            votes=r.vote_count,
            owner_id=r.owner_id,
            ops_note=r.ops_note,
            source=r.source,
            source_author_id=r.source_author_id,
            merged_into=numbers.get(r.merged_into_id) if r.merged_into_id else None,
            first_triaged_at=r.first_triaged_at,
            closed_at=r.closed_at,
            card_channel_id=r.card_channel_id,
            card_ts=r.card_ts,
        )
        for r in rows
    ]
