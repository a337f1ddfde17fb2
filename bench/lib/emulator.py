"""A standalone emulated Slack Web API in its own process: the project's emulator, no bot.

    python -m bench.lib.emulator --port 0    # prints "listening on http://127.0.0.1:PORT"

It serves `bot.sandbox.webapi` (the methods and wire format the end-to-end tests use) for
one `Workspace`, so the apps under test get `<url>/api/` as their Web API and
`<url>/response/...` as response_urls. Running it in a process of its own keeps its CPU
away from the load generator's threads (and lets the benchmarks measure it on its own).

Two additions for load tests: response_url tokens of the form
`bench-<user>-<channel>-<n>` are accepted without being issued first (the load generator
cannot ask this process for each one), and `GET /bench/calls` answers how many times each
Web API method was called.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lib import ROOT
from bench.lib.apps import base_env
from bench.lib.procs import Server, free_port
from bench.lib.slack_load import RESPONSE_PREFIX


class _BenchResponseUrls(dict[str, dict[str, Any]]):
    """Response URLs, where `bench-<user>-<channel>-<n>` is valid without being issued."""

    def get(self, token: str, default: Any = None) -> Any:  # type: ignore[override]
        entry = super().get(token)
        if entry is None and token.startswith(RESPONSE_PREFIX):
            parts = token.split("-")
            if len(parts) >= 4:
                entry = {
                    "user": parts[1],
                    "channel": parts[2],
                    "message_ts": None,
                    "ephemeral": False,
                    "issued": time.time(),
                    "uses": 0,
                }
                self[token] = entry
        return entry if entry is not None else default


def serve(port: int) -> None:
    """Serve the emulator on 127.0.0.1:`port` until killed (the subprocess's main)."""
    from flask import Flask, jsonify
    from werkzeug.serving import WSGIRequestHandler, make_server

    from bot.sandbox.webapi import create_webapi_blueprint
    from bot.sandbox.workspace import Workspace

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: object, **kwargs: object) -> None:
            pass

    workspace = Workspace()
    workspace.tokens.add("xoxb-bench")
    workspace.response_urls = _BenchResponseUrls()
    holder: dict[str, str] = {}
    web = Flask("bench-emulator", static_folder=None)
    web.register_blueprint(create_webapi_blueprint(workspace, lambda: holder["url"]))

    @web.get("/bench/calls")
    def calls() -> Any:
        with workspace.lock:
            counts = Counter(call.method for call in workspace.calls)
            # The record is only needed for this count; keep memory flat under load.
            workspace.calls.clear()
            workspace.ephemerals.clear()
        return jsonify(dict(counts))

    @web.get("/bench/health")
    def health() -> Any:
        return jsonify({"ok": True})

    server = make_server("127.0.0.1", port, web, threaded=True, request_handler=QuietHandler)
    holder["url"] = f"http://127.0.0.1:{server.server_port}"
    print(f"listening on {holder['url']}", flush=True)
    server.serve_forever(poll_interval=0.2)


@dataclass
class Emulator:
    """The emulator subprocess, seen from the benchmark."""

    server: Server
    totals: Counter[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def pid(self) -> int:
        return self.server.pid

    def call_counts(self) -> dict[str, int]:
        """How many times each Web API method was called so far."""
        self._collect()
        return dict(self.totals)

    def _collect(self) -> None:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("GET", "/bench/calls")
            self.totals.update(json.loads(conn.getresponse().read()))
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.stop(timeout=5)


def start_emulator(workdir: Path) -> Emulator:
    """Start the emulator subprocess on a free port and wait until it answers."""
    port = free_port()
    server = Server(
        name="emulator",
        argv=[sys.executable, "-m", "bench.lib.emulator", "--port", str(port)],
        port=port,
        health_path="/bench/health",
        env={**base_env(), "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
        log_path=workdir / f"emulator-{port}.log",
    )
    server.start()
    server.wait_healthy(timeout=30)
    return Emulator(server, Counter())


def _main() -> None:
    parser = argparse.ArgumentParser(description="standalone emulated Slack Web API")
    parser.add_argument("--port", type=int, default=0)
    serve(parser.parse_args().port)


if __name__ == "__main__":
    _main()
