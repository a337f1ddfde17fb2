"""/feedback: file product feedback from a slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.blocks.feedback import FEEDBACK_USAGE, build_feedback_card
from bot.blocks.usage import build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, parse_command
from bot.services import feedback as feedback_service

# Subcommands of the complete feature that this version does not answer yet; reserved so
# that `/feedback list` is never filed as the feedback text "list".
NOT_YET = ("list", "search", "show", "triage", "themes")


def register(app: App, deps: Deps) -> None:
    """Attach the /feedback listeners."""

    @app.command("/feedback")
    def on_feedback_command(ack: Ack, command: dict[str, Any]) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
            if (parsed.subcommand == "help" and not parsed.args) or not parsed.tokens:
                ack(**build_usage_card(FEEDBACK_USAGE))
                return
            if parsed.subcommand in NOT_YET:
                problem = f"`/feedback {parsed.subcommand}` is not available in this version yet"
                ack(**build_usage_card(FEEDBACK_USAGE, problem=problem))
                return
            mistyped = feedback_service.mistyped_subcommand(parsed.tokens)
            if mistyped:
                typed, meant = mistyped
                problem = f"unknown subcommand, did you mean `{meant}`?"
                ack(**build_usage_card(FEEDBACK_USAGE, problem=problem, fragment=typed))
                return
            draft = feedback_service.parse_draft(parsed.tokens)
        except CommandParseError as err:
            ack(**build_usage_card(FEEDBACK_USAGE, problem=err.message, fragment=err.fragment))
            return
        with deps.session_scope() as session:
            filed = feedback_service.file_feedback(
                session=session,
                team_id=command["team_id"],
                reporter_id=command["user_id"],
                channel_id=command.get("channel_id"),
                draft=draft,
                now=deps.now(),
                source_key=f"command:{command.get('trigger_id')}",
            )
        ack(**build_feedback_card(filed))
