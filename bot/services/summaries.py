"""Summaries of threads and channels: what to read, reading it, and the summary cache.

`parse_request` reads `/summarize` arguments (a message link, or a channel and a window).
`read_thread` / `read_channel` fetch the conversation with cursor pagination and turn it
into plain `Message`s (names, not mentions). `summarize_conversation` returns the cached
summary of that exact conversation state, or makes one (model or offline) and stores it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.grammar import (
    ChannelMention,
    CommandParseError,
    Link,
    Tag,
    Token,
    Word,
    parse_duration,
    unescape,
)
from bot.summarize import (
    OFFLINE_MODEL,
    OFFLINE_VERSION,
    PROMPTS,
    ActionItem,
    Completer,
    Message,
    Summary,
    summarize,
)
from bot.text import plain_names
from prompts import prompt_version
from storage import summaries as store
from storage.db import SessionScope
from storage.models import ConversationSummary

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=90)
# A channel summary reads at most this much; what is left out is said in the summary.
MAX_CHANNEL_MESSAGES = 5000
MAX_THREADS = 200
HISTORY_PAGE = 200
REPLIES_PAGE = 1000
SUMMON_WORDS = ("summarize", "summarise", "summary", "tldr", "tl;dr", "recap")
# Messages that are not part of the conversation: joins, leaves, topic changes...
_SKIPPED_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "group_join",
        "group_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "pinned_item",
        "unpinned_item",
        "ekm_access_denied",
        "tombstone",
    }
)
_PERMALINK = re.compile(r"^/archives/(?P<channel>[CGD][A-Z0-9]{2,30})/p(?P<digits>\d{7,20})/?$")
_TS = re.compile(r"^\d{1,12}\.\d{6}$")
_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
_ANY_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


class SummaryProblem(Exception):
    """Something the person asked for cannot be summarized; `str()` says why, for them."""


# ---------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class ThreadRequest:
    """Summarize the thread of one message."""

    channel_id: str
    # The message the link points at; the thread is found from it.
    message_ts: str
    # The thread's root when the link says it (?thread_ts=...).
    thread_ts: str | None = None


@dataclass(frozen=True)
class ChannelRequest:
    """Summarize a channel's history over a window (its threads included)."""

    window: timedelta
    channel_id: str | None = None
    # A channel named without Slack's escaping (#general), resolved by name later.
    channel_name: str | None = None

    @property
    def scope(self) -> str:
        """The cache scope: channel:7d."""
        return f"channel:{format_window(self.window)}"


SummaryRequest = ThreadRequest | ChannelRequest


def parse_request(tokens: Sequence[Token]) -> SummaryRequest:
    """`/summarize <link>` or `/summarize #channel [7d]`; anything else is a parse error."""
    if not tokens:
        raise CommandParseError("expected a message link or a #channel", "")
    first, rest = tokens[0], list(tokens[1:])
    if isinstance(first, Link) or (isinstance(first, Word) and _looks_like_url(first.text)):
        url = first.url if isinstance(first, Link) else first.text
        if rest:
            raise CommandParseError("a message link takes nothing after it", _raw(rest))
        return parse_permalink(url)
    if isinstance(first, ChannelMention | Tag):
        window = DEFAULT_WINDOW
        if rest:
            if len(rest) > 1 or not isinstance(rest[0], Word):
                raise CommandParseError(
                    "after the channel, give one window like 7d, 36h or 90d", _raw(rest)
                )
            window = parse_window(rest[0].text)
        if isinstance(first, ChannelMention):
            return ChannelRequest(window=window, channel_id=first.channel_id)
        return ChannelRequest(window=window, channel_name=first.name)
    raise CommandParseError(
        "expected a message link (⋯ → Copy link) or a #channel", _raw(tokens)[:80]
    )


def parse_permalink(url: str) -> ThreadRequest:
    """A Slack message link: https://x.slack.com/archives/C123/p1795510800000100[?thread_ts=..]."""
    shown = url[:120]
    parts = urlsplit(url.strip())
    match = _PERMALINK.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.netloc or match is None:
        raise CommandParseError(
            "that is not a Slack message link, which looks like "
            "https://your-team.slack.com/archives/C0123ABCD/p1795510800000100",
            shown,
        )
    digits = match["digits"]
    message_ts = f"{digits[:-6]}.{digits[-6:]}"
    query = parse_qs(parts.query)
    thread_ts = next(iter(query.get("thread_ts") or ()), None)
    if thread_ts is not None and not _TS.match(thread_ts):
        raise CommandParseError("the link's thread_ts is not a message timestamp", shown)
    cid = next(iter(query.get("cid") or ()), None)
    if cid is not None and cid != match["channel"]:
        raise CommandParseError("the link names two different channels", shown)
    return ThreadRequest(channel_id=match["channel"], message_ts=message_ts, thread_ts=thread_ts)


