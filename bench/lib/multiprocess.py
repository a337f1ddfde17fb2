"""Several processes under load: two `productops serve --no-scheduler` and one `productops
clock` on one database, driven through the project's emulator the way Slack drives them.

Used by tests/e2e/test_processes.py (short run, asserts) and bench/multiprocess_load.py
(longer run, figures). The pieces:

* `start_fleet`: the emulated Slack (Web API and response_urls, no bot in-process) on a
  free port in this process, one Workspace shared by two EventSenders (one per serve
  process), the two serve processes and the clock, each logging JSON lines to a file;
* `seed`: what the clock must post during the run (rituals and a digest due a few
  seconds after the start) and the KPIs the load records values of;
* `run_load`: workers sending a mix of what Slack sends (filings, +1 clicks with double
  clicks and retries, capture reactions with retries, RSVP clicks, /ritual add, /kpi
  record), spread over both serve processes, recording what was sent and acked;
* `problems`: what the database and the emulated channels hold against that record:
  every loss, double, 5xx and failed handler, as one line each.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from requests.adapters import HTTPAdapter
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bench.lib.procs import free_port
from bot.blocks.feedback import ACTION_VOTE
from bot.blocks.rituals import ACTION_RSVP
from bot.sandbox.sender import Delivery, EventSender
from bot.sandbox.server import Senders, create_emulator_app
from bot.sandbox.workspace import User, Workspace, default_users
from bot.schedule import parse_schedule
from bot.services import digests as digest_service
from bot.services import kpis as kpi_service
from storage.models import (
    DigestRun,
    Feedback,
    FeedbackVote,
    Kpi,
    KpiValue,
    Ritual,
    RitualOccurrence,
    RitualRsvp,
    ScheduledTask,
)

TEAM = "T0001"
SECRET = "multiprocess-load-secret"
CAPTURE_EMOJI = "inbox_tray"
FEEDBACK_CHANNEL = "C0001"
RITUAL_CHANNEL = "C0002"
CHAT_CHANNEL = "C0003"
OPS_USER = "U0001"
EXTRA_PEOPLE = 19
KINDS = ("file", "vote", "capture", "rsvp", "ritual", "kpi")
WEIGHTS = (30, 25, 15, 15, 5, 10)
FILED = re.compile(r"^(?:Filed|Already filed) FB-(\d+)$")


# ---------------------------------------------------------------------------- processes


@dataclass
class Fleet:
    """The emulator in this process and the bot's processes around one database."""

    url: str
    workspace: Workspace
    senders: list[EventSender]
    serve_logs: list[Path]
    clock_log: Path
    processes: list[subprocess.Popen[bytes]]
    server: BaseWSGIServer

    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON log line the bot's processes wrote so far."""
        lines = []
        for path in [*self.serve_logs, self.clock_log]:
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        lines.append(json.loads(line))
        return lines


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def people() -> list[User]:
    """The default five people and the bot, and more people so votes spread wider."""
    extra = [
        User(f"U1{n:03d}", f"person{n}", f"Person {n}", "UTC", "UTC", 0)
        for n in range(EXTRA_PEOPLE)
    ]
    return [*default_users(), *extra]


BOT_TOKEN = "xoxb-multiprocess-load"


def bot_env(database_url: str, emulator_url: str) -> dict[str, str]:
    """The environment of every bot process: the emulator is its Slack."""
    keep = ("SLACK_", "DATABASE_", "OPENAI_", "OPS_ADMINS", "FEEDBACK_", "LOG_LEVEL", "PORT")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(keep)},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": f"{emulator_url}/api/",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }


