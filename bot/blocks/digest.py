"""Block Kit for the weekly digest, and the /digest usage card and answers.

`build_digest` is pure: it renders a `DigestReport` (names included) and reads nothing else.
Whatever the data, the message stays within Slack's 50 blocks and 3,000 characters a
section: long lists are cut with a visible "…" and a pointer to the command that has the
rest. Every user or model text is escaped and mentions become plain names, so a digest can
never ping anyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import stack as stack_blocks
from bot.blocks.feedback import STATUS_EMOJI, STATUS_LABELS
from bot.blocks.kit import context as _context
from bot.blocks.kit import section as _section
from bot.blocks.kpi import STATUS_LINE
from bot.blocks.usage import Usage
from bot.services.digests import (
    RENEWAL_DAYS,
    DigestReport,
    SubscriptionInfo,
    ThemeMove,
    format_span,
)
from bot.services.feedback import FeedbackItem
from bot.services.kpis import Summary, format_delta
from bot.services.retros import ActionInfo
from bot.summarize import ActionItem
from bot.summarize import Summary as TextSummary
from bot.text import (
    ELLIPSIS,
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    escape,
    plain_names,
    split_for_sections,
    truncate,
    truncate_plain,
)

LINE_MAX = 300
KPI_LINES_MAX = 30
SECTIONS_PER_LIST = 2
SUMMARY_SECTIONS_MAX = 3
FALLBACK_MAX = 300
NONE_YET = "_none yet_"
RSVP_WORDS = {"going": "going", "maybe": "maybe", "cant": "can't go"}

DIGEST_USAGE = Usage(
    command="/digest",
    summary="the weekly KPI and feedback digest",
    forms=(
        ("preview", "see this week's digest, just for you"),
        ("now", "ops: post the digest to this channel now"),
        (
            "subscribe [#channel] [weekly on mon at 9:00] [with channel summary] [tz:Europe/Paris]",
            "ops: post it every week (default: this channel, Mondays at 9:00 in your timezone)",
        ),
        ("unsubscribe [#channel]", "ops: stop the weekly digest (default: this channel)"),
        ("help", "show this card"),
    ),
    examples=(
        "preview",
        "now",
        "subscribe",
        "subscribe #product weekly on mon at 9:00",
        "subscribe #squad-a every fri at 16:00 with channel summary",
        "unsubscribe #product",
    ),
    notes=(
        "The digest covers the 7 days before it goes out: KPIs against their targets with a "
        "12-week chart, feedback numbers and themes, the most voted open requests, rituals "
        "held, open retro action items and tool renewals due in 30 days, with a TL;DR. "
        "'with channel summary' adds a summary of the channel's week.",
    ),
)

# Words some clients still read as a broadcast: a word joiner keeps them inert.
_BROADCAST = re.compile(r"@(here|channel|everyone|group)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def safe(text: str, names: Mapping[str, str] | None = None) -> str:
    """User or model text for mrkdwn: plain names, no broadcasts, escaped."""
    text = plain_names(text, dict(names or {}))
    return escape(_BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text))


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _list(
    title: str, lines: Sequence[str], *, empty: str = NONE_YET, more: str | None = None
) -> list[dict[str, Any]]:
    """A titled list in one section, or a few when it is long; the rest is cut with '…'."""
    body = [truncate(line, LINE_MAX) for line in lines] or [empty]
    text = f"{title}\n" + "\n".join(body)
    chunks = split_for_sections(text)
    if len(chunks) > SECTIONS_PER_LIST:
        chunks = chunks[:SECTIONS_PER_LIST]
        tail = f"\n{ELLIPSIS} {more}" if more else f"\n{ELLIPSIS}"
        chunks[-1] = truncate(chunks[-1], SECTION_TEXT_MAX - len(tail)) + tail
    return [_section(chunk) for chunk in chunks]


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def short_day(day: date) -> str:
    """Mon 23 Nov."""
    return f"{day:%a} {day.day} {day:%b}"


def span_label(report: DigestReport) -> str:
    """Mon 23 Nov – Sun 29 Nov 2026."""
    first, last = report.window.first_day, report.window.last_day
    return f"{short_day(first)} – {short_day(last)} {last.year}"


# ---------------------------------------------------------------------- sections


def kpi_line(summary: Summary) -> str:
    """• *nps* 42% · ▲ +2 pts (+5.0%) vs last week · :white_check_mark: on target (≥ 40%)."""
    kpi = summary.kpi
    name = f"*{escape(kpi.name)}*"
    if summary.latest is None:
        return f"• {name} no values yet"
    parts = [f"• {name} {escape(kpi.show(summary.latest.value))}"]
    change = summary.change
    if change is None:
        parts.append("no value from the week before")
    else:
        arrow = "▲" if change.delta > 0 else ("▼" if change.delta < 0 else "▶")
        percent = f" ({change.percent:+}%)" if change.percent is not None and change.delta else ""
        verdict = {True: ", better", False: ", worse", None: ""}[change.better]
        parts.append(
            f"{arrow} {escape(format_delta(change.delta, kpi.unit))}{percent}{verdict} vs last week"
        )
    if summary.status is None:
        parts.append("no target")
    else:
        target = escape(kpi.target.label(kpi.unit)) if kpi.target else ""
        verdict = "met" if summary.status == "met" else "missed"
        emoji = STATUS_LINE[summary.status].split(" ", 1)[0]
        parts.append(f"{emoji} target {verdict} ({target})")
    return " · ".join(parts)


def _kpis(report: DigestReport, *, preview: bool) -> list[dict[str, Any]]:
    title = "*:chart_with_upwards_trend: KPIs*"
    if not report.kpis:
        return [_section(f"{title}\n{NONE_YET}")]
    with_target = [s for s in report.kpis if s.status is not None]
    if with_target:
        met = sum(1 for s in with_target if s.status == "met")
        title += f"  {met} of {len(with_target)} on target"
    lines = [kpi_line(s) for s in report.kpis[:KPI_LINES_MAX]]
    hidden = report.kpi_count - len(lines)
    if hidden > 0:
        lines.append(f"{ELLIPSIS} and {hidden:,} more: `/kpi list`")
    blocks = _list(title, lines, more="`/kpi list` shows them all")
    charted = report.charted
    if charted and preview:
        blocks.append(
            _context(":bar_chart: The posted digest comes with a chart of the last 12 weeks.")
        )
    elif charted:
        blocks.append(
            _context(
                f":bar_chart: Chart of the last 12 weeks in the thread "
                f"({_plural(len(charted), 'KPI')})."
            )
        )
    return blocks


def _feedback(report: DigestReport) -> list[dict[str, Any]]:
    title = "*:inbox_tray: Feedback this week*"
    if not report.any_feedback:
        return [_section(f"{title}\n{NONE_YET}")]
    numbers = report.feedback
    median = (
        f"{format_span(numbers.median_triage)} ({_plural(numbers.triage_sample, 'item')})"
        if numbers.median_triage is not None
        else "no item triaged for the first time"
    )
    fields = [
        ("New", f"{numbers.filed:,}"),
        ("Triaged", f"{numbers.triaged:,}"),
        ("Shipped", f"{numbers.shipped:,}"),
        (
            "Loops closed",
            f"{numbers.loops_closed:,} DM" + ("" if numbers.loops_closed == 1 else "s"),
        ),
        ("Median time to first triage", median),
    ]
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": title},
            "fields": [
                {"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", FIELD_TEXT_MAX)}
                for label, value in fields
            ],
        }
    ]


def theme_line(theme: ThemeMove) -> str:
    """• *csv export* 5 this week, ▲ 3 more than the week before (2)."""
    if theme.change > 0:
        move = f"▲ {theme.change} more than the week before ({theme.last_week})"
    elif theme.change < 0:
        move = f"▼ {-theme.change} fewer than the week before ({theme.last_week})"
    else:
        move = f"▶ as many as the week before ({theme.last_week})"
    return f"• *{escape(theme.name)}* {theme.this_week} this week, {move}"


def item_line(item: FeedbackItem, names: Mapping[str, str]) -> str:
    """• *FB-12* 'Dark mode for the dashboard' · 14 votes · :new: New."""
    first = item.text.strip().split("\n", 1)[0]
    label = STATUS_LABELS.get(item.status, item.status)
    status = f"{STATUS_EMOJI.get(item.status, '')} {label}".strip()
    return (
        f"• *{item.key}* '{truncate(safe(first, names), 120)}' · "
        f"{_plural(item.votes, 'vote')} · {status}"
    )


def _themes(report: DigestReport) -> list[dict[str, Any]]:
    title = "*:label: Top themes* (items filed this week vs the week before)"
    empty = NONE_YET if not report.any_feedback else "_no recurring theme in the last two weeks_"
    return _list(title, [theme_line(t) for t in report.themes], empty=empty)


def _top_items(report: DigestReport) -> list[dict[str, Any]]:
    title = "*:thumbsup: Most voted open feedback*"
    empty = NONE_YET if not report.any_feedback else "_no open feedback_"
    lines = [item_line(i, report.names) for i in report.top_items]
    return _list(title, lines, empty=empty, more="`/feedback list` has the rest")


def _rituals(report: DigestReport) -> list[dict[str, Any]]:
    title = "*:calendar: Rituals held*"
    if not report.any_rituals:
        return [_section(f"{title}\n{NONE_YET}")]
    total = sum(r.times for r in report.rituals)
    lines = [
        f"• *{escape(r.title)}* ({r.key}) · {r.kind} · held {_plural(r.times, 'time')}"
        for r in report.rituals
    ]
    if lines:
        title += f"  {_plural(total, 'occurrence')}"
    answers = [
        f"{report.rsvps[k]:,} {word}" for k, word in RSVP_WORDS.items() if report.rsvps.get(k)
    ]
    blocks = _list(title, lines, empty="_no ritual was held this week_")
    blocks.append(_context("RSVPs: " + (", ".join(answers) if answers else "none this week")))
    return blocks


def action_line(action: ActionInfo, names: Mapping[str, str], today: date) -> str:
    """• Fix the flaky deploy (Ann Lee · due 2026-11-20 :warning: overdue) · retro 3."""
    owner = escape(names.get(action.owner_id) or action.owner_id) if action.owner_id else "no owner"
    due = ""
    if action.due:
        due = f" · due {action.due.isoformat()}"
        if action.due < today:
            due += " :warning: overdue"
    retro = f" · retro {action.retro_number}" if action.retro_number else ""
    return f"• {truncate(safe(action.text, names), 160)} ({owner}{due}){retro}"


def _actions(report: DigestReport) -> list[dict[str, Any]]:
    title = "*:white_square: Open retro action items*"
    if not report.any_actions:
        return [_section(f"{title}\n{NONE_YET}")]
    if report.open_actions:
        title += f"  {report.open_actions:,} open"
        if report.overdue_actions:
            title += f", {report.overdue_actions:,} overdue :warning:"
    lines = [action_line(a, report.names, report.window.today) for a in report.actions]
    hidden = report.open_actions - len(lines)
    if hidden > 0:
        lines.append(f"{ELLIPSIS} and {hidden:,} more on the retro boards")
    return _list(title, lines, empty="_all done: no open action item_")


def renewal_line(tool: Any, names: Mapping[str, str], today: date) -> str:
    """• Figma · renews Fri 15 Jan 2027 (in 30 days) · $45/mo (USD 540/yr) · Ann Lee."""
    owner = escape(names.get(tool.owner_id) or tool.owner_id) if tool.owner_id else "no owner"
    return (
        f"• {stack_blocks.tool_name(tool)} · {stack_blocks.renewal_text(tool, today)} · "
        f"{stack_blocks.cost_text(tool.cost)} · {owner}"
    )


def _renewals(report: DigestReport) -> list[dict[str, Any]]:
    title = f"*:credit_card: Tool renewals due in {RENEWAL_DAYS} days*"
    if not report.any_tools:
        return [_section(f"{title}\n{NONE_YET}")]
    today = report.window.today
    lines = [renewal_line(t, report.names, today) for t in report.renewals]
    return _list(
        title,
        lines,
        empty=f"_nothing renews in the next {RENEWAL_DAYS} days_",
        more="`/stack list` has them all",
    )


def _summary_text(summary: TextSummary) -> str:
    lines = [f"*TL;DR*  {safe(summary.tldr) or '_nothing to report_'}"]
    for title, items in (
        ("Key points", [safe(p) for p in summary.key_points]),
        ("Decisions", [safe(d) for d in summary.decisions]),
        ("Action items", [_summary_action(a) for a in summary.action_items]),
        ("Open questions", [safe(q) for q in summary.questions]),
    ):
        if items:
            lines += ["", f"*{title}*", *(f"• {truncate(i, LINE_MAX)}" for i in items)]
    return "\n".join(lines)


def _summary_action(item: ActionItem) -> str:
    owner = f"*{safe(item.owner)}*" if item.owner else "_unassigned_"
    due = f" _(due {safe(item.due)})_" if item.due else ""
    return f"{owner}: {safe(item.task)}{due}"


def _channel_summary(report: DigestReport) -> list[dict[str, Any]]:
    where = f"<#{report.channel_id}>" if report.channel_id else "this channel"
    title = f"*:speech_balloon: The week in {where}*"
    if report.channel_summary is None:
        note = safe(report.channel_summary_note or "nobody wrote here this week")
        return [_section(f"{title}\n_{note}_")]
    chunks = split_for_sections(f"{title}\n{_summary_text(report.channel_summary)}")
    if len(chunks) > SUMMARY_SECTIONS_MAX:
        chunks = chunks[:SUMMARY_SECTIONS_MAX]
        chunks[-1] = truncate(chunks[-1], SECTION_TEXT_MAX - 2) + "\n" + ELLIPSIS
    blocks = [_section(c) for c in chunks]
    if report.channel_summary.offline:
        blocks.append(_context("Summarized offline: no language model is configured."))
    return blocks


# ---------------------------------------------------------------------- the message


def build_digest(report: DigestReport, *, preview: bool = False) -> dict[str, Any]:
    """The digest message: header, TL;DR and every section, within 50 blocks."""
    span = span_label(report)
    header = truncate_plain("Weekly digest :bar_chart:", HEADER_TEXT_MAX)
    intro = f"{span} · the 7 days before {_when(report.window.end, report.window.tz)}"
    if preview:
        intro = f"Preview, only you can see this · {intro}"
    tldr = safe(report.tldr) if report.tldr else "_no summary_"
    by = (
        f"TL;DR written by {escape(report.tldr_model)} from the numbers below"
        if report.tldr_model
        else "TL;DR picked offline from the numbers below (no language model configured)"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        _context(intro),
        _section(f"*TL;DR*\n{tldr}"),
        _context(by),
        _divider(),
        *_kpis(report, preview=preview),
        _divider(),
        *_feedback(report),
        *_themes(report),
        *_top_items(report),
        _divider(),
        *_rituals(report),
        *_actions(report),
        *_renewals(report),
    ]
    if report.channel_summary is not None or report.channel_summary_note is not None:
        blocks += [_divider(), *_channel_summary(report)]
    blocks.append(
        _context(
            "`/digest preview` shows this week's digest any time; ops stop it with "
            "`/digest unsubscribe`."
        )
    )
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        blocks = [*blocks[: MESSAGE_BLOCKS_MAX - 1], _context(f"{ELLIPSIS} cut to fit one message")]
    text = truncate(f"Weekly digest, {span}: {tldr}", FALLBACK_MAX)
    return {"text": text, "blocks": blocks}


def _when(at: datetime, tz: str) -> str:
    local = at.astimezone(ZoneInfo(tz))
    return f"{short_day(local.date())}, {local:%H:%M} ({escape(tz)})"


def chart_title(report: DigestReport) -> str:
    """The chart file's title."""
    return f"KPIs, last 12 weeks (to {short_day(report.window.last_day)})"