def parse_window(text: str) -> timedelta:
    """A window like 7d, 36h or 2d12h: positive and at most 90 days."""
    window = parse_duration(text)
    if window > MAX_WINDOW:
        raise CommandParseError("the window can be at most 90d", text)
    return window


def format_window(window: timedelta) -> str:
    """7d, 36h, 90m: the shortest exact form."""
    minutes = int(window.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def describe_window(window: timedelta) -> str:
    """ "the last 7 days", "the last 36 hours", for people."""
    text = format_window(window)
    number, unit = int(text[:-1]), {"d": "day", "h": "hour", "m": "minute"}[text[-1]]
    return f"the last {unit}" if number == 1 else f"the last {number} {unit}s"


def is_summon(text: str) -> bool:
    """True when a mention asks for a summary: "<@bot> summarize", "hey <@bot>, tl;dr please"."""
    words = _ANY_MENTION.sub(" ", text or "").lower().split()
    return any(word.strip(".,!?:;()'\"") in SUMMON_WORDS for word in words[:6])


def _looks_like_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _raw(tokens: Iterable[Token]) -> str:
    return " ".join(t.raw for t in tokens)


# ---------------------------------------------------------------------------- reading Slack


@dataclass(frozen=True)
class Conversation:
    """What was read from Slack: the messages in order and who appears in them."""

    channel_id: str
    scope: str
    raw: tuple[dict[str, Any], ...]
    # The thread's root ts; None for a channel.
    thread_ts: str | None = None
    truncated: bool = False

    def people(self) -> list[str]:
        """Every user id who wrote or was mentioned."""
        found: dict[str, None] = {}
        for message in self.raw:
            if message.get("user"):
                found[str(message["user"])] = None
            for user_id in _USER_REF.findall(str(message.get("text") or "")):
                found[user_id] = None
        return list(found)


_ERRORS = {
    "channel_not_found": "I can't find that channel. Check the link or the channel name.",
    "not_in_channel": (
        "I'm not in that channel: invite me with `/invite @productops`, then ask again."
    ),
    "thread_not_found": "I can't find that message: it may have been deleted.",
    "message_not_found": "I can't find that message: it may have been deleted.",
    "missing_scope": "I'm not allowed to read that conversation (missing permission).",
    "is_archived": "That channel is archived.",
}


def _slack_problem(err: SlackApiError) -> SummaryProblem:
    code = str(err.response.get("error", "")) if err.response is not None else ""
    return SummaryProblem(_ERRORS.get(code, f"Slack could not give me that conversation ({code})."))


def _pages(
    call: Callable[..., Any], key: str, limit: int, stop: int, **args: Any
) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated method, up to `stop` items."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        try:
            page = call(limit=limit, cursor=cursor, **args)
        except SlackApiError as err:
            raise _slack_problem(err) from err
        items.extend(page.get(key) or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or len(items) >= stop:
            return items


def read_thread(client: WebClient, channel_id: str, ts: str) -> Conversation:
    """The whole thread of the message at `ts` (its root and every reply), oldest first."""
    raw = _pages(
        client.conversations_replies, "messages", REPLIES_PAGE, 100_000, channel=channel_id, ts=ts
    )
    if not raw:
        raise SummaryProblem(_ERRORS["thread_not_found"])
    root = str(raw[0].get("thread_ts") or raw[0].get("ts") or ts)
    return Conversation(channel_id, root, tuple(raw), thread_ts=root)


def read_channel(
    client: WebClient, channel_id: str, *, oldest: datetime, latest: datetime, scope: str
) -> Conversation:
    """A channel's top-level messages in the window, each followed by its thread's replies."""
    top = _pages(
        client.conversations_history,
        "messages",
        HISTORY_PAGE,
        MAX_CHANNEL_MESSAGES,
        channel=channel_id,
        oldest=f"{oldest.timestamp():.6f}",
        latest=f"{latest.timestamp():.6f}",
        inclusive=True,
    )
    truncated = len(top) > MAX_CHANNEL_MESSAGES
    # History comes newest first; keep the newest messages when there are too many.
    top = sorted(top[:MAX_CHANNEL_MESSAGES], key=lambda m: float(m.get("ts") or 0))
    threaded = sorted(
        (m for m in top if int(m.get("reply_count") or 0) > 0),
        key=lambda m: int(m.get("reply_count") or 0),
        reverse=True,
    )
    expand = {str(m["ts"]) for m in threaded[:MAX_THREADS]}
    truncated = truncated or len(threaded) > MAX_THREADS
    raw: list[dict[str, Any]] = []
    for message in top:
        raw.append(message)
        if str(message.get("ts")) not in expand:
            continue
        replies = _pages(
            client.conversations_replies,
            "messages",
            REPLIES_PAGE,
            100_000,
            channel=channel_id,
            ts=str(message["ts"]),
        )
        raw.extend({**r, "_reply": True} for r in replies if r.get("ts") != message.get("ts"))
        if len(raw) >= MAX_CHANNEL_MESSAGES:
            truncated = True
            break
    return Conversation(channel_id, scope, tuple(raw), truncated=truncated)


# ---------------------------------------------------------------------------- plain messages


def plain_text(text: str, names: Mapping[str, str]) -> str:
    """Slack message text as plain text: names for mentions, links spelled out, unescaped."""
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] and m[2] != m[1] else m[1], text)
    return unescape(plain_names(text, dict(names)))


