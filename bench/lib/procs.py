"""Processes the benchmarks start, and what /proc says about them (no psutil needed).

Only processes started here are ever signalled, and always by their own pid.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def children_of(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc/<pid>/task/*/children (or a /proc scan)."""
    kids: set[int] = set()
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            with contextlib.suppress(OSError):
                kids.update(int(x) for x in (task / "children").read_text().split())
        return sorted(kids)
    except OSError:
        pass
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == pid:
            kids.add(int(entry.name))
    return sorted(kids)


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are alive."""
    found = [pid]
    index = 0
    while index < len(found):
        found.extend(children_of(found[index]))
        index += 1
    return [p for p in found if Path(f"/proc/{p}").exists()]


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds; 0.0 if it is gone."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    # After the name: state is index 0, so utime (field 14) is 11 and stime (15) is 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot): tells a process from a reused pid."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def tree_cpu(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def wait_idle(
    pids: list[int], *, below: float = 0.05, window: float = 0.25, timeout: float = 60.0
) -> float:
    """Wait until `pids` together use less than `below` of one core over `window` seconds.

    Returns the seconds waited: work an app queued behind its answers (listener threads
    that go on after ack()) would otherwise run into the next measurement.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(window)
        if sum(cpu_seconds(pid) for pid in pids) - before < below * window:
            break
    return time.perf_counter() - started


def rss_bytes(pid: int) -> int:
    """Resident set size of `pid` (VmRSS), in bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pss_bytes(pid: int) -> int:
    """Proportional set size (shared pages split between their users), in bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def http_get(host: str, port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of GET http://host:port/path, or None if nothing answered."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


@dataclass
class Server:
    """A server subprocess on 127.0.0.1:port with a health route."""

    name: str
    argv: list[str]
    port: int
    health_path: str
    env: dict[str, str]
    cwd: str
    log_path: Path
    events_path: str = "/slack/events"
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    healthy_after: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.events_path}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_healthy(self, timeout: float = 60.0, interval: float = 0.01) -> float:
        """Seconds from start() to the first 200 on the health route."""
        assert self.process is not None
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before it was healthy; "
                    f"log: {self.log_path}\n{self.log_tail()}"
                )
            if http_get("127.0.0.1", self.port, self.health_path, timeout=1.0) == 200:
                self.healthy_after = time.perf_counter() - self.started_at
                return self.healthy_after
            time.sleep(interval)
        raise RuntimeError(f"{self.name} not healthy after {timeout} s; log: {self.log_path}")

    def workers(self) -> list[int]:
        """Every live descendant of the master (gunicorn workers)."""
        return [pid for pid in tree(self.pid) if pid != self.pid]

    def wait_workers(self, count: int, timeout: float = 30.0) -> list[int]:
        """The worker pids once `count` of them are up."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            found = self.workers()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.workers()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the master (gunicorn stops its workers), then SIGKILL what is left, by pid."""
        if self.process is None:
            return
        leftovers = [(pid, start_time(pid)) for pid in tree(self.pid) if pid != self.pid]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for pid, started in leftovers:
            # Workers were children of our master; none may outlive it. The start time
            # makes sure the pid still names that worker and not a newcomer.
            if started is not None and start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self.process = None
