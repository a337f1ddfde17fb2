"""Summaries of conversations: map-reduce over a language model, or an offline extractive one.

Both paths fill the same `Summary` (TL;DR, key points, decisions, action items, open
questions). The model path cuts a transcript into chunks that fit the model's budget on
message boundaries, summarizes each (map) and merges the partial summaries (reduce,
recursively if they do not fit one call). When there is no model, or it fails, the offline
summarizer reads the same messages with plain Python: sentence scores, phrase patterns,
and a check of which questions were answered later.

Messages come in as plain text (mentions already turned into plain names, Slack's
entities unescaped); the output is plain text too. Escaping for Slack happens when it is
rendered (bot/blocks/summaries.py).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.llm import LlmError, estimate_tokens, fence
from prompts import load_prompt

OFFLINE_MODEL = "offline"
OFFLINE_VERSION = "offline-1"
MAP_PROMPT = "summarize_thread"
REDUCE_PROMPT = "summarize_reduce"
PROMPTS = (MAP_PROMPT, REDUCE_PROMPT)
NO_MODEL_NOTE = "no language model is configured"
MODEL_FAILED_NOTE = "the language model did not answer"

# How much of each section a summary keeps (more become a visible "… and N more").
MAX_KEY_POINTS = 7
MAX_DECISIONS = 8
MAX_ACTION_ITEMS = 12
MAX_QUESTIONS = 6
ITEM_MAX_CHARS = 400
TLDR_MAX_CHARS = 600
MAP_WORKERS = 4
# The offline summarizer looks this many messages ahead for an answer to a question.
ANSWER_LOOKAHEAD = 100
ELLIPSIS = "…"


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Message:
    """One message of a conversation, as plain text with plain names."""

    author: str
    text: str
    ts: str = ""
    # A reply inside one of a channel's threads (shown as "↳" in a channel transcript).
    reply: bool = False


@dataclass(frozen=True)
class ActionItem:
    """Something someone is to do: the task, its owner (a plain name) and when, if said."""

    task: str
    owner: str | None = None
    due: str | None = None


@dataclass(frozen=True)
class Summary:
    """A conversation's summary in the five sections of SPEC F4."""

    tldr: str
    key_points: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    questions: tuple[str, ...] = ()
    offline: bool = False
    # Why the summary is offline ("no language model is configured").
    note: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A summary and what it cost: model calls, tokens sent, chunks."""

    summary: Summary
    model: str
    calls: int = 0
    tokens_sent: int = 0
    chunks: int = 0


class Completer(Protocol):
    """What the summarizer needs from a language model (bot.llm.ChatModel is one)."""

    @property
    def enabled(self) -> bool: ...

    @property
    def model(self) -> str: ...

    @property
    def budget(self) -> int: ...

    def complete(self, system: str, data: str) -> str: ...


# ---------------------------------------------------------------------------- entry point


def summarize(
    messages: Sequence[Message],
    *,
    llm: Completer | None,
    prompts_dir: str | Path | None = None,
    budget: int | None = None,
    people: Iterable[str] = (),
) -> Outcome:
    """Summarize `messages` with the model if there is one, else (or when it fails) offline.

    `people` are names that may appear in the text (mentioned, not only authors): the
    offline summarizer recognises them as owners of action items.
    """
    if llm is None or not llm.enabled:
        offline = summarize_offline(messages, note=NO_MODEL_NOTE, people=people)
        return Outcome(offline, OFFLINE_MODEL)
    try:
        return summarize_with_model(messages, llm=llm, prompts_dir=prompts_dir, budget=budget)
    except LlmError:
        offline = summarize_offline(messages, note=MODEL_FAILED_NOTE, people=people)
        return Outcome(offline, OFFLINE_MODEL)


# ---------------------------------------------------------------------------- transcripts


def transcript_line(message: Message) -> str:
    """A message as one transcript entry: "Name: text" (continuation lines indented)."""
    text = message.text.strip().replace("\r\n", "\n").replace("\n", "\n  ")
    prefix = "↳ " if message.reply else ""
    return f"{prefix}{message.author}: {text}"


def transcript(messages: Iterable[Message]) -> str:
    """The whole conversation as the model reads it."""
    return "\n".join(transcript_line(m) for m in messages)


def chunk_entries(entries: Sequence[str], budget: int) -> list[list[str]]:
    """Group entries into chunks of at most `budget` tokens, cutting only between entries.

    An entry too big for any chunk on its own is split at whitespace (a 40,000-character
    message does not fit a small model's window whole).
    """
    budget = max(50, budget)
    chunks: list[list[str]] = []
    current: list[str] = []
    used = 0
    for entry in entries:
        cost = estimate_tokens(entry) + 1
        pieces = [entry] if cost <= budget else _split_entry(entry, budget)
        for piece in pieces:
            cost = estimate_tokens(piece) + 1
            if current and used + cost > budget:
                chunks.append(current)
                current, used = [], 0
            current.append(piece)
            used += cost
    if current:
        chunks.append(current)
    return chunks


def _split_entry(entry: str, budget: int) -> list[str]:
    pieces: list[str] = []
    rest = entry
    while estimate_tokens(rest) + 1 > budget:
        # Characters that fit, assuming the worst case of one token per character.
        size = max(1, min(len(rest), budget * 4 - 8))
        while size > 1 and estimate_tokens(rest[:size]) + 1 > budget:
            size = size * 3 // 4
        cut = rest.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        pieces.append(rest[:cut])
        rest = "  " + rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


# ---------------------------------------------------------------------------- model path


@dataclass
class _Calls:
    """Counts calls and tokens across the map workers."""

    count: int = 0
    tokens: int = 0
    failed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, llm: Completer, system: str, data: str) -> str:
        if self.failed.is_set():
            raise LlmError("an earlier call failed")
        with self.lock:
            self.count += 1
            self.tokens += estimate_tokens(system) + estimate_tokens(fence(data))
        try:
            return llm.complete(system, data)
        except LlmError:
            self.failed.set()
            raise


def summarize_with_model(
    messages: Sequence[Message],
    *,
    llm: Completer,
    prompts_dir: str | Path | None = None,
    budget: int | None = None,
) -> Outcome:
    """Map-reduce over the model; raises LlmError when any call fails."""
    map_prompt = load_prompt(MAP_PROMPT, prompts_dir)
    reduce_prompt = load_prompt(REDUCE_PROMPT, prompts_dir)
    total = budget or llm.budget
    calls = _Calls()
    entries = [transcript_line(m) for m in messages]
    chunks = chunk_entries(entries, _data_budget(total, map_prompt, marker=True))
    if len(chunks) == 1:
        answer = calls.run(llm, map_prompt, "\n".join(chunks[0]))
        summary = parse_sections(answer)
        return Outcome(summary, llm.model, calls.count, calls.tokens, 1)

    count = len(chunks)

    def map_one(index: int) -> str:
        data = f"Part {index + 1} of {count}\n" + "\n".join(chunks[index])
        return render_plain(parse_sections(calls.run(llm, map_prompt, data)))

    with ThreadPoolExecutor(max_workers=min(MAP_WORKERS, count)) as pool:
        partials = list(pool.map(map_one, range(count)))
    final = _reduce(llm, calls, reduce_prompt, partials, total)
    return Outcome(final, llm.model, calls.count, calls.tokens, count)


def _data_budget(total: int, prompt: str, *, marker: bool = False) -> int:
    # The fence lines and the "Part i of n" line take a few tokens of their own.
    return total - estimate_tokens(prompt) - (24 if marker else 12)


def _reduce(llm: Completer, calls: _Calls, prompt: str, partials: list[str], total: int) -> Summary:
    """Merge partial summaries, in groups that fit one call, until one summary is left."""
    budget = _data_budget(total, prompt, marker=True)
    while True:
        # Each partial gets at most half a call, so every round at least halves the count.
        entries = [
            _fit(f"Summary of part {i + 1} of {len(partials)}:\n{text}", budget // 2)
            for i, text in enumerate(partials)
        ]
        groups = chunk_entries(entries, budget)
        if len(groups) == 1:
            return parse_sections(calls.run(llm, prompt, "\n\n".join(groups[0])))
        partials = [
            render_plain(parse_sections(calls.run(llm, prompt, "\n\n".join(group))))
            for group in groups
        ]


def _fit(text: str, tokens: int) -> str:
    if estimate_tokens(text) <= tokens:
        return text
    size = len(text)
    while size > 1 and estimate_tokens(text[:size]) > tokens - 1:
        size = size * 4 // 5
    return text[:size] + ELLIPSIS


# ---------------------------------------------------------------------------- model answers

_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tldr", re.compile(r"(?:tl\s*;?\s*dr|summary|in short)", re.I)),
    ("key_points", re.compile(r"(?:key\s+points?|highlights|main\s+points?)", re.I)),
    ("decisions", re.compile(r"(?:decisions?(?:\s+made)?)", re.I)),
    ("action_items", re.compile(r"(?:action\s+items?|next\s+steps|to-?dos?|actions)", re.I)),
    ("questions", re.compile(r"(?:open\s+questions?|unanswered\s+questions?|questions)", re.I)),
)
_HEADING_LINE = re.compile(r"^[#>*_\s]*(?P<name>[^:*_#]{2,40}?)[*_\s]*(?::|$)(?P<rest>.*)$")
_BULLET = re.compile(r"^\s*(?:[-*•·‣–]|\d{1,2}[.)])\s+")
_NONE = re.compile(r"^(?:none|n/?a|nothing|-|—|none\s+(?:noted|stated|recorded)\.?)\.?$", re.I)
_NO_OWNER = ("unassigned", "nobody", "none", "tbd", "unknown", "n/a", "someone", "anyone")
_ACTION_LINE = re.compile(r"^(?P<owner>[^:]{1,60}?)\s*:\s+(?P<task>.+)$")
_DUE_SUFFIX = re.compile(r"\s*[(\[]\s*due\s*:?\s*(?P<due>[^)\]]{1,60})[)\]]\s*\.?$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})\w*$")


def parse_sections(text: str) -> Summary:
    """Read a model's answer in the prompt's format; any other text still gives a summary."""
    sections: dict[str, list[str]] = {name: [] for name, _ in _HEADINGS}
    current: str | None = None
    loose: list[str] = []
    for raw in _CONTROL.sub("", text).splitlines():
        line = raw.strip()
        if not line or _FENCE_LINE.match(line):
            continue
        heading = _heading(line)
        if heading is not None:
            current, rest = heading
            if rest:
                sections[current].append(rest)
            continue
        item = _BULLET.sub("", line).strip().strip("*_").strip()
        if not item or _NONE.match(item):
            continue
        if current is None:
            loose.append(item)
        elif current == "tldr" and sections["tldr"] and not _BULLET.match(line):
            sections["tldr"][-1] += " " + item
        else:
            sections[current].append(item)
    if not any(sections.values()):
        return _unformatted(loose)
    tldr = " ".join(s for s in sections["tldr"] if not _NONE.match(s))
    key_points = sections["key_points"] or ([] if tldr else loose)
    if not tldr:
        tldr = key_points[0] if key_points else (loose[0] if loose else "")
    return Summary(
        tldr=clip(tldr, TLDR_MAX_CHARS),
        key_points=cap([clip(p) for p in key_points], MAX_KEY_POINTS),
        decisions=cap([clip(d) for d in sections["decisions"]], MAX_DECISIONS),
        action_items=cap_items([_action(a) for a in sections["action_items"]], MAX_ACTION_ITEMS),
        questions=cap([clip(q) for q in sections["questions"]], MAX_QUESTIONS),
    )


def _heading(line: str) -> tuple[str, str] | None:
    match = _HEADING_LINE.match(line)
    if match is None:
        return None
    name = match["name"].strip()
    for key, pattern in _HEADINGS:
        if pattern.fullmatch(name):
            rest = match["rest"].strip().strip("*_").strip()
            return key, ("" if _NONE.match(rest or "none") else rest)
    return None


def _action(text: str) -> ActionItem:
    due = None
    found = _DUE_SUFFIX.search(text)
    if found:
        due = found["due"].strip()
        text = text[: found.start()].rstrip()
    owner = None
    match = _ACTION_LINE.match(text)
    if match and not match["owner"].strip().lower().startswith(("http", "due")):
        owner = match["owner"].strip().strip("*_@[]").strip() or None
        text = match["task"].strip()
        if owner and owner.lower() in _NO_OWNER:
            owner = None
    return ActionItem(task=clip(text), owner=clip(owner, 80) if owner else None, due=due)


def _unformatted(lines: list[str]) -> Summary:
    """An answer that ignored the format: its first sentences, then its lines as points."""
    if not lines:
        return Summary(tldr="")
    sentences = split_sentences(" ".join(lines))
    tldr = " ".join(sentences[:2]) if sentences else lines[0]
    return Summary(tldr=clip(tldr, TLDR_MAX_CHARS), key_points=cap(lines[:20], MAX_KEY_POINTS))


def render_plain(summary: Summary) -> str:
    """A summary in the prompt's own format (the reduce step reads partial summaries so)."""
    lines = [f"TL;DR: {summary.tldr}", "Key points:"]
    lines += [f"- {p}" for p in summary.key_points] or ["- none"]
    lines.append("Decisions:")
    lines += [f"- {d}" for d in summary.decisions] or ["- none"]
    lines.append("Action items:")
    lines += [
        f"- {a.owner or 'unassigned'}: {a.task}" + (f" (due {a.due})" if a.due else "")
        for a in summary.action_items
    ] or ["- none"]
    lines.append("Open questions:")
    lines += [f"- {q}" for q in summary.questions] or ["- none"]
    return "\n".join(lines)


def clip(text: str, limit: int = ITEM_MAX_CHARS) -> str:
    """One line of at most `limit` characters, with a visible ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def cap(items: Sequence[str], limit: int) -> tuple[str, ...]:
    """At most `limit` items; the rest are counted in a last "… and N more" item."""
    if len(items) <= limit:
        return tuple(items)
    return (*items[: limit - 1], f"{ELLIPSIS} and {len(items) - limit + 1} more")


def cap_items(items: Sequence[ActionItem], limit: int) -> tuple[ActionItem, ...]:
    """`cap` for action items."""
    if len(items) <= limit:
        return tuple(items)
    more = ActionItem(task=f"{ELLIPSIS} and {len(items) - limit + 1} more")
    return (*items[: limit - 1], more)


# ---------------------------------------------------------------------------- offline

_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"')\]]*\s+|\n+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further get got had hadn't has
    hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
    how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me
    more most mustn't my myself no nor not now of off ok okay on once only or other ought our
    ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some
    such than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through to too under until up us very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's will with won't would wouldn't yeah yes yep you you'd
    you'll you're you've your yours yourself yourselves thanks thank think maybe really
    still well one two much many sure right going gonna want need needs make sounds
    great good also yet though even lol hey hi hello"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_DECISION = re.compile(
    r"\b(?:decided|decision(?:\s+is|\s+was|:)|we(?:'ve|\s+have)?\s+agreed|agreed\s+(?:to|on|that)"
    r"|let'?s\s+go\s+with|let’s\s+go\s+with|we\s+will|we'll\s+(?:go|ship|use|move|keep|do|launch"
    r"|roll|stick|switch|start|stop|drop|run)|going\s+with|we\s+are\s+going\s+with"
    r"|final\s+call|settled\s+on|approved)\b",
    re.I,
)
_DAY = (
    r"(?:end\s+of\s+(?:the\s+)?(?:day|week|month|sprint|quarter)|eod|eow|cob|today|tonight"
    r"|tomorrow|next\s+(?:week|month|sprint|mon|tue|wed|thu|fri|monday|tuesday|wednesday"
    r"|thursday|friday)|this\s+(?:week|afternoon|evening)"
    r"|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
    r"|noon|\d{1,2}(?::\d{2})?\s?(?:am|pm))"
)
_DUE = re.compile(
    r"[,;]?\s*\b(?:by|before|due|until|no\s+later\s+than)\s+(?:the\s+)?"
    r"(?P<due>" + _DAY + r")\b\.?",
    re.I,
)
_ANSWER_START = re.compile(
    r"^\W*(?:yes|yep|yeah|yup|no|nope|nah|sure|correct|exactly|indeed|it's|it is|they are"
    r"|because|not yet|already|done|good question|answer|confirmed|afaik|iirc)\b",
    re.I,
)
_LOW_VALUE = re.compile(
    r"^\W*(?:thanks|thank you|thx|ty|\+1|lgtm|nice|cool|ok(?:ay)?|great|agreed|same|yes|no)\W*$",
    re.I,
)


@dataclass
class _Sentence:
    index: int
    message: int
    author: str
    text: str
    words: frozenset[str]
    position: int


def split_sentences(text: str) -> list[str]:
    """Sentences of a message: split after . ! ? and at line breaks; bullets dropped."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = _BULLET.sub("", part).strip()
        if part:
            out.append(part)
    return out


def content_words(text: str) -> frozenset[str]:
    """The words that carry meaning: lower-cased, stop words out, crude suffixes off."""
    words = set()
    for word in _WORD.findall(text.lower()):
        word = word.strip("'’-")
        if len(word) < 3 and word.isascii():
            continue
        if word in _STOPWORDS:
            continue
        words.add(_stem(word))
    return frozenset(words)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def summarize_offline(
    messages: Sequence[Message], *, note: str | None = None, people: Iterable[str] = ()
) -> Summary:
    """An extractive summary: no network, no downloaded model, plain Python."""
    sentences = _sentences(messages)
    if not sentences:
        return Summary(tldr="Nothing to summarize yet.", offline=True, note=note)
    names = _Names([*(m.author for m in messages), *people])
    decisions = _decisions(sentences)
    actions = _action_items(sentences, messages, names)
    action_sentences = {index for index, _ in actions}
    questions = _open_questions(sentences, messages, action_sentences)
    decided = [s for s in sentences if _is_decision(s)]
    points = _key_points(sentences, len(messages), {s.index for s in decided}, action_sentences)
    tldr = " ".join(clip(s.text, 280) for s in _tldr(points, decided))
    ordered_points = [clip(s.text) for s in sorted(points, key=lambda s: s.index)]
    return Summary(
        tldr=clip(tldr, TLDR_MAX_CHARS),
        key_points=tuple(ordered_points),
        decisions=cap(decisions, MAX_DECISIONS),
        action_items=cap_items([item for _, item in actions], MAX_ACTION_ITEMS),
        questions=cap(questions, MAX_QUESTIONS),
        offline=True,
        note=note,
    )


def _tldr(points: Sequence[_Sentence], decided: Sequence[_Sentence]) -> list[_Sentence]:
    """The best sentence (usually the topic), then the last decision or the next best point."""
    if not points:
        return list(decided[-1:])
    picked = [points[0]]
    second = decided[-1] if decided else (points[1] if len(points) > 1 else None)
    if second is not None and second.index != points[0].index:
        picked.append(second)
    return sorted(picked, key=lambda s: s.index)


def _sentences(messages: Sequence[Message]) -> list[_Sentence]:
    found: list[_Sentence] = []
    for number, message in enumerate(messages):
        for position, text in enumerate(split_sentences(message.text)):
            found.append(
                _Sentence(len(found), number, message.author, text, content_words(text), position)
            )
    return found


def _is_decision(sentence: _Sentence) -> bool:
    text = sentence.text
    return (
        not text.rstrip().endswith("?")
        and len(sentence.words) >= 2
        and _DECISION.search(text) is not None
    )


def _decisions(sentences: Sequence[_Sentence]) -> list[str]:
    seen: set[frozenset[str]] = set()
    found: list[str] = []
    for sentence in sentences:
        if not _is_decision(sentence) or sentence.words in seen:
            continue
        seen.add(sentence.words)
        found.append(clip(sentence.text))
    return found


class _Names:
    """The people of a conversation, to recognise owners: full names, first names, handles."""

    def __init__(self, authors: Iterable[str]) -> None:
        self.full: dict[str, str] = {}
        firsts: Counter[str] = Counter()
        people = {a.strip() for a in authors if a and a.strip()}
        for person in people:
            self.full[person.lower()] = person
            firsts[person.split()[0].lower()] += 1
        for person in people:
            first = person.split()[0].lower()
            if firsts[first] == 1:
                self.full.setdefault(first, person)
        alternatives = sorted(self.full, key=len, reverse=True)
        # Longest first, so "Bob Martin" wins over "Bob"; never-matching when nobody is known.
        self.alternation = "|".join(re.escape(name) for name in alternatives) or r"(?!x)x"

    def canonical(self, name: str) -> str:
        """The full name for a first name or handle we know; else the name as written."""
        cleaned = name.strip().lstrip("@").strip(" ,:")
        return self.full.get(cleaned.lower(), cleaned)


_OWNER_VERBS = (
    r"(?:,|:)?\s*(?:will|'ll|to|can\s+you|could\s+you|pls|please|should|is\s+going\s+to"
    r"|needs?\s+to|is\s+on\s+it\s+to|takes?|owns?)\s+"
)
_PRONOUN_TASK = re.compile(r"^(?:\w+\s+)?(?:it|that|this|them)\b", re.I)
_NOT_TASK = re.compile(
    r"^(?:be|have|has|need|think|probably|likely|guess|bet|see what|not|never|also be)\b", re.I
)


def _action_items(
    sentences: Sequence[_Sentence], messages: Sequence[Message], names: _Names
) -> list[tuple[int, ActionItem]]:
    known = f"(?:{names.alternation})\\b"
    mention_owner = re.compile(rf"@(?P<mention>{known}|[\w.-]+){_OWNER_VERBS}(?P<task>.+)", re.I)
    named_owner = re.compile(
        rf"(?:^|(?<=[,;:]\s))(?P<name>{known})\s+(?:will|'ll|is\s+going\s+to)\s+(?P<task>.+)",
        re.I,
    )
    self_owner = re.compile(
        r"(?:^|\b)(?:I\s+will|I'll|I’ll|I\s+can\s+take|I'm\s+going\s+to|I\s+am\s+going\s+to"
        r"|I'll\s+take|let\s+me)\s+(?P<task>.+)",
        re.I,
    )
    marker = re.compile(r"\b(?:todo|to-do|action(?:\s+item)?)\b\s*[:\-–]\s*(?P<task>.+)", re.I)
    request = re.compile(r"\b(?:can|could|would)\s+you\s+(?:please\s+)?(?P<task>.+?)\s*\?*$", re.I)
    any_mention = re.compile(rf"@(?P<name>{known})|@(?P<handle>[\w.-]+)", re.I)
    found: list[tuple[int, ActionItem]] = []
    seen: set[tuple[str, frozenset[str]]] = set()

    def add(sentence: _Sentence, owner: str | None, task: str) -> None:
        task, due = _due_of(task)
        task = task.strip(" .,;:!?-–")
        if len(task.split()) < 2 or _NOT_TASK.match(task):
            return
        key = ((owner or "").lower(), content_words(task))
        if key in seen:
            return
        seen.add(key)
        found.append((sentence.index, ActionItem(task=clip(task, 200), owner=owner, due=due)))

    def mentioned(text: str) -> str | None:
        match = any_mention.search(text)
        if match is None:
            return None
        return names.canonical(match["name"] or match["handle"])

    for sentence in sentences:
        text = sentence.text
        if (match := marker.search(text)) is not None:
            add(sentence, mentioned(match["task"]), _drop_mention(match["task"], any_mention))
        elif (match := mention_owner.search(text)) is not None:
            add(sentence, names.canonical(match["mention"]), match["task"])
        elif (match := request.search(text)) is not None and (_DUE.search(text) or mentioned(text)):
            add(sentence, mentioned(text), match["task"])
        elif (match := named_owner.search(text)) is not None:
            add(sentence, names.canonical(match["name"]), match["task"])
        elif (match := self_owner.search(text)) is not None and not text.rstrip().endswith("?"):
            if _PRONOUN_TASK.match(match["task"]) and any(
                item.owner == sentence.author and sentence.message - sentences[index].message <= 3
                for index, item in found
            ):
                # "Yes, I will write it": the task asked of them just before, accepted.
                continue
            add(sentence, sentence.author, match["task"])
    return found


def _drop_mention(task: str, mention: re.Pattern[str]) -> str:
    return " ".join(mention.sub("", task).split())


def _due_of(task: str) -> tuple[str, str | None]:
    match = _DUE.search(task)
    if match is None:
        return task, None
    due = " ".join(match["due"].split())
    return (task[: match.start()] + task[match.end() :]).strip(), due


def _open_questions(
    sentences: Sequence[_Sentence], messages: Sequence[Message], skip: set[int]
) -> list[str]:
    words_of = [content_words(m.text) for m in messages]
    asks = [m.text.rstrip().endswith("?") for m in messages]
    # The opening message's questions are what the conversation is about: once two other
    # people have joined in, they count as taken up.
    opener = messages[0].author if messages else ""
    joined = len({m.author for m in messages[1:] if m.author != opener})
    found: list[str] = []
    seen: set[frozenset[str]] = set()
    for sentence in sentences:
        text = sentence.text.rstrip()
        if not text.endswith("?") or sentence.index in skip or len(text.split()) < 3:
            continue
        if not sentence.words or sentence.words in seen:
            continue
        if sentence.message == 0 and joined >= 2:
            continue
        if _answered(sentence, messages, words_of, asks):
            continue
        seen.add(sentence.words)
        found.append(clip(text))
    return found


def _answered(
    question: _Sentence,
    messages: Sequence[Message],
    words_of: Sequence[frozenset[str]],
    asks: Sequence[bool],
) -> bool:
    """Someone else replied after it: a yes/no-style answer next, or a reply on its topic."""
    need = 1 if len(question.words) <= 3 else 2
    first_other = True
    end = min(len(messages), question.message + 1 + ANSWER_LOOKAHEAD)
    for number in range(question.message + 1, end):
        message = messages[number]
        if message.author == question.author:
            continue
        if first_other and _ANSWER_START.match(message.text):
            return True
        first_other = False
        if asks[number]:
            continue
        if len(question.words & words_of[number]) >= need:
            return True
    return False


def _key_points(
    sentences: Sequence[_Sentence], message_count: int, decisions: set[int], actions: set[int]
) -> list[_Sentence]:
    """The top sentences by a TF score, with position and author diversity, best first."""
    frequency: Counter[str] = Counter()
    for sentence in sentences:
        frequency.update(sentence.words)
    candidates: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        if len(sentence.words) < 3 or _LOW_VALUE.match(sentence.text):
            continue
        score = sum(math.log1p(frequency[w]) for w in sentence.words) / math.sqrt(
            len(sentence.words) + 2
        )
        # The opening message states the topic; a question there is the thread's subject.
        if sentence.message == 0:
            score *= 1.8
        elif sentence.text.rstrip().endswith("?"):
            score *= 0.6
        if sentence.position == 0:
            score *= 1.15
        if sentence.index in decisions:
            score *= 1.25
        if sentence.index in actions:
            # Shown under action items already.
            score *= 0.7
        candidates.append((score, sentence))
    candidates.sort(key=lambda pair: pair[0], reverse=True)
    wanted = min(MAX_KEY_POINTS, max(3, round(math.log2(message_count + 1))))
    pool = candidates[: wanted * 12]
    chosen: list[_Sentence] = []
    by_author: Counter[str] = Counter()
    while pool and len(chosen) < wanted:
        best_at, best_score = -1, -1.0
        for at, (score, sentence) in enumerate(pool):
            adjusted = score * (0.7 ** by_author[sentence.author])
            if adjusted > best_score:
                best_at, best_score = at, adjusted
        _, sentence = pool.pop(best_at)
        if any(_similar(sentence.words, other.words) for other in chosen):
            continue
        chosen.append(sentence)
        by_author[sentence.author] += 1
    return chosen


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) > 0.5
