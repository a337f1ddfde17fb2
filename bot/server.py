"""Production servers: gunicorn (threaded workers) for HTTP, or Socket Mode."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings


class _Gunicorn(BaseApplication):
    """gunicorn with its options from code; each worker builds its own app after the fork."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.app import create_app
        from bot.deps import build_deps
        from bot.web import create_web_app

        deps = build_deps(self.settings)
        return create_web_app(create_app(self.settings, deps=deps), deps)


def run_gunicorn(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve /slack/events and /healthz under gunicorn's gthread workers until stopped."""
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 60,
            "graceful_timeout": 30,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": settings.log_level.lower(),
            "proc_name": "productops",
        },
    ).run()


def run_socket_mode(settings: Settings) -> None:
    """Answer Slack over a Socket Mode WebSocket (SLACK_APP_TOKEN) until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    SocketModeHandler(create_app(settings), settings.slack_app_token).start()
