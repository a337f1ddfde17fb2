"""Block Kit for KPIs: definitions, recorded values, detail, list, delete, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.blocks.kit import button as _button
from bot.blocks.kit import context as _context
from bot.blocks.kit import field as _field
from bot.blocks.kit import section as _section
from bot.blocks.usage import Usage
from bot.services.kpis import (
    CHART_WEEKS,
    MET,
    Alert,
    Change,
    Defined,
    KpiInfo,
    Recorded,
    Summary,
    format_delta,
)
from bot.text import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    escape,
    safe_mrkdwn,
    truncate,
)

ACTION_DELETE = "kpi_delete_confirm"
ACTION_KEEP = "kpi_delete_cancel"
LIST_MAX = 150

KPI_USAGE = Usage(
    command="/kpi",
    summary="define KPIs, record their values and follow the trend",
    forms=(
        (
            'define <name> [unit:%] [target:">=40"] [direction:up|down] [channel:#x] '
            '["description"]',
            "ops: add a KPI, or change the options of one",
        ),
        (
            "record <name> <value> [date]",
            "record a value; date is 2026-11-20, today (default), yesterday or mon..sun",
        ),
        ("show <name>", "latest value, target, week-over-week change and a 12-week chart"),
        ("list", "every KPI with its latest value"),
        ("delete <name>", "ops: delete a KPI and its values"),
        ("help", "show this card"),
    ),
    examples=(
        'define nps unit:% target:">=40" channel:#product "Net promoter score"',
        'define time-to-triage unit:h target:"<=24"',
        "record nps 41.5",
        "record nps 38% yesterday",
        "show nps",
        "list",
    ),
    notes=(
        "Names are 1-64 letters, digits, _, - or . and ignore case (NPS is nps). A target "
        "is >=, <=, >, < or = and a number. Recording a day that has a value replaces it.",
        "When a new value crosses the target, the KPI's channel hears about it. Other tools "
        "can send values too: productops kpi import values.csv, or POST /api/kpi/<name>.",
    ),
)

STATUS_LINE = {
    MET: ":white_check_mark: on target",
    "missed": ":x: off target",
}


def format_day(day: date) -> str:
    """Fri 20 Nov 2026."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _name(kpi: KpiInfo) -> str:
    return f"*{escape(kpi.name)}*"


def _value(kpi: KpiInfo, value: Any) -> str:
    return escape(kpi.show(value))


def _target(kpi: KpiInfo) -> str:
    return escape(kpi.target.label(kpi.unit)) if kpi.target else "none"


def _direction(kpi: KpiInfo) -> str:
    return "higher is better" if kpi.direction == "up" else "lower is better"


def _change(kpi: KpiInfo, change: Change | None) -> str:
    if change is None:
        return "no value from the week before"
    arrow = "▲" if change.delta > 0 else ("▼" if change.delta < 0 else "▶")
    percent = f" ({change.percent:+}%)" if change.percent is not None and change.delta else ""
    verdict = {True: ", better", False: ", worse", None: ""}[change.better]
    return (
        f"{arrow} {escape(format_delta(change.delta, kpi.unit))}{percent}{verdict} "
        f"vs {format_day(change.since.on)}"
    )


def _status(kpi: KpiInfo, status: str | None) -> str:
    if status is None:
        return "no target" if kpi.target is None else "no value yet"
    return f"{STATUS_LINE[status]} ({_target(kpi)})"


