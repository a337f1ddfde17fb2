"""The two apps under test, started as subprocesses under one gunicorn configuration.

* ``bot``: ``productops serve --no-scheduler`` (gunicorn gthread via `bot.server`);
* ``bare``: ``python -m gunicorn 'bench.lib.bare_bolt_app:create_app()'`` with the same
  worker class, workers, threads, timeouts, keep-alive and logging as `bot.server`.

Both bind 127.0.0.1 on a free port and use a database of their own (a fresh SQLite file by
default, or a fresh PostgreSQL schema).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.lib import ROOT
from bench.lib.procs import Server, free_port

BIN = Path(sys.executable).parent
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_BASE = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
# Keys of bot.settings.Settings and this module's own: never inherited from the caller.
_SCRUBBED_PREFIXES = (
    "SLACK_",
    "OPENAI_",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "FEEDBACK_",
    "OPS_ADMINS",
    "KPI_",
    "DEFAULT_TIMEZONE",
    "LOG_LEVEL",
    "PORT",
    "LISTENER_THREADS",
    "SCHEDULER_",
    "PROMPTS_DIR",
    "BENCH_",
    "GUNICORN_CMD_ARGS",
)


@dataclass(frozen=True)
class GunicornConfig:
    """What both apps share; the values mirror `bot.server.run_gunicorn`."""

    workers: int = 2
    threads: int = 8
    timeout: int = 60
    graceful_timeout: int = 30
    keepalive: int = 5
    loglevel: str = "warning"


@dataclass(frozen=True)
class Database:
    """Where one app keeps its rows: the URL for the bot and the target for the bare app."""

    bot_url: str
    bare_target: str
    postgres: bool = False


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def sqlite_database(workdir: Path, name: str) -> Database:
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Database(bot_url=f"sqlite:///{path}", bare_target=str(path))


def postgres_answers(timeout: float = 1.0) -> bool:
    """True when something accepts connections on 127.0.0.1:5432."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout).close()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[Database]:
    """A fresh schema in database `test` for the duration; dropped afterwards."""
    import psycopg

    schema = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    options = f"options=-csearch_path%3D{schema}"
    try:
        yield Database(
            bot_url=f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test?{options}",
            bare_target=f"{PG_BASE}?{options}",
            postgres=True,
        )
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def count_rows(database: Database, which: str, table: str = "feedback") -> int:
    """Rows in `table` of one app's database (`which`: "bot" or "bare")."""
    target = database.bare_target
    if database.postgres:
        import psycopg

        with psycopg.connect(target) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            return int(row[0]) if row else 0
    import sqlite3

    path = target if which == "bare" else database.bot_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _productops() -> list[str]:
    script = BIN / "productops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def bot_env(*, secret: str, api_url: str, database: Database) -> dict[str, str]:
    env = base_env()
    env.update(
        SLACK_SIGNING_SECRET=secret,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_API_URL=api_url,
        DATABASE_URL=database.bot_url,
        LOG_LEVEL="WARNING",
    )
    return env


def migrate_bot(*, secret: str, api_url: str, database: Database, workdir: Path) -> None:
    """`productops migrate` (serve migrates SQLite itself; PostgreSQL needs this first)."""
    subprocess.run(
        [*_productops(), "migrate"],
        env=bot_env(secret=secret, api_url=api_url, database=database),
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bot_server(
    *, secret: str, api_url: str, database: Database, config: GunicornConfig, workdir: Path
) -> Server:
    """productops-bot's own server: `productops serve --no-scheduler`."""
    port = free_port()
    argv = [
        *_productops(),
        "serve",
        "--no-scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
    ]
    return Server(
        name="bot",
        argv=argv,
        port=port,
        health_path="/healthz",
        env=bot_env(secret=secret, api_url=api_url, database=database),
        # A directory without .env, so the bot reads only what is set here.
        cwd=str(workdir),
        log_path=workdir / f"bot-{port}.log",
    )


def bare_server(
    *, secret: str, api_url: str, database: Database, config: GunicornConfig, workdir: Path
) -> Server:
    """The bare Flask + Bolt baseline under the same gunicorn settings as the bot."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--pythonpath",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
        "--timeout",
        str(config.timeout),
        "--graceful-timeout",
        str(config.graceful_timeout),
        "--keep-alive",
        str(config.keepalive),
        "--error-logfile",
        "-",
        "--log-level",
        config.loglevel,
        "--name",
        "bare-bolt",
        "bench.lib.bare_bolt_app:create_app()",
    ]
    env = base_env()
    env.update(
        BENCH_SIGNING_SECRET=secret,
        BENCH_SLACK_API_URL=api_url,
        BENCH_DATABASE=database.bare_target,
    )
    return Server(
        name="bare",
        argv=argv,
        port=port,
        health_path="/healthz",
        env=env,
        cwd=str(workdir),
        log_path=workdir / f"bare-{port}.log",
    )


def workdir(prefix: str) -> Path:
    """A fresh temporary directory for databases and server logs."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
