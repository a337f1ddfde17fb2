"""The product tool stack: tools with owners, purpose, cost and renewals.

Plain functions on a Session with team ids, values and `now`. Costs keep their currency and
period as typed ("$99/mo", "2000 EUR/year"); totals are yearly and never mix currencies.
Renewal reminders are ScheduledTask rows (kind "renewal_reminder"), keyed so that each one
is sent once; `bot.renewals` sends them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.grammar import (
    CommandParseError,
    KeyValue,
    Quoted,
    Token,
    Word,
    parse_date,
    parse_user_mention,
)
from storage import rituals as tasks
from storage import workspace as store
from storage.models import StackTool

SUBCOMMANDS = ("add", "list", "show", "edit", "remove", "help")
ADD_KEYS = ("owner", "purpose", "cost", "renewal", "url")
EDIT_KEYS = ("name", *ADD_KEYS)
NAME_MAX = 64
PURPOSE_MAX = 100
COST_TEXT_MAX = 100
URL_MAX = 2000
AMOUNT_MAX = Decimal("1000000000000")
UNSPECIFIED = "unspecified"
NO_PURPOSE = "Other"
REMINDER_DAYS = (30, 7)
REMINDER_TIME = time(9, 0)
TASK_KIND = "renewal_reminder"
_CLEAR = ("", "none", "-")
_SHOWN_LIMIT = 40

# Symbols and prefixes that say which currency a cost is in; "$" alone means US dollars.
CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "r$": "BRL",
    "fr.": "CHF",
}
PERIODS = {
    "week": ("w", "wk", "wks", "week", "weeks", "weekly"),
    "month": ("m", "mo", "mos", "mth", "month", "months", "monthly"),
    "quarter": ("q", "qtr", "quarter", "quarters", "quarterly"),
    "year": ("y", "yr", "yrs", "year", "years", "yearly", "annual", "annually", "annum", "pa"),
}
PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}
PERIOD_SHORT = {"week": "wk", "month": "mo", "quarter": "qtr", "year": "yr"}
_PERIOD_OF = {word: period for period, words in PERIODS.items() for word in words}
_PERIOD_SPLIT = re.compile(r"(.*?)\s*(?:/|\bper\b|\ba\b|\bevery\b)\s*([a-z]+)\.?", re.DOTALL)
_PERIOD_SUFFIX = re.compile(r"(.*?)\s+(weekly|monthly|quarterly|yearly|annually)", re.DOTALL)
_MONEY = re.compile(
    r"(?P<pre>[^\d\s]*)\s*(?P<num>\d[\d,\s]*(?:\.\d+)?)\s*(?P<k>k)?\s*(?P<post>\D*)"
)


class ToolNotFound(LookupError):
    """No tool of this name in the team; `suggestion` is the nearest name, if any."""

    def __init__(self, name: str, suggestion: str | None = None) -> None:
        hint = f" Did you mean *{suggestion}*?" if suggestion else ""
        super().__init__(f"There is no tool named '{shown(name)}' in the stack.{hint}")
        self.name = name
        self.suggestion = suggestion


class ToolExists(ValueError):
    """A tool of this name is in the stack already (names are unique, case aside)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{shown(name)} is in the stack already")
        self.name = name