def build_defined(defined: Defined) -> dict[str, Any]:
    """The answer to `/kpi define`: the KPI's options and how to record a value."""
    kpi = defined.kpi
    verb = "Defined" if defined.created else "Updated"
    head = f":bar_chart: {verb} KPI {_name(kpi)}"
    if kpi.description:
        head += f"\n>{safe_mrkdwn(kpi.description)}"
    alerts = (
        f"<#{kpi.channel_id}> when a value crosses the target"
        if kpi.channel_id and kpi.target
        else (
            f"<#{kpi.channel_id}>, once there is a target"
            if kpi.channel_id
            else "off: add channel:#x to hear when the target is crossed"
        )
    )
    fields = [
        _field("Unit", escape(kpi.unit) if kpi.unit else "none"),
        _field("Target", _target(kpi)),
        _field("Direction", _direction(kpi)),
        _field("Alerts", alerts),
    ]
    return {
        "text": f"{verb} KPI {kpi.name}",
        "blocks": [
            _section(head),
            {"type": "section", "fields": fields},
            _context(f"Record a value: `/kpi record {escape(kpi.name)} 41.5`"),
        ],
    }


def build_recorded(recorded: Recorded) -> dict[str, Any]:
    """The answer to `/kpi record`: what is stored, what it replaced, the target."""
    kpi, point = recorded.kpi, recorded.point
    day = format_day(point.on)
    if recorded.unchanged:
        text = f"{kpi.name} was already {kpi.show(point.value)} for {day}: nothing changed."
        head = (
            f":ballot_box_with_check: {_name(kpi)} was already {_value(kpi, point.value)} "
            f"for {day}: nothing changed."
        )
    else:
        text = f"Recorded {kpi.name} = {kpi.show(point.value)} for {day}."
        head = f":pencil: Recorded {_name(kpi)} = *{_value(kpi, point.value)}* for {day}."
        if recorded.replaced is not None:
            head += f"\nThis replaces {_value(kpi, recorded.replaced)}, recorded before for {day}."
            text += f" It replaces {kpi.show(recorded.replaced)}."
    lines = [_status(kpi, recorded.status)]
    if recorded.previous is not None:
        lines.append(
            f"Previous value {_value(kpi, recorded.previous.value)} on "
            f"{format_day(recorded.previous.on)}"
        )
    if recorded.alert is not None and kpi.channel_id and not recorded.unchanged:
        lines.append(f":loudspeaker: That crosses the target: <#{kpi.channel_id}> hears about it.")
    return {"text": text, "blocks": [_section(head), _context("\n".join(lines))]}


def build_kpi_detail(summary: Summary, *, chart: bool) -> dict[str, Any]:
    """The answer to `/kpi show`: latest value, target, week-over-week, and the chart's fate."""
    kpi = summary.kpi
    head = f":bar_chart: {_name(kpi)}"
    if kpi.description:
        head += f"\n>{safe_mrkdwn(kpi.description)}"
    if summary.latest is None:
        return {
            "text": f"{kpi.name} has no values yet.",
            "blocks": [
                _section(head + "\nNo values yet."),
                _context(f"Record one: `/kpi record {escape(kpi.name)} 41.5`"),
            ],
        }
    latest = summary.latest
    fields = [
        _field("Latest", f"*{_value(kpi, latest.value)}* on {format_day(latest.on)}"),
        _field("Target", _status(kpi, summary.status)),
        _field("Week over week", _change(kpi, summary.change)),
        _field("Direction", _direction(kpi)),
    ]
    note = (
        f"A chart of the last {CHART_WEEKS} weeks is on its way to this conversation."
        if chart
        else f"No values in the last {CHART_WEEKS} weeks to chart."
    )
    return {
        "text": f"{kpi.name}: {kpi.show(latest.value)} on {format_day(latest.on)}",
        "blocks": [_section(head), {"type": "section", "fields": fields}, _context(note)],
    }


def chart_comment(summary: Summary) -> str:
    """The mrkdwn line posted with the chart image."""
    kpi = summary.kpi
    if summary.latest is None:
        return f"{_name(kpi)}: no values yet"
    parts = [
        f"{_name(kpi)}: *{_value(kpi, summary.latest.value)}* on {format_day(summary.latest.on)}"
    ]
    if kpi.target:
        parts.append(_status(kpi, summary.status))
    if summary.change is not None:
        parts.append(_change(kpi, summary.change))
    return truncate(" · ".join(parts), SECTION_TEXT_MAX)


