"""Retrospectives: a board whose cards stay hidden until reveal, votes, close, carry-over.

Anonymous cards are stored without their author: the id never reaches the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.grammar import ChannelMention, CommandParseError, Quoted, Token, Word
from storage import feedback as counters
from storage import retros as store
from storage.models import Retro, RetroAction, RetroItem

COLUMNS = {
    "went_well": "Went well",
    "to_improve": "To improve",
    "idea": "Idea",
}
ACTION_COLUMN = "action"
TEXT_MAX = 1000
TITLE_MAX = 200


class RetroProblem(ValueError):
    """An act that does not fit the retro's state or the person's role; said to the user."""


@dataclass(frozen=True)
class Card:
    """A card as shown after reveal (author only when not anonymous)."""

    id: int
    column: str
    text: str
    author_id: str | None
    votes: int


@dataclass(frozen=True)
class ActionInfo:
    """An action item with its owner, due date and state."""

    id: int
    text: str
    owner_id: str | None
    due: date | None
    status: str
    retro_number: int


@dataclass(frozen=True)
class Board:
    """Everything a board message shows."""

    id: int
    number: int
    title: str
    channel_id: str
    message_ts: str | None
    facilitator_id: str
    status: str
    votes_per_person: int
    counts: dict[str, int]
    cards: list[Card]
    actions: list[ActionInfo]
    carried: list[ActionInfo]
    summary: str | None

    @property
    def revealed(self) -> bool:
        """Cards are visible (revealed or closed)."""
        return self.status in ("revealed", "closed")


def parse_start(tokens: list[Token], *, default_channel: str) -> tuple[str | None, str]:
    """`["title"] [in #channel]` of `/retro start`."""
    title: str | None = None
    channel = default_channel
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if isinstance(token, Quoted) and title is None:
            title = token.text.strip()[:TITLE_MAX] or None
        elif (
            isinstance(token, Word)
            and token.text.lower() == "in"
            and index + 1 < len(tokens)
            and isinstance(tokens[index + 1], ChannelMention)
        ):
            channel = tokens[index + 1].channel_id  # type: ignore[union-attr]
            index += 1
        else:
            raise CommandParseError('start takes an optional "title" and in #channel', token.raw)
        index += 1
    return title, channel


def start_retro(
    *,
    session: Session,
    team_id: str,
    facilitator_id: str,
    title: str | None,
    channel_id: str,
    series: str,
    now: datetime,
    occurrence_id: int | None = None,
) -> Board:
    """Open a board; earlier open action items of the same series come along."""
    number = counters.next_number(session=session, team_id=team_id, name="retro")
    retro = Retro(
        team_id=team_id,
        number=number,
        title=title or f"Retro #{number}",
        channel_id=channel_id,
        facilitator_id=facilitator_id,
        series=series,
        occurrence_id=occurrence_id,
        created_at=now,
    )
    session.add(retro)
    session.flush()
    assert retro.id is not None
    return board(session=session, team_id=team_id, retro_id=retro.id)


def board_for_occurrence(*, session: Session, team_id: str, occurrence_id: int) -> Board | None:
    """The board an occurrence opened already (its clock died before posting it), if any."""
    retro = store.by_occurrence(session=session, team_id=team_id, occurrence_id=occurrence_id)
    if retro is None or retro.id is None:
        return None
    return board(session=session, team_id=team_id, retro_id=retro.id)


def board(*, session: Session, team_id: str, retro_id: int) -> Board:
    """The board as its message shows it now."""
    retro = _retro(session, team_id, retro_id)
    assert retro.id is not None
    items = store.items_of(session=session, team_id=team_id, retro_id=retro.id)
    votes = store.vote_counts(session=session, team_id=team_id, retro_id=retro.id)
    counts = Counter(item.column for item in items)
    actions = store.actions_of(session=session, team_id=team_id, retro_ids=[retro.id])
    counts[ACTION_COLUMN] = len(actions)
    # Last time's action items in whatever state, and older ones still open.
    previous = store.previous_in_series(
        session=session, team_id=team_id, series=retro.series, before_id=retro.id
    )
    carried = []
    if previous is not None and previous.id is not None:
        carried = [
            *store.open_actions_in_series(
                session=session, team_id=team_id, series=retro.series, before_id=previous.id
            ),
            *store.actions_of(session=session, team_id=team_id, retro_ids=[previous.id]),
        ]
    numbers = {retro.id: retro.number}
    for action in carried:
        if action.retro_id not in numbers:
            earlier = store.get(session=session, team_id=team_id, retro_id=action.retro_id)
            numbers[action.retro_id] = earlier.number if earlier else 0
    cards = []
    if retro.status in ("revealed", "closed"):
        cards = sorted(
            (
                Card(
                    id=i.id or 0,
                    column=i.column,
                    text=i.text,
                    author_id=i.author_id,
                    votes=votes.get(i.id or 0, 0),
                )
                for i in items
            ),
            key=lambda c: (-c.votes, c.id),
        )
    return Board(
        id=retro.id,
        number=retro.number,
        title=retro.title,
        channel_id=retro.channel_id,
        message_ts=retro.message_ts,
        facilitator_id=retro.facilitator_id,
        status=retro.status,
        votes_per_person=retro.votes_per_person,
        counts={column: counts.get(column, 0) for column in (*COLUMNS, ACTION_COLUMN)},
        cards=cards,
        actions=[_action(a, numbers) for a in actions],
        carried=[_action(a, numbers) for a in carried],
        summary=retro.summary,
    )


def posted(*, session: Session, team_id: str, retro_id: int, message_ts: str) -> None:
    """Remember the board message (again after it was deleted in Slack)."""
    retro = _retro(session, team_id, retro_id)
    retro.message_ts = message_ts
    session.add(retro)


def add_card(
    *,
    session: Session,
    team_id: str,
    retro_id: int,
    column: str,
    text: str,
    author_id: str,
    anonymous: bool,
    source_key: str,
    now: datetime,
) -> Board:
    """Add a card; an anonymous one keeps no trace of its author."""
    if column not in COLUMNS:
        raise RetroProblem("that column does not exist")
    text = text.strip()
    if not text:
        raise RetroProblem("a card needs some text")
    retro = _retro(session, team_id, retro_id, lock=True)
    if retro.status == "closed":
        raise RetroProblem("this retro is closed; cards can no longer be added")
    store.add_item(
        session=session,
        item=RetroItem(
            team_id=team_id,
            retro_id=retro_id,
            column=column,
            text=text[:TEXT_MAX],
            author_id=None if anonymous else author_id,
            source_key=source_key,
            created_at=now,
        ),
    )
    return board(session=session, team_id=team_id, retro_id=retro_id)


def add_action(
    *,
    session: Session,
    team_id: str,
    retro_id: int,
    text: str,
    owner_id: str | None,
    due: date | None,
    source_key: str,
    now: datetime,
) -> Board:
    """An action item (also after close: actions can be added or assigned at close)."""
    text = text.strip()
    if not text:
        raise RetroProblem("an action item needs some text")
    retro = _retro(session, team_id, retro_id)
    store.add_action(
        session=session,
        action=RetroAction(
            team_id=team_id,
            retro_id=retro_id,
            series=retro.series,
            text=text[:TEXT_MAX],
            owner_id=owner_id,
            due=due,
            source_key=source_key,
            created_at=now,
        ),
    )
    return board(session=session, team_id=team_id, retro_id=retro_id)


def reveal(
    *, session: Session, team_id: str, retro_id: int, actor_id: str, is_ops: bool, now: datetime
) -> Board:
    """Show the cards (the facilitator or ops)."""
    retro = _retro(session, team_id, retro_id, lock=True)
    if actor_id != retro.facilitator_id and not is_ops:
        raise RetroProblem("only the facilitator (who started it) or ops can reveal")
    if retro.status != "open":
        raise RetroProblem("the cards are revealed already")
    retro.status, retro.revealed_at = "revealed", now
    session.add(retro)
    session.flush()
    return board(session=session, team_id=team_id, retro_id=retro_id)


def vote(
    *, session: Session, team_id: str, retro_id: int, item_id: int, user_id: str, now: datetime
) -> Board:
    """One vote per card and person, at most `votes_per_person` per retro."""
    retro = _retro(session, team_id, retro_id, lock=True)
    if retro.status == "open":
        raise RetroProblem("voting starts when the cards are revealed")
    if retro.status == "closed":
        raise RetroProblem("this retro is closed")
    if not any(
        i.id == item_id for i in store.items_of(session=session, team_id=team_id, retro_id=retro_id)
    ):
        raise RetroProblem("that card is not on this board")
    spent = store.votes_by(session=session, team_id=team_id, retro_id=retro_id, user_id=user_id)
    if spent >= retro.votes_per_person:
        raise RetroProblem(f"you have used your {retro.votes_per_person} votes")
    if not store.add_vote(
        session=session,
        team_id=team_id,
        retro_id=retro_id,
        item_id=item_id,
        user_id=user_id,
        at=now,
    ):
        raise RetroProblem("you already voted for that card")
    return board(session=session, team_id=team_id, retro_id=retro_id)


def close(
    *, session: Session, team_id: str, retro_id: int, actor_id: str, is_ops: bool, now: datetime
) -> Board:
    """Close with a summary of each column's top cards and the action items."""
    retro = _retro(session, team_id, retro_id, lock=True)
    if actor_id != retro.facilitator_id and not is_ops:
        raise RetroProblem("only the facilitator (who started it) or ops can close")
    if retro.status == "closed":
        raise RetroProblem("this retro is closed already")
    retro.status, retro.closed_at = "closed", now
    session.add(retro)
    session.flush()
    current = board(session=session, team_id=team_id, retro_id=retro_id)
    retro.summary = summarize(current)
    session.add(retro)
    session.flush()
    return board(session=session, team_id=team_id, retro_id=retro_id)


