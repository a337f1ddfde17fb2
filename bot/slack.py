"""The outbound gateway: every Web API call goes through a WebClient built here.

The client retries with backoff on 429 (honouring Retry-After), on 5xx answers and on
connection errors. Read timeouts are not retried: the call may have gone through, and a
second chat.postMessage would post twice.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import RandomJitter

WEB_API_TIMEOUT_SECONDS = 10
_BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.5, jitter=RandomJitter())


class ServerErrorRetryHandler(RetryHandler):
    """Retries any 5xx answer (slack_sdk's own handler covers only 500 and 503)."""

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers() -> list[RetryHandler]:
    """The retry policy shared by every client the bot builds."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=3, interval_calculator=_BACKOFF),
        RateLimitErrorRetryHandler(max_retry_count=4),
        ServerErrorRetryHandler(max_retry_count=3, interval_calculator=_BACKOFF),
    ]


def make_client(api_url: str, token: str | None = None) -> WebClient:
    """A WebClient for `api_url` (Slack, or the emulator) with the retry policy."""
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )
