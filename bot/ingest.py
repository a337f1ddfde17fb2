"""KPI values from outside Slack (the CSV import and POST /api/kpi/<name>), and target alerts.

`deliver_alerts` is the one place that posts a target-crossing alert, whether the value came
from `/kpi record`, the import or the API: it claims the alert in the database first (the key
is KPI, day and crossing), so retries, double submissions and re-imports post it once.
"""

from __future__ import annotations

import csv
import hmac
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.kpi import build_alert
from bot.deps import Deps
from bot.grammar import CommandParseError
from bot.logs import get_logger
from bot.services import kpis as service
from bot.services.kpis import Alert, KpiNotFound, KpiTeamUnknown
from bot.settings import Settings
from bot.slack import make_client
from storage.db import SessionScope

log = get_logger(__name__)

CSV_COLUMNS = ("name", "value", "date")
IMPORT_BATCH = 500


# ---------------------------------------------------------------------- alerts


def deliver_alerts(
    *,
    session_scope: SessionScope,
    client: WebClient,
    alerts: Sequence[Alert],
    now: Callable[[], Any],
    by: str | None = None,
) -> int:
    """Post each alert to its KPI's channel once; returns how many this call posted."""
    posted = 0
    for alert in alerts:
        if not alert.kpi.channel_id:
            continue
        with session_scope() as session:
            if not service.claim_alert(session=session, alert=alert, now=now()):
                continue
        try:
            client.chat_postMessage(
                channel=alert.kpi.channel_id,
                unfurl_links=False,
                unfurl_media=False,
                **build_alert(alert, by=by),
            )
            ok = True
        except SlackApiError as err:
            ok = False
            log.warning(
                "kpi_alert_failed",
                team=alert.kpi.team_id,
                kpi=alert.kpi.name,
                channel=alert.kpi.channel_id,
                error=str(err.response.get("error") if err.response else err),
            )
        with session_scope() as session:
            service.alert_done(session=session, alert=alert, now=now(), posted=ok)
        posted += ok
    return posted


def outside_client(settings: Settings) -> WebClient:
    """The client the import and the API post alerts with."""
    return make_client(settings.slack_api_url, settings.slack_bot_token)


# ---------------------------------------------------------------------- the HTTP API


def handle_api(
    deps: Deps, name: str, *, authorization: str | None, body: bytes
) -> tuple[dict[str, Any], int]:
    """`POST /api/kpi/<name>`: the JSON answer and its HTTP status. Never logs the token."""
    token = deps.settings.kpi_ingest_token
    if not token:
        return {"ok": False, "error": "ingest API is off: set KPI_INGEST_TOKEN to turn it on"}, 404
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return {"ok": False, "error": "missing or wrong bearer token"}, 401
    try:
        request = _api_request(body)
    except ValueError as err:
        return {"ok": False, "error": str(err)}, 422
    now = deps.now()
    today = service.today_in(now, deps.settings.default_timezone)
    try:
        with deps.session_scope() as session:
            team = service.resolve_team(session=session, team_id=request.get("team"))
            value = request["value"]
            on = (
                service.parse_iso_day(request["at"], today=today)
                if request.get("at") is not None
                else today
            )
            recorded = service.record_value(
                session=session,
                team_id=team,
                name=name,
                value=value,
                on=on,
                source="api",
                recorded_by=None,
                now=now,
            )
    except KpiTeamUnknown as err:
        if not err.teams:
            return {"ok": False, "error": f"there is no KPI named '{service.shown(name)}'"}, 404
        return {"ok": False, "error": f'{err}: add "team": "T..." to the JSON'}, 422
    except KpiNotFound as err:
        return {"ok": False, "error": str(err)}, 404
    except CommandParseError as err:
        return {"ok": False, "error": err.message}, 422
    log.info("kpi_ingested", team=team, kpi=recorded.kpi.name, on=on.isoformat(), via="api")
    if recorded.alert is not None:
        deliver_alerts(
            session_scope=deps.session_scope,
            client=outside_client(deps.settings),
            alerts=[recorded.alert],
            now=deps.now,
        )
    return {
        "ok": True,
        "team": team,
        "kpi": recorded.kpi.name,
        "at": recorded.point.on.isoformat(),
        "value": _number(recorded.point.value),
        "display": recorded.kpi.show(recorded.point.value),
        "replaced": _number(recorded.replaced) if recorded.replaced is not None else None,
        "unchanged": recorded.unchanged,
        "status": recorded.status,
    }, 200


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _api_request(body: bytes) -> dict[str, Any]:
    """The JSON body, checked: value (number or string), optional at (YYYY-MM-DD) and team."""
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise ValueError('the body is not JSON: send {"value": 41.5, "at": "2026-11-20"}') from None
    if not isinstance(data, dict):
        raise ValueError('the body must be a JSON object like {"value": 41.5}')
    unknown = sorted(set(data) - {"value", "at", "team"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}: expected value, at and team")
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, (Decimal, str)):
        raise ValueError('"value" must be a number, like 41.5')
    at = data.get("at")
    if at is not None and not isinstance(at, str):
        raise ValueError('"at" must be a date string like "2026-11-20"')
    team = data.get("team")
    if team is not None and (not isinstance(team, str) or not team.strip()):
        raise ValueError('"team" must be a Slack team id like "T0123ABCD"')
    if isinstance(value, str):
        try:
            value = service.split_number(value)[0]
        except CommandParseError as err:
            raise ValueError(err.message) from None
    return {"value": value, "at": at, "team": team.strip() if team else None}


