"""Tokenizer and value parsers shared by every slash command.

Slack sends command text with "escape channels, users and links" on, so the text holds real
markup (``<@U1|bob>``, ``<#C1|general>``, ``<https://x.y|label>``, ``<!here>``) while the three
characters ``&``, ``<`` and ``>`` typed by the user arrive as ``&amp;``, ``&lt;`` and ``&gt;``.
``tokenize`` finds real markup first and unescapes afterwards, so a typed ``&lt;!here&gt;`` ends
up as inert text in a ``Word`` while a real ``<!here>`` is a ``SpecialMention``.

The rules, in the order they apply:

* Whitespace is any Unicode whitespace (``str.isspace``: spaces, tabs, newlines, NBSP, ...) and
  separates tokens. Other control characters, NUL included, are ordinary text.
* Markup runs from ``<`` to the next ``>`` with no ``<`` or line break in between and is a token
  of its own even when glued to text (``hi<@U1>`` is ``Word("hi")`` then a ``UserMention``).
  Labels after ``|`` may contain spaces (link and date labels do). Unrecognised markup without
  whitespace becomes a ``Word`` holding its raw text; in every other case ``<`` is literal text.
  User ids are ``U``/``W`` and channel ids ``C``/``G``/``D`` followed by capitals and digits; an
  empty label (``<#C1|>``) is ``None``; a special mention keeps its lower-cased name (``here``,
  ``subteam``, ``date``) and raw text only, and nothing here acts on it.
* Quotes: only the double quotes ``"``, ``“``, ``”`` and ``„`` are quote characters, and any of
  them closes a string opened by any other, because Slack clients substitute smart quotes
  unpredictably. Single quotes (``'``, ``‘``, ``’``) are never quotes, so ``don't`` is one word.
  A quote character opens a string only at the start of a token (``Quoted``) or directly after
  ``key:`` (a quoted ``KeyValue``); anywhere else it is literal, so ``5"`` and ``say"hi"`` are
  plain words. The closing quote ends the token even if text follows it (``"a"b`` is
  ``Quoted("a")`` then ``Word("b")``). Quote characters inside markup never close a string, and
  markup inside a quoted string is kept verbatim. An unclosed quote is a ``CommandParseError``.
* ``key:value``: the key is ``[A-Za-z][A-Za-z0-9_-]*`` (lower-cased). The value is bare text,
  a quoted string (``key:""`` is an explicit empty value) or markup glued to the colon: a link
  gives its URL, other markup its raw text so ``parse_user_mention`` and
  ``parse_channel_mention`` can read it. A bare value starting with ``//`` makes the whole token
  a ``Word`` (``https://x.y``); ``key:`` with nothing after it is an error. ``15:00`` and
  ``:tada:`` are words because the key must start with a letter.
* ``#tag``: the whole token must be ``#`` followed by Unicode letters, digits, combining marks,
  ``_``, ``-`` or ``.``, with at least one letter or digit; otherwise it is a ``Word``.
* Everything else is a ``Word``.

Every token's ``raw`` is the exact slice of the input it came from, every pass is linear in the
input length, and any string either tokenizes or raises ``CommandParseError``.

The value parsers (``parse_date``, ``parse_time``, ``parse_duration``, ``parse_weekday``) read one
token's text: they ignore case and surrounding whitespace, accept ASCII digits only, and raise
``CommandParseError`` with ``fragment`` set to the text they were given. They take ``today`` as an
argument rather than reading the clock so they stay pure.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TypeAlias


class CommandParseError(ValueError):
    """Text the grammar could not read; `fragment` is the part quoted back to the user."""

    def __init__(self, message: str, fragment: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fragment = fragment
        self.position = position

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Word:
    """A bare word, unescaped."""

    text: str
    raw: str


@dataclass(frozen=True)
class Quoted:
    """A quoted string with the quotes removed, unescaped outside markup."""

    text: str
    raw: str


@dataclass(frozen=True)
class KeyValue:
    """A ``key:value`` or ``key:"quoted value"`` pair; the key is lower-cased."""

    key: str
    value: str
    quoted: bool
    raw: str


@dataclass(frozen=True)
class Tag:
    """A ``#tag``; the name is lower-cased and has no ``#``."""

    name: str
    raw: str


