"""The schedule language of ``/ritual add``: parse it, store it, describe it, find occurrences.

The when-text forms (case-insensitive):

* ``every weekday at 9:30``, ``every weekend at 10am``, ``every mon,wed at 10am``,
  ``every monday and wednesday at 10:00``, ``every mon-fri at 9``, ``weekly on fri at 16:00``
* ``daily at 8`` (a bare hour is ``08:00``), ``every day at 8:15``
* ``every 2 weeks on fri at 16:00``, ``every other week on fri at 16:00``,
  ``biweekly on fri at 4pm``: anchored on the first occurrence at or after the creation instant,
  so the week parity never drifts (the anchor date is stored in the rule)
* ``monthly on the first mon at 10:00`` (``second`` .. ``fifth``, ``last``; months without a
  fifth one are skipped), ``monthly on the 15th at 9:00`` (months without that day are
  skipped), ``monthly on the last day at 17:00``
* one-offs: ``on 2026-12-03 15:00``, ``on 2026-12-03 at 3pm``, ``on fri at 15:00``,
  ``tomorrow at 3pm``, ``today at 17:00``
* ``cron:"30 9 * * 1-5"``: five fields with ``*``, lists, ranges, steps and names; when both
  day-of-month and day-of-week are restricted (neither starts with ``*``) a day matching
  either one fires, as in Vixie cron
* several times are allowed where a time is: ``every weekday at 9:00 and 15:00``

Times are wall-clock times in an IANA timezone. Across DST changes every wall time fires once:

* a wall time in a spring-forward gap fires shifted forward by the gap length (02:30 on the day
  Berlin jumps from 02:00 to 03:00 fires at 03:30 CEST), which is what PEP 495 ``fold=0``
  gives; if that lands on an instant another time of the same rule already has, it fires once;
* an ambiguous wall time in a fall-back overlap fires once, at its first occurrence (``fold=0``).

Everything here is pure: ``now`` and ``after`` are arguments, nothing reads the clock.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, NoReturn, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.grammar import CommandParseError, parse_date, parse_time, parse_weekday

Kind = Literal[
    "weekly",
    "daily",
    "interval_weeks",
    "monthly_nth_weekday",
    "monthly_day",
    "monthly_last_day",
    "once",
    "cron",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
MAX_INTERVAL_WEEKS = 52
JSON_VERSION = 1

_ONE_DAY = timedelta(days=1)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NTH_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_NTH_WORDS = {name: nth for nth, name in _NTH_NAMES.items()}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_ALL_DAYS = frozenset(range(7))
_DAY_GROUPS = {
    "weekday": _WEEKDAYS,
    "weekdays": _WEEKDAYS,
    "weekend": _WEEKEND,
    "weekends": _WEEKEND,
}
_SEPARATORS = frozenset({",", "and", "&"})
_QUOTE_TABLE = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'))
_WORD_RE = re.compile(r"[^\s,]+|,")
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ORDINAL_RE = re.compile(r"([0-9]{1,4})(st|nd|rd|th)?")
_CRON_RE = re.compile(r"cron\b\s*:?\s*(.*)", re.DOTALL)
_SHOWN_LIMIT = 40

EXAMPLES: tuple[str, ...] = (
    "every weekday at 9:30",
    "every mon,wed at 10am",
    "every monday and wednesday at 10:00",
    "every weekend at 10am",
    "daily at 8",
    "every day at 8:15",
    "every 2 weeks on fri at 16:00",
    "every other week on fri at 16:00",
    "biweekly on fri at 4pm",
    "monthly on the first mon at 10:00",
    "monthly on the last fri at 16:00",
    "monthly on the 15th at 9:00",
    "monthly on the last day at 17:00",
    "on 2026-12-03 at 3pm",
    "on fri at 15:00",
    "tomorrow at 3pm",
    "today at 17:00",
    'cron:"30 9 * * 1-5"',
)


@dataclass(frozen=True)
class Rule:
    """A parsed schedule; which fields matter depends on ``kind``."""

    kind: Kind
    times: tuple[time, ...] = ()
    weekdays: frozenset[int] = field(default_factory=frozenset)
    interval: int = 1
    anchor: date | None = None
    nth: int = 0
    day: int = 0
    at: datetime | None = None
    cron: str | None = None
    text: str = ""

    def __post_init__(self) -> None:
        # Canonical order makes equal schedules compare (and serialise) equal.
        object.__setattr__(self, "times", tuple(sorted(set(self.times))))
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        problem = _rule_problem(self)
        if problem:
            raise ValueError(f"invalid {self.kind} rule: {problem}")

    def to_json(self) -> str:
        """Serialise to a stable JSON string for the ritual table."""
        data = {
            "v": JSON_VERSION,
            "kind": self.kind,
            "times": [t.strftime("%H:%M") for t in self.times],
            "weekdays": sorted(self.weekdays),
            "interval": self.interval,
            "anchor": self.anchor.isoformat() if self.anchor else None,
            "nth": self.nth,
            "day": self.day,
            "at": self.at.isoformat(timespec="minutes") if self.at else None,
            "cron": self.cron,
            "text": self.text,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> Rule:
        """Read a rule written by ``to_json``; raise ValueError if it is not one."""
        try:
            data: Any = json.loads(s)
            if not isinstance(data, dict) or data.get("v") != JSON_VERSION:
                raise ValueError("unknown format")
            if data["kind"] not in KINDS:
                raise ValueError(f"unknown kind {data['kind']!r}")
            anchor, at = data["anchor"], data["at"]
            return cls(
                kind=cast(Kind, data["kind"]),
                times=tuple(time.fromisoformat(_str(t)) for t in data["times"]),
                weekdays=frozenset(_int(d) for d in data["weekdays"]),
                interval=_int(data["interval"]),
                anchor=date.fromisoformat(_str(anchor)) if anchor is not None else None,
                nth=_int(data["nth"]),
                day=_int(data["day"]),
                at=datetime.fromisoformat(_str(at)) if at is not None else None,
                cron=_str(data["cron"]) if data["cron"] is not None else None,
                text=_str(data["text"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a stored schedule rule: {exc}") from None


def parse_schedule(text: str, *, now: datetime, tz: str) -> Rule:
    """Parse the when-part of ``/ritual add`` into a Rule, or raise ``CommandParseError``."""
    zone = _zone(tz)
    _require_aware(now, "now")
    normalised = " ".join(text.translate(_QUOTE_TABLE).lower().split())
    if not normalised:
        raise CommandParseError(
            f"say when the ritual happens — try: {' | '.join(suggest(text))}", fragment=text
        )
    cron = _CRON_RE.fullmatch(normalised)
    if cron is not None:
        expression = _normalise_cron(cron[1])
        spec = _cron_spec(expression)
        if not spec.can_fire():
            raise CommandParseError(
                f"cron {_shown(expression)} never happens: no month has that day",
                fragment=expression,
            )
        return Rule("cron", cron=expression, text=f'cron:"{expression}"')
    return _Parser(normalised, now, zone).parse()


def next_occurrences(rule: Rule, tz: str, after: datetime, n: int) -> list[datetime]:
    """The next ``n`` occurrences strictly after ``after``, as ascending aware UTC datetimes."""
    zone = _zone(tz)
    _require_aware(after, "after")
    after = after.astimezone(UTC)
    if n <= 0:
        return []
    if rule.kind == "once":
        assert rule.at is not None
        instant = _to_utc(rule.at, zone)
        return [instant] if instant > after else []
    times = _cron_spec(cast(str, rule.cron)).times if rule.kind == "cron" else rule.times
    found: list[datetime] = []
    # A day early, in case an exotic gap shift carries a wall time across midnight.
    start = max(after.astimezone(zone).date(), date.min + _ONE_DAY) - _ONE_DAY
    try:
        for day in _dates(rule, start):
            for instant in sorted({_to_utc(datetime.combine(day, t), zone) for t in times}):
                if instant > after and (not found or instant > found[-1]):
                    found.append(instant)
                    if len(found) == n:
                        return found
    except OverflowError:
        pass
    return found


def describe(rule: Rule) -> str:
    """A human reading of the rule, e.g. ``every weekday at 09:30``."""
    at = _describe_times(rule.times)
    match rule.kind:
        case "daily":
            return f"every day {at}"
        case "weekly":
            return f"every {_describe_days(rule.weekdays)} {at}"
        case "interval_weeks":
            days = _join([_DAY_NAMES[d] for d in sorted(rule.weekdays)])
            return f"every {rule.interval} weeks on {days} {at}"
        case "monthly_nth_weekday":
            (weekday,) = rule.weekdays
            return f"monthly on the {_NTH_NAMES[rule.nth]} {_DAY_NAMES[weekday]} {at}"
        case "monthly_day":
            return f"monthly on the {_ordinal(rule.day)} {at}"
        case "monthly_last_day":
            return f"monthly on the last day {at}"
        case "once":
            assert rule.at is not None
            return f"on {_describe_date(rule.at.date())} at {rule.at:%H:%M}"
        case "cron":
            return f"cron {rule.cron}"


def suggest(text: str) -> list[str]:
    """The three examples closest to ``text`` by the kinds of words they share."""
    wanted = _features(text)
    scored: list[tuple[float, int, str]] = []
    for index, example in enumerate(EXAMPLES):
        have = _example_features(example)
        union = wanted | have
        score = len(wanted & have) / len(union) if union else 0.0
        scored.append((-score, index, example))
    scored.sort()
    picked = [example for score, _, example in scored[:3] if score < 0]
    for fallback in ("every weekday at 9:30", "every mon,wed at 10am", "tomorrow at 3pm"):
        if len(picked) >= 3:
            break
        if fallback not in picked:
            picked.append(fallback)
    return picked


# --- parsing ------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the words of normalised when-text."""

    def __init__(self, text: str, now: datetime, zone: ZoneInfo) -> None:
        self.text = text
        self.words: list[str] = _WORD_RE.findall(text)
        self.pos = 0
        self.now = now
        self.zone = zone

    def parse(self) -> Rule:
        first = self.take()
        if first == "daily":
            return self.finish("daily")
        if first == "weekly":
            self.accept("on")
            return self.finish("weekly", weekdays=self.weekdays())
        if first in ("biweekly", "fortnightly"):
            self.accept("on")
            return self.repeating(2)
        if first == "monthly":
            return self.monthly()
        if first == "every":
            return self.every()
        if first == "on":
            return self.once()
        if first in ("today", "tomorrow") or (first and _ISO_DATE_RE.fullmatch(first)):
            self.pos -= 1
            return self.once()
        self.fail(first)

    def every(self) -> Rule:
        word = self.take()
        if word == "day":
            return self.finish("daily")
        if word in _DAY_GROUPS:
            return self.finish("weekly", weekdays=_DAY_GROUPS[word])
        if word == "week":
            self.accept("on")
            return self.finish("weekly", weekdays=self.weekdays())
        if word == "other":
            self.expect("week")
            self.accept("on")
            return self.repeating(2)
        if word == "fortnight":
            self.accept("on")
            return self.repeating(2)
        if word == "month":
            return self.monthly()
        if word is not None and ((word.isdecimal() and word.isascii()) or word in _NUMBER_WORDS):
            # Past four digits it is out of range anyway, and int() refuses huge strings.
            count = _NUMBER_WORDS.get(word) or (int(word) if len(word) <= 4 else 10_000)
            unit = self.take()
            if unit not in ("week", "weeks"):
                said = _shown(f"every {word} {unit or ''}")
                raise self.error(
                    f"only weeks repeat at an interval ({said}): "
                    "try: every 2 weeks on fri at 16:00",
                    unit or word,
                )
            if not 1 <= count <= MAX_INTERVAL_WEEKS:
                raise self.error(
                    f"every {word} weeks is not an interval I can keep: use 1 to "
                    f"{MAX_INTERVAL_WEEKS} weeks, e.g. every 2 weeks on fri at 16:00",
                    word,
                )
            self.accept("on")
            return self.repeating(count)
        if word is not None and _weekday_item(word) is not None:
            self.pos -= 1
            return self.finish("weekly", weekdays=self.weekdays())
        self.fail(word)

    def repeating(self, interval: int) -> Rule:
        weekdays = self.weekdays()
        times = self.times()
        self.end()
        if interval == 1:
            return Rule("weekly", times=times, weekdays=weekdays, text=self.text)
        # The first occurrence at or after `now` fixes which weeks are "on" for good.
        weekly = Rule("weekly", times=times, weekdays=weekdays)
        first = next_occurrences(weekly, self.zone.key, self.now - timedelta(microseconds=1), 1)
        anchor = first[0].astimezone(self.zone).date()
        return Rule(
            "interval_weeks",
            times=times,
            weekdays=weekdays,
            interval=interval,
            anchor=anchor,
            text=self.text,
        )

    def monthly(self) -> Rule:
        self.accept("on")
        self.accept("the")
        word = self.take()
        if word is None:
            self.fail(word)
        nth = _NTH_WORDS.get(word)
        number = _ORDINAL_RE.fullmatch(word)
        if nth is None and number is None:
            self.fail(word)
        following = self.peek()
        weekday = _single_weekday(following) if following else None
        if weekday is not None:
            self.take()
            if nth is None:
                nth = int(cast(re.Match[str], number)[1])
                if not 1 <= nth <= 5:
                    raise self.error(
                        f"a month has at most five {_DAY_NAMES[weekday]}s: use first .. fifth "
                        f"or last, e.g. monthly on the last {following} at 10:00",
                        word,
                    )
            return self.finish("monthly_nth_weekday", weekdays=frozenset({weekday}), nth=nth)
        if nth is not None:
            self.expect("day")
            if nth == -1:
                return self.finish("monthly_last_day")
            return self.finish("monthly_day", day=nth)
        day = int(cast(re.Match[str], number)[1])
        if not 1 <= day <= 31:
            raise self.error(
                f"no month has a {_ordinal(day)} day: use the 1st .. 31st or the last day",
                word,
            )
        self.accept("day")
        return self.finish("monthly_day", day=day)

    def once(self) -> Rule:
        word = self.take()
        if word is None:
            self.fail(word)
        try:
            day = parse_date(word, today=self.now.astimezone(self.zone).date())
        except CommandParseError:
            if _ISO_DATE_RE.fullmatch(word):
                raise
            self.fail(word)
        if self.peek() in _SEPARATORS:
            raise self.error(
                "a one-off happens on one day; for a repeating ritual say e.g. "
                "every mon,wed at 10am",
                self.text,
            )
        times = self.times()
        self.end()
        if len(times) != 1:
            raise self.error(
                "a one-off happens at one time; for a repeating ritual say e.g. "
                "every weekday at 9:00 and 15:00",
                self.text,
            )
        at = datetime.combine(day, times[0])
        if _to_utc(at, self.zone) <= self.now:
            raise self.error(
                f"that time has already passed ({_describe_date(day)} at {at:%H:%M} in "
                f"{self.zone.key}): pick a time in the future",
                self.text,
            )
        return Rule("once", at=at, text=self.text)

    def finish(self, kind: Kind, **fields: Any) -> Rule:
        times = self.times()
        self.end()
        return Rule(kind, times=times, text=self.text, **fields)

    def weekdays(self) -> frozenset[int]:
        word = self.peek()
        days = _weekday_item(word) if word else None
        if days is None:
            raise self.error(
                f"say which days, e.g. mon,wed or monday and wednesday "
                f"(not {_shown(word or 'nothing')}) — try: {' | '.join(suggest(self.text))}",
                word or self.text,
            )
        self.take()
        while self.peek() in _SEPARATORS:
            more = _weekday_item(self.peek(1) or "")
            if more is None:
                break
            days |= more
            self.pos += 2
        return days

    def times(self) -> tuple[time, ...]:
        self.accept("at")
        first = self.clock()
        if first is None:
            word = self.peek()
            if word is None:
                said = self.text.removesuffix(" at")
                raise self.error(
                    f"say what time, e.g. {said} at 9:30 — try: " + " | ".join(suggest(self.text)),
                    self.text,
                )
            self.fail(word)
        found = [first]
        while self.peek() in _SEPARATORS:
            mark = self.pos
            self.take()
            self.accept("at")
            more = self.clock()
            if more is None:
                self.pos = mark
                break
            found.append(more)
        return tuple(found)

    def clock(self) -> time | None:
        word = self.peek()
        if word is None or not (word[0].isdigit() or word in ("noon", "midnight")):
            return None
        self.take()
        if word.isdecimal() and self.peek() in ("am", "pm"):
            word += cast(str, self.take())
        if word.isdecimal() and word.isascii() and len(word) <= 2:
            if int(word) > 23:
                raise self.error(
                    f"{_shown(word)} is not a time: expected a time like 15:00, 9:30 or 3pm", word
                )
            return time(int(word))
        return parse_time(word)

    def end(self) -> None:
        if self.pos < len(self.words):
            self.fail(" ".join(self.words[self.pos :]))

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.words[index] if index < len(self.words) else None

    def take(self) -> str | None:
        word = self.peek()
        if word is not None:
            self.pos += 1
        return word

    def accept(self, word: str) -> bool:
        if self.peek() == word:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            self.fail(self.peek())

    def error(self, message: str, fragment: str) -> CommandParseError:
        return CommandParseError(message, fragment=fragment)

    def fail(self, word: str | None) -> NoReturn:
        where = f" (stuck at {_shown(word)})" if word and word != self.text else ""
        raise CommandParseError(
            f"I couldn't read {_shown(self.text)} as a schedule{where} — try: "
            + " | ".join(suggest(self.text)),
            fragment=word or self.text,
        )


