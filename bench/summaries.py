"""Summaries: tokens sent to the model, model calls, and the offline summarizer's time.

Threads of 50, 500 and 2,000 messages (synthetic, seeded: people, a product topic,
decisions, requests with deadlines, questions) are summarized through bot.summarize with
two model budgets: gpt-4o-mini (its window allows 24,000-token calls) and llama3 (an 8k
window, as Ollama serves it by default), so the long threads go through map-reduce. The
model is a fake at the transport (an httpx MockTransport answering a partial summary of
realistic size): nothing leaves the machine, and the token counts are the bot's own
tokenizer-free estimates. The offline summarizer is timed on the same threads (median of
--repeats runs).

Targets: tokens sent <= 1.2x the thread's own tokens; model calls <= chunks + 1;
offline summary of 2,000 messages < 2 s. Nothing is asserted: the script prints a table.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from bench.lib.report import command_line, machine, median, table, verdict  # noqa: E402
from bot.llm import ChatModel, estimate_tokens  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.summarize import Message, summarize, summarize_offline, transcript  # noqa: E402

SIZES = (50, 500, 2_000)
MODELS = ("gpt-4o-mini", "llama3")
PEOPLE = ("Ann Lee", "Bob Martin", "Carol Tanaka", "Dave Nguyen", "Erin Silva", "Femi Okafor")
SUBJECTS = (
    "the CSV export",
    "the onboarding checklist",
    "SSO for enterprise accounts",
    "the pricing page",
    "the mobile release",
    "the billing migration",
    "dark mode",
    "the public API rate limits",
)
SENTENCES = (
    "I looked at {s} again this morning and the numbers from last week still hold up.",
    "Customers keep asking about {s}; support logged another dozen tickets since Monday.",
    "We agreed to ship {s} behind a flag first and widen it after a week of data.",
    "@{p} will write up the plan for {s} by Friday so we can review it in the sync.",
    "Can you check how {s} behaves for accounts with more than fifty thousand rows?",
    "Do we have a rollback plan for {s} if the error rate goes up after the release?",
    "The design review for {s} is on Thursday; the mocks are linked in the doc.",
    "Let's go with the simpler option for {s} and revisit it next quarter.",
    "TODO: update the help center article about {s} before the announcement.",
    "Legal wants to read the copy for {s} before anything goes out to customers.",
    "I'll pair with {p} on {s} tomorrow afternoon to unblock the last two tickets.",
    "Metrics for {s} look healthy: p95 latency is flat and adoption is up four percent.",
)
PARTIAL = (
    "TL;DR: The team discussed {s} and agreed to ship it behind a flag.\n"
    "Key points:\n- Support tickets about {s} keep coming.\n- Metrics look healthy so far.\n"
    "- Legal reviews the copy first.\nDecisions:\n- Ship {s} behind a flag first.\n"
    "Action items:\n- Bob Martin: write up the plan (due Friday)\n"
    "- Carol Tanaka: update the help center article\n"
    "Open questions:\n- Is there a rollback plan?"
)


def thread(count: int, seed: int) -> list[Message]:
    """A synthetic thread of `count` messages of one to three sentences."""
    rng = random.Random(seed)
    messages = []
    for i in range(count):
        author = rng.choice(PEOPLE)
        subject = rng.choice(SUBJECTS)
        text = " ".join(
            rng.choice(SENTENCES).format(s=subject, p=rng.choice(PEOPLE))
            for _ in range(rng.randint(1, 3))
        )
        messages.append(Message(author, text, ts=f"1795510800.{i:06d}"))
    return messages


def fake_model(model: str) -> ChatModel:
    """A ChatModel whose transport answers every call with a partial summary."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        content = PARTIAL.format(s=random.choice(SUBJECTS))
        return httpx2.Response(
            200,
            json={
                "id": "bench",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            },
        )

    settings = Settings(
        openai_api_key="bench", openai_base_url="http://fake.invalid/v1", openai_model=model
    )
    client = httpx2.Client(transport=httpx2.MockTransport(answer))
    return ChatModel(settings, http_client=client)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="offline timing runs per size")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"# {command_line()}\n# {machine()}\n")
    rows = []
    all_met = True
    for size in SIZES:
        messages = thread(size, seed=size)
        own = estimate_tokens(transcript(messages))
        timings = []
        for _ in range(max(1, args.repeats)):
            started = time.perf_counter()
            summarize_offline(messages)
            timings.append(time.perf_counter() - started)
        offline = median(timings)
        for model in MODELS:
            llm = fake_model(model)
            outcome = summarize(messages, llm=llm)
            llm.close()
            ratio = outcome.tokens_sent / own
            met = ratio <= 1.2 and outcome.calls <= outcome.chunks + 1
            if size == 2_000:
                met = met and offline < 2.0
            all_met = all_met and met
            rows.append(
                [
                    f"{size:,}",
                    model,
                    f"{llm.budget:,}",
                    f"{own:,}",
                    f"{outcome.tokens_sent:,}",
                    f"{ratio:.2f}x",
                    outcome.chunks,
                    outcome.calls,
                    f"{offline * 1000:.0f}",
                    verdict(met),
                ]
            )
    print(
        table(
            [
                "messages",
                "model",
                "call budget (tokens)",
                "thread tokens",
                "tokens sent",
                "sent / thread",
                "chunks",
                "model calls",
                "offline (ms)",
                "targets",
            ],
            rows,
        )
    )
    print(
        "\nTargets: tokens sent <= 1.2x the thread's own tokens; calls <= chunks + 1; "
        "offline summary of 2,000 messages < 2 s."
    )
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
