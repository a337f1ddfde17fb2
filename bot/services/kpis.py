"""KPIs: define them, record a value per day, read trends, and decide when a target is crossed.

Plain functions taking a Session, the team id, plain values and `now` or `today`; no Slack
payloads. Values are Decimals: up to 15 significant digits, rounded to 6 decimal places, so
SQLite (which keeps numbers as doubles) and PostgreSQL store exactly the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from bot.grammar import (
    ChannelMention,
    CommandParseError,
    KeyValue,
    Quoted,
    Token,
    Word,
    parse_channel_mention,
    parse_date,
)
from bot.schedule import known_zone
from storage import kpis as store
from storage.models import Kpi

SUBCOMMANDS = ("define", "record", "show", "list", "delete", "help")
NAME_MAX = 64
UNIT_MAX = 16
DESCRIPTION_MAX = 500
DECIMALS = 6
SIGNIFICANT_DIGITS = 15
CHART_WEEKS = 12
# The week-over-week comparison uses the latest value dated 7 to 13 days before the latest one.
WEEK = timedelta(days=7)
WEEK_SLACK = timedelta(days=6)
EARLIEST = date(1900, 1, 1)
DIRECTIONS = ("up", "down")
OPERATORS = (">=", "<=", ">", "<", "=")
MET, MISSED = "met", "missed"
CLEAR = ("none", "-")

_QUANTUM = Decimal(1).scaleb(-DECIMALS)
_NAME_PUNCTUATION = frozenset("_-.")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?\s*(?P<unit>.*)",
    re.DOTALL,
)
_TARGET = re.compile(r"(?P<op>>=|<=|==|=>|=<|≥|≤|>|<|=)\s*(?P<rest>.*)", re.DOTALL)
_OP_ALIASES = {"≥": ">=", "=>": ">=", "≤": "<=", "=<": "<=", "==": "="}
_OP_SHOWN = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
_SHOWN_LIMIT = 40


class KpiNotFound(LookupError):
    """No KPI with this name in this team."""

    def __init__(self, name: str) -> None:
        super().__init__(f"there is no KPI named '{shown(name)}' in this workspace")
        self.name = name


class KpiTeamUnknown(LookupError):
    """A tool outside Slack did not say which workspace, and more than one (or none) fits."""

    def __init__(self, teams: Sequence[str]) -> None:
        if teams:
            message = f"several workspaces have KPIs ({', '.join(teams)}): say which one"
        else:
            message = "no workspace has defined a KPI yet: define one in Slack with /kpi define"
        super().__init__(message)
        self.teams = tuple(teams)


# ---------------------------------------------------------------------- values


@dataclass(frozen=True)
class Target:
    """A goal such as >= 40: the comparison and the number."""

    op: str
    value: Decimal

    def met_by(self, value: Decimal) -> bool:
        """Whether `value` meets the target."""
        return {
            ">=": value >= self.value,
            "<=": value <= self.value,
            ">": value > self.value,
            "<": value < self.value,
            "=": value == self.value,
        }[self.op]

    def label(self, unit: str | None = None) -> str:
        """The target as people read it: ≥ 40%."""
        return f"{_OP_SHOWN[self.op]} {format_value(self.value, unit)}"

    @property
    def direction(self) -> str:
        """Which way is better for this target."""
        return "down" if self.op in ("<", "<=") else "up"


@dataclass(frozen=True)
class KpiInfo:
    """A KPI as the rest of the bot sees it."""

    id: int
    team_id: str
    name: str
    unit: str | None
    target: Target | None
    direction: str
    channel_id: str | None
    description: str | None
    created_by: str
    created_at: datetime

    def status(self, value: Decimal | None) -> str | None:
        """met, missed, or None without a target or value."""
        if self.target is None or value is None:
            return None
        return MET if self.target.met_by(value) else MISSED

    def show(self, value: Decimal) -> str:
        """A value in this KPI's unit."""
        return format_value(value, self.unit)