@dataclass(frozen=True)
class UserMention:
    """A Slack user mention such as ``<@U0002|bob>``."""

    user_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class ChannelMention:
    """A Slack channel mention such as ``<#C0001|product-feedback>``."""

    channel_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class Link:
    """A Slack link such as ``<https://example.com|label>``; the URL is unescaped."""

    url: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class SpecialMention:
    """A special mention such as ``<!here>`` or ``<!subteam^S1|@team>``, kept inert."""

    name: str
    raw: str


Token: TypeAlias = (
    Word | Quoted | KeyValue | Tag | UserMention | ChannelMention | Link | SpecialMention
)


@dataclass(frozen=True)
class Command:
    """A command's text split into its subcommand and the rest."""

    subcommand: str | None
    args: list[Token]
    tokens: list[Token]
    text: str


_QUOTES = frozenset('"\u201c\u201d\u201e')
_TAG_PUNCTUATION = frozenset("_-.")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY_RE = re.compile(r"&(amp|lt|gt);")
# Markup never spans lines; excluding line breaks keeps a stray '<' from swallowing a paragraph.
_MARKUP_RE = re.compile("<([^<>\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*)>")
_WHITESPACE_RE = re.compile(r"\s")
# Whitespace, then optionally a plain word that no other rule could apply to (no quote, '#',
# ':', '&' or '<'); most tokens take this fast path.
_SKIP_RE = re.compile(r'\s*+([^\s<:#&"\u201c\u201d\u201e][^\s<:&]*+(?!\S))?')
_BARE_RUN_RE = re.compile(r"[^\s<]*")
_USER_RE = re.compile(r"@([UW][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_CHANNEL_RE = re.compile(r"#([CGD][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_SPECIAL_RE = re.compile(r"!([A-Za-z][A-Za-z0-9_-]*)(?:[\^|].*)?", re.DOTALL)
_LINK_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:[^\s|]+)(?:\|(.*))?", re.DOTALL)
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME_24_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TIME_12_RE = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?\s?([ap]m)")
_DURATION_RE = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?")
_SHOWN_LIMIT = 40


def unescape(text: str) -> str:
    """Turn Slack's ``&amp;``, ``&lt;`` and ``&gt;`` back into ``&``, ``<`` and ``>``."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)


def tokenize(text: str) -> list[Token]:
    """Split slash-command text into tokens, or raise ``CommandParseError``."""
    markup = _find_markup(text)
    tokens: list[Token] = []
    i = 0
    length = len(text)
    while (step := _SKIP_RE.match(text, i)) is not None:
        i = step.end()
        if step[1] is not None:
            tokens.append(Word(step[1], step[1]))
            continue
        if i >= length:
            break
        found = markup.get(i)
        if found is not None:
            end, token = found
            tokens.append(token)
            i = end
        elif text[i] in _QUOTES:
            body, end = _read_quoted(text, i, markup)
            tokens.append(Quoted(body, text[i:end]))
            i = end
        else:
            i = _read_bare(text, i, markup, tokens)
    return tokens


def parse_command(text: str) -> Command:
    """Tokenize command text and split off a leading word as the subcommand."""
    tokens = tokenize(text)
    if tokens and isinstance(tokens[0], Word):
        return Command(tokens[0].text.lower(), tokens[1:], tokens, text.strip())
    return Command(None, list(tokens), tokens, text.strip())


def parse_user_mention(value: str) -> UserMention | None:
    """Read a raw ``<@U...>`` mention, e.g. a ``KeyValue`` value; None if it is not one."""
    token = _parse_markup(value)
    return token if isinstance(token, UserMention) else None


def parse_channel_mention(value: str) -> ChannelMention | None:
    """Read a raw ``<#C...>`` mention, e.g. a ``KeyValue`` value; None if it is not one."""
    token = _parse_markup(value)
    return token if isinstance(token, ChannelMention) else None


