"""The `productops` command: serve, clock, migrate, sandbox, manifest.

`.env` is loaded here and only here; every subcommand then builds Settings once.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from dotenv import load_dotenv

from bot.settings import Settings, SettingsError, load_settings

TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,31}")

cli = typer.Typer(
    name="productops",
    help=(
        "productops-bot: product operations in Slack. Feedback, rituals, retros, summaries, "
        "KPIs and digests. Configure with environment variables or .env (see .env.example)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as err:
        typer.echo(f"productops: {err}", err=True)
        raise typer.Exit(code=2) from None


def _setup(settings: Settings) -> None:
    from sqlalchemy.engine import make_url

    from bot.logs import configure_logging

    configure_logging(
        settings.log_level,
        secrets=(
            settings.slack_signing_secret,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_client_secret,
            settings.kpi_ingest_token,
            settings.openai_api_key,
            make_url(settings.database_url).password,
        ),
    )


def _migrate(settings: Settings) -> None:
    from storage.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


@cli.command()
def serve(
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: PORT or 3000]")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind")] = "0.0.0.0",
    workers: Annotated[int, typer.Option(min=1, help="gunicorn worker processes")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Threads per worker")] = 8,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Leave scheduling to `productops clock`")
    ] = False,
    socket: Annotated[
        bool, typer.Option("--socket", help="Socket Mode with SLACK_APP_TOKEN instead of HTTP")
    ] = False,
) -> None:
    """Answer Slack over HTTP at /slack/events (or Socket Mode), with /healthz and, when
    SLACK_CLIENT_ID/SECRET are set, /slack/install for many workspaces."""
    settings = _settings(**({"port": port} if port is not None else {}))
    try:
        settings.require_slack_credentials()
        if socket:
            settings.require("SLACK_APP_TOKEN")
    except SettingsError as err:
        typer.echo(f"productops: {err}", err=True)
        raise typer.Exit(code=2) from None
    _setup(settings)
    _migrate_if_sqlite(settings)
    clock = None if no_scheduler else _start_clock_process()
    try:
        if socket:
            from bot.server import run_socket_mode

            run_socket_mode(settings)
        else:
            from bot.server import run_gunicorn

            run_gunicorn(settings, host=host, port=settings.port, workers=workers, threads=threads)
    finally:
        if clock is not None:
            clock.terminate()
            clock.wait(timeout=30)


def _migrate_if_sqlite(settings: Settings) -> None:
    # SQLite is the zero-setup default; PostgreSQL installs migrate in the release phase.
    if settings.database_url.startswith("sqlite"):
        from storage.schema_check import sqlite_is_current

        if not sqlite_is_current(settings.database_url):
            _migrate(settings)


def _start_clock_process() -> Any:
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "bot", "clock"])


@cli.command()
def clock() -> None:
    """Run the scheduler alone (the Procfile's clock process)."""
    settings = _settings()
    _setup(settings)
    from bot.deps import build_deps
    from bot.scheduling import Clock

    deps = build_deps(settings)
    running = Clock(deps)
    running.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    settings = _settings()
    _setup(settings)
    _migrate(settings)
    typer.echo("productops: database is up to date")


@cli.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port for the page and the emulator")] = 3000,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    database_url: Annotated[
        str, typer.Option(help="Database for the sandbox")
    ] = "sqlite:///sandbox.db",
    fresh: Annotated[bool, typer.Option("--fresh", help="Start from an empty database")] = False,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Seed a believable team into an empty one")
    ] = True,
    workspaces: Annotated[
        int,
        typer.Option(
            min=1,
            max=2,
            help="2 adds a second workspace (Globex) that installs the bot through OAuth",
        ),
    ] = 1,
) -> None:
    """Try the bot in a built-in Slack look-alike: no Slack account, token or key needed."""
    overrides: dict[str, Any] = {"database_url": database_url}
    if workspaces > 1:
        # Many workspaces: the bot keeps a token per workspace, as with a distributed app.
        overrides.update(
            slack_client_id="sandbox-client-id", slack_client_secret="sandbox-client-secret"
        )
    settings = _settings(**overrides)
    _setup(settings)
    if fresh and database_url.startswith("sqlite:///"):
        db = Path(database_url.removeprefix("sqlite:///"))
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
    _migrate(settings)
    from bot.sandbox.server import SandboxClock, install_through_oauth, start_sandbox
    from bot.sandbox.workspace import Workspace, Workspaces
    from bot.scheduling import Clock

    slack = Workspaces(Workspace())
    if workspaces > 1:
        slack.add(Workspace("T0002", number=2, name="Globex Research", domain="globex"))
    running = start_sandbox(
        settings,
        host=host,
        port=port,
        now=SandboxClock(),
        workspaces=slack,
        oauth=workspaces > 1,
    )
    if running.deps.installations is not None:
        # The emulator forgets on restart what the bot's database remembers: its tokens.
        for workspace in slack.all:
            bot = running.deps.installations.find_bot(enterprise_id=None, team_id=workspace.team_id)
            if bot is not None and bot.bot_token:
                workspace.tokens.add(bot.bot_token)
        if not slack.first.tokens:
            install_through_oauth(running, slack.first.team_id, "U0001").raise_for_status()
        typer.echo("productops sandbox: Globex Research can add the bot from its page")
    if demo:
        from bot.sandbox.demo import seed_demo

        if seed_demo(running.deps, running.workspace):
            typer.echo(
                "productops sandbox: seeded the demo team (use --fresh --no-demo to start empty)"
            )
    clock_ = Clock(running.deps)
    clock_.start()
    typer.echo(f"productops sandbox: open {running.url}/ in your browser (Ctrl+C stops it)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        clock_.stop()
        running.stop()


export_cli = typer.Typer(help="Dump a workspace's data.", no_args_is_help=True)
cli.add_typer(export_cli, name="export")


@export_cli.command("feedback")
def export_feedback(
    team: Annotated[str, typer.Option(help="Slack team id (T...) of the workspace to export")],
    format: Annotated[str, typer.Option(help="csv or json")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write [default: stdout]")] = None,
) -> None:
    """Every feedback item of one workspace, with votes and status history."""
    if format not in ("csv", "json"):
        typer.echo("productops: --format: expected csv or json", err=True)
        raise typer.Exit(code=2)
    settings = _settings()
    _setup(settings)
    from bot.deps import build_deps
    from bot.export import write_feedback

    deps = build_deps(settings)
    with deps.session_scope() as session:
        from bot.services.feedback import export_rows

        rows = export_rows(session=session, team_id=team)
    if out is None:
        write_feedback(rows, sys.stdout, format)
    else:
        with out.open("w", newline="", encoding="utf-8") as sink:
            write_feedback(rows, sink, format)
        typer.echo(f"productops: wrote {len(rows)} items to {out}", err=True)


@cli.command()
def purge(
    team: Annotated[str, typer.Option(help="Slack team id (T...) whose data is deleted")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete everything stored for one workspace (after it removed the app, or on request).

    Shows what will go, asks, then deletes it in one transaction. Other workspaces are not
    touched. Exit code 0 when done or nothing was stored, 1 when declined, 2 for a bad id.
    """
    if not TEAM_ID.fullmatch(team):
        typer.echo(f"productops: --team: expected a Slack team id like T0123ABCD, got {team!r}")
        raise typer.Exit(code=2)
    settings = _settings()
    _setup(settings)
    from bot.deps import build_deps
    from bot.services import installs

    deps = build_deps(settings)
    with deps.session_scope() as session:
        counts = installs.stored_rows(session=session, team_id=team)
    if not counts:
        typer.echo(f"productops: nothing is stored for {team}")
        return
    for name, count in counts.items():
        typer.echo(f"  {name}: {count}")
    total = sum(counts.values())
    if not yes and not typer.confirm(f"Delete these {total} rows of {team} for good?"):
        typer.echo("productops: nothing was deleted")
        raise typer.Exit(code=1)
    with deps.session_scope() as session:
        deleted = installs.purge(session=session, team_id=team)
    typer.echo(f"productops: deleted {sum(deleted.values())} rows of {team}")


kpi_cli = typer.Typer(help="Key performance indicators.", no_args_is_help=True)
cli.add_typer(kpi_cli, name="kpi")


@kpi_cli.command("import")
def kpi_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a header: name,value,date")],
    team: Annotated[
        str | None,
        typer.Option(help="Slack team id (T...) [default: the only workspace with KPIs]"),
    ] = None,
) -> None:
    """Record KPI values from a CSV file; bad rows are reported by line and skipped.

    Exit code 0 when rows were imported (or were already there), 1 when every row was bad,
    2 when the file cannot be read or the workspace is unclear.
    """
    settings = _settings()
    _setup(settings)
    from bot.ingest import run_import

    raise typer.Exit(code=run_import(settings, file, team))


@cli.command()
def manifest(
    url: Annotated[str, typer.Option(help="Public base URL of your bot")] = (
        "https://productops.example.com"
    ),
) -> None:
    """Print the Slack app manifest (every command, shortcut, event and scope)."""
    from bot.manifest import render_manifest

    typer.echo(render_manifest(url), nl=False)


def main() -> None:
    """Entry point of the `productops` console script."""
    load_dotenv(Path.cwd() / ".env")
    cli()
