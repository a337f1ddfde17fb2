"""Commands in the manifest whose features this version does not have yet.

They answer with an honest ephemeral note instead of Slack's "dispatch_failed" error.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps

UPCOMING = ("/digest",)
# Events in the manifest whose features come later: acknowledged so that Slack sees a 200
# (an unhandled event gets 404 from Bolt, and Slack retries and counts it as a failure).
UPCOMING_EVENTS = (
    "app_uninstalled",
    "tokens_revoked",
)


def register(app: App, deps: Deps) -> None:
    """Attach a short answer to each upcoming command."""

    def on_upcoming_command(ack: Ack, command: dict[str, Any]) -> None:
        name = command.get("command", "this command")
        ack(
            text=f"{name} is not available in this version of productops yet. "
            "Try `/feedback help` for what works today."
        )

    for name in UPCOMING:
        app.command(name)(on_upcoming_command)

    def on_upcoming_event() -> None:
        """Nothing to do yet; Bolt acknowledges the event."""

    for event in UPCOMING_EVENTS:
        app.event(event)(on_upcoming_event)