def to_messages(
    conversation: Conversation, names: Mapping[str, str], *, bot_user_id: str | None
) -> list[Message]:
    """The conversation as the summarizer reads it.

    Left out: joins and other system messages, this bot's own messages (earlier summaries),
    and the mentions that asked for a summary.
    """
    messages: list[Message] = []
    for raw in conversation.raw:
        if raw.get("subtype") in _SKIPPED_SUBTYPES:
            continue
        user = str(raw.get("user") or "")
        text = str(raw.get("text") or "")
        if bot_user_id and user == bot_user_id:
            continue
        if bot_user_id and f"<@{bot_user_id}" in text and is_summon(text):
            continue
        if not text.strip():
            continue
        author = names.get(user) or _bot_name(raw) or user or "someone"
        messages.append(
            Message(
                author=author,
                text=plain_text(text, names),
                ts=str(raw.get("ts") or ""),
                reply=bool(raw.get("_reply")),
            )
        )
    return messages


def _bot_name(raw: Mapping[str, Any]) -> str | None:
    profile = raw.get("bot_profile")
    if isinstance(profile, Mapping) and profile.get("name"):
        return str(profile["name"])
    return str(raw["username"]) if raw.get("username") else None


# ---------------------------------------------------------------------------- the cache


@dataclass(frozen=True)
class StoredSummary:
    """A summary as stored (or found) in the cache, with what it covers."""

    id: int
    summary: Summary
    channel_id: str
    scope: str
    message_count: int
    model: str
    cached: bool
    thread_ts: str | None = None
    truncated: bool = False


def summarize_conversation(
    *,
    session_scope: SessionScope,
    team_id: str,
    conversation: Conversation,
    messages: Sequence[Message],
    names: Mapping[str, str],
    llm: Completer | None,
    prompts_dir: str | Path | None,
    requested_by: str | None,
    now: datetime,
) -> StoredSummary:
    """The cached summary of this conversation state, or a new one (stored once).

    The key is (team, channel, thread or channel window, newest message ts, model, prompt
    version): a conversation with no new message is never summarized twice.
    """
    if not messages:
        raise SummaryProblem("There is nothing to summarize there yet.")
    latest = max(messages, key=lambda m: float(m.ts or 0)).ts or "0"
    enabled = llm is not None and llm.enabled
    model = llm.model if llm is not None and enabled else OFFLINE_MODEL
    version = prompt_version(PROMPTS, prompts_dir) if enabled else OFFLINE_VERSION
    key = dict(
        team_id=team_id,
        channel_id=conversation.channel_id,
        scope=conversation.scope,
        latest_ts=latest,
        model=model[:100],
        prompt_version=version,
    )
    with session_scope() as session:
        found = store.find_summary(session=session, **key)
        if found is not None and found.id is not None:
            return _stored(found, conversation, cached=True)
    # The slow part runs outside any transaction.
    outcome = summarize(
        messages, llm=llm, prompts_dir=prompts_dir, people=[n for n in names.values() if n]
    )
    summary = neutralize(outcome.summary, names)
    if outcome.model == OFFLINE_MODEL:
        key.update(model=OFFLINE_MODEL, prompt_version=OFFLINE_VERSION)
    with session_scope() as session:
        row = store.save_summary(
            session=session,
            **key,
            body=encode(summary),
            message_count=len(messages),
            model_calls=outcome.calls,
            requested_by=requested_by,
            at=now,
        )
    return _stored(row, conversation, cached=False)


def _stored(row: ConversationSummary, conversation: Conversation, *, cached: bool) -> StoredSummary:
    return StoredSummary(
        id=int(row.id or 0),
        summary=decode(row.body),
        channel_id=conversation.channel_id,
        scope=conversation.scope,
        message_count=row.message_count,
        model=row.model,
        cached=cached,
        thread_ts=conversation.thread_ts,
        truncated=conversation.truncated,
    )