@dataclass(frozen=True)
class Cost:
    """A cost as typed: amount, currency (None: not said) and period (None: free)."""

    amount: Decimal
    currency: str | None
    period: str | None
    text: str

    @property
    def free(self) -> bool:
        """Costs nothing."""
        return self.period is None

    @property
    def yearly(self) -> Decimal:
        """What it costs in a year."""
        return Decimal(0) if self.period is None else self.amount * PER_YEAR[self.period]

    @property
    def currency_key(self) -> str:
        """The currency, or "unspecified"."""
        return self.currency or UNSPECIFIED


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the rest of the bot sees it."""

    id: int
    team_id: str
    name: str
    owner_id: str | None
    purpose: str | None
    url: str | None
    cost: Cost | None
    renewal_on: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime | None = None

    def overdue(self, today: date) -> bool:
        """The renewal date passed and nobody has set the next one."""
        return self.renewal_on is not None and self.renewal_on < today

    def days_left(self, today: date) -> int | None:
        """Days until the renewal (negative when it passed)."""
        return None if self.renewal_on is None else (self.renewal_on - today).days


@dataclass(frozen=True)
class ToolRequest:
    """What `/stack add` or `/stack edit` asked for: the tool's name and the options given.

    `changes` holds only the options typed; a None value clears that option.
    """

    name: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Saved:
    """A tool after add or edit, and whether its renewal date is already in the past."""

    tool: ToolInfo
    created: bool
    renewal_passed: bool = False
    reminders: tuple[date, ...] = ()


@dataclass(frozen=True)
class Overview:
    """`/stack list`: tools grouped by purpose, and yearly totals per currency."""

    groups: list[tuple[str, list[ToolInfo]]]
    totals: dict[str, Decimal]
    group_totals: dict[str, dict[str, Decimal]]
    count: int
    today: date


# ---------------------------------------------------------------------------- values


def shown(text: str) -> str:
    """User text cut short for a message."""
    text = text.strip()
    return text if len(text) <= _SHOWN_LIMIT else text[:_SHOWN_LIMIT] + "…"


def name_key(name: str) -> str:
    """The case-folded name: Figma and FIGMA are one tool."""
    return " ".join(name.split()).casefold()


def parse_cost(text: str) -> Cost:
    """Read `1200/yr`, `$99/mo`, `€50/month`, `2000 EUR/year`, `49,99 €/mo` or `free`."""
    typed = " ".join((text or "").split())
    lower = typed.lower()
    if lower in ("free", "0", "$0", "€0", "£0", "gratis", "free/yr", "free/mo"):
        return Cost(Decimal(0), None, None, typed or "free")
    if not typed:
        raise CommandParseError("the cost is empty: write it like 1200/yr or $99/mo", text)
    match = _PERIOD_SPLIT.fullmatch(lower) or _PERIOD_SUFFIX.fullmatch(lower)
    if match is None:
        raise CommandParseError(
            "say how often it is paid, like 1200/yr, $99/mo or 2000 EUR/year", typed
        )
    money, period_word = match[1].strip(), match[2]
    period = _PERIOD_OF.get(period_word)
    if period is None:
        raise CommandParseError(
            f"'{shown(period_word)}' is not a period: use /mo, /yr, /qtr or /wk", typed
        )
    amount, currency = _money(money, typed)
    if amount == 0:
        return Cost(Decimal(0), currency, None, typed)
    return Cost(amount, currency, period, typed)


def _money(text: str, typed: str) -> tuple[Decimal, str | None]:
    match = _MONEY.fullmatch(text)
    if match is None:
        raise CommandParseError("expected an amount, like 1200/yr or $99/mo", typed)
    number = re.sub(r"\s", "", match["num"])
    # "49,99" is a decimal comma; "1,200" and "1,200,000" are thousands.
    if "," in number and "." not in number and re.fullmatch(r"\d+,\d{1,2}", number):
        number = number.replace(",", ".")
    number = number.replace(",", "")
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise CommandParseError("expected an amount, like 1200/yr or $99/mo", typed) from None
    if match["k"]:
        amount *= 1000
    if amount >= AMOUNT_MAX:
        raise CommandParseError("that amount is too large", typed)
    pre, post = _currency(match["pre"], typed), _currency(match["post"], typed)
    if pre and post and pre != post:
        raise CommandParseError("one currency per cost, please", typed)
    return amount, pre or post


def _currency(text: str, typed: str) -> str | None:
    word = text.strip().lower()
    if not word:
        return None
    if word in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[word]
    if re.fullmatch(r"[a-z]{3}", word):
        return word.upper()
    raise CommandParseError(
        f"'{shown(text)}' is not a currency: use a symbol ($, €, £) or a code (USD, EUR)", typed
    )


def yearly_totals(costs: Iterable[Cost | None]) -> dict[str, Decimal]:
    """Yearly totals per currency ("unspecified" last); free tools add nothing."""
    totals: dict[str, Decimal] = {}
    for cost in costs:
        if cost is None or cost.free:
            continue
        totals[cost.currency_key] = totals.get(cost.currency_key, Decimal(0)) + cost.yearly
    return dict(sorted(totals.items(), key=lambda kv: (kv[0] == UNSPECIFIED, kv[0])))


def format_amount(amount: Decimal) -> str:
    """1188 -> "1,188"; 49.5 -> "49.50"."""
    if amount == amount.to_integral_value():
        return f"{amount:,.0f}"
    return f"{amount:,.2f}"


def format_money(amount: Decimal, currency: str | None) -> str:
    """ "USD 1,188", or just "1,188" when the currency was not said."""
    if currency in (None, UNSPECIFIED):
        return format_amount(amount)
    return f"{currency} {format_amount(amount)}"


def check_url(text: str) -> str:
    """An http(s) URL with a host, as Slack sends it (`<https://x.y>`) or typed bare."""
    url = (text or "").strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].split("|", 1)[0]
    if len(url) > URL_MAX:
        raise CommandParseError(f"a URL can be at most {URL_MAX} characters", url[:40])
    try:
        parts = urlsplit(url)
    except ValueError:
        raise CommandParseError("that is not a URL: use https://…", url) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise CommandParseError("the URL must start with https:// (or http://)", url)
    if not parts.hostname or re.search(r"[\s<>\"]", url):
        raise CommandParseError("that is not a URL: use https://…", url)
    return url


def today_in(now: datetime, tz: str) -> date:
    """The date at `now` in `tz`."""
    return now.astimezone(ZoneInfo(tz)).date()


# ---------------------------------------------------------------------------- commands


def _text(token: Token) -> str:
    return token.text if isinstance(token, Word | Quoted) else token.raw


def parse_name(args: Sequence[Token], subcommand: str) -> tuple[str, list[Token]]:
    """The tool's name (words or a quoted string) and the options after it."""
    words: list[str] = []
    rest = list(args)
    while rest and isinstance(rest[0], Word | Quoted):
        words.append(_text(rest.pop(0)))
    name = " ".join(" ".join(words).split())
    if not name:
        got = rest[0].raw if rest else ""
        raise CommandParseError(f"{subcommand} needs a tool name, like {subcommand} Figma", got)
    if len(name) > NAME_MAX:
        raise CommandParseError(f"a tool name can be at most {NAME_MAX} characters", name[:40])
    return name, rest