@dataclass(frozen=True)
class Point:
    """One day's value."""

    on: date
    value: Decimal


@dataclass(frozen=True)
class Change:
    """How the latest value moved against the one a week before."""

    delta: Decimal
    percent: Decimal | None
    better: bool | None
    since: Point


@dataclass(frozen=True)
class Summary:
    """A KPI with its latest value, the value a week before it, and recent points."""

    kpi: KpiInfo
    latest: Point | None
    week_ago: Point | None
    points: tuple[Point, ...] = ()

    @property
    def status(self) -> str | None:
        """Whether the latest value meets the target."""
        return self.kpi.status(self.latest.value if self.latest else None)

    @property
    def change(self) -> Change | None:
        """The week-over-week change, when both values exist."""
        if self.latest is None or self.week_ago is None:
            return None
        return week_over_week(self.kpi, self.latest, self.week_ago)


@dataclass(frozen=True)
class Definition:
    """What `/kpi define` asked for; `changes` holds only the options given (None clears)."""

    name: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Defined:
    """The outcome of a define: the KPI and whether it is new."""

    kpi: KpiInfo
    created: bool


@dataclass(frozen=True)
class Alert:
    """A value that crossed its KPI's target: into `state`, from the previous value."""

    kpi: KpiInfo
    point: Point
    previous: Point
    state: str


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording: what is stored now, what it replaced, and any alert."""

    kpi: KpiInfo
    point: Point
    replaced: Decimal | None
    previous: Point | None
    alert: Alert | None = None

    @property
    def unchanged(self) -> bool:
        """The same value was already stored for that day."""
        return self.replaced is not None and self.replaced == self.point.value

    @property
    def status(self) -> str | None:
        """Whether the value meets the target."""
        return self.kpi.status(self.point.value)


@dataclass(frozen=True)
class RecordRequest:
    """What `/kpi record` asked for, before the KPI (and so its unit) is known."""

    name: str
    value_text: str
    on: date


def shown(text: str) -> str:
    """User text cut short for a message."""
    text = text.strip()
    return text if len(text) <= _SHOWN_LIMIT else text[:_SHOWN_LIMIT] + "…"


def format_value(value: Decimal, unit: str | None = None) -> str:
    """1200.5 -> '1,200.5'; with a unit '41.5%' or '120 ms'."""
    number = f"{_plain(value):,f}"
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def format_delta(delta: Decimal, unit: str | None = None) -> str:
    """A signed change: +1.5 pts for a percentage, -20 ms, +3."""
    sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
    number = f"{_plain(abs(delta)):,f}"
    if unit == "%":
        return f"{sign}{number} pts"
    return f"{sign}{number}" + (f" {unit}" if unit else "")


def _plain(value: Decimal) -> Decimal:
    # normalize() turns 1200 into 1.2E+3; quantizing back to units keeps ',f' from padding.
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def clean_decimal(value: Decimal, fragment: str) -> Decimal:
    """Round to 6 decimal places and refuse what cannot be stored exactly (or is not finite)."""
    if not value.is_finite():
        raise CommandParseError(f"'{shown(fragment)}' is not a number", fragment=fragment)
    try:
        rounded = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        rounded = None
    if rounded is None or len(rounded.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
        raise CommandParseError(
            f"'{shown(fragment)}' has too many digits: I keep up to {SIGNIFICANT_DIGITS}",
            fragment=fragment,
        )
    return rounded + 0  # -0 becomes 0


def split_number(text: str) -> tuple[Decimal, str]:
    """Read '41.5%', '1,200', '-3' or '250 ms' as the number and what follows it."""
    raw = text
    text = text.strip().replace("\u2212", "-").replace("\u00a0", " ")
    match = _NUMBER.fullmatch(text)
    if match is None or not (match["int"] or match["frac"]):
        raise CommandParseError(
            f"'{shown(raw)}' is not a number: expected a value like 41.5, 41.5%, 1,200 or -3",
            fragment=raw,
        )
    number = f"{match['sign']}{(match['int'] or '0').replace(',', '')}.{match['frac'] or '0'}"
    return clean_decimal(Decimal(number), raw), match["unit"].strip()


def parse_value(text: str, unit: str | None = None) -> Decimal:
    """A recorded value; a unit after the number must be the KPI's own."""
    value, suffix = split_number(text)
    if suffix and (unit is None or suffix.lower() != unit.lower()):
        expected = f"in {unit}" if unit else "without a unit"
        raise CommandParseError(
            f"'{shown(text)}' is not a number {expected}: expected a value like "
            f"{format_value(Decimal('41.5'), unit)}",
            fragment=text,
        )
    return value