def _single_weekday(word: str) -> int | None:
    """A weekday name or its plural (``mondays``), as 0..6, or None."""
    for candidate in (word, word[:-1] if word.endswith("s") else None):
        if candidate:
            try:
                return parse_weekday(candidate)
            except CommandParseError:
                pass
    return None


def _weekday_item(word: str) -> frozenset[int] | None:
    """A weekday, ``weekday(s)``, ``weekend(s)`` or a range like ``mon-fri``; None otherwise."""
    if word in _DAY_GROUPS:
        return _DAY_GROUPS[word]
    single = _single_weekday(word)
    if single is not None:
        return frozenset({single})
    first, dash, last = word.partition("-")
    if dash:
        start, stop = _single_weekday(first), _single_weekday(last)
        if start is not None and stop is not None:
            # A range may wrap over the weekend: fri-mon is Fri, Sat, Sun, Mon.
            return frozenset((start + i) % 7 for i in range((stop - start) % 7 + 1))
    return None


# --- occurrences --------------------------------------------------------------------------


def _dates(rule: Rule, start: date) -> Iterator[date]:
    """The local dates on or after ``start`` on which the (non-once) rule fires, ascending."""
    if rule.kind == "daily":
        day = start
        while True:
            yield day
            day += _ONE_DAY
    elif rule.kind == "weekly":
        day = start
        while True:
            if day.weekday() in rule.weekdays:
                yield day
            day += _ONE_DAY
    elif rule.kind == "interval_weeks":
        yield from _interval_dates(rule, start)
    elif rule.kind == "cron":
        yield from _cron_dates(_cron_spec(cast(str, rule.cron)), start)
    else:
        year, month = start.year, start.month
        while True:
            day_or_none = _monthly_date(rule, year, month)
            if day_or_none is not None and day_or_none >= start:
                yield day_or_none
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
            if year > date.max.year:
                return


