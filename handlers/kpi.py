"""/kpi: define, record, show (with a chart), list and delete KPIs, and the delete buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.blocks import kpi as blocks
from bot.blocks.usage import build_unknown_subcommand_card, build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, Token, parse_command
from bot.ingest import deliver_alerts
from bot.logs import get_logger
from bot.services import kpis as service
from bot.services.kpis import KpiNotFound, Summary
from bot.services.roles import OPS_ONLY
from bot.text import escape
from handlers.common import names, team_of, user_of

log = get_logger(__name__)
USAGE = blocks.KPI_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the /kpi listeners."""
    flows = KpiFlows(deps)

    @app.command("/kpi")
    def on_kpi_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        team, user = command["team_id"], command["user_id"]
        if parsed.subcommand == "show":
            flows.show(ack, client, respond, command, parsed.args)
            return
        if parsed.subcommand == "record":
            flows.record(ack, client, command, parsed.args)
            return
        answer = {
            "define": flows.define,
            "list": flows.list_kpis,
            "delete": flows.ask_delete,
        }.get(parsed.subcommand or "")
        if answer is None:
            ack(**flows.usage(parsed.subcommand, bool(parsed.tokens)))
            return
        ack(**flows.guard(lambda: answer(client, team, user, parsed.args, command)))

    @app.action(blocks.ACTION_DELETE)
    def on_delete_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.delete(body, client, respond)

    @app.action(blocks.ACTION_KEEP)
    def on_keep_clicked(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="Kept it: nothing was deleted.")