def parse_unit(text: str) -> str | None:
    """A unit such as %, ms or users; 'none' clears it."""
    unit = text.strip()
    if unit.lower() in CLEAR or not unit:
        return None
    if len(unit) > UNIT_MAX or any(ch.isspace() for ch in unit) or unit[0] in "+-.0123456789,":
        raise CommandParseError(
            f"'{shown(text)}' is not a unit: expected a short unit like %, ms or users "
            f"(at most {UNIT_MAX} characters, no spaces)",
            fragment=text,
        )
    return unit


def parse_target(text: str, unit: str | None = None) -> tuple[Target, str | None]:
    """Read '>=40', '<= 2.5', '>40%', '<3', '=100'; returns the target and any unit given."""
    match = _TARGET.fullmatch(text.strip())
    if match is None or not match["rest"].strip():
        raise CommandParseError(
            f"'{shown(text)}' is not a target: expected a comparison and a number like "
            '>=40, <=2.5, >40%, <3 or =100 (quote it: target:">=40")',
            fragment=text,
        )
    op = _OP_ALIASES.get(match["op"], match["op"])
    value, suffix = split_number(match["rest"])
    given = parse_unit(suffix) if suffix else None
    if given and unit and given.lower() != unit.lower():
        raise CommandParseError(
            f"the target '{shown(text)}' is in {given} but the KPI is in {unit}", fragment=text
        )
    return Target(op, value), given


def parse_direction(text: str) -> str:
    """up (higher is better) or down (lower is better)."""
    word = text.strip().lower()
    aliases = {"up": "up", "higher": "up", "down": "down", "lower": "down"}
    if word not in aliases:
        raise CommandParseError(
            f"'{shown(text)}' is not a direction: expected up (higher is better) or down",
            fragment=text,
        )
    return aliases[word]


def parse_name(text: str) -> str:
    """A KPI name: 1-64 letters, digits, _, - or ., starting with a letter or digit."""
    name = text.strip()
    if (
        not name
        or len(name) > NAME_MAX
        or not name[0].isalnum()
        or any(not (ch.isalnum() or ch in _NAME_PUNCTUATION) for ch in name)
    ):
        raise CommandParseError(
            f"'{shown(text)}' is not a KPI name: use 1 to {NAME_MAX} letters, digits, _, - "
            "or ., starting with a letter or digit (like nps or activation-rate)",
            fragment=text,
        )
    return name


def name_key(name: str) -> str:
    """The case-insensitive key of a name: NPS and nps are one KPI."""
    return name.lower()


def parse_channel(text: str) -> str | None:
    """A channel picked in Slack (<#C..|name>) or its id; 'none' clears it."""
    value = text.strip()
    if value.lower() in CLEAR:
        return None
    mention = parse_channel_mention(value)
    if mention is not None:
        return mention.channel_id
    if _CHANNEL_ID.fullmatch(value):
        return value
    raise CommandParseError(
        f"'{shown(text)}' is not a channel I can post to: type # and pick the channel from "
        "Slack's list so it becomes a link",
        fragment=text,
    )


def _token_text(token: Token) -> str:
    return str(getattr(token, "text", None) or token.raw)


