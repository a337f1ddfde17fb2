"""Speed of bot.similarity: find_duplicates by candidate count, group_themes by item count.

find_duplicates runs with a background of 300 texts, as the bot calls it, at 10, 100 and
500 candidates. The very first call of the process is reported on its own: it includes the
scikit-learn import. Later calls are timed twice: with the per-text analysis cache warm (the
bot's steady state: the same background comes with every new feedback of a team) and with
it cleared before each call (every text seen for the first time). group_themes runs on
500, 2,000 and 5,000 items (above 2,000, only the first 2,000 are clustered).

Synthetic feedback from a seeded generator; figures are medians of --repeats runs.
Nothing is asserted: the script prints a table (targets: tens of ms for 100 candidates,
a few seconds for 5,000 items).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import similarity  # noqa: E402
from bot.similarity import Candidate, find_duplicates, group_themes  # noqa: E402

BACKGROUND_SIZE = 300
CANDIDATE_COUNTS = (10, 100, 500)
THEME_COUNTS = (500, 2000, 5000)

SUBJECTS = (
    "CSV export",
    "PDF export",
    "dark mode",
    "SSO login",
    "the mobile app",
    "the iOS app",
    "the Android app",
    "Slack notifications",
    "email notifications",
    "the dashboard",
    "search",
    "the kanban board",
    "invoices",
    "the public API",
    "webhooks",
    "the calendar sync",
    "the sidebar",
    "bulk editing",
    "file uploads",
    "the Jira integration",
    "comments",
    "password reset",
    "two-factor authentication",
    "the roadmap view",
    "time tracking",
)
PROBLEMS = (
    "times out",
    "is very slow",
    "crashes",
    "is broken",
    "fails for large accounts",
    "shows the wrong data",
    "is missing",
    "should be configurable",
    "needs a filter",
    "loses my changes",
    "does not work in Safari",
    "keeps disconnecting",
    "is confusing",
    "sends duplicates",
    "should support keyboard shortcuts",
    "needs better defaults",
)
CONTEXTS = (
    "",
    "",
    "",
    "for enterprise customers",
    "since the last update",
    "on Mondays",
    "when I have many projects",
    "for our admins",
    "in the EU workspace",
    "on my phone",
    "after login",
    "with more than 10k rows",
    "in German",
    "for guests",
)


def feedback(rnd: random.Random) -> str:
    """One synthetic feedback text."""
    text = f"{rnd.choice(SUBJECTS)} {rnd.choice(PROBLEMS)} {rnd.choice(CONTEXTS)}".strip()
    return text[0].upper() + text[1:]


def clear_caches() -> None:
    """Forget every text seen: the per-text analysis and character n-gram caches."""
    similarity._clear_caches()


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="runs per find_duplicates cell")
    parser.add_argument("--theme-repeats", type=int, default=3, help="runs per group_themes cell")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rnd = random.Random(args.seed)
    background = [feedback(rnd) for _ in range(BACKGROUND_SIZE)]
    pools = {
        count: [Candidate(i, i + 1, feedback(rnd), votes=i % 5) for i in range(count)]
        for count in CANDIDATE_COUNTS
    }
    queries = [feedback(rnd) for _ in range(max(args.repeats, 1))]
    print(f"python {platform.python_version()} on {platform.machine()}, seed {args.seed}")

    assert "sklearn" not in sys.modules, "measure the cold call before anything imports sklearn"
    cold = timed(lambda: find_duplicates(queries[0], pools[100], background=background))
    print(f"cold first call (100 candidates, incl. scikit-learn import): {cold * 1000:.0f} ms\n")

    print(f"find_duplicates, background {BACKGROUND_SIZE} texts, median of {args.repeats}")
    print(f"{'candidates':>10}  {'warm cache ms':>13}  {'cold cache ms':>13}  {'matches':>7}")
    for count, pool in pools.items():
        warm, fresh, found = [], [], 0
        for query in queries:
            find_duplicates(query, pool, background=background)  # fill the cache
            warm.append(timed(lambda q=query, p=pool: find_duplicates(q, p, background=background)))
            clear_caches()
            fresh.append(
                timed(lambda q=query, p=pool: find_duplicates(q, p, background=background))
            )
            found += len(find_duplicates(query, pool, background=background))
        print(
            f"{count:>10}  {statistics.median(warm) * 1000:>13.1f}"
            f"  {statistics.median(fresh) * 1000:>13.1f}  {found / len(queries):>7.1f}"
        )

    print(f"\ngroup_themes, median of {args.theme_repeats} (cache cleared before each run)")
    print(f"{'items':>10}  {'seconds':>13}  {'themes':>7}  largest")
    for count in THEME_COUNTS:
        items = [(i, feedback(rnd)) for i in range(count)]
        runs, themes = [], []
        for _ in range(max(args.theme_repeats, 1)):
            clear_caches()
            start = time.perf_counter()
            themes = group_themes(items)
            runs.append(time.perf_counter() - start)
        largest = f"{themes[0].name!r} ({len(themes[0].item_ids)})" if themes else "-"
        print(f"{count:>10}  {statistics.median(runs):>13.2f}  {len(themes):>7}  {largest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
