"""Reading KPI CSV files and importing their rows: line numbers, bad rows, re-imports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.grammar import parse_command
from bot.ingest import CsvRow, ImportFileError, import_rows, read_csv
from bot.services import kpis as service
from storage.db import session_factory

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "values.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '\ufeffDate,Name,Value,comment\n2026-11-20,nps,41.5,"two\nlines"\n\n2026-11-21,nps,"1,200"\n',
    )
    assert read_csv(path) == [
        CsvRow(3, "nps", "41.5", "2026-11-20"),
        CsvRow(5, "nps", "1,200", "2026-11-21"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("name,value\nnps,1\n", "missing date"), ("a;b;c\n", "missing name")],
)
def test_unreadable_files(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ImportFileError, match=problem):
        read_csv(write(tmp_path, text))


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_bytes(b"name,value,date\n\xff\xfe,1,2026-01-01\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_csv(path)


def test_import_keeps_good_rows_and_reports_bad_ones(engine: Engine) -> None:
    scope = session_factory(engine)
    with scope() as session:
        service.define_kpi(
            session=session,
            team_id="T1",
            definition=service.parse_definition(parse_command("NPS unit:%").tokens),
            user_id="U1",
            now=NOW,
        )
    rows = [
        CsvRow(2, "nps", "41.5%", "2026-11-20"),
        CsvRow(3, "nope", "1", "2026-11-20"),
        CsvRow(4, "nps", "lots", "2026-11-21"),
        CsvRow(5, "nps", "40", "2026-12-01"),
        CsvRow(6, "nps", "40", "20/11/2026"),
        CsvRow(7, "NPS", "39", "2026-11-22"),
        CsvRow(8, "nps", "38", "2026-11-22"),
        CsvRow(9, "", "1", "2026-11-22"),
        CsvRow(10, "nps", "", "2026-11-22"),
        CsvRow(11, "nps", "42", ""),
    ]
    report, alerts = import_rows(session_scope=scope, team=None, rows=rows, now=NOW, timezone="UTC")
    assert report.team == "T1"
    assert (report.imported, report.unchanged, report.skipped) == (3, 0, 7)
    problems = dict(report.problems)
    assert "unknown KPI 'nope'" in problems[3]
    assert "'lots' is not a number" in problems[4]
    assert "in the future" in problems[5]
    assert "YYYY-MM-DD" in problems[6]
    assert "NPS for 2026-11-22 comes again on line 8" in problems[7]
    assert "name is empty" in problems[9]
    assert "value is empty" in problems[10]
    assert report.exit_code == 0 and alerts == []
    again, _ = import_rows(session_scope=scope, team="T1", rows=rows, now=NOW, timezone="UTC")
    assert (again.imported, again.unchanged, again.skipped) == (0, 3, 7)
    with scope() as session:
        summary = service.summarize(session=session, team_id="T1", name="nps", today=NOW.date())
    assert [(p.on.isoformat(), str(p.value.normalize())) for p in summary.points] == [
        ("2026-11-20", "41.5"),
        ("2026-11-22", "38"),
        ("2026-11-25", "42"),
    ]


def test_only_bad_rows_exit_with_1(engine: Engine) -> None:
    scope = session_factory(engine)
    report, _ = import_rows(
        session_scope=scope,
        team="T1",
        rows=[CsvRow(2, "nope", "1", "2026-11-20")],
        now=NOW,
        timezone="UTC",
    )
    assert report.exit_code == 1
    assert report.summary() == "imported 0, unchanged 0, skipped 1"