def parse_definition(args: Sequence[Token]) -> Definition:
    """`/kpi define <name> [unit:%] [target:">=40"] [direction:up|down] [channel:#x] ["..."]`."""
    if not args or not isinstance(args[0], Word):
        raise CommandParseError(
            "define needs a KPI name first, like /kpi define nps", fragment="define"
        )
    name = parse_name(args[0].text)
    changes: dict[str, Any] = {}
    target_text: str | None = None
    for token in args[1:]:
        if isinstance(token, KeyValue) and token.key == "unit":
            changes["unit"] = parse_unit(token.value)
        elif isinstance(token, KeyValue) and token.key == "target":
            target_text = token.value
        elif isinstance(token, KeyValue) and token.key == "direction":
            changes["direction"] = parse_direction(token.value)
        elif isinstance(token, KeyValue) and token.key == "channel":
            changes["channel_id"] = parse_channel(token.value)
        elif isinstance(token, KeyValue) and token.key == "description":
            changes["description"] = _description(token.value)
        elif isinstance(token, ChannelMention):
            changes["channel_id"] = token.channel_id
        elif isinstance(token, Quoted):
            changes["description"] = _description(token.text)
        elif isinstance(token, KeyValue):
            raise CommandParseError(
                f"unknown option '{shown(token.key)}': expected unit:, target:, direction: or "
                "channel:",
                fragment=token.raw,
            )
        else:
            raise CommandParseError(
                'unexpected text: put a description in quotes, like "Net promoter score"',
                fragment=_token_text(token),
            )
    if target_text is not None:
        if not target_text.strip():
            raise CommandParseError(
                "the target is empty: expected a comparison and a number like >=40",
                fragment='target:""',
            )
        if target_text.strip().lower() in CLEAR:
            changes["target"] = None
        else:
            target, unit = parse_target(target_text, changes.get("unit"))
            changes["target"] = target
            if unit and "unit" not in changes:
                changes["unit"] = unit
            direction = changes.get("direction")
            if direction and target.op != "=" and direction != target.direction:
                raise CommandParseError(
                    f"direction:{direction} contradicts the target {target.label()}, where "
                    f"{'lower' if target.direction == 'down' else 'higher'} is better",
                    fragment=f"direction:{direction}",
                )
    return Definition(name, changes)


def _description(text: str) -> str | None:
    text = " ".join(text.split())
    if len(text) > DESCRIPTION_MAX:
        raise CommandParseError(
            f"the description is too long: at most {DESCRIPTION_MAX} characters",
            fragment=text[:_SHOWN_LIMIT],
        )
    return text or None


def today_in(now: datetime, tz: str | None, fallback: str = "UTC") -> date:
    """The calendar day at `now` in timezone `tz` (or `fallback` when unknown)."""
    for name in (tz, fallback):
        zone = known_zone(name) if name else None
        if zone is not None:
            return now.astimezone(zone).date()
    return now.date()


def parse_day(text: str, *, today: date) -> date:
    """The day a value is for: ISO date, today, yesterday or a weekday (the latest one).

    Never a day after `today`.
    """
    word = text.strip().lower()
    if word == "yesterday":
        return today - timedelta(days=1)
    on = parse_date(text, today=today)
    if word not in ("today", "tomorrow") and not re.fullmatch(r"[0-9-]+", word):
        # grammar reads a weekday as the next one; a value is for the latest one (maybe today).
        on -= WEEK
    if on > today:
        raise CommandParseError(
            f"'{shown(text)}' is in the future ({on.isoformat()}): values can be recorded for "
            "today or earlier",
            fragment=text,
        )
    if on < EARLIEST:
        raise CommandParseError(
            f"'{shown(text)}' is too long ago: values start in {EARLIEST.year}", fragment=text
        )
    return on


