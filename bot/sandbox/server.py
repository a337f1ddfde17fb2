"""The sandbox: the bot, the emulated Slack and the web page, served together on one port.

Paths on that port:
  /                 the Slack look-alike page (static files in ./static)
  /sandbox/state    what the chosen user sees (long poll: ?user=U0001&since=<version>)
  /sandbox/act      a person's act (POST JSON), sent to the bot as Slack would
  /api/<method>     the emulated Web API the bot calls (SLACK_API_URL)
  /response/<id>    response_urls; /upload/<id> and /files/<id> file uploads
  /bot/...          the bot itself: /bot/slack/events, /bot/healthz
The end-to-end tests start the same server on a free port.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from bot.deps import Deps, build_deps
from bot.manifest import COMMANDS, SHORTCUTS
from bot.sandbox.sender import EventSender
from bot.sandbox.webapi import create_webapi_blueprint
from bot.sandbox.workspace import SlackApiFailure, Workspace, Workspaces
from bot.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
LONG_POLL_SECONDS = 20.0
SANDBOX_TOKEN = "xoxb-sandbox-T0001"


class SandboxClock:
    """The sandbox's "now": the wall clock plus an offset a person moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self.offset

    def advance_to(self, at: datetime) -> None:
        """Jump forward to `at` (never back: what happened stays happened)."""
        with self._lock:
            self.offset = max(self.offset, at - datetime.now(UTC))


class Senders:
    """One event sender per workspace, made when first needed."""

    def __init__(self, bot_url: str, signing_secret: str, emulator_url: str) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.emulator_url = emulator_url
        self._by_team: dict[str, EventSender] = {}
        self._lock = threading.Lock()

    def __call__(self, workspace: Workspace) -> EventSender:
        with self._lock:
            sender = self._by_team.get(workspace.team_id)
            if sender is None:
                sender = self._by_team[workspace.team_id] = EventSender(
                    workspace,
                    bot_url=self.bot_url,
                    signing_secret=self.signing_secret,
                    emulator_url=self.emulator_url,
                )
            return sender


@dataclass
class Sandbox:
    """A running sandbox: its URL, workspace, event sender, and the bot's deps."""

    url: str
    workspace: Workspace
    sender: EventSender
    deps: Deps
    settings: Settings
    server: BaseWSGIServer
    thread: threading.Thread
    workspaces: Workspaces
    senders: Senders

    def sender_for(self, workspace: Workspace) -> EventSender:
        """The event sender for people of a workspace (tests: it waits for the bot's work)."""
        sender = self.senders(workspace)
        sender.settle = self.settle
        return sender

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the bot has finished the work it does after its acks."""
        # Listeners may queue background work and background work may not; twice covers both.
        for _ in range(2):
            if not (
                self.deps.listeners.wait_idle(timeout) and self.deps.background.wait_idle(timeout)
            ):
                raise TimeoutError("the bot is still busy")

    def stop(self) -> None:
        """Stop serving and close the database pool."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.deps.engine.dispose()


def start_sandbox(
    settings: Settings | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    workspace: Workspace | None = None,
    workspaces: Workspaces | None = None,
    deps: Deps | None = None,
    now: Callable[[], datetime] | None = None,
    oauth: bool = False,
) -> Sandbox:
    """Serve the bot, the emulator and the page on `host:port` (0 picks a free port).

    With `oauth`, the bot is installed into workspaces through the emulated OAuth flow (the
    settings' SLACK_CLIENT_ID and SECRET) instead of holding one SLACK_BOT_TOKEN.
    """
    from bot.app import create_app
    from bot.web import create_web_app

    workspaces = workspaces or Workspaces(workspace or Workspace())
    workspace = workspaces.first
    root = _Mount()
    server = make_server(host, port, root, threaded=True)
    url = f"http://{host}:{server.server_port}"
    base = settings or Settings()
    update: dict[str, Any] = {
        "slack_api_url": f"{url}/api/",
        "slack_signing_secret": base.slack_signing_secret or secrets.token_hex(16),
    }
    if oauth:
        update["slack_bot_token"] = None
        workspaces.client_id = base.slack_client_id
        workspaces.client_secret = base.slack_client_secret
        workspaces.redirect_uri = f"{url}/bot/slack/oauth_redirect"
    else:
        update.update(
            slack_bot_token=base.slack_bot_token or SANDBOX_TOKEN,
            slack_client_id=None,
            slack_client_secret=None,
        )
        workspace.tokens.add(update["slack_bot_token"])
    settings = base.model_copy(update=update)
    deps = deps or (build_deps(settings, now=now) if now else build_deps(settings))
    bot_app = create_app(settings, deps=deps)
    senders = Senders(f"{url}/bot/slack/events", settings.slack_signing_secret or "", url)
    sender = senders(workspace)
    time_control = TimeControl(now, deps) if isinstance(now, SandboxClock) else None
    emulator = create_emulator_app(
        workspaces, senders, url, time_control, install_url="/bot/slack/install" if oauth else None
    )
    root.app = DispatcherMiddleware(emulator, {"/bot": create_web_app(bot_app, deps)})
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="sandbox-http",
        daemon=True,
    )
    thread.start()
    return Sandbox(url, workspace, sender, deps, settings, server, thread, workspaces, senders)