@contextlib.contextmanager
def start_fleet(
    database_url: str, log_dir: Path, *, threads: int = 8, workers: int = 1
) -> Iterator[Fleet]:
    """Serve the emulator, start two serve processes and one clock; stop them all after."""
    workspace = Workspace(users=people())
    workspace.tokens.add(BOT_TOKEN)
    server = make_server("127.0.0.1", 0, None, threaded=True, request_handler=_QuietHandler)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{server.server_port}"
    env = bot_env(database_url, url)
    ports = [free_port(), free_port()]
    senders = []
    for port in ports:
        sender = EventSender(
            workspace,
            bot_url=f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SECRET,
            emulator_url=url,
            timeout=30,
        )
        sender.http.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=64))
        # A connection per request: a kept-alive one that gunicorn closes after its idle
        # keepalive (5 s) just as a worker sends on it is reset, which says nothing of the bot.
        sender.http.headers["Connection"] = "close"
        senders.append(sender)
    page_senders = Senders(f"http://127.0.0.1:{ports[0]}/slack/events", SECRET, url)
    server.app = create_emulator_app(workspace, page_senders, url)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    serve_logs = [log_dir / f"serve-{n}.log" for n in (1, 2)]
    clock_log = log_dir / "clock.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port, log in zip(ports, serve_logs, strict=True):
            command = [
                *("-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(workers), "--threads", str(threads), "--no-scheduler"),
            ]
            processes.append(_spawn(command, env, log))
        fleet = Fleet(url, workspace, senders, serve_logs, clock_log, processes, server)
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}", fleet)
        yield fleet
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def start_clock(fleet: Fleet, database_url: str) -> None:
    """Start `productops clock` (after `seed`: its first reconcile sees the due work)."""
    env = bot_env(database_url, fleet.url)
    fleet.processes.append(_spawn(["-m", "bot", "clock"], env, fleet.clock_log))


def wait_first_post(fleet: Fleet, timeout: float = 90) -> None:
    """Wait until the clock has posted the first ritual (it is up; the rest fall due later),
    so that RSVPs are part of the load however slowly the clock starts."""
    deadline = time.monotonic() + timeout
    while not any(m.get("bot_id") for m in fleet.workspace.messages_in(RITUAL_CHANNEL)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the clock posted nothing:\n{fleet.clock_log.read_text()[-2000:]}")
        time.sleep(0.1)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(url: str, fleet: Fleet, timeout: float = 60) -> None:
    """Wait until a serve process answers /healthz with 200."""
    http = fleet.senders[0].http
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if http.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        if any(p.poll() is not None for p in fleet.processes):
            break
        time.sleep(0.2)
    tails = "\n".join(path.read_text()[-2000:] for path in fleet.serve_logs if path.exists())
    raise RuntimeError(f"{url} did not become healthy:\n{tails}")


# ---------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    """What the clock must post during the run, and the KPIs the load records."""

    ritual_titles: list[str]
    digest_channel: str
    kpis: list[str]


def seed(
    engine: Engine, *, start: datetime, seconds: float, rituals: int = 4, kpis: int = 32
) -> Plan:
    """Rituals due during the first two thirds of the run, a digest due in its first half,
    and the KPIs (one per worker) the load records values of."""
    titles = [f"Load session {n}" for n in range(1, rituals + 1)]
    names = [f"load_kpi_{n}" for n in range(kpis)]
    step = seconds * 2 / 3 / rituals
    with Session(engine) as session:
        for number, title in enumerate(titles, start=1):
            session.add(
                Ritual(
                    team_id=TEAM,
                    number=1000 + number,
                    # Workshops and brainstorms are posted with RSVP buttons.
                    kind=("workshop", "brainstorm")[number % 2],
                    title=title,
                    rule_json=parse_schedule("daily at 9:00", now=start, tz="UTC").to_json(),
                    rule_text="daily at 9:00",
                    tz="UTC",
                    channel_id=RITUAL_CHANNEL,
                    creator_id=OPS_USER,
                    created_at=start,
                    next_at=start + timedelta(seconds=3 + step * (number - 1)),
                )
            )
        subscription = digest_service.subscribe(
            session=session,
            team_id=TEAM,
            user_id=OPS_USER,
            request=digest_service.SubscribeRequest(channel_id=FEEDBACK_CHANNEL),
            tz="UTC",
            now=start,
        )
        # The first planned run falls due soon; its period and payload stay as planned.
        first = session.exec(
            select(ScheduledTask)
            .where(ScheduledTask.team_id == TEAM, ScheduledTask.kind == "digest")
            .order_by(col(ScheduledTask.run_at))
        ).first()
        assert first is not None and subscription is not None
        first.run_at = start + timedelta(seconds=max(4.0, seconds / 2))
        for name in names:
            kpi_service.define_kpi(
                session=session,
                team_id=TEAM,
                definition=kpi_service.Definition(name),
                user_id=OPS_USER,
                now=start,
            )
        session.commit()
    return Plan(titles, FEEDBACK_CHANNEL, names)


# ---------------------------------------------------------------------------- the load


@dataclass
class Record:
    """What the load sent and what was acknowledged, and what the acks promise."""

    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    # Slack's retries (the same signed request again, to the other process) and double clicks.
    retries: Counter[str] = field(default_factory=Counter)
    double_clicks: int = 0
    # Requests Bolt stopped waiting for (no ack within 3 s: Slack shows "failed").
    late: Counter[str] = field(default_factory=Counter)
    # Text filed -> its FB number (from "Filed FB-n" or "Already filed FB-n").
    filed: dict[str, int] = field(default_factory=dict)
    # Texts answered with a number other than the first answer's.
    refiled: list[str] = field(default_factory=list)
    # (person, FB number) of every acked +1 click.
    votes: set[tuple[str, int]] = field(default_factory=set)
    # (channel, ts) of a captured message -> everyone whose capture reaction was acked.
    captures: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # (person, occurrence id) -> their last acked RSVP answer.
    rsvps: dict[tuple[str, int], str] = field(default_factory=dict)
    rituals: list[str] = field(default_factory=list)
    kpi_values: dict[tuple[str, date], str] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self, kind: str, delivery: Delivery) -> bool:
        """Count one request; True when the bot acknowledged it (200)."""
        with self.lock:
            self.sent[kind] += 1
            self.latencies[kind].append(delivery.latency)
            if delivery.status == 200:
                self.acked[kind] += 1
                return True
            if delivery.status == 404 and "unhandled request" in delivery.body:
                self.late[kind] += 1
                return False
            self.errors.append(f"{kind}: HTTP {delivery.status} {delivery.body[:120]!r}")
            return False


