"""The clock: APScheduler 3 in UTC running the bot's periodic jobs.

Our tables are the source of truth; nothing is pickled into a job store. Features add their
jobs (reconcile, outbox) through `Clock.add_interval_job`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps
from bot.logs import get_logger
from storage.clock import beat

log = get_logger(__name__)

HEARTBEAT_SECONDS = 15


class Clock:
    """A BackgroundScheduler (UTC) with a heartbeat that /healthz reads from the database."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.clock_id = f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self.add_interval_job("heartbeat", self.heartbeat, seconds=HEARTBEAT_SECONDS)

    def add_interval_job(self, job_id: str, func: Callable[[], None], *, seconds: int) -> None:
        """Run `func` every `seconds`, and once as soon as the clock starts."""
        self.scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            next_run_time=self.deps.now(),
        )

    def heartbeat(self) -> None:
        """Record that this clock is alive."""
        with self.deps.session_scope() as session:
            beat(session=session, clock_id=self.clock_id, at=self.deps.now())

    def start(self) -> None:
        """Start the scheduler thread."""
        self.scheduler.start()
        self.deps.clock.running = True
        self.deps.clock.clock_id = self.clock_id
        log.info("clock_started", clock_id=self.clock_id)

    def stop(self) -> None:
        """Stop the scheduler, letting a running job finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.deps.clock.running = False
        log.info("clock_stopped", clock_id=self.clock_id)