def summarize(current: Board) -> str:
    """The close summary: per column its themes (when there are enough cards) and top cards."""
    lines: list[str] = []
    for column, label in COLUMNS.items():
        cards = [c for c in current.cards if c.column == column]
        if not cards:
            continue
        lines.append(f"{label} ({len(cards)})")
        if len(cards) >= 4:
            from bot.similarity import group_themes

            themes = group_themes([(c.id, c.text) for c in cards], max_themes=3)
            if themes:
                lines.append("  themes: " + ", ".join(t.name for t in themes))
        for card in cards[:3]:
            votes = "1 vote" if card.votes == 1 else f"{card.votes} votes"
            lines.append(f"  • {card.text} ({votes})")
    if not lines:
        lines.append("No cards this time.")
    return "\n".join(lines)


def set_action_done(
    *,
    session: Session,
    team_id: str,
    action_id: int,
    user_id: str,
    is_ops: bool,
    now: datetime,
    done: bool = True,
    shown_on: int | None = None,
) -> Board:
    """Tick an action item done (its owner, the facilitator, or ops)."""
    action = store.get_action(session=session, team_id=team_id, action_id=action_id)
    if action is None:
        raise RetroProblem("that action item does not exist")
    retro = _retro(session, team_id, action.retro_id)
    if user_id not in (action.owner_id, retro.facilitator_id) and not is_ops:
        raise RetroProblem("only its owner, the facilitator or ops can tick it off")
    action.status = "done" if done else "open"
    action.done_at = now if done else None
    session.add(action)
    session.flush()
    assert retro.id is not None
    # The board it was ticked on (a later retro that carried it over), else its own.
    return board(session=session, team_id=team_id, retro_id=shown_on or retro.id)


