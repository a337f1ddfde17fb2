"""Signed Slack traffic at a fixed concurrency for a bounded time, with latency statistics.

Requests are built and signed exactly as Slack does it (see `bot.sandbox.sender.sign`):
`X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")` and
`X-Slack-Request-Timestamp: {ts}`. Two kinds:

* ``command``: ``/feedback <varied text>`` slash commands, form-encoded, each with a unique
  ``trigger_id`` (so the bot's exactly-once key never folds two requests into one);
* ``event``: ``reaction_added`` Events API callbacks, JSON, each with a unique ``event_id``.

Each of `concurrency` threads keeps one HTTP/1.1 keep-alive connection (http.client, so
the load generator itself costs little CPU) and sends requests back to back until the time
is up; a request in flight at the deadline is still waited for and counted. Only
127.0.0.1 / localhost targets are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import math
import os
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

SIGNATURE_VERSION = "v0"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
SLOW_SECONDS = 3.0
ERROR_BACKOFF_SECONDS = 0.05
# The bot answers a failed handler with HTTP 200 and this text; it is still an error.
SORRY_MARKER = b"something went wrong"
KINDS = ("command", "event")
# response_urls of this form are accepted by the standalone emulator without being issued.
RESPONSE_PREFIX = "bench-"

TEAM_ID = "T0001"
# The people of the emulated workspace (bot.sandbox.workspace.default_users).
USERS = ("U0001", "U0002", "U0003", "U0004", "U0006")
CHANNELS = ("C0001", "C0002", "C0003")
REACTIONS = ("eyes", "+1", "tada", "rocket", "white_check_mark")
CUSTOMERS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")
AREAS = ("billing", "export", "onboarding", "search", "mobile")
# Feedback text is put together from these parts, so that no two requests say the same
# thing and the wording varies like a team's would (none is a subcommand or near one).
SUBJECTS = (
    "CSV export",
    "The onboarding checklist",
    "The search page",
    "The mobile app",
    "Invoice PDF",
    "The dashboard",
    "The board view",
    "Jira import",
    "Slack notifications",
    "Single sign-on",
    "The billing page",
    "Calendar sync",
    "Dark mode",
    "The public API",
    "Bulk edit",
    "Audit log",
)
PROBLEMS = (
    "times out after {n} rows",
    "is confusing for new admins",
    "misses results that contain quotes",
    "crashes when the phone is offline",
    "shows the wrong VAT since release {n}",
    "takes {n} seconds to load on Mondays",
    "needs keyboard shortcuts",
    "drops sub-tasks &lt;{n}&gt; &amp; labels",
    "sends duplicates to everyone",
    "logs people out every {n} minutes",
    "rounds totals the wrong way",
    "ignores the time zone of the invitee",
    "is hard to read in low light",
    "returns 500 for large pages",
    "cannot undo a change",
    "has no filter by user",
)
CONTEXTS = (
    "",
    " for {customer}",
    ", asked by <@U0002|bob> (ticket {n})",
    " see https://example.com/t/{n}",
    " which blocks the renewal",
    " since the last update",
    " on Safari only",
    " in the EU region",
)
OPTIONS = (
    "",
    " #{area}",
    " #{area} urgency:high",
    ' customer:"{customer} Corp" area:{area}',
    " #ux #{area} urgency:low",
    " area:{area}",
)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, 'v0:{ts}:{body}')."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, content_type: str) -> dict[str, str]:
    """The headers Slack sends with `body`, signed now."""
    stamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
    }


def response_url(base: str, user: str, channel: str, n: int | str) -> str:
    """A response_url under `base` that the standalone emulator (bench.lib.emulator) accepts."""
    return f"{base.rstrip('/')}/response/{RESPONSE_PREFIX}{user}-{channel}-{n}"


def feedback_text(n: int) -> str:
    """The n-th `/feedback` text: varied, valid, never a subcommand."""
    pick = random.Random(n)
    text = (
        pick.choice(SUBJECTS)
        + " "
        + pick.choice(PROBLEMS)
        + pick.choice(CONTEXTS)
        + pick.choice(OPTIONS)
    )
    return text.format(n=n, customer=pick.choice(CUSTOMERS), area=pick.choice(AREAS))


def check_local_url(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an http URL on this machine; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// URLs on 127.0.0.1 are load-tested, got {url!r}")
    if parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"refusing to send load to {parts.hostname!r}: only 127.0.0.1/localhost")
    return parts.hostname, parts.port or 80, parts.path or "/"


class PayloadFactory:
    """Unique, varied, signed request bodies of one kind (thread-safe)."""

    def __init__(self, kind: str, *, response_base: str = "http://127.0.0.1") -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.response_base = response_base.rstrip("/")
        self.run_id = os.urandom(4).hex()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        with self._lock:
            return next(self._seq)

    def build(self) -> tuple[bytes, str]:
        """(body, content type) of the next request."""
        n = self.next_seq()
        if self.kind == "command":
            return self.command_body(n), "application/x-www-form-urlencoded"
        return self.event_body(n), "application/json"

    def command_body(self, n: int) -> bytes:
        user = USERS[n % len(USERS)]
        channel = CHANNELS[n % len(CHANNELS)]
        text = feedback_text(n)
        trigger = f"{n}.{self.run_id}.{os.urandom(6).hex()}"
        unique = f"{self.run_id}{n}"
        fields = {
            "token": "bench-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "acme-product",
            "channel_id": channel,
            "channel_name": "product-feedback",
            "user_id": user,
            "user_name": f"user{user[-1]}",
            "command": "/feedback",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": response_url(self.response_base, user, channel, unique),
            "trigger_id": trigger,
        }
        return urlencode(fields).encode()

    def event_body(self, n: int) -> bytes:
        user = USERS[n % len(USERS)]
        now = time.time()
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": REACTIONS[n % len(REACTIONS)],
            "item": {
                "type": "message",
                "channel": CHANNELS[n % len(CHANNELS)],
                "ts": f"{int(now) - 60}.{n % 1000000:06d}",
            },
            "item_user": USERS[(n + 1) % len(USERS)],
            "event_ts": f"{now:.6f}",
        }
        envelope = {
            "token": "bench-verification-token",
            "team_id": TEAM_ID,
            "context_team_id": TEAM_ID,
            "context_enterprise_id": None,
            "api_app_id": "A0BENCH",
            "event": event,
            "type": "event_callback",
            "event_id": f"EvB{self.run_id}{n:09d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"1-reaction_added-{TEAM_ID}",
        }
        return json.dumps(envelope).encode()


@dataclass
class LoadResult:
    """What one bounded load run measured. Latencies are in seconds."""

    kind: str
    concurrency: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None

    @property
    def requests(self) -> int:
        return self.ok + self.errors

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def slow(self) -> int:
        """Requests that took longer than Slack's 3 s limit."""
        return sum(1 for t in self.latencies if t > SLOW_SECONDS)

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def max(self) -> float:
        return max(self.latencies, default=0.0)

    def summary(self) -> str:
        line = (
            f"{self.kind} c={self.concurrency}: {self.rps:.1f} rps, "
            f"p50 {self.p50 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms, "
            f"max {self.max * 1000:.1f} ms, errors {self.errors}/{self.requests}"
        )
        if self.slow:
            line += f", {self.slow} OVER {SLOW_SECONDS:.0f} s"
        if self.first_error:
            line += f" (first error: {self.first_error})"
        return line


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`, 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def merge(results: list[LoadResult]) -> LoadResult:
    """One result holding the requests of several runs of the same cell."""
    merged = LoadResult(
        kind=results[0].kind,
        concurrency=results[0].concurrency,
        elapsed=sum(r.elapsed for r in results),
    )
    for result in results:
        merged.latencies.extend(result.latencies)
        merged.ok += result.ok
        merged.errors += result.errors
        for status, count in result.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + count
        merged.first_error = merged.first_error or result.first_error
    return merged


def run_load(
    url: str,
    secret: str,
    *,
    concurrency: int,
    seconds: float,
    kind: str = "command",
    timeout: float = 30.0,
    max_requests: int | None = None,
    response_base: str | None = None,
) -> LoadResult:
    """Send signed `kind` requests to `url` from `concurrency` threads for `seconds`.

    Slash commands carry response_urls under `response_base` (the emulator, so that the
    app can answer through them; by default the target's own origin).
    """
    host, port, path = check_local_url(url)
    if response_base is not None:
        check_local_url(response_base)
    if concurrency < 1 or seconds <= 0:
        raise ValueError("concurrency must be >= 1 and seconds > 0")
    factory = PayloadFactory(kind, response_base=response_base or f"http://{host}:{port}")
    result = LoadResult(kind=kind, concurrency=concurrency, elapsed=0.0)
    lock = threading.Lock()
    budget = itertools.count(1)
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        ok = errors = 0
        first_error: str | None = None
        conn: http.client.HTTPConnection | None = None
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            if max_requests is not None and next(budget) > max_requests:
                break
            body, content_type = factory.build()
            headers = signed_headers(secret, body, content_type)
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as err:
                latencies.append(time.perf_counter() - began)
                errors += 1
                statuses[type(err).__name__] = statuses.get(type(err).__name__, 0) + 1
                first_error = first_error or f"{type(err).__name__}: {err}"
                if conn is not None:
                    conn.close()
                    conn = None
                # A refused or reset connection would otherwise spin: back off a little.
                time.sleep(ERROR_BACKOFF_SECONDS)
                continue
            latencies.append(time.perf_counter() - began)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if 200 <= status < 300 and SORRY_MARKER not in answer:
                ok += 1
            else:
                errors += 1
                first_error = first_error or f"HTTP {status}: {answer[:120]!r}"
        if conn is not None:
            conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.ok += ok
            result.errors += errors
            for key, count in statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + count
            result.first_error = result.first_error or first_error

    threads = [
        threading.Thread(target=worker, name=f"load-{i}", daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result
