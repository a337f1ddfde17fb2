"""Printing results: the machine, markdown tables, medians and ratios."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path


def machine() -> str:
    """One line: date, cores, memory, CPU model, Python."""
    memory = "?"
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.date.today().isoformat()}; nproc {os.cpu_count()}; {memory} RAM; {model}; "
        f"Python {platform.python_version()}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def command_line() -> str:
    """How this script was run, for the report."""
    script = Path(sys.argv[0])
    with_root = script.resolve()
    try:
        shown = str(with_root.relative_to(Path.cwd()))
    except ValueError:
        shown = str(script)
    return " ".join([".venv/bin/python", shown, *(shlex.quote(a) for a in sys.argv[1:])])


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table (numbers already formatted by the caller)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mib(size: float) -> str:
    return f"{size / 1024 / 1024:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
