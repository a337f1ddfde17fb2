"""The outbound gateway: every Web API call goes through a WebClient built here.

The client retries with backoff on 429 (honouring Retry-After), on 5xx answers and on
connection errors. What may have gone through is not repeated where a repeat would show
twice: a read timeout never, and a connection dropped after the request was sent only for
methods that are safe to repeat (not chat.postMessage: a scheduled post is then looked up
in the channel by its metadata key before it is sent again, see bot/jobs.py).
"""

from __future__ import annotations

from typing import Any
from urllib.error import URLError

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


# Calls that would show twice if repeated after Slack did them but the answer was lost.
NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "files.completeUploadExternal",
    }
)


class ConnectionRetryHandler(ConnectionErrorRetryHandler):
    """Retries connections that failed before the request went out, and dropped answers of
    calls that are safe to repeat.

    urllib wraps a failure to connect or to send the request in URLError; a connection
    closed while waiting for the answer (RemoteDisconnected, a reset) comes raw: the request
    may have been done.
    """

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        if isinstance(error, URLError):
            return True
        method = str(request.url).rstrip("/").rsplit("/", 1)[-1]
        return method not in NOT_REPEATABLE


class ServerErrorRetryHandler(RetryHandler):
    """Retries any 5xx answer (slack_sdk's own handler covers only 500 and 503)."""

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers() -> list[RetryHandler]:
    """The retry policy shared by every client the bot builds."""
    return [
        ConnectionRetryHandler(max_retry_count=3, interval_calculator=_BACKOFF),
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
