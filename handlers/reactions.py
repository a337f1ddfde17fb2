"""Capture emoji: reacting captures a message as feedback once; more reactors add votes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import feedback as blocks
from bot.deps import Deps
from bot.grammar import unescape
from bot.logs import get_logger
from bot.services import feedback as service
from handlers.common import config_of, tell
from handlers.feedback import FeedbackFlows

log = get_logger(__name__)

CANT_READ = (
    "I can't read that conversation, so I couldn't capture the message. Invite me with "
    "`/invite @productops`, or use the message's ⋯ menu → Capture as feedback."
)


def register(app: App, deps: Deps) -> None:
    """Attach the reaction listeners."""
    flows = FeedbackFlows(deps)

    def is_capture(event: dict[str, Any], body: dict[str, Any]) -> bool:
        item = event.get("item", {})
        emoji = config_of(deps, str(body.get("team_id") or "")).feedback_reactions
        return item.get("type") == "message" and event.get("reaction", "").split("::")[0] in emoji

    @app.event("reaction_added", matchers=[lambda event, body: is_capture(event, body)])
    def on_capture_reaction(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        team, user = body["team_id"], event["user"]
        channel, ts = event["item"]["channel"], event["item"]["ts"]
        try:
            message = fetch_message(client, channel, ts)
        except SlackApiError as err:
            log.info("capture_unreadable", team=team, channel=channel, error=str(err))
            tell(client, channel_id=None, user_id=user, message={"text": CANT_READ})
            return
        thread_ts = message.get("thread_ts") if message else None
        problem = refusal(message)
        if problem:
            tell(
                client,
                channel_id=channel,
                user_id=user,
                message={"text": problem},
                thread_ts=thread_ts,
            )
            return
        assert message is not None
        permalink = None
        try:
            permalink = str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as err:
            log.info("permalink_failed", team=team, channel=channel, error=str(err))
        with deps.session_scope() as session:
            existed = service.captured_item(
                session=session, team_id=team, channel_id=channel, message_ts=ts
            )
            result = service.capture_message(
                session=session,
                team_id=team,
                reactor_id=user,
                channel_id=channel,
                message_ts=ts,
                text=unescape(message.get("text") or ""),
                author_id=message.get("user"),
                permalink=permalink,
                now=deps.now(),
            )
        created = existed is None and result.added
        tell(
            client,
            channel_id=channel,
            user_id=user,
            thread_ts=thread_ts,
            message=blocks.build_capture_answer(result, created=created),
        )
        if created:
            flows.later(flows.after_filing, client, team, result.item, channel_id=channel)
        elif result.added:
            flows.refresh_card(client, team, result.item)

    @app.event("reaction_added")
    def on_other_reaction() -> None:
        """Other emoji mean nothing to the bot."""

    @app.event("reaction_removed", matchers=[lambda event, body: is_capture(event, body)])
    def on_capture_reaction_removed(
        event: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        team, user = body["team_id"], event["user"]
        channel, ts = event["item"]["channel"], event["item"]["ts"]
        emoji = config_of(deps, team).feedback_reactions
        if still_reacting(client, channel, ts, user, emoji):
            return
        with deps.session_scope() as session:
            item = service.captured_item(
                session=session, team_id=team, channel_id=channel, message_ts=ts
            )
            if item is None:
                return
            result = service.unvote(session=session, team_id=team, number=item.number, user_id=user)
        if not result.added:
            tell(
                client,
                channel_id=channel,
                user_id=user,
                message={
                    "text": f"Took your vote back from {result.item.key} "
                    f"({result.item.votes} left)."
                },
            )
            flows.refresh_card(client, team, result.item)

    @app.event("reaction_removed")
    def on_other_reaction_removed() -> None:
        """Other emoji mean nothing to the bot."""


def fetch_message(client: WebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at `ts`, top-level or in a thread; None when it is gone."""
    window: dict[str, Any] = {"latest": ts, "oldest": ts, "inclusive": True, "limit": 1}
    found = client.conversations_history(channel=channel, **window).get("messages") or []
    if found and found[0].get("ts") == ts:
        return dict(found[0])
    try:
        replies = (
            client.conversations_replies(channel=channel, ts=ts, **window).get("messages") or []
        )
    except SlackApiError as err:
        if err.response.get("error") == "thread_not_found":
            return None
        raise
    return next((dict(m) for m in replies if m.get("ts") == ts), None)


def refusal(message: dict[str, Any] | None) -> str | None:
    """Why a message cannot be captured, or None when it can."""
    if message is None:
        return "I couldn't find that message any more, so nothing was captured."
    if message.get("bot_id") or message.get("subtype") in ("bot_message", "bot_add"):
        return (
            "That message comes from an app, so I didn't capture it. React to what a "
            "person said, or file it with /feedback."
        )
    if not (message.get("text") or "").strip():
        return (
            "That message has no text (only files or attachments), so there is nothing to "
            "capture. File it with /feedback and describe it."
        )
    return None


def still_reacting(
    client: WebClient, channel: str, ts: str, user: str, emoji: tuple[str, ...]
) -> bool:
    """True when the person still has another capture emoji on the message."""
    try:
        message = client.reactions_get(channel=channel, timestamp=ts).get("message") or {}
    except SlackApiError:
        return False
    return any(
        r.get("name", "").split("::")[0] in emoji and user in r.get("users", [])
        for r in message.get("reactions", [])
    )
