"""Log lines are JSON and never carry a Slack token or a configured secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging, get_logger

SIGNING_SECRET = "signing-secret-5b7d9f"
BOT_TOKEN = "xoxb-1234-5678-abcdefSECRET"


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """What the bot's log handler writes, configured as `productops` does it, at DEBUG."""
    configure_logging("DEBUG", secrets=(SIGNING_SECRET, BOT_TOKEN, None, "short"))
    [handler] = logging.getLogger().handlers
    sink = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    try:
        yield sink
    finally:
        configure_logging("WARNING")


def lines(sink: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_library_debug_lines_lose_tokens_and_secrets(
    debug_logs: io.StringIO,
) -> None:
    # What slack_sdk would print at DEBUG if an operator turned it on, and worse.
    sdk = logging.getLogger("slack_sdk.web.base_client")
    sdk.setLevel(logging.DEBUG)
    sdk.debug(
        "Sending a request - url: https://slack.com/api/oauth.v2.access, body_params: "
        "{'token': 'xoxp-99-88-userTOKEN', 'client_secret': '%s'}, headers: "
        "{'Authorization': 'Bearer %s'}, app: xapp-1-A01-42-appTOKEN",
        SIGNING_SECRET,
        BOT_TOKEN,
    )
    [line] = lines(debug_logs)
    text = json.dumps(line)
    for secret in (SIGNING_SECRET, "userTOKEN", "abcdefSECRET", "appTOKEN"):
        assert secret not in text
    assert "xoxp-[redacted]" in text and "xapp-[redacted]" in text
    assert "https://slack.com/api/oauth.v2.access" in text


def test_structured_fields_and_tracebacks_are_scrubbed_too(
    debug_logs: io.StringIO,
) -> None:
    log = get_logger("bot.test")
    try:
        raise RuntimeError(f"bad secret {SIGNING_SECRET!r}")
    except RuntimeError:
        log.exception("handler_failed", token=BOT_TOKEN, team="T0001", note="short")
    [line] = lines(debug_logs)
    assert line["team"] == "T0001" and line["note"] == "short"
    assert line["token"] == "[redacted]"
    assert SIGNING_SECRET not in str(line["exception"])
    assert "RuntimeError: bad secret '[redacted]'" in str(line["exception"])


def test_the_database_password_is_scrubbed_like_the_other_secrets() -> None:
    from bot.cli import _setup
    from bot.settings import Settings

    password = "db-password-71c3e9"
    _setup(
        Settings(
            database_url=f"postgresql+psycopg://bot:{password}@db.internal/productops",
            log_level="DEBUG",
        )
    )
    [handler] = logging.getLogger().handlers
    sink = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    try:
        logging.getLogger("sqlalchemy.pool").warning(
            "connect failed for postgresql://bot:%s@db.internal", password
        )
    finally:
        configure_logging("WARNING")
    written = sink.getvalue()
    assert "connect failed" in written and password not in written