def latest_open(*, session: Session, team_id: str, channel_id: str) -> Board | None:
    """The current (not closed) retro of a channel."""
    retro = store.latest_open_in(session=session, team_id=team_id, channel_id=channel_id)
    if retro is None or retro.id is None:
        return None
    return board(session=session, team_id=team_id, retro_id=retro.id)


def open_actions(
    *, session: Session, team_id: str, owner_id: str | None = None, limit: int = 100
) -> list[ActionInfo]:
    """Open action items (of one owner), for App Home and the digest."""
    rows = store.open_actions_of(session=session, team_id=team_id, owner_id=owner_id, limit=limit)
    numbers: dict[int, int] = {}
    for row in rows:
        if row.retro_id not in numbers:
            retro = store.get(session=session, team_id=team_id, retro_id=row.retro_id)
            numbers[row.retro_id] = retro.number if retro else 0
    return [_action(r, numbers) for r in rows]


def _retro(session: Session, team_id: str, retro_id: int, *, lock: bool = False) -> Retro:
    found = store.get(session=session, team_id=team_id, retro_id=retro_id, lock=lock)
    if found is None:
        raise RetroProblem("that retro does not exist")
    return found


def _action(row: RetroAction, numbers: dict[int, int]) -> ActionInfo:
    return ActionInfo(
        id=row.id or 0,
        text=row.text,
        owner_id=row.owner_id,
        due=row.due,
        status=row.status,
        retro_number=numbers.get(row.retro_id, 0),
    )
