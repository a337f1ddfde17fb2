"""/summarize, the "Summarize thread" shortcut, `@productops summarize`, and "Post to thread"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import summaries as blocks
from bot.blocks.usage import build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, parse_command
from bot.llm import ChatModel
from bot.logs import get_logger
from bot.services import summaries as service
from bot.services.summaries import (
    MAX_CHANNEL_MESSAGES,
    MAX_THREADS,
    Conversation,
    StoredSummary,
    SummaryProblem,
    SummaryRequest,
    ThreadRequest,
)
from bot.text import escape
from handlers.common import names, team_of, tell, user_of

log = get_logger(__name__)
USAGE = blocks.SUMMARIZE_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the summary listeners."""
    flows = SummaryFlows(deps, ChatModel(deps.settings))

    @app.command("/summarize")
    def on_summarize_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
    ) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
            if not parsed.tokens or parsed.subcommand == "help":
                ack(**build_usage_card(USAGE))
                return
            request = service.parse_request(parsed.tokens)
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        ack(**blocks.build_working())
        flows.answer_command(client, respond, command, request, context.bot_user_id)

    @app.shortcut("summarize_thread")
    def on_summarize_shortcut(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        flows.answer_shortcut(client, shortcut, context.bot_user_id)

    @app.event("app_mention")
    def on_mention(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        flows.answer_mention(client, team_of(body), event, context.bot_user_id)

    @app.action(blocks.ACTION_POST)
    def on_post_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.post_clicked(client, respond, body)


class SummaryFlows:
    """What each summary listener does after its ack: read, summarize (or reuse), answer."""

    def __init__(self, deps: Deps, llm: ChatModel) -> None:
        self.deps = deps
        self.llm = llm

    # ------------------------------------------------------------------ making summaries

    def make(
        self,
        client: WebClient,
        team: str,
        user: str | None,
        conversation: Conversation,
        bot_user_id: str | None,
    ) -> StoredSummary:
        """The summary of a conversation read from Slack: cached, or made now."""
        people = names(self.deps, client, team, conversation.people())
        stored = service.summarize_conversation(
            session_scope=self.deps.session_scope,
            team_id=team,
            conversation=conversation,
            messages=service.to_messages(conversation, people, bot_user_id=bot_user_id),
            names=people,
            llm=self.llm,
            prompts_dir=self.deps.settings.prompts_dir,
            requested_by=user,
            now=self.deps.now(),
        )
        log.info(
            "summary",
            team=team,
            user=user,
            channel=stored.channel_id,
            scope=stored.scope,
            model=stored.model,
            cached=stored.cached,
            messages=stored.message_count,
        )
        return stored

    def read_thread(self, client: WebClient, channel: str, ts: str) -> Conversation:
        """A thread with at least one reply (a lone message is no thread to summarize)."""
        conversation = service.read_thread(client, channel, ts)
        if len(conversation.raw) < 2:
            raise SummaryProblem(
                "That message has no replies, so there is no thread to summarize. "
                "For a channel, use /summarize #channel 7d."
            )
        return conversation

    def read(self, client: WebClient, request: SummaryRequest) -> Conversation:
        """The conversation a /summarize request names."""
        if isinstance(request, ThreadRequest):
            return self.read_thread(
                client, request.channel_id, request.thread_ts or request.message_ts
            )
        channel = request.channel_id or service.find_channel_id(client, request.channel_name or "")
        now = self.deps.now()
        conversation = service.read_channel(
            client, channel, oldest=now - request.window, latest=now, scope=request.scope
        )
        if not conversation.raw:
            raise SummaryProblem(
                f"Nobody wrote in that channel in {service.describe_window(request.window)}."
            )
        return conversation

    def message_for(
        self, stored: StoredSummary, *, button: bool, extra: str | None = None
    ) -> dict[str, Any]:
        """The summary message; with `button`, a button to post it where it came from."""
        window = service.window_of(stored.scope)
        if window is None:
            title = blocks.thread_title(stored.channel_id, stored.message_count)
            label = "Post to thread"
        else:
            title = blocks.channel_title(
                stored.channel_id, service.describe_window(window), stored.message_count
            )
            label = "Post to channel"
        return blocks.build_summary_message(
            stored.summary,
            title=title,
            context=[n for n in (self.note(stored), extra) if n],
            post_id=stored.id if button else None,
            post_label=label,
        )

    def note(self, stored: StoredSummary) -> str | None:
        """The context line: reused or not, cut or not, made by which model."""
        parts = []
        if not stored.summary.offline:
            parts.append(f"Summarized with {escape(stored.model)}")
        if stored.cached:
            parts.append("no new messages since this summary was made")
        if stored.truncated:
            parts.append(
                f"read the newest {MAX_CHANNEL_MESSAGES:,} messages and the "
                f"{MAX_THREADS} busiest threads"
            )
        return " · ".join(parts) or None

    # ------------------------------------------------------------------ entry points

    def answer_command(
        self,
        client: WebClient,
        respond: Respond,
        command: dict[str, Any],
        request: SummaryRequest,
        bot_user_id: str | None,
    ) -> None:
        """`/summarize <link>` or `/summarize #channel [7d]`, after the ack."""
        team, user = command["team_id"], command["user_id"]
        try:
            stored = self.make(client, team, user, self.read(client, request), bot_user_id)
        except SummaryProblem as err:
            respond(response_type="ephemeral", **blocks.build_problem(str(err)))
            return
        respond(response_type="ephemeral", **self.message_for(stored, button=True))

    def answer_shortcut(
        self, client: WebClient, shortcut: dict[str, Any], bot_user_id: str | None
    ) -> None:
        """The "Summarize thread" shortcut: "Summarizing…" at once, then the summary."""
        team, user = team_of(shortcut), user_of(shortcut)
        channel = str(shortcut.get("channel", {}).get("id") or "")
        message = shortcut.get("message", {})
        tell(client, channel_id=channel, user_id=user, message=blocks.build_working())
        root = str(message.get("thread_ts") or message.get("ts") or shortcut.get("message_ts"))
        try:
            conversation = self.read_thread(client, channel, root)
            answer = self.message_for(
                self.make(client, team, user, conversation, bot_user_id), button=True
            )
        except SummaryProblem as err:
            answer = blocks.build_problem(str(err))
        tell(client, channel_id=channel, user_id=user, message=answer)

    def answer_mention(
        self, client: WebClient, team: str, event: dict[str, Any], bot_user_id: str | None
    ) -> None:
        """`@productops summarize` in a thread posts the summary there; else a short help."""
        channel = str(event.get("channel") or "")
        thread = event.get("thread_ts")
        user = str(event.get("user") or "")
        if not channel:
            return
        if not thread or not service.is_summon(str(event.get("text") or "")):
            try:
                client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread or event.get("ts"),
                    **blocks.build_mention_help(),
                )
            except SlackApiError as err:
                # The mention may be gone already, or the bot not in the channel: no one to tell.
                log.info("mention_help_failed", team=team, channel=channel, error=str(err))
            return
        tell(
            client,
            channel_id=channel,
            user_id=user,
            message=blocks.build_working(),
            thread_ts=thread,
        )
        try:
            stored = self.make(
                client, team, user, service.read_thread(client, channel, thread), bot_user_id
            )
            claim = self.post_into_conversation(client, team, user, stored)
        except SummaryProblem as err:
            tell(
                client,
                channel_id=channel,
                user_id=user,
                message=blocks.build_problem(str(err)),
                thread_ts=thread,
            )
            return
        if not claim.first:
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                **blocks.build_already_posted(self.permalink(client, claim), asked_again=True),
            )

    def post_clicked(self, client: WebClient, respond: Respond, body: dict[str, Any]) -> None:
        """ "Post to thread" / "Post to channel": the same summary, posted once by the bot."""
        team, user = team_of(body), user_of(body)
        value = str(body["actions"][0].get("value") or "")
        stored = (
            service.load_summary(
                session_scope=self.deps.session_scope, team_id=team, summary_id=int(value)
            )
            if value.isdigit()
            else None
        )
        if stored is None:
            respond(
                replace_original=False,
                **blocks.build_problem("That summary is gone. Ask for a new one."),
            )
            return
        try:
            claim = self.post_into_conversation(client, team, user, stored)
        except SummaryProblem as err:
            respond(replace_original=False, **blocks.build_problem(str(err)))
            return
        if not claim.first:
            respond(
                replace_original=False,
                **blocks.build_already_posted(self.permalink(client, claim), asked_again=False),
            )
            return
        note = blocks.build_posted_note(stored.channel_id, stored.thread_ts is not None)
        respond(replace_original=True, **self.message_for(stored, button=False, extra=note))

    # ------------------------------------------------------------------ posting

    def post_into_conversation(
        self, client: WebClient, team: str, user: str, stored: StoredSummary
    ) -> service.PostClaim:
        """Post a stored summary into its thread (or channel) once, as the bot."""
        claim = service.claim_post(
            session_scope=self.deps.session_scope,
            team_id=team,
            summary_id=stored.id,
            user_id=user,
            now=self.deps.now(),
        )
        if not claim.first:
            return claim
        who = names(self.deps, client, team, [user]).get(user, user)
        message = self.message_for(stored, button=False, extra=f"Asked for by {blocks.safe(who)}")
        try:
            posted = client.chat_postMessage(
                channel=stored.channel_id,
                thread_ts=stored.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                **message,
            )
        except SlackApiError as err:
            service.post_failed(
                session_scope=self.deps.session_scope, team_id=team, summary_id=stored.id
            )
            log.warning("summary_post_failed", team=team, summary=stored.id, error=str(err))
            raise SummaryProblem(
                "I couldn't post there. Invite me to the channel with /invite @productops."
            ) from err
        service.posted(
            session_scope=self.deps.session_scope,
            team_id=team,
            summary_id=stored.id,
            channel_id=str(posted["channel"]),
            ts=str(posted["ts"]),
        )
        return claim

    def permalink(self, client: WebClient, claim: service.PostClaim) -> str | None:
        """A link to where a summary was posted before, when Slack gives one."""
        if not (claim.channel_id and claim.message_ts):
            return None
        try:
            found = client.chat_getPermalink(channel=claim.channel_id, message_ts=claim.message_ts)
        except SlackApiError:
            return None
        return str(found.get("permalink") or "") or None
