"""/digest: preview, post now, subscribe and unsubscribe a channel's weekly digest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import digests as jobs
from bot import directory
from bot.blocks import digest as blocks
from bot.blocks.usage import build_unknown_subcommand_card, build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, Token, parse_command
from bot.logs import get_logger
from bot.services import digests as service
from bot.services.digests import SubscriptionInfo
from bot.services.roles import OPS_ONLY

log = get_logger(__name__)
USAGE = blocks.DIGEST_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the /digest listener."""
    flows = DigestFlows(deps)

    @app.command("/digest")
    def on_digest_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        sub, args = parsed.subcommand, parsed.args
        if sub in ("preview", "now") and args:
            ack(
                **build_usage_card(
                    USAGE,
                    problem=f"{sub} takes nothing after it",
                    fragment=" ".join(t.raw for t in args)[:40],
                )
            )
        elif sub == "preview":
            flows.preview(ack, client, respond, command)
        elif sub == "now":
            flows.now(ack, client, respond, command)
        elif sub == "subscribe":
            ack(**flows.guard(lambda: flows.subscribe(client, command, args)))
        elif sub == "unsubscribe":
            ack(**flows.guard(lambda: flows.unsubscribe(client, command, args)))
        else:
            ack(**flows.usage(sub, bool(parsed.tokens), parsed.tokens))


class DigestFlows:
    """What each /digest subcommand does between the payload and the answer."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def guard(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The answer of a flow; a parse error becomes the usage card with the problem."""
        try:
            return dict(run())
        except CommandParseError as err:
            return build_usage_card(USAGE, problem=err.message, fragment=err.fragment)

    def usage(self, subcommand: str | None, typed: bool, tokens: list[Token]) -> dict[str, Any]:
        """help, nothing, or an unknown subcommand: the usage card."""
        if subcommand == "help" or not typed:
            return build_usage_card(USAGE)
        if subcommand is None:
            fragment = tokens[0].raw if tokens else None
            return build_usage_card(
                USAGE, problem="start with a subcommand, like preview", fragment=fragment
            )
        return build_unknown_subcommand_card(USAGE, subcommand, service.SUBCOMMANDS)

    def is_ops(self, client: WebClient, team: str, user: str) -> bool:
        """The ops check of SPEC §4."""
        return directory.is_ops(self.deps, client, team, user)

    def viewer_tz(self, client: WebClient, team: str, user: str) -> str:
        """The person's Slack timezone (users.info), else the team's default."""
        profile = directory.profile(self.deps, client, team, user)
        if profile is not None and profile.tz:
            return profile.tz
        return jobs.team_timezone(self.deps, team)

    def subscription(self, team: str, channel: str) -> SubscriptionInfo | None:
        """The channel's active subscription."""
        with self.deps.session_scope() as session:
            return service.subscription_of(session=session, team_id=team, channel_id=channel)

    # ------------------------------------------------------------------ subcommands

    def subscribe(
        self, client: WebClient, command: dict[str, Any], args: list[Token]
    ) -> dict[str, Any]:
        """`/digest subscribe [#channel] [weekly on mon at 9:00] [with channel summary]` (ops)."""
        team, user = command["team_id"], command["user_id"]
        request = service.parse_subscribe(args, default_channel=command["channel_id"])
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        tz = self.viewer_tz(client, team, user)
        with self.deps.session_scope() as session:
            subscription = service.subscribe(
                session=session,
                team_id=team,
                user_id=user,
                request=request,
                tz=tz,
                now=self.deps.now(),
            )
        log.info("digest_subscribed", team=team, user=user, channel=subscription.channel_id)
        return blocks.build_subscribed(subscription, viewer_tz=tz)

    def unsubscribe(
        self, client: WebClient, command: dict[str, Any], args: list[Token]
    ) -> dict[str, Any]:
        """`/digest unsubscribe [#channel]` (ops)."""
        team, user = command["team_id"], command["user_id"]
        channel = service.parse_channel_only(
            args, default_channel=command["channel_id"], subcommand="unsubscribe"
        )
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        with self.deps.session_scope() as session:
            stopped = service.unsubscribe(session=session, team_id=team, channel_id=channel)
        if stopped is not None:
            log.info("digest_unsubscribed", team=team, user=user, channel=channel)
        return blocks.build_unsubscribed(channel, had=stopped is not None)

    def preview(
        self, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]
    ) -> None:
        """`/digest preview`: ack at once, then this week's digest, only for the caller."""
        ack(**blocks.build_working("Putting this week's digest together, just for you…"))
        team, user, channel = command["team_id"], command["user_id"], command["channel_id"]
        try:
            message = jobs.preview(
                self.deps,
                client,
                team_id=team,
                channel_id=channel,
                tz=self.viewer_tz(client, team, user),
                subscription=self.subscription(team, channel),
            )
        except Exception as err:
            self.failed(respond, team, user, "preview", err)
            return
        respond(response_type="ephemeral", replace_original=False, **message)

    def now(self, ack: Ack, client: WebClient, respond: Respond, command: dict[str, Any]) -> None:
        """`/digest now` (ops): ack at once, then post the digest to this channel."""
        team, user, channel = command["team_id"], command["user_id"], command["channel_id"]
        if not self.is_ops(client, team, user):
            ack(text=OPS_ONLY)
            return
        ack(**blocks.build_working("Putting the digest together; it will appear here shortly."))
        try:
            jobs.post_now(
                self.deps,
                client,
                team_id=team,
                channel_id=channel,
                tz=self.viewer_tz(client, team, user),
                trigger=str(
                    command.get("trigger_id") or f"{channel}:{self.deps.now().timestamp()}"
                ),
                subscription=self.subscription(team, channel),
            )
        except jobs.DigestNotPosted as err:
            respond(
                response_type="ephemeral", replace_original=False, **blocks.build_problem(str(err))
            )
        except Exception as err:
            self.failed(respond, team, user, "now", err)

    def failed(self, respond: Respond, team: str, user: str, what: str, err: Exception) -> None:
        """After the ack, an unexpected failure: logged, and the person is told."""
        log.error("digest_command_failed", team=team, user=user, sub=what, exc_info=err)
        respond(
            response_type="ephemeral",
            replace_original=False,
            **blocks.build_problem(
                "Something went wrong putting the digest together. Try again in a moment."
            ),
        )
