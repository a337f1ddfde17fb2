"""`bot.grammar.tokenize` on 40,000-character adversarial inputs: best of 3, in milliseconds.

Each case either tokenizes or raises `CommandParseError` (both are fine; the time is what
is measured). Target: well under 100 ms for every case. --check exits 1 when one is over.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lib.report import command_line, machine, table  # noqa: E402
from bot.grammar import CommandParseError, tokenize  # noqa: E402

TARGET_MS = 100.0
SIZE = 40_000


def repeat(unit: str) -> Callable[[int], str]:
    """`unit` repeated to fill `size` characters (whole units only)."""
    return lambda size: unit * (size // len(unit))


# Each builder makes the input at a given size: 40,000 is measured, and 20,000 too, to show
# that time grows linearly (a ratio near 2; near 4 would be quadratic).
CASES: dict[str, Callable[[int], str]] = {
    "'a:\"' * 13000 (quoted values, as in the issue)": lambda size: 'a:"' * (size * 13 // 40),
    "'a:\"' * 13333 (the last quote unclosed)": repeat('a:"'),
    "'<' * 40000": repeat("<"),
    "'#t ' * 13333": repeat("#t "),
    "20,000 short words": repeat("a "),
    "'&lt;' * 10000": repeat("&lt;"),
    "'<@U1' * 10000 (unclosed mentions)": repeat("<@U1"),
    "'<a>' * 13333 (unknown markup)": repeat("<a>"),
    "'a:<' * 13333": repeat("a:<"),
    "'\"' * 40000": repeat('"'),
    "'\"a\" ' * 10000 (closed quotes)": repeat('"a" '),
    "'k:v ' * 10000": repeat("k:v "),
    "'#' * 40000": repeat("#"),
    "'&amp;' * 8000": repeat("&amp;"),
    "'<!here>' * 5714": repeat("<!here>"),
    "'a' * 40000 (one word)": repeat("a"),
    "'<' + 'a' * 39998 + '>'": lambda size: "<" + "a" * (size - 2) + ">",
    "'<' * 20000 + '>' * 20000": lambda size: "<" * (size // 2) + ">" * (size // 2),
    "'a:\"<' * 10000": repeat('a:"<'),
    "'x\"' * 20000 (quotes inside words)": repeat('x"'),
}


def time_case(text: str, repeats: int) -> tuple[float, str]:
    """(best milliseconds, outcome) of tokenizing `text` `repeats` times."""
    best = float("inf")
    outcome = ""
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            tokens = tokenize(text)
            outcome = f"{len(tokens)} tokens"
        except CommandParseError as err:
            outcome = f"CommandParseError: {err.message[:40]}"
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a case is over 100 ms")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")
    rows = []
    worst = 0.0
    for name, build in CASES.items():
        text = build(SIZE)
        best, outcome = time_case(text, args.repeats)
        half, _ = time_case(build(SIZE // 2), args.repeats)
        worst = max(worst, best)
        rows.append(
            [
                name,
                len(text),
                f"{best:.1f}",
                f"{half:.1f}",
                f"{best / half:.1f}" if half else "",
                outcome,
                "ok" if best < TARGET_MS else "SLOW",
            ]
        )
    print()
    print(f"### tokenize, best of {args.repeats}")
    print()
    headers = ["input", "chars", "best ms", f"ms at {SIZE // 2}", "growth x2", "outcome"]
    print(table([*headers, f"< {TARGET_MS:.0f} ms"], rows))
    print()
    print(f"- every case under {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'}")
    print(f"  (slowest {worst:.1f} ms)")
    return 1 if args.check and worst >= TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