class KpiFlows:
    """What each /kpi listener does, between parsing a payload and answering it."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def guard(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The answer of a command flow; expected errors become a usage card or a short note."""
        try:
            return dict(run())
        except CommandParseError as err:
            return build_usage_card(USAGE, problem=err.message, fragment=err.fragment)
        except KpiNotFound as err:
            return {
                "text": f":warning: There is no KPI named `{escape(service.shown(err.name))}` "
                "in this workspace. `/kpi list` shows the KPIs there are; ops add one with "
                "`/kpi define`."
            }

    def usage(self, subcommand: str | None, typed: bool) -> dict[str, Any]:
        """help, nothing, or an unknown subcommand: the usage card."""
        if subcommand == "help" or not typed:
            return build_usage_card(USAGE)
        if subcommand is None:
            return build_usage_card(USAGE, problem="start with a subcommand, like record")
        return build_unknown_subcommand_card(USAGE, subcommand, service.SUBCOMMANDS)

    def is_ops(self, client: WebClient, team: str, user: str) -> bool:
        """The ops check of SPEC §4."""
        return directory.is_ops(self.deps, client, team, user)

    def today(self, client: WebClient, team: str, user: str) -> date:
        """Today in the person's timezone (from Slack), else the bot's default one."""
        profile = directory.profile(self.deps, client, team, user)
        return service.today_in(
            self.deps.now(), profile.tz if profile else None, self.deps.settings.default_timezone
        )

    # ------------------------------------------------------------------ subcommands

    def define(
        self, client: WebClient, team: str, user: str, args: list[Token], command: dict[str, Any]
    ) -> dict[str, Any]:
        """`/kpi define ...` (ops only)."""
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        definition = service.parse_definition(args)
        with self.deps.session_scope() as session:
            defined = service.define_kpi(
                session=session,
                team_id=team,
                definition=definition,
                user_id=user,
                now=self.deps.now(),
            )
        return blocks.build_defined(defined)

    def record(
        self, ack: Ack, client: WebClient, command: dict[str, Any], args: list[Token]
    ) -> None:
        """`/kpi record <name> <value> [date]`: answer, then post an alert if it crossed."""
        team, user = command["team_id"], command["user_id"]

        def run() -> dict[str, Any]:
            request = service.parse_record(args, today=self.today(client, team, user))
            with self.deps.session_scope() as session:
                recorded = service.record_value(
                    session=session,
                    team_id=team,
                    name=request.name,
                    value=request.value_text,
                    on=request.on,
                    source="slack",
                    recorded_by=user,
                    now=self.deps.now(),
                )
            alerts.extend([recorded.alert] if recorded.alert else [])
            return blocks.build_recorded(recorded)

        alerts: list[service.Alert] = []
        ack(**self.guard(run))
        if alerts:
            by = names(self.deps, client, team, [user]).get(user)
            deliver_alerts(
                session_scope=self.deps.session_scope,
                client=client,
                alerts=alerts,
                now=self.deps.now,
                by=by,
            )

    def show(
        self,
        ack: Ack,
        client: WebClient,
        respond: Respond,
        command: dict[str, Any],
        args: list[Token],
    ) -> None:
        """`/kpi show <name>`: the numbers at once, then the chart uploaded to the channel."""
        team = command["team_id"]
        found: list[Summary] = []

        def run() -> dict[str, Any]:
            name = service.parse_name_arg(args, "show")
            today = service.today_in(self.deps.now(), None, self.deps.settings.default_timezone)
            with self.deps.session_scope() as session:
                summary = service.summarize(session=session, team_id=team, name=name, today=today)
            found.append(summary)
            return blocks.build_kpi_detail(summary, chart=bool(summary.points))

        ack(**self.guard(run))
        if found and found[0].points:
            self.upload_chart(client, respond, command, found[0])

    def upload_chart(
        self, client: WebClient, respond: Respond, command: dict[str, Any], summary: Summary
    ) -> None:
        """Draw the 12-week chart and share it where the command was typed."""
        from bot.charts import render_kpi_chart

        kpi = summary.kpi
        today = service.today_in(self.deps.now(), None, self.deps.settings.default_timezone)
        png = render_kpi_chart(
            kpi.name,
            kpi.unit,
            [(p.on, p.value) for p in summary.points],
            kpi.target.value if kpi.target else None,
            target_op=kpi.target.op if kpi.target else None,
            window=(service.chart_since(today), today),
        )
        try:
            client.files_upload_v2(
                channel=command["channel_id"],
                file=png,
                filename=f"kpi-{kpi.name}.png",
                title=blocks.chart_title(kpi),
                initial_comment=blocks.chart_comment(summary),
            )
        except SlackApiError as err:
            error = err.response.get("error") if err.response else str(err)
            log.warning("kpi_chart_upload_failed", team=kpi.team_id, kpi=kpi.name, error=error)
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f":warning: I couldn't share the chart here ({error}). Invite me to this "
                "channel with `/invite @productops`, or try `/kpi show` in a DM with me.",
            )

    def list_kpis(
        self, client: WebClient, team: str, user: str, args: list[Token], command: dict[str, Any]
    ) -> dict[str, Any]:
        """`/kpi list`."""
        if args:
            raise CommandParseError(
                "list takes nothing after it", " ".join(a.raw for a in args)[:40]
            )
        today = service.today_in(self.deps.now(), None, self.deps.settings.default_timezone)
        with self.deps.session_scope() as session:
            found = service.summaries(session=session, team_id=team, today=today)
            total = service.count_kpis(session=session, team_id=team)
        return blocks.build_kpi_list(found, total=total)

    def ask_delete(
        self, client: WebClient, team: str, user: str, args: list[Token], command: dict[str, Any]
    ) -> dict[str, Any]:
        """`/kpi delete <name>` (ops only): a confirmation with the number of values."""
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        name = service.parse_name_arg(args, "delete")
        with self.deps.session_scope() as session:
            kpi, values = service.deletion(session=session, team_id=team, name=name)
        return blocks.build_delete_confirm(kpi, values)

    def delete(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The confirm button: delete the KPI it names (by id, so a new one of that name stays)."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            respond(text=OPS_ONLY, replace_original=False, response_type="ephemeral")
            return
        value = str(body["actions"][0].get("value", ""))
        if not value.isdigit():
            respond(text=":warning: That button is broken; nothing was deleted.")
            return
        with self.deps.session_scope() as session:
            deleted = service.delete_kpi(session=session, team_id=team, kpi_id=int(value))
        if deleted is None:
            respond(replace_original=True, text="That KPI was already deleted.")
            return
        log.info("kpi_deleted", team=team, user=user, kpi=deleted[0], values=deleted[1])
        respond(replace_original=True, **blocks.build_deleted(*deleted))