def parse_record(args: Sequence[Token], *, today: date) -> RecordRequest:
    """`/kpi record <name> <value> [date]`."""
    words = [_token_text(t) for t in args]
    if len(words) >= 4 and words[2].lower() == "on":
        words = words[:2] + words[3:]
    if len(words) < 2:
        raise CommandParseError(
            "record needs a KPI name and a value, like /kpi record nps 41.5",
            fragment=" ".join(words) or "record",
        )
    if len(words) > 3:
        raise CommandParseError(
            "record takes a name, a value and maybe a date; this is extra",
            fragment=" ".join(words[3:]),
        )
    name = parse_name(words[0])
    on = parse_day(words[2], today=today) if len(words) == 3 else today
    return RecordRequest(name, words[1], on)


def parse_name_arg(args: Sequence[Token], subcommand: str) -> str:
    """The single KPI name `show` and `delete` take."""
    if len(args) != 1:
        fragment = " ".join(t.raw for t in args) or subcommand
        raise CommandParseError(
            f"{subcommand} takes one KPI name, like /kpi {subcommand} nps", fragment=fragment
        )
    return parse_name(_token_text(args[0]))


# ---------------------------------------------------------------------- trends and targets


def week_over_week(kpi: KpiInfo, latest: Point, before: Point) -> Change:
    """The change from `before` to `latest`, and whether it is better for this KPI."""
    delta = latest.value - before.value
    percent = (delta / abs(before.value) * 100).quantize(Decimal("0.1")) if before.value else None
    better = None if delta == 0 else (delta > 0) == (kpi.direction == "up")
    return Change(delta, percent, better, before)


def crossing(kpi: KpiInfo, previous: Decimal, value: Decimal) -> str | None:
    """met or missed when `value` lands on the other side of the target than `previous`."""
    before, now = kpi.status(previous), kpi.status(value)
    if before is None or now is None or before == now:
        return None
    return now


def week_ago_bounds(latest: date) -> tuple[date, date]:
    """The days the week-over-week comparison may use: 7 to 13 days before the latest."""
    return latest - WEEK - WEEK_SLACK, latest - WEEK


def chart_since(today: date) -> date:
    """The first day of the chart window (the last 12 weeks, today included)."""
    return today - timedelta(weeks=CHART_WEEKS) + timedelta(days=1)


# ---------------------------------------------------------------------- storage


def info(kpi: Kpi) -> KpiInfo:
    """The domain view of a KPI row."""
    assert kpi.id is not None
    target = (
        Target(kpi.target_op, Decimal(kpi.target_value))
        if kpi.target_op and kpi.target_value is not None
        else None
    )
    return KpiInfo(
        id=kpi.id,
        team_id=kpi.team_id,
        name=kpi.name,
        unit=kpi.unit,
        target=target,
        direction=kpi.direction,
        channel_id=kpi.channel_id,
        description=kpi.description,
        created_by=kpi.created_by,
        created_at=kpi.created_at,
    )


def get_kpi(*, session: Session, team_id: str, name: str) -> KpiInfo:
    """The team's KPI called `name` (any case), or KpiNotFound."""
    row = store.get_kpi(session=session, team_id=team_id, name_key=name_key(name))
    if row is None:
        raise KpiNotFound(name)
    return info(row)


def define_kpi(
    *, session: Session, team_id: str, definition: Definition, user_id: str, now: datetime
) -> Defined:
    """Create the KPI, or change the options given when the name exists already."""
    changes = _columns(definition.changes)
    key = name_key(definition.name)
    existing = store.get_kpi(session=session, team_id=team_id, name_key=key)
    if existing is None:
        target = definition.changes.get("target")
        row = Kpi(
            team_id=team_id,
            name=definition.name,
            name_key=key,
            created_by=user_id,
            created_at=now,
            direction=definition.changes.get("direction") or (target.direction if target else "up"),
            **{k: v for k, v in changes.items() if k != "direction"},
        )
        row, created = store.insert_kpi(session=session, kpi=row)
        if created:
            return Defined(info(row), True)
        existing = row
    assert existing.id is not None
    if "target" in definition.changes and "direction" not in definition.changes:
        target = definition.changes["target"]
        if target is not None and target.op != "=":
            changes["direction"] = target.direction
    current = info(existing)
    target = definition.changes.get("target", current.target)
    direction = changes.get("direction", current.direction)
    if target is not None and target.op != "=" and direction != target.direction:
        raise CommandParseError(
            f"direction:{direction} contradicts the target {target.label(current.unit)}, where "
            f"{'lower' if target.direction == 'down' else 'higher'} is better",
            fragment=f"direction:{direction}",
        )
    store.update_kpi(session=session, team_id=team_id, kpi_id=existing.id, changes=changes)
    session.refresh(existing)
    return Defined(info(existing), False)