def parse_weekday(text: str) -> int:
    """Read ``mon``..``sun`` or ``monday``..``sunday`` (any case) as 0..6."""
    day = _WEEKDAYS.get(text.strip().lower())
    if day is None:
        raise CommandParseError(
            f"{_shown(text)} is not a weekday: expected mon..sun or monday..sunday",
            fragment=text,
        )
    return day


def parse_date(text: str, *, today: date) -> date:
    """Read ``2026-12-03``, ``today``, ``tomorrow`` or a weekday (the next one after today)."""
    word = text.strip().lower()
    try:
        if word == "today":
            return today
        if word == "tomorrow":
            return today + timedelta(days=1)
        if word in _WEEKDAYS:
            # A bare weekday never means today: "fri" said on a Friday is next week's Friday.
            ahead = (_WEEKDAYS[word] - today.weekday() - 1) % 7 + 1
            return today + timedelta(days=ahead)
    except OverflowError:
        raise CommandParseError(f"{_shown(text)} is past the last date", fragment=text) from None
    match = _ISO_DATE_RE.fullmatch(word)
    if match is None:
        raise CommandParseError(
            f"{_shown(text)} is not a date: expected a date like 2026-12-03, tomorrow or fri",
            fragment=text,
        )
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CommandParseError(
            f"{_shown(text)} is not a real date: expected a date like 2026-12-03, tomorrow or fri",
            fragment=text,
        ) from None


def parse_time(text: str) -> time:
    """Read ``15:00``, ``9:30``, ``3pm``, ``3:30pm``, ``noon`` or ``midnight``."""
    word = text.strip().lower()
    if word == "noon":
        return time(12)
    if word == "midnight":
        return time(0)
    match = _TIME_24_RE.fullmatch(word)
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    match = _TIME_12_RE.fullmatch(word)
    if match is not None:
        hour, minute = int(match[1]), int(match[2] or 0)
        if 1 <= hour <= 12 and minute < 60:
            # 12am is midnight and 12pm is noon, so the hour wraps before the pm offset.
            return time(hour % 12 + (12 if match[3] == "pm" else 0), minute)
    raise CommandParseError(
        f"{_shown(text)} is not a time: expected a time like 15:00, 9:30 or 3pm", fragment=text
    )


def parse_duration(text: str) -> timedelta:
    """Read a positive duration made of days, hours and minutes: ``45m``, ``1h30m``, ``2d``."""
    word = text.strip().lower()
    match = _DURATION_RE.fullmatch(word)
    if not word or match is None:
        raise CommandParseError(
            f"{_shown(text)} is not a duration: expected a duration like 45m, 1h30m or 2d",
            fragment=text,
        )
    try:
        delta = timedelta(
            days=int(match[1] or 0), hours=int(match[2] or 0), minutes=int(match[3] or 0)
        )
    except (ValueError, OverflowError):
        # int() refuses very long digit strings and timedelta caps at about 2.7 million years.
        raise CommandParseError(f"{_shown(text)} is too long a duration", fragment=text) from None
    if delta <= timedelta(0):
        raise CommandParseError(
            f"{_shown(text)} is not a duration: it must be longer than zero", fragment=text
        )
    return delta


def _shown(text: str) -> str:
    """Quote user text for an error message, cut short so messages stay readable."""
    text = text.strip()
    if len(text) > _SHOWN_LIMIT:
        text = text[:_SHOWN_LIMIT] + "…"
    return f"'{text}'"


def _label(label: str | None) -> str | None:
    """Unescape a markup label; an empty label counts as no label."""
    return unescape(label) if label else None