def parse_request(
    args: Sequence[Token], *, subcommand: str, actor: str, today: date
) -> ToolRequest:
    """`<tool> [owner:@ann] [purpose:"design"] [cost:"1200/yr"] [renewal:...] [url:...]`."""
    name, rest = parse_name(args, subcommand)
    allowed = EDIT_KEYS if subcommand == "edit" else ADD_KEYS
    changes: dict[str, Any] = {}
    for token in rest:
        if not isinstance(token, KeyValue):
            raise CommandParseError(
                "after the name come options like owner:@ann or cost:$99/mo; quote a name "
                'with spaces, like "Google Workspace"',
                token.raw,
            )
        if token.key not in allowed:
            raise CommandParseError(f"unknown option: use {', '.join(allowed)}", token.raw)
        if token.key in changes:
            raise CommandParseError(f"{token.key} is given twice", token.raw)
        changes[token.key] = _option(token, actor=actor, today=today)
    if subcommand == "edit" and not changes:
        raise CommandParseError(
            "say what to change, like renewal:2027-01-15 or owner:@ann", name[:40]
        )
    return ToolRequest(name=name, changes=changes)


def _option(token: KeyValue, *, actor: str, today: date) -> Any:
    value = token.value.strip()
    if value.lower() in _CLEAR and token.key != "name":
        return None
    if token.key == "name":
        return parse_name([Quoted(value, token.raw)], "name")[0]
    if token.key == "owner":
        if value.lower() == "me":
            return actor
        mention = parse_user_mention(value)
        if mention is None:
            raise CommandParseError("owner takes a person, like owner:@ann or owner:me", token.raw)
        return mention.user_id
    if token.key == "purpose":
        if len(value) > PURPOSE_MAX:
            raise CommandParseError(
                f"a purpose can be at most {PURPOSE_MAX} characters", value[:40]
            )
        return " ".join(value.split())
    if token.key == "cost":
        if len(value) > COST_TEXT_MAX:
            raise CommandParseError(f"a cost can be at most {COST_TEXT_MAX} characters", value)
        return parse_cost(value)
    if token.key == "renewal":
        return parse_date(value, today=today)
    return check_url(value)


