"""Commands in the manifest whose features this version does not have yet.

They answer whatever is typed (help, nothing, anything) with a usage card that says what the
command will do, clearly marked as not available in this version, instead of Slack's
"dispatch_failed" error.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.blocks.usage import Usage, build_usage_card
from bot.deps import Deps

UPCOMING: tuple[str, ...] = ()
NOT_YET = (
    "Not available in this version of productops yet. Try `/feedback help` for what works today."
)
# What each command will do, shown as its usage card until it is built.
USAGES: dict[str, Usage] = {}
# Events in the manifest whose features come later: acknowledged so that Slack sees a 200
# (an unhandled event gets 404 from Bolt, and Slack retries and counts it as a failure).
UPCOMING_EVENTS = (
    "app_uninstalled",
    "tokens_revoked",
)


def register(app: App, deps: Deps) -> None:
    """Attach a short answer to each upcoming command."""

    def on_upcoming_command(ack: Ack, command: dict[str, Any]) -> None:
        name = str(command.get("command") or "this command")
        usage = USAGES.get(name) or Usage(
            command=name,
            summary="not available in this version yet",
            forms=(("help", "show this card"),),
            examples=("help",),
            notes=(NOT_YET,),
        )
        ack(**build_usage_card(usage))

    for name in UPCOMING:
        app.command(name)(on_upcoming_command)

    def on_upcoming_event() -> None:
        """Nothing to do yet; Bolt acknowledges the event."""

    for event in UPCOMING_EVENTS:
        app.event(event)(on_upcoming_event)
