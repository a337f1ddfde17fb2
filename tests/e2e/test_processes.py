"""Two `productops serve --no-scheduler` processes and one `productops clock` on PostgreSQL,
under load from 32 workers: nothing acked is lost, nothing is done twice.

The scenario lives in bench/lib/multiprocess.py; bench/multiprocess_load.py runs it longer
and prints figures. LOAD_TEST_SECONDS sets the length of the run here (default 15).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bench.lib import multiprocess

pytestmark = [pytest.mark.e2e, pytest.mark.processes]

SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "15"))


def test_two_serve_processes_and_a_clock_lose_nothing_and_double_nothing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "several serve processes and a clock are the PostgreSQL deployment (SPEC 4, "
            "Scale); one process on SQLite is covered by the other end-to-end tests"
        )
    with multiprocess.start_fleet(database_url, tmp_path) as fleet:
        start = datetime.now(UTC)
        plan = multiprocess.seed(engine, start=start, seconds=SECONDS)
        multiprocess.start_clock(fleet, database_url)
        record = multiprocess.Load(fleet, plan).run(seconds=SECONDS, workers=32)
        problems = multiprocess.settle(engine, fleet, plan, record)
        problems += multiprocess.log_problems(fleet)
    assert record.errors == []
    assert problems == []
    # The load did what it is there for: every kind of act was acked, many times over.
    assert all(record.acked[kind] > 0 for kind in ("file", "vote", "capture", "rsvp", "kpi"))
    assert record.votes and record.captures and record.rsvps and record.rituals