def _columns(changes: dict[str, Any]) -> dict[str, Any]:
    columns = {k: v for k, v in changes.items() if k != "target"}
    if "target" in changes:
        target = changes["target"]
        columns["target_op"] = target.op if target else None
        columns["target_value"] = target.value if target else None
    return columns


def record_value(
    *,
    session: Session,
    team_id: str,
    name: str,
    value: str | Decimal,
    on: date,
    source: str,
    recorded_by: str | None,
    now: datetime,
    alerts: bool = True,
) -> Recorded:
    """Store the day's value (replacing one recorded before) and look for a target crossing."""
    kpi = get_kpi(session=session, team_id=team_id, name=name)
    if isinstance(value, Decimal):
        amount = clean_decimal(value, str(value))
    else:
        amount = parse_value(value, kpi.unit)
    existing = store.get_value(session=session, team_id=team_id, kpi_id=kpi.id, on=on)
    replaced = Decimal(existing.value) if existing is not None else None
    if replaced is None or replaced != amount:
        store.upsert_value(
            session=session,
            team_id=team_id,
            kpi_id=kpi.id,
            on=on,
            value=amount,
            source=source,
            recorded_by=recorded_by,
            at=now,
        )
    before = store.value_before(session=session, team_id=team_id, kpi_id=kpi.id, on=on)
    previous = Point(before.on, Decimal(before.value)) if before is not None else None
    point = Point(on, amount)
    alert = alert_for(session=session, kpi=kpi, point=point, previous=previous) if alerts else None
    return Recorded(kpi, point, replaced, previous, alert)


def alert_for(
    *, session: Session, kpi: KpiInfo, point: Point, previous: Point | None
) -> Alert | None:
    """The alert `point` calls for: it is the latest value and crossed the target."""
    if previous is None or kpi.channel_id is None or kpi.target is None:
        return None
    if store.has_value_after(session=session, team_id=kpi.team_id, kpi_id=kpi.id, on=point.on):
        # A backfilled day is history: only the newest value alerts.
        return None
    state = crossing(kpi, previous.value, point.value)
    return Alert(kpi, point, previous, state) if state else None


def latest_alert(*, session: Session, team_id: str, kpi_id: int) -> Alert | None:
    """The alert the KPI's latest value calls for, if any (after an import)."""
    row = store.get_kpi_by_id(session=session, team_id=team_id, kpi_id=kpi_id)
    if row is None:
        return None
    kpi = info(row)
    latest = store.latest_values(session=session, team_id=team_id, kpi_ids=[kpi.id]).get(kpi.id)
    if latest is None:
        return None
    before = store.value_before(session=session, team_id=team_id, kpi_id=kpi.id, on=latest[0])
    previous = Point(before.on, Decimal(before.value)) if before is not None else None
    return alert_for(session=session, kpi=kpi, point=Point(*latest), previous=previous)


def claim_alert(*, session: Session, alert: Alert, now: datetime) -> bool:
    """Reserve the alert; False when it was posted (or is being posted) already."""
    return store.claim_alert(
        session=session,
        team_id=alert.kpi.team_id,
        kpi_id=alert.kpi.id,
        on=alert.point.on,
        state=alert.state,
        at=now,
    )