class Load:
    """Workers sending what Slack would send, spread over the serve processes."""

    def __init__(self, fleet: Fleet, plan: Plan, record: Record | None = None) -> None:
        self.fleet = fleet
        self.plan = plan
        self.record = record or Record()
        self.people = [u.id for u in fleet.workspace.users.values() if not u.is_bot]
        # One sender at a time per (person, occurrence): their clicks go out in order.
        self.rsvp_locks: dict[tuple[str, int], threading.Lock] = defaultdict(threading.Lock)
        self.locks_lock = threading.Lock()
        self.captured: list[str] = []

    def run(self, *, seconds: float, workers: int = 32, seed: int = 1) -> Record:
        """Send for `seconds` from `workers` threads; returns the record."""
        stop_at = time.monotonic() + seconds
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._worker, args=(n, random.Random(seed * 1000 + n), stop_at))
            for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.record.seconds = time.monotonic() - started
        return self.record

    def _worker(self, number: int, rng: random.Random, stop_at: float) -> None:
        step = 0
        while time.monotonic() < stop_at:
            step += 1
            kind = rng.choices(KINDS, WEIGHTS)[0]
            sender = self.fleet.senders[(number + step) % len(self.fleet.senders)]
            try:
                getattr(self, f"_{kind}")(sender, rng, number, step)
            except Exception as err:  # the record says what failed; the others go on
                with self.record.lock:
                    self.record.errors.append(f"{kind}: {type(err).__name__}: {err}"[:300])

    def _retry(self, kind: str, sender: EventSender, delivery: Delivery) -> Delivery:
        """Slack's retry of a delivered request: the same signed body, X-Slack-Retry-Num 1,
        here to the other serve process (a load balancer may send it anywhere)."""
        senders = self.fleet.senders
        other = senders[(senders.index(sender) + 1) % len(senders)]
        with self.record.lock:
            self.record.retries[kind] += 1
        return other.resend(delivery, wait=False)

    # -------------------------------------------------------------------- acts

    def _file(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        text = f"Load item w{worker} s{step} {rng.choice(WORDS)} {rng.choice(WORDS)}"
        user = rng.choice(self.people)
        delivery = sender.slash_command(user, FEEDBACK_CHANNEL, f"/feedback {text}")
        self._filed(text, delivery)
        if rng.random() < 0.15:
            # Slack retries (or a slow proxy resends) the same signed request, maybe to
            # the other process.
            self._filed(text, self._retry("file", sender, delivery))

    def _filed(self, text: str, delivery: Delivery) -> None:
        if not self.record.delivered("file", delivery):
            return
        answer = delivery.json() or {}
        match = FILED.match(str(answer.get("text", "")))
        with self.record.lock:
            if match is None:
                self.record.errors.append(f"file: unexpected answer {delivery.body[:120]!r}")
                return
            number = int(match.group(1))
            if self.record.filed.setdefault(text, number) != number:
                self.record.refiled.append(text)

    def _vote(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        with self.record.lock:
            numbers = sorted(set(self.record.filed.values()))
        if not numbers:
            return self._file(sender, rng, worker, step)
        number = rng.choice(numbers)
        user = rng.choice(self.people)
        shown = sender.slash_command(user, FEEDBACK_CHANNEL, f"/feedback show FB-{number}")
        if not self.record.delivered("show", shown):
            return None
        ts = self._ephemeral_with(user, f"show:{number}")
        if ts is None:
            with self.record.lock:
                self.record.errors.append(f"show: no card with +1 for FB-{number}")
            return None
        double = rng.random() < 0.2
        click = sender.click(
            user,
            action_id=ACTION_VOTE,
            channel_id=FEEDBACK_CHANNEL,
            message_ts=ts,
            times=2 if double else 1,
        )
        if self.record.delivered("vote", click):
            with self.record.lock:
                self.record.votes.add((user, number))
                self.record.double_clicks += double
        if rng.random() < 0.1:
            self.record.delivered("vote", self._retry("vote", sender, click))
        return None

    def _ephemeral_with(self, user: str, block_id: str) -> str | None:
        workspace = self.fleet.workspace
        with workspace.lock:
            for ephemeral in reversed(workspace.ephemerals):
                if ephemeral["user"] == user and any(
                    b.get("block_id") == block_id for b in ephemeral.get("blocks") or []
                ):
                    return str(ephemeral["ts"])
        return None

    def _capture(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        with self.record.lock:
            known = list(self.captured)
        if not known or rng.random() < 0.4:
            author = rng.choice(self.people)
            text = f"Chat w{worker} s{step}: the {rng.choice(WORDS)} is {rng.choice(WORDS)}"
            ts = str(sender.post_message(author, CHAT_CHANNEL, text)["ts"])
            with self.record.lock:
                self.captured.append(ts)
        else:
            ts = rng.choice(known)
        reactor = rng.choice(self.people)
        delivery = sender.react(reactor, CHAT_CHANNEL, ts, CAPTURE_EMOJI)
        if delivery is None:
            return  # this person had reacted already: Slack sends nothing
        if self.record.delivered("capture", delivery):
            with self.record.lock:
                self.record.captures[(CHAT_CHANNEL, ts)].add(reactor)
        if rng.random() < 0.2:
            self.record.delivered("capture", self._retry("capture", sender, delivery))

    def _rsvp(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        posts = [
            m
            for m in self.fleet.workspace.messages_in(RITUAL_CHANNEL)
            if m.get("bot_id")
            and any(str(b.get("block_id", "")).startswith("rsvp:") for b in m.get("blocks") or [])
        ]
        if not posts:
            return self._file(sender, rng, worker, step)
        post = rng.choice(posts)
        block = next(b for b in post["blocks"] if str(b.get("block_id", "")).startswith("rsvp:"))
        occurrence = int(str(block["block_id"]).split(":")[1])
        user = rng.choice(self.people)
        with self.locks_lock:
            lock = self.rsvp_locks[(user, occurrence)]
        with lock:
            # A person sometimes changes their mind at once.
            for _ in range(2 if rng.random() < 0.3 else 1):
                answer = rng.choice(("going", "maybe", "cant"))
                delivery = sender.click(
                    user,
                    action_id=ACTION_RSVP,
                    value=f"{occurrence}:{answer}",
                    channel_id=RITUAL_CHANNEL,
                    message_ts=str(post["ts"]),
                )
                if self.record.delivered("rsvp", delivery):
                    with self.record.lock:
                        self.record.rsvps[(user, occurrence)] = answer
        return None

    def _ritual(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        title = f"Load ritual w{worker} s{step}"
        line = f'/ritual add sync "{title}" daily at 9:00 in <#{CHAT_CHANNEL}|squad-a>'
        delivery = sender.slash_command(OPS_USER, CHAT_CHANNEL, line)
        if self.record.delivered("ritual", delivery):
            text = str((delivery.json() or {}).get("text", ""))
            with self.record.lock:
                if "R-" in text:
                    self.record.rituals.append(title)
                else:
                    self.record.errors.append(f"ritual: unexpected answer {text[:120]!r}")

    def _kpi(self, sender: EventSender, rng: random.Random, worker: int, step: int) -> None:
        name = self.plan.kpis[worker % len(self.plan.kpis)]
        on = date.today() - timedelta(days=step)
        value = f"{rng.randint(0, 10000) / 10:.1f}"
        user = rng.choice(self.people)
        line = f"/kpi record {name} {value} {on.isoformat()}"
        delivery = sender.slash_command(user, CHAT_CHANNEL, line)
        if self.record.delivered("kpi", delivery):
            with self.record.lock:
                self.record.kpi_values[(name, on)] = value
        if rng.random() < 0.1:
            self.record.delivered("kpi", self._retry("kpi", sender, delivery))


WORDS = (
    "export",
    "search",
    "onboarding",
    "billing",
    "dashboard",
    "mobile",
    "login",
    "invoice",
    "calendar",
    "slow",
    "broken",
    "confusing",
    "missing",
    "great",
    "flaky",
    "permissions",
)


# ---------------------------------------------------------------------------- the check


def problems(engine: Engine, fleet: Fleet, plan: Plan, record: Record) -> list[str]:
    """Every way the database and the channels differ from what the acks promised."""
    found: list[str] = []
    with Session(engine) as session:
        found += _feedback_problems(session, record)
        found += _rsvp_problems(session, record)
        found += _clock_problems(session, fleet, plan)
        rituals = Counter(
            session.exec(select(Ritual.title).where(col(Ritual.title).like("Load ritual %")))
        )
        values = {
            (name, on): value
            for name, on, value in session.exec(
                select(Kpi.name, KpiValue.on, KpiValue.value).join(
                    Kpi, col(Kpi.id) == col(KpiValue.kpi_id)
                )
            )
        }
    found += [f"ritual {t!r} stored {n} times" for t, n in rituals.items() if n > 1]
    found += [f"ritual {t!r} acked, not stored" for t in set(record.rituals) - set(rituals)]
    found += [f"ritual {t!r} stored, not acked" for t in set(rituals) - set(record.rituals)]
    for key, value in record.kpi_values.items():
        stored = values.get(key)
        if stored is None or float(stored) != float(value):
            found.append(f"kpi {key}: acked {value}, stored {stored}")
    found += [f"feedback {t!r} answered with two numbers" for t in record.refiled]
    return found


def _feedback_problems(session: Session, record: Record) -> list[str]:
    found = []
    items = session.exec(select(Feedback)).all()
    by_text = Counter(i.text for i in items if i.source == "command")
    found += [f"feedback {t!r} stored {n} times" for t, n in by_text.items() if n > 1]
    found += [f"feedback {t!r} acked, not stored" for t in set(record.filed) - set(by_text)]
    found += [f"feedback {t!r} stored, not acked" for t in set(by_text) - set(record.filed)]
    numbers = {i.text: i.number for i in items if i.source == "command"}
    found += [
        f"feedback {t!r} acked as FB-{n}, stored as FB-{numbers[t]}"
        for t, n in record.filed.items()
        if t in numbers and numbers[t] != n
    ]
    voters: dict[int, set[str]] = defaultdict(set)
    for feedback_id, user in session.exec(select(FeedbackVote.feedback_id, FeedbackVote.user_id)):
        voters[feedback_id].add(user)
    expected: dict[int, set[str]] = defaultdict(set)
    for user, number in record.votes:
        expected[number].add(user)
    captured = {i.source_key: i for i in items if i.source == "reaction"}
    for (channel, ts), reactors in record.captures.items():
        item = captured.get(f"message:{channel}:{ts}")
        if item is None:
            found.append(f"capture of {channel}/{ts} acked, no item")
            continue
        if voters[item.id or 0] != reactors:
            found.append(
                f"capture FB-{item.number}: votes {sorted(voters[item.id or 0])}, "
                f"reactors {sorted(reactors)}"
            )
    captured_keys = {f"message:{c}:{t}" for c, t in record.captures}
    found += [f"captured {k} without an acked reaction" for k in set(captured) - captured_keys]
    for item in items:
        if item.vote_count != len(voters[item.id or 0]):
            found.append(
                f"FB-{item.number}: vote_count {item.vote_count}, votes {len(voters[item.id or 0])}"
            )
        if item.source != "command":
            continue
        want = expected[item.number] | {item.reporter_id}
        if voters[item.id or 0] != want:
            found.append(
                f"FB-{item.number}: voters {sorted(voters[item.id or 0])}, clicked {sorted(want)}"
            )
    return found


def _rsvp_problems(session: Session, record: Record) -> list[str]:
    stored = {
        (r.user_id, r.occurrence_id): r.answer for r in session.exec(select(RitualRsvp)).all()
    }
    found = [
        f"rsvp {key}: last clicked {answer}, stored {stored.get(key)}"
        for key, answer in record.rsvps.items()
        if stored.get(key) != answer
    ]
    found += [f"rsvp {key} stored, never clicked" for key in set(stored) - set(record.rsvps)]
    return found


def _clock_problems(session: Session, fleet: Fleet, plan: Plan) -> list[str]:
    found = []
    ritual_posts = [
        m["text"] for m in fleet.workspace.messages_in(RITUAL_CHANNEL) if m.get("bot_id")
    ]
    for title in plan.ritual_titles:
        posts = sum(1 for text in ritual_posts if text.startswith(f"{title}:"))
        if posts != 1:
            found.append(f"ritual {title!r} posted {posts} times")
    occurrences = session.exec(
        select(RitualOccurrence, Ritual.title).join(
            Ritual, col(Ritual.id) == col(RitualOccurrence.ritual_id)
        )
    ).all()
    for title in plan.ritual_titles:
        rows = [o for o, t in occurrences if t == title]
        if len(rows) != 1 or rows[0].status != "posted":
            found.append(f"ritual {title!r} occurrences {[r.status for r in rows]}")
    digests = [
        m
        for m in fleet.workspace.messages_in(plan.digest_channel)
        if m.get("bot_id") and str(m.get("text", "")).startswith("Weekly digest")
    ]
    runs = session.exec(select(DigestRun).where(DigestRun.subscription_id > 0)).all()
    if len(digests) != 1:
        found.append(f"digest posted {len(digests)} times: {[m['text'][:80] for m in digests]}")
    if len(runs) != 1 or runs[0].posted_at is None:
        found.append(f"digest runs {[(r.period, r.posted_at) for r in runs]}")
    return found


def log_problems(fleet: Fleet) -> list[str]:
    """Failed handlers, server errors and tracebacks in the bot's logs."""
    found = []
    for line in fleet.log_lines():
        event = str(line.get("event", ""))
        status = line.get("status")
        failed = event == "handler_failed" or line.get("level") in ("error", "critical")
        if failed or (isinstance(status, int) and status >= 500):
            found.append(f"log: {json.dumps(line)[:300]}")
    return found


def settle(
    engine: Engine, fleet: Fleet, plan: Plan, record: Record, *, timeout: float = 120
) -> list[str]:
    """Wait until the check passes and stays passed (or `timeout` runs out); its problems."""
    deadline = time.monotonic() + timeout
    found = problems(engine, fleet, plan, record)
    while time.monotonic() < deadline:
        if not found:
            # Passed: look again a little later, for doubles that come late.
            time.sleep(3)
            found = problems(engine, fleet, plan, record)
            if not found:
                return []
        time.sleep(0.5)
        found = problems(engine, fleet, plan, record)
    return found


def counts(engine: Engine) -> dict[str, int]:
    """Rows the load made, by table."""
    with Session(engine) as session:

        def count(model: Any) -> int:
            return int(session.exec(select(func.count()).select_from(model)).one())

        return {
            "feedback": count(Feedback),
            "votes": count(FeedbackVote),
            "rsvps": count(RitualRsvp),
            "occurrences": count(RitualOccurrence),
            "kpi values": count(KpiValue),
            "digest runs": count(DigestRun),
        }