def load_summary(
    *, session_scope: SessionScope, team_id: str, summary_id: int
) -> StoredSummary | None:
    """A stored summary of this team (for the "Post" button); None if it is not there."""
    with session_scope() as session:
        row = store.get_summary(session=session, team_id=team_id, summary_id=summary_id)
    if row is None:
        return None
    thread_ts = None if row.scope.startswith("channel:") else row.scope
    conversation = Conversation(row.channel_id, row.scope, (), thread_ts=thread_ts)
    # Posting what was just shown is not a reuse: no "no new messages since" note.
    return _stored(row, conversation, cached=False)


def window_of(scope: str) -> timedelta | None:
    """The window of a channel scope ("channel:7d" -> 7 days); None for a thread."""
    if not scope.startswith("channel:"):
        return None
    return parse_duration(scope.removeprefix("channel:"))


def neutralize(summary: Summary, names: Mapping[str, str]) -> Summary:
    """Whatever the model wrote, mentions become plain names (<@U2> -> @Bob, <!here> -> @here)."""

    def clean(text: str) -> str:
        return plain_names(text, dict(names))

    return Summary(
        tldr=clean(summary.tldr),
        key_points=tuple(clean(p) for p in summary.key_points),
        decisions=tuple(clean(d) for d in summary.decisions),
        action_items=tuple(
            ActionItem(
                task=clean(a.task),
                owner=clean(a.owner).lstrip("@") if a.owner else None,
                due=clean(a.due) if a.due else None,
            )
            for a in summary.action_items
        ),
        questions=tuple(clean(q) for q in summary.questions),
        offline=summary.offline,
        note=summary.note,
    )


def encode(summary: Summary) -> str:
    """A summary as the JSON stored in the cache."""
    return json.dumps(asdict(summary), ensure_ascii=False)


def decode(body: str) -> Summary:
    """A stored summary back (tolerant of missing keys)."""
    data = json.loads(body)
    return Summary(
        tldr=str(data.get("tldr") or ""),
        key_points=tuple(str(p) for p in data.get("key_points") or ()),
        decisions=tuple(str(d) for d in data.get("decisions") or ()),
        action_items=tuple(
            ActionItem(task=str(a.get("task") or ""), owner=a.get("owner"), due=a.get("due"))
            for a in data.get("action_items") or ()
            if isinstance(a, dict)
        ),
        questions=tuple(str(q) for q in data.get("questions") or ()),
        offline=bool(data.get("offline")),
        note=data.get("note"),
    )


# ---------------------------------------------------------------------------- posting


@dataclass(frozen=True)
class PostClaim:
    """Whether this click may post the summary, or where it went already."""

    first: bool
    channel_id: str | None = None
    message_ts: str | None = None


def claim_post(
    *, session_scope: SessionScope, team_id: str, summary_id: int, user_id: str, now: datetime
) -> PostClaim:
    """Claim posting a summary into its conversation: one post however often it is asked."""
    with session_scope() as session:
        if store.claim_post(
            session=session, team_id=team_id, summary_id=summary_id, posted_by=user_id, at=now
        ):
            return PostClaim(first=True)
        post = store.get_post(session=session, team_id=team_id, summary_id=summary_id)
        return PostClaim(
            first=False,
            channel_id=post.channel_id if post else None,
            message_ts=post.message_ts if post else None,
        )


def posted(
    *, session_scope: SessionScope, team_id: str, summary_id: int, channel_id: str, ts: str
) -> None:
    """Record where a claimed summary was posted."""
    with session_scope() as session:
        store.record_post(
            session=session,
            team_id=team_id,
            summary_id=summary_id,
            channel_id=channel_id,
            message_ts=ts,
        )


def post_failed(*, session_scope: SessionScope, team_id: str, summary_id: int) -> None:
    """Release the claim of a post that did not go through."""
    with session_scope() as session:
        store.release_post(session=session, team_id=team_id, summary_id=summary_id)


def find_channel_id(client: WebClient, name: str) -> str:
    """The id of the channel named `name` (without #), or a SummaryProblem."""
    wanted = name.lstrip("#").lower()
    channels = _pages(
        client.conversations_list,
        "channels",
        1000,
        20_000,
        types="public_channel,private_channel",
        exclude_archived=True,
    )
    for channel in channels:
        if str(channel.get("name", "")).lower() == wanted:
            return str(channel["id"])
    raise SummaryProblem(f"I don't know a channel named #{name}.")
