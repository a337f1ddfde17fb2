"""Structured JSON logs: one line per event, with team, user, command and latency.

Every line is scrubbed of secrets before it is written: Slack tokens by their shape, and the
configured secrets by value, whichever library logged them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# Bot, user, app-level and refresh tokens: xoxb-..., xoxp-..., xapp-..., xoxe.xoxp-...
SLACK_TOKEN = re.compile(r"\b(xox[a-z]|xapp|xoxe\.xox[a-z])-[A-Za-z0-9-]+")
REDACTED = "[redacted]"
# Shorter "secrets" (test values like "s") would blank out ordinary words.
MIN_SECRET_LENGTH = 8


class Redactor:
    """The last step of rendering: removes Slack tokens and the given secrets from a line."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        # A secret appears as itself, or JSON-escaped inside the rendered line.
        values |= {json.dumps(s)[1:-1] for s in values}
        self.secrets = sorted(values, key=len, reverse=True)

    def __call__(self, logger: WrappedLogger, name: str, line: str | EventDict) -> str:
        text = line if isinstance(line, str) else json.dumps(line, default=str)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SLACK_TOKEN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)


def configure_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    """Route structlog and the standard library (Bolt, APScheduler) to JSON lines on stderr.

    `secrets` (the signing secret, client secret, ingest token, LLM key...) never appear in
    a line, nor does anything shaped like a Slack token.
    """
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
            Redactor(secrets),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request lines come from bot.web; these libraries are chatty at INFO.
    for noisy in ("apscheduler", "werkzeug", "slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger."""
    return structlog.stdlib.get_logger(name)