def _columns(changes: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            columns["name"], columns["name_key"] = value, name_key(value)
        elif key == "owner":
            columns["owner_id"] = value
        elif key == "cost":
            cost: Cost | None = value
            columns["cost_text"] = cost.text if cost else None
            columns["cost_amount"] = cost.amount if cost else None
            columns["cost_currency"] = cost.currency if cost else None
            columns["cost_period"] = cost.period if cost else None
        elif key == "renewal":
            columns["renewal_on"] = value
        else:
            columns[key] = value
    return columns


def to_info(row: StackTool) -> ToolInfo:
    """The domain view of a tool row."""
    assert row.id is not None
    cost = None
    if row.cost_text is not None and row.cost_amount is not None:
        cost = Cost(
            amount=Decimal(row.cost_amount).normalize(),
            currency=row.cost_currency,
            period=row.cost_period,
            text=row.cost_text,
        )
    return ToolInfo(
        id=row.id,
        team_id=row.team_id,
        name=row.name,
        owner_id=row.owner_id,
        purpose=row.purpose,
        url=row.url,
        cost=cost,
        renewal_on=row.renewal_on,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add_tool(
    *,
    session: Session,
    team_id: str,
    request: ToolRequest,
    actor: str,
    now: datetime,
    tz: str,
) -> Saved:
    """Add a tool (ToolExists if the name is taken) and schedule its renewal reminders."""
    values = {
        "team_id": team_id,
        "name": request.name,
        "name_key": name_key(request.name),
        "created_by": actor,
        "created_at": now,
        **_columns(request.changes),
    }
    tool_id = store.insert_tool(session=session, values=values)
    if tool_id is None:
        existing = store.get_tool(session=session, team_id=team_id, name_key=values["name_key"])
        raise ToolExists(existing.name if existing else request.name)
    return _saved(session, team_id, tool_id, now=now, tz=tz, created=True)


def edit_tool(
    *,
    session: Session,
    team_id: str,
    request: ToolRequest,
    actor: str,
    now: datetime,
    tz: str,
) -> Saved:
    """Change a tool's options; a new renewal date gets its own reminders."""
    row = _row(session, team_id, request.name)
    assert row.id is not None
    new_name = request.changes.get("name")
    if new_name and name_key(new_name) != row.name_key:
        taken = store.get_tool(session=session, team_id=team_id, name_key=name_key(new_name))
        if taken is not None:
            raise ToolExists(taken.name)
    changes = {**_columns(request.changes), "updated_by": actor, "updated_at": now}
    store.update_tool(session=session, team_id=team_id, tool_id=row.id, changes=changes)
    return _saved(
        session,
        team_id,
        row.id,
        now=now,
        tz=tz,
        created=False,
        schedule="renewal" in request.changes,
    )


def _saved(
    session: Session,
    team_id: str,
    tool_id: int,
    *,
    now: datetime,
    tz: str,
    created: bool,
    schedule: bool = True,
) -> Saved:
    row = store.get_tool_by_id(session=session, team_id=team_id, tool_id=tool_id)
    assert row is not None
    session.refresh(row)
    tool = to_info(row)
    today = today_in(now, tz)
    reminders = schedule_reminders(session=session, tool=tool, now=now, tz=tz) if schedule else []
    return Saved(
        tool=tool,
        created=created,
        renewal_passed=tool.overdue(today),
        reminders=tuple(reminders),
    )


def _row(session: Session, team_id: str, name: str) -> StackTool:
    row = store.get_tool(session=session, team_id=team_id, name_key=name_key(name))
    if row is None:
        names = store.tool_names(session=session, team_id=team_id)
        by_key = {name_key(n): n for n in names}
        near = difflib.get_close_matches(name_key(name), list(by_key), n=1, cutoff=0.6)
        raise ToolNotFound(name, by_key[near[0]] if near else None)
    return row


def get_tool(*, session: Session, team_id: str, name: str) -> ToolInfo:
    """The team's tool of that name (any case), or ToolNotFound with a suggestion."""
    return to_info(_row(session, team_id, name))


def get_tool_by_id(*, session: Session, team_id: str, tool_id: int) -> ToolInfo | None:
    """A tool by id, None if it was removed."""
    row = store.get_tool_by_id(session=session, team_id=team_id, tool_id=tool_id)
    return to_info(row) if row is not None else None


def overview(*, session: Session, team_id: str, now: datetime, tz: str) -> Overview:
    """Every tool grouped by purpose (case aside; no purpose last), with yearly totals."""
    tools = [to_info(r) for r in store.list_tools(session=session, team_id=team_id)]
    groups: dict[str, tuple[str, list[ToolInfo]]] = {}
    for tool in tools:
        label = tool.purpose or NO_PURPOSE
        key = "\uffff" if tool.purpose is None else label.casefold()
        groups.setdefault(key, (label, []))[1].append(tool)
    ordered = [groups[k] for k in sorted(groups)]
    return Overview(
        groups=ordered,
        totals=yearly_totals(t.cost for t in tools),
        group_totals={label: yearly_totals(t.cost for t in members) for label, members in ordered},
        count=store.count_tools(session=session, team_id=team_id),
        today=today_in(now, tz),
    )


def remove_tool(*, session: Session, team_id: str, tool_id: int) -> str | None:
    """Remove a tool by id: its name, or None when it was gone already."""
    row = store.get_tool_by_id(session=session, team_id=team_id, tool_id=tool_id)
    if row is None:
        return None
    store.delete_tool(session=session, team_id=team_id, tool_id=tool_id)
    return row.name


def renewals_due(
    session: Session,
    team_id: str,
    now: datetime,
    days: int = 30,
    *,
    tz: str | None = None,
    limit: int = 200,
) -> list[ToolInfo]:
    """Tools renewing within `days` of today (in `tz`), and overdue ones, soonest first.

    Without `tz` the team's saved default timezone is used, else UTC.
    """
    if tz is None:
        saved = store.get_settings(session=session, team_id=team_id)
        tz = (saved.default_timezone if saved else None) or "UTC"
    until = today_in(now, tz) + timedelta(days=days)
    rows = store.renewing_before(session=session, team_id=team_id, until=until, limit=limit)
    return [to_info(r) for r in rows]


# ---------------------------------------------------------------------------- reminders


def reminder_key(tool_id: int, renewal_on: date, lead: int) -> str:
    """The unique key of one reminder: renewal:<tool_id>:<date>:<days before>."""
    return f"renewal:{tool_id}:{renewal_on.isoformat()}:{lead}"


def schedule_reminders(*, session: Session, tool: ToolInfo, now: datetime, tz: str) -> list[date]:
    """Schedule the DMs 30 and 7 days before the renewal, at 09:00 in `tz`; once each.

    A reminder whose day has passed is skipped, except the nearest one still ahead of the
    renewal, which goes out now: a renewal set 20 days ahead gets its reminder today.
    """
    if tool.renewal_on is None:
        return []
    zone = ZoneInfo(tz)
    days_left = (tool.renewal_on - today_in(now, tz)).days
    if days_left < 0:
        return []
    nearest = min((lead for lead in REMINDER_DAYS if lead >= days_left), default=None)
    scheduled: list[date] = []
    for lead in REMINDER_DAYS:
        day = tool.renewal_on - timedelta(days=lead)
        run_at = datetime.combine(day, REMINDER_TIME, tzinfo=zone)
        if run_at <= now:
            if lead != nearest:
                continue
            run_at = now
        tasks.add_task(
            session=session,
            team_id=tool.team_id,
            key=reminder_key(tool.id, tool.renewal_on, lead),
            kind=TASK_KIND,
            run_at=run_at,
            payload=json.dumps(
                {"tool_id": tool.id, "renewal_on": tool.renewal_on.isoformat(), "lead": lead}
            ),
            now=now,
        )
        scheduled.append(max(day, today_in(now, tz)))
    return scheduled


def reminder_target(
    *, session: Session, team_id: str, tool_id: int, renewal_on: date
) -> ToolInfo | None:
    """The tool a reminder is for, if it still renews on that date (else it was changed)."""
    tool = get_tool_by_id(session=session, team_id=team_id, tool_id=tool_id)
    if tool is None or tool.renewal_on != renewal_on:
        return None
    return tool
