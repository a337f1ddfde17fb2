"""/stack: add, list, show, edit and remove tools of the team's stack, and the remove buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import directory
from bot.blocks import stack as blocks
from bot.blocks.usage import build_unknown_subcommand_card, build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, Token, parse_command
from bot.logs import get_logger
from bot.services import stack as service
from bot.services.roles import OPS_ONLY
from bot.services.stack import ToolExists, ToolInfo, ToolNotFound
from bot.services.team_settings import team_settings
from bot.text import escape
from handlers.common import names, team_of, user_of

log = get_logger(__name__)
USAGE = blocks.STACK_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the /stack listeners."""
    flows = StackFlows(deps)

    @app.command("/stack")
    def on_stack_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        if parsed.subcommand == "list" and not parsed.args:
            ack()
            respond(response_type="ephemeral", **flows.list_tools(client, command))
            return
        answer = {
            "add": flows.add,
            "show": flows.show,
            "edit": flows.edit,
            "remove": flows.ask_remove,
        }.get(parsed.subcommand or "")
        if answer is None:
            ack(**flows.usage(parsed.subcommand, parsed.tokens))
            return
        ack(**flows.guard(lambda: answer(client, command, parsed.args)))

    @app.action(blocks.ACTION_REMOVE)
    def on_remove_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.remove(body, client, respond)

    @app.action(blocks.ACTION_KEEP)
    def on_keep_clicked(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="Kept it: nothing was removed.")


class StackFlows:
    """What each /stack listener does, between parsing a payload and answering it."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def guard(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The answer of a command flow; expected errors become a usage card or a short note."""
        try:
            return dict(run())
        except CommandParseError as err:
            return build_usage_card(USAGE, problem=err.message, fragment=err.fragment)
        except ToolNotFound as err:
            return {"text": f":warning: {escape(str(err))} `/stack list` shows every tool."}
        except ToolExists as err:
            return {
                "text": f":warning: *{escape(err.name)}* is in the stack already. Change it "
                f"with `/stack edit {escape(err.name)} key:value`."
            }

    def usage(self, subcommand: str | None, tokens: list[Token]) -> dict[str, Any]:
        """help, nothing, or an unknown subcommand: the usage card."""
        if subcommand == "help" or not tokens:
            return build_usage_card(USAGE)
        if subcommand is None:
            return build_usage_card(
                USAGE, problem="start with a subcommand, like list", fragment=tokens[0].raw
            )
        if subcommand == "list":
            return build_usage_card(USAGE, problem="list takes nothing after it", fragment="list")
        return build_unknown_subcommand_card(USAGE, subcommand, service.SUBCOMMANDS)

    def is_ops(self, client: WebClient, team: str, user: str) -> bool:
        """The ops check of SPEC §4."""
        return directory.is_ops(self.deps, client, team, user)

    def team_tz(self, team: str) -> str:
        """The team's default timezone (App Home settings, else DEFAULT_TIMEZONE)."""
        with self.deps.session_scope() as session:
            return team_settings(session, team, self.deps.settings).default_timezone

    def user_today(self, client: WebClient, team: str, user: str, team_tz: str) -> date:
        """Today where the person is: dates like `tomorrow` mean their tomorrow."""
        profile = directory.profile(self.deps, client, team, user)
        return service.today_in(self.deps.now(), (profile.tz if profile else None) or team_tz)

    def people(self, client: WebClient, team: str, *tools: ToolInfo) -> dict[str, str]:
        """Plain names of owners and adders (never mentions: no pings)."""
        return names(
            self.deps, client, team, [u for t in tools for u in (t.owner_id, t.created_by)]
        )

    # ------------------------------------------------------------------ subcommands

    def add(self, client: WebClient, command: dict[str, Any], args: list[Token]) -> dict[str, Any]:
        """`/stack add <tool> [options]` (ops only)."""
        return self.save(client, command, args, "add")

    def edit(self, client: WebClient, command: dict[str, Any], args: list[Token]) -> dict[str, Any]:
        """`/stack edit <tool> key:value ...` (ops only)."""
        return self.save(client, command, args, "edit")

    def save(
        self, client: WebClient, command: dict[str, Any], args: list[Token], sub: str
    ) -> dict[str, Any]:
        """Add or edit after the role check; the answer shows what is stored now."""
        team, user = command["team_id"], command["user_id"]
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        tz = self.team_tz(team)
        request = service.parse_request(
            args, subcommand=sub, actor=user, today=self.user_today(client, team, user, tz)
        )
        save = service.add_tool if sub == "add" else service.edit_tool
        with self.deps.session_scope() as session:
            saved = save(
                session=session,
                team_id=team,
                request=request,
                actor=user,
                now=self.deps.now(),
                tz=tz,
            )
        log.info("stack_tool_saved", team=team, user=user, tool=saved.tool.id, sub=sub)
        today = service.today_in(self.deps.now(), tz)
        return blocks.build_saved(saved, self.people(client, team, saved.tool), today)

    def list_tools(self, client: WebClient, command: dict[str, Any]) -> dict[str, Any]:
        """`/stack list`."""
        team = command["team_id"]
        tz = self.team_tz(team)
        with self.deps.session_scope() as session:
            found = service.overview(session=session, team_id=team, now=self.deps.now(), tz=tz)
        tools = [t for _, group in found.groups for t in group]
        return blocks.build_stack_list(found, self.people(client, team, *tools))

    def show(self, client: WebClient, command: dict[str, Any], args: list[Token]) -> dict[str, Any]:
        """`/stack show <tool>`."""
        team = command["team_id"]
        name, rest = service.parse_name(args, "show")
        if rest:
            raise CommandParseError("show takes just a tool name", rest[0].raw)
        tz = self.team_tz(team)
        with self.deps.session_scope() as session:
            tool = service.get_tool(session=session, team_id=team, name=name)
        today = service.today_in(self.deps.now(), tz)
        return blocks.build_tool_detail(tool, self.people(client, team, tool), today)

    def ask_remove(
        self, client: WebClient, command: dict[str, Any], args: list[Token]
    ) -> dict[str, Any]:
        """`/stack remove <tool>` (ops only): a confirmation first."""
        team, user = command["team_id"], command["user_id"]
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        name, rest = service.parse_name(args, "remove")
        if rest:
            raise CommandParseError("remove takes just a tool name", rest[0].raw)
        with self.deps.session_scope() as session:
            tool = service.get_tool(session=session, team_id=team, name=name)
        return blocks.build_remove_confirm(tool)

    def remove(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The confirm button: remove the tool it names (by id: a new one of that name stays)."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            respond(text=OPS_ONLY, replace_original=False, response_type="ephemeral")
            return
        value = str(body["actions"][0].get("value", ""))
        if not value.isdigit():
            respond(text=":warning: That button is broken; nothing was removed.")
            return
        with self.deps.session_scope() as session:
            removed = service.remove_tool(session=session, team_id=team, tool_id=int(value))
        if removed is None:
            respond(replace_original=False, text="That tool was already removed.")
            return
        log.info("stack_tool_removed", team=team, user=user, tool=int(value))
        respond(replace_original=True, **blocks.build_removed(removed))