def chart_title(kpi: KpiInfo) -> str:
    """The file title of a KPI's chart."""
    return f"{kpi.name}, last {CHART_WEEKS} weeks"


def _list_line(summary: Summary) -> str:
    kpi = summary.kpi
    if summary.latest is None:
        return f"• {_name(kpi)}  no values yet"
    parts = [
        f"• {_name(kpi)}  *{_value(kpi, summary.latest.value)}* on {format_day(summary.latest.on)}"
    ]
    if kpi.target:
        parts.append(_status(kpi, summary.status))
    if summary.change is not None:
        parts.append(_change(kpi, summary.change))
    return "  ·  ".join(parts)


def build_kpi_list(summaries: Sequence[Summary], *, total: int | None = None) -> dict[str, Any]:
    """The answer to `/kpi list`: one line per KPI, split over sections to fit Slack."""
    total = len(summaries) if total is None else total
    if not summaries:
        return {
            "text": "No KPIs yet.",
            "blocks": [
                _section(
                    ":bar_chart: No KPIs yet. Ops can add one: "
                    '`/kpi define nps unit:% target:">=40"`'
                )
            ],
        }
    blocks: list[dict[str, Any]] = [_section(f":bar_chart: *KPIs* ({total})")]
    chunk: list[str] = []
    size = shown = 0
    for item in summaries[:LIST_MAX]:
        line = truncate(_list_line(item), SECTION_TEXT_MAX)
        if chunk and size + len(line) + 1 > SECTION_TEXT_MAX:
            if len(blocks) == MESSAGE_BLOCKS_MAX - 2:
                break
            blocks.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
        shown += 1
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    left = total - shown
    footer = "`/kpi show <name>` for the trend and a chart."
    if left > 0:
        footer = f"… and {left} more. " + footer
    blocks.append(_context(footer))
    return {"text": f"KPIs ({total})", "blocks": blocks}


def build_delete_confirm(kpi: KpiInfo, values: int) -> dict[str, Any]:
    """Ask before deleting a KPI and its values."""
    noun = "value" if values == 1 else "values"
    return {
        "text": f"Delete {kpi.name} and its {values} {noun}?",
        "blocks": [
            _section(
                f":wastebasket: Delete KPI {_name(kpi)} and its {values} recorded {noun}? "
                "This can't be undone."
            ),
            {
                "type": "actions",
                "elements": [
                    _button(f"Delete {kpi.name}", ACTION_DELETE, str(kpi.id), "danger"),
                    _button("Keep it", ACTION_KEEP, str(kpi.id)),
                ],
            },
        ],
    }


def build_deleted(name: str, values: int) -> dict[str, Any]:
    """After the delete button."""
    noun = "value" if values == 1 else "values"
    return {"text": f"Deleted KPI {name} and its {values} {noun}."}


def build_alert(alert: Alert, *, by: str | None = None) -> dict[str, Any]:
    """The channel post when a value crosses its KPI's target (no mentions: names are plain)."""
    kpi, point = alert.kpi, alert.point
    value = kpi.show(point.value)
    target = kpi.target.label(kpi.unit) if kpi.target else "none"
    if alert.state == MET:
        text = f"{kpi.name} is back on target: {value} (target {target})"
        head = f":white_check_mark: {_name(kpi)} is back on target: *{_value(kpi, point.value)}*"
    else:
        text = f"{kpi.name} is off target: {value} (target {target})"
        head = f":rotating_light: {_name(kpi)} is off target: *{_value(kpi, point.value)}*"
    head += (
        f" (target {_target(kpi)}) for {format_day(point.on)}, "
        f"after {_value(kpi, alert.previous.value)} on {format_day(alert.previous.on)}."
    )
    context = f"`/kpi show {escape(kpi.name)}` for the trend"
    if by:
        context = f"Recorded by {escape(by)} · " + context
    return {"text": text, "blocks": [_section(head), _context(context)]}
