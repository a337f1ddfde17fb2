"""The clock: APScheduler 3 in UTC, rebuilt from our tables by a reconcile job.

Our tables are the source of truth; nothing is pickled into a job store. Every
`RECONCILE_SECONDS` (and at start) the clock reads what falls due within the next window:
rituals by `next_at`, one-off tasks by `run_at`. What is due already runs at once; what is
due soon gets an APScheduler date job with a stable id, so it fires on time. Firing claims
a unique row first, so two clocks, a restart or a retry never post twice.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps
from bot.logs import get_logger
from storage import rituals as ritual_store
from storage.clock import beat

log = get_logger(__name__)

HEARTBEAT_SECONDS = 15
RECONCILE_SECONDS = 30
WINDOW = timedelta(seconds=RECONCILE_SECONDS * 2)


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
        self.add_interval_job("reconcile", self.reconcile, seconds=RECONCILE_SECONDS)

    def add_interval_job(self, job_id: str, func: Callable[[], object], *, seconds: int) -> None:
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

    def reconcile(self) -> int:
        """Run what is due, schedule what is due soon, retry the outbox; returns jobs run."""
        from bot import jobs

        ran = 0
        # Due work can make more work due (a ritual skipped after downtime moves on to its
        # next time, which may be due too): go round until nothing is left, within reason.
        for _ in range(100):
            now = self.deps.now()
            horizon = now + WINDOW
            with self.deps.session_scope() as session:
                rituals = ritual_store.due_rituals(session=session, before=horizon)
                tasks = [
                    (t.team_id, t.key, t.run_at)
                    for t in ritual_store.due_tasks(session=session, before=horizon)
                ]
            due_now = 0
            for ritual_id, at in rituals:
                if at <= now:
                    jobs.fire_ritual(self.deps, ritual_id, at)
                    due_now += 1
                else:
                    self._at(
                        at, f"ritual:{ritual_id}:{at.isoformat()}", jobs.fire_ritual, ritual_id, at
                    )
            for team_id, key, at in tasks:
                if at <= now:
                    jobs.run_task(self.deps, team_id, key)
                    due_now += 1
                else:
                    self._at(at, f"task:{team_id}:{key}", jobs.run_task, team_id, key)
            ran += due_now
            if not due_now:
                break
        jobs.deliver_outbox(self.deps)
        return ran

    def _at(self, at: datetime, job_id: str, func: Callable[..., object], *args: object) -> None:
        # The bot's "now" may run ahead of the wall clock (the sandbox fast-forwards time):
        # APScheduler counts in wall-clock time, so shift the run date by the difference.
        skew = self.deps.now() - datetime.now(UTC)
        self.scheduler.add_job(
            func,
            "date",
            run_date=at - skew,
            args=[self.deps, *args],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=self.deps.settings.scheduler_grace_seconds or None,
        )

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