# ---------------------------------------------------------------------- the CSV import


@dataclass
class ImportReport:
    """What an import did: counts, and the rows it skipped with their line numbers."""

    team: str = ""
    imported: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    alerts: int = 0

    @property
    def skipped(self) -> int:
        """Rows not imported because something in them was wrong."""
        return len(self.problems)

    @property
    def exit_code(self) -> int:
        """0 when some rows were good (or the file had none), 1 when every row was bad."""
        return 1 if self.problems and not (self.imported or self.unchanged) else 0

    def summary(self) -> str:
        """The last line the command prints."""
        return f"imported {self.imported}, unchanged {self.unchanged}, skipped {self.skipped}"


class ImportFileError(ValueError):
    """A file the import cannot read at all (no header, wrong columns, not text)."""


@dataclass(frozen=True)
class CsvRow:
    """One data row of the file."""

    line: int
    name: str
    value: str
    date: str


def read_csv(path: Path) -> list[CsvRow]:
    """The rows of a `name,value,date` file with a header; line numbers count the header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{path} is not UTF-8 text") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{path} is empty: expected a header name,value,date") from None
    except csv.Error as err:
        raise ImportFileError(f"line 1: {err}") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            f"line 1: the header needs the columns name,value,date (missing {', '.join(missing)})"
        )
    index = {c: columns.index(c) for c in CSV_COLUMNS}
    rows: list[CsvRow] = []
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            rows.append(CsvRow(reader.line_num, "", "", f"\0{err}"))
            continue
        if not any(f.strip() for f in fields):
            continue
        cells = [
            fields[i].strip() if i < len(fields) else "" for i in range(max(index.values()) + 1)
        ]
        rows.append(
            CsvRow(
                reader.line_num, cells[index["name"]], cells[index["value"]], cells[index["date"]]
            )
        )
    return rows


def import_rows(
    *,
    session_scope: SessionScope,
    team: str | None,
    rows: Sequence[CsvRow],
    now: Any,
    timezone: str,
    progress: Callable[[int], None] = lambda _: None,
) -> tuple[ImportReport, list[Alert]]:
    """Record every good row (a batch per transaction); bad rows are reported, not fatal.

    Rows are checked first; when good rows repeat a KPI and date, the last one wins and the
    others are reported, so importing the same file twice gives the same result.
    """
    report = ImportReport()
    today = service.today_in(now, timezone)
    with session_scope() as session:
        report.team = service.resolve_team(session=session, team_id=team)
        good = _check_rows(session, report, rows, today)
    winners = {(row.kpi.id, row.on): row.line for row in good}
    for row in good:
        if winners[(row.kpi.id, row.on)] != row.line:
            later = winners[(row.kpi.id, row.on)]
            report.problems.append(
                (row.line, f"{row.kpi.name} for {row.on} comes again on line {later}, which wins")
            )
    report.problems.sort()
    progress(len(rows) - len(good))
    latest_written: dict[int, date] = {}
    for start in range(0, len(good), IMPORT_BATCH):
        batch = good[start : start + IMPORT_BATCH]
        with session_scope() as session:
            for row in batch:
                if winners[(row.kpi.id, row.on)] != row.line:
                    continue
                recorded = service.record_value(
                    session=session,
                    team_id=report.team,
                    name=row.kpi.name,
                    value=row.value,
                    on=row.on,
                    source="csv",
                    recorded_by=None,
                    now=now,
                    alerts=False,
                )
                if recorded.unchanged:
                    report.unchanged += 1
                else:
                    report.imported += 1
                    latest_written[row.kpi.id] = max(row.on, latest_written.get(row.kpi.id, row.on))
        progress(len(batch))
    alerts: list[Alert] = []
    with session_scope() as session:
        for kpi_id, written in latest_written.items():
            alert = service.latest_alert(session=session, team_id=report.team, kpi_id=kpi_id)
            # Only when this import wrote the KPI's latest day: history does not alert.
            if alert is not None and alert.point.on == written:
                alerts.append(alert)
    return report, alerts


@dataclass(frozen=True)
class _GoodRow:
    line: int
    kpi: service.KpiInfo
    value: Decimal
    on: date


def _check_rows(
    session: Any, report: ImportReport, rows: Sequence[CsvRow], today: date
) -> list[_GoodRow]:
    kpis: dict[str, service.KpiInfo | None] = {}
    good: list[_GoodRow] = []
    for row in rows:
        try:
            if row.date.startswith("\0"):
                raise CommandParseError(f"this line is not valid CSV ({row.date[1:]})")
            if not row.name:
                raise CommandParseError("the name is empty")
            key = service.name_key(service.parse_name(row.name))
            if key not in kpis:
                try:
                    kpis[key] = service.get_kpi(session=session, team_id=report.team, name=key)
                except KpiNotFound:
                    kpis[key] = None
            kpi = kpis[key]
            if kpi is None:
                raise KpiNotFound(row.name)
            if not row.value:
                raise CommandParseError("the value is empty")
            value = service.parse_value(row.value, kpi.unit)
            on = service.parse_iso_day(row.date, today=today)
        except (CommandParseError, KpiNotFound) as err:
            report.problems.append((row.line, _problem(err)))
            continue
        good.append(_GoodRow(row.line, kpi, value, on))
    return good


def _problem(err: Exception) -> str:
    if isinstance(err, KpiNotFound):
        return f"unknown KPI '{service.shown(err.name)}' (define it in Slack with /kpi define)"
    return str(err)


def run_import(settings: Settings, path: Path, team: str | None) -> int:
    """`productops kpi import`: a progress bar, problems by line, a summary; the exit code."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.deps import build_deps

    def say(text: str) -> None:
        print(text, file=sys.stderr)

    if not path.is_file():
        say(f"productops: {path}: no such file")
        return 2
    try:
        rows = read_csv(path)
    except (ImportFileError, OSError) as problem:
        say(f"productops: {problem}")
        return 2
    deps = build_deps(settings)
    try:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("rows", total=len(rows))
            report, alerts = import_rows(
                session_scope=deps.session_scope,
                team=team,
                rows=rows,
                now=deps.now(),
                timezone=settings.default_timezone,
                progress=lambda n: bar.advance(task, n),
            )
        if alerts:
            report.alerts = deliver_alerts(
                session_scope=deps.session_scope,
                client=outside_client(settings),
                alerts=alerts,
                now=deps.now,
            )
    except KpiTeamUnknown as problem:
        say(f"productops: {problem}" + (" with --team T..." if problem.teams else ""))
        return 2
    finally:
        deps.listeners.shutdown(wait=False)
        deps.engine.dispose()
    for line, problem_text in sorted(report.problems):
        say(f"line {line}: {problem_text}")
    alerts_note = f", {report.alerts} alert(s) posted" if report.alerts else ""
    print(f"{report.team}: {report.summary()}{alerts_note}")
    return report.exit_code