def _classify_markup(content: str, raw: str) -> Token | None:
    """Turn the inside of ``<...>`` into a token, or None if the ``<`` should be literal."""
    if match := _USER_RE.fullmatch(content):
        return UserMention(match[1], _label(match[2]), raw)
    if match := _CHANNEL_RE.fullmatch(content):
        return ChannelMention(match[1], _label(match[2]), raw)
    if match := _SPECIAL_RE.fullmatch(content):
        return SpecialMention(match[1].lower(), raw)
    if match := _LINK_RE.fullmatch(content):
        return Link(unescape(match[1]), _label(match[2]), raw)
    if _WHITESPACE_RE.search(content) is None:
        return Word(raw, raw)
    return None


def _parse_markup(value: str) -> Token | None:
    """Classify a string that should be exactly one ``<...>`` markup sequence."""
    value = value.strip()
    match = _MARKUP_RE.fullmatch(value)
    if match is None:
        return None
    return _classify_markup(match[1], value)


def _find_markup(text: str) -> dict[int, tuple[int, Token]]:
    """Map the start of every real markup sequence to its end and token."""
    spans: dict[int, tuple[int, Token]] = {}
    if "<" not in text:
        return spans
    for match in _MARKUP_RE.finditer(text):
        token = _classify_markup(match[1], match[0])
        if token is not None:
            spans[match.start()] = (match.end(), token)
    return spans


def _read_quoted(text: str, start: int, markup: dict[int, tuple[int, Token]]) -> tuple[str, int]:
    """Read the string opened by the quote at ``start``; return its text and the end index."""
    pieces: list[str] = []
    piece_start = j = start + 1
    length = len(text)
    while j < length:
        found = markup.get(j)
        if found is not None:
            pieces.append(unescape(text[piece_start:j]))
            pieces.append(text[j : found[0]])
            piece_start = j = found[0]
            continue
        if text[j] in _QUOTES:
            pieces.append(unescape(text[piece_start:j]))
            return "".join(pieces), j + 1
        j += 1
    raise CommandParseError(
        "unclosed quote", fragment=text[start : start + _SHOWN_LIMIT], position=start
    )


def _read_bare(
    text: str, start: int, markup: dict[int, tuple[int, Token]], tokens: list[Token]
) -> int:
    """Read a bare token (word, tag or key:value) at ``start``; append it, return its end."""
    key_match = _KEY_RE.match(text, start)
    colon = key_match.end() if key_match and text.startswith(":", key_match.end()) else -1
    if colon != -1 and text[colon + 1 : colon + 2] in _QUOTES:
        value, end = _read_quoted(text, colon + 1, markup)
        tokens.append(KeyValue(text[start:colon].lower(), value, True, text[start:end]))
        return end
    j = _run_end(text, start)
    # A '<' that does not open real markup is literal text inside the word.
    while text.startswith("<", j) and j not in markup:
        j = _run_end(text, j + 1)
    segment = text[start:j]
    if colon != -1:
        key = text[start:colon].lower()
        value = text[colon + 1 : j]
        if not value:
            found = markup.get(j)
            if found is None:
                # "Bug: export fails" is prose, not an option without its value.
                tokens.append(Word(unescape(segment), segment))
                return j
            end, token = found
            markup_value = token.url if isinstance(token, Link) else text[j:end]
            tokens.append(KeyValue(key, markup_value, False, text[start:end]))
            return end
        if not value.startswith("//"):
            tokens.append(KeyValue(key, unescape(value), False, segment))
            return j
    if _is_tag(segment):
        tokens.append(Tag(segment[1:].lower(), segment))
    else:
        tokens.append(Word(unescape(segment), segment))
    return j


def _run_end(text: str, pos: int) -> int:
    """End of the run of non-space, non-``<`` characters starting at ``pos``."""
    match = _BARE_RUN_RE.match(text, pos)
    return match.end() if match else pos


def _is_tag(segment: str) -> bool:
    """Whether a whole bare token is ``#`` plus tag characters, at least one alphanumeric."""
    if len(segment) < 2 or segment[0] != "#":
        return False
    has_alnum = False
    for ch in segment[1:]:
        if ch.isalnum():
            has_alnum = True
        elif ch not in _TAG_PUNCTUATION and not unicodedata.category(ch).startswith("M"):
            return False
    return has_alnum