class _Mount:
    """A WSGI app whose target is set once the port (and so the bot's settings) is known."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def create_emulator_app(
    slack: Workspace | Workspaces,
    senders: Senders,
    url: str,
    time_control: TimeControl | None = None,
    *,
    install_url: str | None = None,
) -> Flask:
    """The emulated Slack: Web API, response_urls, uploads, and the page with its endpoints.

    People are found in their workspace by their id (Slack's ids are unique across them);
    `install_url` is where a workspace without the bot can add it (OAuth sandboxes).
    """
    workspaces = slack if isinstance(slack, Workspaces) else Workspaces(slack)
    web = Flask("productops-sandbox", static_folder=None)
    web.register_blueprint(create_webapi_blueprint(workspaces, lambda: url))

    def workspace_of(user_id: str) -> Workspace:
        return workspaces.by_user(user_id) or workspaces.first

    @web.get("/")
    def page() -> Response:
        return send_from_directory(STATIC_DIR, "index.html")

    @web.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC_DIR, name)

    @web.get("/sandbox/state")
    def state() -> Response:
        user = request.args.get("user") or workspaces.first.humans()[0]
        workspace = workspace_of(user)
        since = request.args.get("since", type=int)
        if since is not None:
            workspace.wait_for_change(since, LONG_POLL_SECONDS)
        state = workspace.state_for(user)
        if len(workspaces.all) > 1:
            state["workspaces"] = [
                {"id": ws.team_id, "name": ws.name, "people": ws.people()} for ws in workspaces.all
            ]
        if install_url is not None:
            state["install"] = {"installed": bool(workspace.tokens), "url": install_url}
        return jsonify(state)

    @web.get("/sandbox/meta")
    def meta() -> Response:
        return jsonify({"commands": list(COMMANDS), "shortcuts": list(SHORTCUTS)})

    @web.get("/sandbox/clock")
    def clock_now() -> Response:
        return jsonify(clock_state(time_control))

    @web.post("/sandbox/clock")
    def clock_move() -> tuple[Response, int]:
        if time_control is None:
            return jsonify({"ok": False, "error": "this sandbox has no time control"}), 400
        body = request.get_json(force=True, silent=True) or {}
        try:
            time_control.fast_forward(str(body.get("to", "")))
        except ValueError as err:
            return jsonify({"ok": False, "error": str(err)}), 400
        return jsonify({"ok": True, **clock_state(time_control)}), 200

    @web.post("/sandbox/act")
    def act() -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True) or {}
        try:
            result = perform(senders(workspace_of(str(body.get("user", "")))), body)
        except SlackApiFailure as failure:
            return jsonify({"ok": False, "error": failure.error}), 400
        except (KeyError, TypeError, ValueError) as err:
            return jsonify({"ok": False, "error": f"bad act: {err}"}), 400
        return jsonify({"ok": True, **result}), 200

    return web


class TimeControl:
    """Fast-forward for the sandbox page: move "now" and let the clock catch up at once."""

    def __init__(self, clock: SandboxClock, deps: Deps) -> None:
        self.clock = clock
        self.deps = deps

    def fast_forward(self, to: str) -> None:
        """`next` (the next scheduled post), `hour`, `day` or `monday` (next Monday 9:00 UTC)."""
        from bot.scheduling import Clock
        from storage import rituals as ritual_store

        now = self.clock()
        if to == "hour":
            target = now + timedelta(hours=1)
        elif to == "day":
            target = now + timedelta(days=1)
        elif to == "monday":
            days = (7 - now.weekday()) % 7 or 7
            target = (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
        elif to == "next":
            with self.deps.session_scope() as session:
                far = now + timedelta(days=400)
                times = [
                    at for _, at in ritual_store.due_rituals(session=session, before=far, limit=1)
                ]
                times += [
                    t.run_at for t in ritual_store.due_tasks(session=session, before=far, limit=1)
                ]
            if not times:
                raise ValueError("nothing is scheduled")
            target = max(now, min(times)) + timedelta(seconds=1)
        else:
            raise ValueError("to must be next, hour, day or monday")
        self.clock.advance_to(target)
        Clock(self.deps).reconcile()


def clock_state(control: TimeControl | None) -> dict[str, Any]:
    """What the page shows about time."""
    if control is None:
        return {"now": datetime.now(UTC).isoformat(), "offset_seconds": 0, "control": False}
    return {
        "now": control.clock().isoformat(),
        "offset_seconds": int(control.clock.offset.total_seconds()),
        "control": True,
    }


def perform(sender: EventSender, act: dict[str, Any]) -> dict[str, Any]:
    """Carry out one act from the page: {"act": "command"|"message"|..., "user": ..., ...}."""
    kind = act["act"]
    user = act["user"]
    if kind == "command":
        delivery = sender.slash_command(user, act["channel"], act["text"])
        return {"status": delivery.status}
    if kind == "message":
        message = sender.post_message(
            user, act["channel"], act["text"], thread_ts=act.get("thread_ts")
        )
        return {"ts": message["ts"]}
    if kind in ("react", "unreact"):
        method = sender.react if kind == "react" else sender.unreact
        method(user, act["channel"], act["ts"], act["name"])
        return {}
    if kind == "click":
        delivery = sender.click(
            user,
            action_id=act["action_id"],
            value=act.get("value"),
            block_id=act.get("block_id"),
            channel_id=act.get("channel"),
            message_ts=act.get("ts"),
            view_id=act.get("view_id"),
            selected=act.get("selected"),
        )
        return {"status": delivery.status}
    if kind == "submit":
        delivery = sender.submit_view(user, act["view_id"], act.get("values") or {})
        return {"status": delivery.status}
    if kind == "close":
        sender.close_view(user, act["view_id"])
        return {}
    if kind == "shortcut":
        delivery = sender.shortcut(user, act["channel"], act["ts"], act["callback_id"])
        return {"status": delivery.status}
    if kind == "home":
        delivery = sender.open_home(user)
        return {"status": delivery.status}
    raise ValueError(f"unknown act {kind!r}")


def start_install(browser: requests.Session, sandbox: Sandbox) -> requests.Response:
    """GET /slack/install: the redirect to Slack's allow page, with a fresh state in its
    Location and in a cookie (Secure; browsers send it to localhost over http too, so it is
    kept without the flag here)."""
    start = browser.get(f"{sandbox.url}/bot/slack/install", allow_redirects=False, timeout=10)
    if start.status_code != 302:
        raise RuntimeError(f"/slack/install answered {start.status_code}, not a redirect")
    for name, value in list(browser.cookies.items()):
        browser.cookies.set(name, value)
    return start


def install_through_oauth(sandbox: Sandbox, team_id: str, user_id: str) -> requests.Response:
    """What a person does to add the bot to a workspace: /slack/install, Allow, back.

    Returns the bot's answer at the end of the flow (its success or failure page).
    """
    with requests.Session() as browser:
        start = start_install(browser, sandbox)
        allow = f"{start.headers['Location']}&{urlencode({'team': team_id, 'user': user_id})}"
        return browser.get(allow, timeout=10)
