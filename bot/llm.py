"""The language model: the only module that imports `openai` (lazily, inside functions).

One call shape: `complete(system, data)`. `system` is a prompt file's text and goes alone in
the system message; `data` (thread text, partial summaries: anything people wrote) goes
fenced in its own user message, never inside the instructions. Any failure of the model
(no answer in time, an HTTP error, a refused key, an empty answer) is an `LlmError`, so
callers can fall back to the offline summarizer.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from bot.logs import get_logger
from bot.settings import Settings

log = get_logger(__name__)

# Context windows (tokens) of models people point OPENAI_MODEL at; prefixes match versions
# (gpt-4o-mini-2024-07-18). Unknown models get the smallest common window: Ollama's and
# vLLM's defaults are often 8k, and a too-small guess only costs an extra map call.
CONTEXT_TOKENS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_000_000),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("llama3.1", 128_000),
    ("llama3.2", 128_000),
    ("llama3", 8_192),
    ("mistral", 32_000),
    ("mixtral", 32_000),
    ("qwen2.5", 32_000),
    ("gemma2", 8_192),
    ("phi3", 4_096),
)
DEFAULT_CONTEXT_TOKENS = 8_192
# Room left in the window for the model's answer.
ANSWER_TOKENS = 1_500
# One call never carries more than this, whatever the window: answers stay detailed and
# each call finishes well inside OPENAI_TIMEOUT_SECONDS.
MAX_CALL_TOKENS = 24_000
# Token estimates are rough (no tokenizer here): keep this share of the window free.
SAFETY_MARGIN = 0.15


class LlmError(Exception):
    """The model could not give an answer: not configured, unreachable, slow, or refused."""


def context_tokens(model: str) -> int:
    """The context window of `model`, by name prefix (conservative when unknown)."""
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, tokens in CONTEXT_TOKENS:
        if name.startswith(prefix):
            return tokens
    return DEFAULT_CONTEXT_TOKENS


def input_budget(model: str) -> int:
    """Tokens one call may send (prompt and data) for `model`."""
    window = context_tokens(model)
    usable = int(window * (1 - SAFETY_MARGIN)) - ANSWER_TOKENS
    return max(1_000, min(MAX_CALL_TOKENS, usable))


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate: ~4 ASCII characters a token, one per other character.

    Scripts such as CJK take about a token per character (often more than one for emoji),
    so counting non-ASCII characters one each keeps the estimate on the safe side.
    """
    if text.isascii():
        return (len(text) + 3) // 4
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return (ascii_chars + 3) // 4 + (len(text) - ascii_chars)


_FENCE_RUN = re.compile(r"`{3,}")


def fence(data: str) -> str:
    """`data` between fence lines that nothing inside it can close (longer than any run)."""
    longest = max((len(m.group(0)) for m in _FENCE_RUN.finditer(data)), default=2)
    bar = "`" * max(3, longest + 1)
    return f"{bar}text\n{data}\n{bar}"


def chat_messages(system: str, data: str) -> list[dict[str, str]]:
    """The two messages of a call: the instructions, then the data, fenced, on its own."""
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": fence(data)},
    ]


@dataclass
class ChatModel:
    """An OpenAI-compatible Chat Completions model configured from Settings.

    `http_client` (an httpx client of the kind the openai package uses) lets tests put a
    fake server at the transport; it is never needed in production.
    """

    settings: Settings
    http_client: Any = None
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def enabled(self) -> bool:
        """True when a key is configured (else summaries are made offline)."""
        return bool(self.settings.openai_api_key)

    @property
    def model(self) -> str:
        """The model name sent with each call."""
        return self.settings.openai_model

    @property
    def budget(self) -> int:
        """Tokens one call may carry for this model."""
        return input_budget(self.model)

    def client(self) -> Any:
        """The openai client, built once (it is thread-safe and keeps its connections)."""
        if not self.enabled:
            raise LlmError("no OPENAI_API_KEY configured")
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                self._client = OpenAI(
                    api_key=self.settings.openai_api_key,
                    base_url=self.settings.openai_base_url,
                    timeout=self.settings.openai_timeout_seconds,
                    max_retries=self.settings.openai_max_retries,
                    http_client=self.http_client,
                )
            return self._client

    def complete(self, system: str, data: str) -> str:
        """One completion: `system` as the instructions, `data` fenced as the user message."""
        import openai

        client = self.client()
        try:
            response = client.chat.completions.create(
                model=self.model, messages=chat_messages(system, data)
            )
        except openai.OpenAIError as err:
            log.warning("llm_call_failed", model=self.model, error=type(err).__name__)
            raise LlmError(f"the model did not answer ({type(err).__name__})") from err
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices else None
        if not content or not content.strip():
            raise LlmError("the model gave an empty answer")
        return str(content)

    def close(self) -> None:
        """Close the client's connections (tests and short-lived tools)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