def chart_comment(report: DigestReport) -> str:
    """The text next to the chart in the thread."""
    names = ", ".join(escape(s.kpi.name) for s in report.charted)
    return truncate(f":bar_chart: The last 12 weeks of {names}.", 1000)


# ---------------------------------------------------------------------- answers


def build_subscribed(subscription: SubscriptionInfo, *, viewer_tz: str) -> dict[str, Any]:
    """The answer to `/digest subscribe`."""
    where = f"<#{subscription.channel_id}>"
    schedule = f"{escape(subscription.schedule)} ({escape(subscription.tz)})"
    extra = " with a summary of the channel's week" if subscription.with_channel_summary else ""
    lines = [f":white_check_mark: {where} gets the weekly digest {schedule}{extra}."]
    if subscription.next_runs:
        runs = ", ".join(_when(at, viewer_tz) for at in subscription.next_runs[:3])
        lines.append(f"Next: {runs}.")
    lines.append("Each digest covers the 7 days before it. `/digest preview` shows this week's.")
    text = f"{where} gets the weekly digest {subscription.schedule} ({subscription.tz})"
    return {"text": truncate(text, FALLBACK_MAX), "blocks": [_section("\n".join(lines))]}


def build_unsubscribed(channel_id: str, *, had: bool) -> dict[str, Any]:
    """The answer to `/digest unsubscribe`."""
    if had:
        return {"text": f"<#{channel_id}> won't get the weekly digest any more."}
    return {"text": f"<#{channel_id}> has no weekly digest. Ops add one with `/digest subscribe`."}


def build_working(what: str) -> dict[str, Any]:
    """The ack while the digest is being put together."""
    return {"text": f":hourglass_flowing_sand: {what}"}


def build_problem(text: str) -> dict[str, Any]:
    """A short note that something could not be done."""
    return {"text": f":warning: {safe(text)}"}