def _interval_dates(rule: Rule, start: date) -> Iterator[date]:
    anchor = cast(date, rule.anchor)
    week_zero = anchor - timedelta(days=anchor.weekday())
    day = max(start, anchor)
    while True:
        week = (day - week_zero).days // 7
        if week % rule.interval:
            # Jump straight to the Monday of the next "on" week.
            day = week_zero + timedelta(weeks=(week // rule.interval + 1) * rule.interval)
            continue
        if day.weekday() in rule.weekdays:
            yield day
        day += _ONE_DAY


def _monthly_date(rule: Rule, year: int, month: int) -> date | None:
    """The day this monthly rule fires in the given month, or None if the month has none."""
    days_in_month = calendar.monthrange(year, month)[1]
    if rule.kind == "monthly_last_day":
        return date(year, month, days_in_month)
    if rule.kind == "monthly_day":
        return date(year, month, rule.day) if rule.day <= days_in_month else None
    (weekday,) = rule.weekdays
    if rule.nth == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    day = 1 + (weekday - date(year, month, 1).weekday()) % 7 + 7 * (rule.nth - 1)
    return date(year, month, day) if day <= days_in_month else None


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall time in ``zone`` as a UTC instant; fold=0 picks the DST behaviour above."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


# --- cron ---------------------------------------------------------------------------------

_CRON_MONTHS = {name.lower(): i for i, name in enumerate(_MONTH_ABBR, start=1)}
_CRON_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _CRON_MONTHS),
    ("day-of-week", 0, 7, _CRON_DAYS),
)
# The most days each month can have, February counting leap years.
_MONTH_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class _CronSpec:
    times: tuple[time, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Monday, like date.weekday()
    either_day: bool  # both day fields restricted: a day matching either one fires

    def matches(self, day: date) -> bool:
        in_month = day.day in self.days
        in_week = day.weekday() in self.weekdays
        return in_month or in_week if self.either_day else in_month and in_week

    def can_fire(self) -> bool:
        if self.either_day:
            return True
        return any(d <= _MONTH_MAX_DAYS[m - 1] for m in self.months for d in self.days)


def _normalise_cron(body: str) -> str:
    body = body.strip()
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
        body = body[1:-1]
    return " ".join(body.strip("\"'‘’ ").split())


@lru_cache(maxsize=256)
def _cron_spec(expression: str) -> _CronSpec:
    """Parse a normalised five-field cron expression, or raise ``CommandParseError``."""
    fields = expression.split()
    if len(fields) != 5:
        raise CommandParseError(
            f"cron {_shown(expression)} has {len(fields)} fields; it needs five: minute hour "
            'day-of-month month day-of-week, e.g. cron:"30 9 * * 1-5"',
            fragment=expression,
        )
    values = [_cron_field(text, *spec) for text, spec in zip(fields, _CRON_FIELDS, strict=True)]
    minutes, hours, days, months, cron_weekdays = values
    return _CronSpec(
        times=tuple(time(h, m) for h in sorted(hours) for m in sorted(minutes)),
        days=days,
        months=months,
        weekdays=frozenset((d - 1) % 7 for d in cron_weekdays),
        either_day=not fields[2].startswith("*") and not fields[4].startswith("*"),
    )


def _cron_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    """One cron field: ``*``, ``a``, ``a-b``, any of them ``/step``, comma-separated."""

    def bad(why: str) -> NoReturn:
        raise CommandParseError(
            f"cron {name} field {_shown(text)} {why} (allowed: {low}-{high}"
            + (f" or {next(iter(names))}.." if names else "")
            + ")",
            fragment=text,
        )

    def value(part: str) -> int:
        if part in names:
            return names[part]
        if not (part.isdecimal() and part.isascii()):
            bad(f"has {_shown(part)}, which is not a number")
        number = int(part) if len(part) <= 4 else high + 1
        if not low <= number <= high:
            bad(f"has {number}, which is out of range")
        return number

    found: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not (step_text.isdecimal() and step_text.isascii()) or int(step_text[:4]) == 0:
                bad(f"has step {_shown(step_text)}; a step is a whole number from 1")
            step = int(step_text) if len(step_text) <= 4 else high + 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start_text, _, stop_text = span.partition("-")
            first, last = value(start_text), value(stop_text)
            if first > last:
                bad(f"has the backwards range {_shown(span)}")
        else:
            first = value(span)
            # "5/15" means from 5 to the end in steps of 15, as in most crons.
            last = high if slash else first
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _cron_dates(spec: _CronSpec, start: date) -> Iterator[date]:
    year, month = start.year, start.month
    while year <= date.max.year:
        if month in spec.months:
            first = start.day if (year, month) == (start.year, start.month) else 1
            for number in range(first, calendar.monthrange(year, month)[1] + 1):
                day = date(year, month, number)
                if spec.matches(day):
                    yield day
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


# --- rules, text --------------------------------------------------------------------------


def _rule_problem(rule: Rule) -> str | None:
    """Why a rule is not well-formed, or None."""
    if rule.kind not in KINDS:
        return "unknown kind"
    if any(t.second or t.microsecond or t.tzinfo for t in rule.times):
        return "times are whole minutes, naive"
    if not all(isinstance(d, int) and 0 <= d <= 6 for d in rule.weekdays):
        return "weekdays are 0..6"
    if rule.kind in ("once", "cron"):
        if rule.kind == "once" and (
            rule.at is None or rule.at.tzinfo is not None or rule.at.second or rule.at.microsecond
        ):
            return "a one-off needs a naive wall time in whole minutes"
        if rule.kind == "cron":
            if not rule.cron:
                return "a cron rule needs its expression"
            try:
                if not _cron_spec(rule.cron).can_fire():
                    return "the cron never fires"
            except CommandParseError as exc:
                return exc.message
        return None
    if not rule.times:
        return "it needs a time"
    if rule.kind in ("weekly", "interval_weeks") and not rule.weekdays:
        return "it needs weekdays"
    if rule.kind == "interval_weeks" and not (
        2 <= rule.interval <= MAX_INTERVAL_WEEKS
        and rule.anchor is not None
        and rule.anchor.weekday() in rule.weekdays
    ):
        return "it needs an interval of 2..52 and an anchor on one of its weekdays"
    if rule.kind == "monthly_nth_weekday" and (
        len(rule.weekdays) != 1 or rule.nth not in _NTH_NAMES
    ):
        return "it needs one weekday and nth 1..5 or -1"
    if rule.kind == "monthly_day" and not 1 <= rule.day <= 31:
        return "day is 1..31"
    return None


def known_zone(name: str) -> ZoneInfo | None:
    """The IANA timezone called `name`, or None for any other text.

    ZoneInfo raises more than ZoneInfoNotFoundError: ValueError for paths, and OSError for
    a folder name ("Europe") or a name longer than the file system allows.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _zone(tz: str) -> ZoneInfo:
    zone = known_zone(tz)
    if zone is None:
        raise CommandParseError(
            f"unknown timezone {_shown(tz)}: use an IANA name like Europe/Berlin", fragment=tz
        )
    return zone


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _shown(text: str) -> str:
    text = text.strip()
    if len(text) > _SHOWN_LIMIT:
        text = text[:_SHOWN_LIMIT] + "…"
    return f"'{text}'"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _describe_times(times: tuple[time, ...]) -> str:
    return "at " + _join([t.strftime("%H:%M") for t in times]) if times else ""


def _describe_days(days: frozenset[int]) -> str:
    if days == _ALL_DAYS:
        return "day"
    if days == _WEEKDAYS:
        return "weekday"
    if days == _WEEKEND:
        return "weekend"
    return _join([_DAY_NAMES[d] for d in sorted(days)])


def _describe_date(day: date) -> str:
    # Own name tables rather than strftime("%a"), which follows the process locale.
    return f"{_DAY_NAMES[day.weekday()][:3]} {day.day} {_MONTH_ABBR[day.month - 1]} {day.year}"


# --- suggestions --------------------------------------------------------------------------

_KEYWORDS = frozenset(
    {"every", "daily", "weekly", "biweekly", "fortnightly", "monthly", "day", "days", "week"}
    | {"weeks", "month", "other", "on", "the", "at", "and", "today", "tomorrow", "noon"}
    | {"midnight", "cron", *_DAY_GROUPS}
)
_VOCABULARY = sorted(_KEYWORDS) + [name.lower() for name in _DAY_NAMES] + list(_NTH_WORDS)


def _features(text: str) -> set[str]:
    words = [w for w in _WORD_RE.findall(text.translate(_QUOTE_TABLE).lower()) if w != ","]
    return {_feature(word, previous) for word, previous in zip(words, [None, *words], strict=False)}


@lru_cache(maxsize=len(EXAMPLES))
def _example_features(example: str) -> frozenset[str]:
    return frozenset(_features(example))


def _feature(word: str, previous: str | None, fuzzy: bool = True) -> str:
    """The kind of a word, so ``tuesdy`` and ``fri`` both count as a weekday."""
    if word.startswith("cron"):
        return "cron"
    if word in _DAY_GROUPS:
        return word.rstrip("s")
    if word in ("week", "weeks"):
        return "weeks"
    if word in _NTH_WORDS:
        return "<nth>"
    if word in _KEYWORDS:
        return word
    if _weekday_item(word) is not None:
        return "<weekday>"
    if _ISO_DATE_RE.fullmatch(word):
        return "<date>"
    if word[0].isdigit():
        if ":" in word or word.endswith(("am", "pm")) or previous == "at":
            return "<time>"
        if word.endswith(("st", "nd", "rd", "th")):
            return "<nth>"
        return "<number>"
    if fuzzy:
        close = difflib.get_close_matches(word, _VOCABULARY, n=1, cutoff=0.75)
        if close:
            return _feature(close[0], previous, fuzzy=False)
    return f"?{word}"