def alert_done(*, session: Session, alert: Alert, now: datetime, posted: bool) -> None:
    """Mark the claimed alert posted, or give the claim back so a later try can post."""
    keys: dict[str, Any] = {
        "session": session,
        "team_id": alert.kpi.team_id,
        "kpi_id": alert.kpi.id,
        "on": alert.point.on,
        "state": alert.state,
    }
    if posted:
        store.mark_alert_posted(**keys, at=now)
    else:
        store.release_alert(**keys)


def summarize(*, session: Session, team_id: str, name: str, today: date) -> Summary:
    """One KPI with its latest value, the week-before value and the last 12 weeks."""
    kpi = get_kpi(session=session, team_id=team_id, name=name)
    return _summaries(session, team_id, [kpi], today, with_points=True)[0]


def summaries(
    *, session: Session, team_id: str, today: date, with_points: bool = False, limit: int = 500
) -> list[Summary]:
    """Every KPI of the team by name, for /kpi list and the digest (a few queries in all)."""
    kpis = [info(row) for row in store.list_kpis(session=session, team_id=team_id, limit=limit)]
    return _summaries(session, team_id, kpis, today, with_points=with_points)


def _summaries(
    session: Session, team_id: str, kpis: list[KpiInfo], today: date, *, with_points: bool
) -> list[Summary]:
    ids = [k.id for k in kpis]
    latest = store.latest_values(session=session, team_id=team_id, kpi_ids=ids)
    bounds: dict[int, tuple[date | None, date | None]] = {
        kpi_id: week_ago_bounds(on) for kpi_id, (on, _) in latest.items()
    }
    before = store.latest_values(
        session=session, team_id=team_id, kpi_ids=list(bounds), bounds=bounds
    )
    points = (
        store.values_between(
            session=session, team_id=team_id, kpi_ids=ids, since=chart_since(today), until=today
        )
        if with_points
        else {}
    )
    return [
        Summary(
            kpi=kpi,
            latest=Point(*latest[kpi.id]) if kpi.id in latest else None,
            week_ago=Point(*before[kpi.id]) if kpi.id in before else None,
            points=tuple(Point(*p) for p in points.get(kpi.id, [])),
        )
        for kpi in kpis
    ]


def count_kpis(*, session: Session, team_id: str) -> int:
    """How many KPIs the team has."""
    return store.count_kpis(session=session, team_id=team_id)


def deletion(*, session: Session, team_id: str, name: str) -> tuple[KpiInfo, int]:
    """The KPI `/kpi delete` would remove and how many values go with it."""
    kpi = get_kpi(session=session, team_id=team_id, name=name)
    return kpi, store.count_values(session=session, team_id=team_id, kpi_id=kpi.id)


def delete_kpi(*, session: Session, team_id: str, kpi_id: int) -> tuple[str, int] | None:
    """Delete the KPI and its values: its name and how many values, None if already gone."""
    # Locked: a double click's second delete waits for the first, then finds nothing.
    row = store.get_kpi_by_id(session=session, team_id=team_id, kpi_id=kpi_id, lock=True)
    if row is None:
        return None
    removed = store.delete_kpi(session=session, team_id=team_id, kpi_id=kpi_id)
    return row.name, removed or 0


def resolve_team(*, session: Session, team_id: str | None) -> str:
    """The team a tool outside Slack means: the one given, else the only one with KPIs."""
    if team_id:
        return team_id
    teams = store.teams_with_kpis(session=session)
    if len(teams) != 1:
        raise KpiTeamUnknown(teams)
    return teams[0]


def parse_iso_day(text: str, *, today: date) -> date:
    """A date from a file or the API: YYYY-MM-DD, never after `today`; empty means today."""
    if not text.strip():
        return today
    if not re.fullmatch(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*", text):
        raise CommandParseError(
            f"'{shown(text)}' is not a date: expected YYYY-MM-DD, like 2026-11-20", fragment=text
        )
    return parse_day(text, today=today)
