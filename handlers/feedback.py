"""/feedback, the feedback modal, the capture shortcut, and every feedback button."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.blocks import feedback as blocks
from bot.blocks.usage import build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, Word, parse_command, unescape
from bot.logs import get_logger
from bot.services import feedback as service
from bot.services.feedback import FeedbackConflict, FeedbackItem, FeedbackNotFound
from bot.services.roles import OPS_ONLY
from handlers.common import (
    TooLate,
    config_of,
    in_time,
    input_value,
    metadata_of,
    names,
    team_of,
    tell,
    too_late,
    user_of,
)
from handlers.home import view_action

log = get_logger(__name__)
USAGE = blocks.FEEDBACK_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the feedback listeners."""
    flows = FeedbackFlows(deps)

    @app.command("/feedback")
    def on_feedback_command(
        ack: Ack,
        command: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
    ) -> None:
        if too_late(context):
            log.warning(
                "command_dropped_too_late", team=command.get("team_id"), command="/feedback"
            )
            return
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        team, user = command["team_id"], command["user_id"]
        answer = {
            "help": flows.show_help,
            "list": flows.list_feedback,
            "search": flows.search_feedback,
            "show": flows.show_item,
            "triage": flows.triage_queue,
        }.get(parsed.subcommand or "")
        if not parsed.tokens:
            ack()
            flows.open_form(client, command["trigger_id"], command.get("channel_id"))
        elif parsed.subcommand == "themes":
            ack(text="Looking for themes in open and recent feedback…")
            flows.later(flows.show_themes, team, respond)
        elif answer is not None:
            ack(**flows.guard(lambda: answer(client, team, user, parsed.args)))
        else:
            flows.file(ack, respond, client, command, parsed.tokens, context)

    @app.shortcut("capture_feedback")
    def on_capture_shortcut(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        message = shortcut.get("message", {})
        channel = shortcut.get("channel", {}).get("id")
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            tell(
                client,
                channel_id=channel,
                user_id=user_of(shortcut),
                message={
                    "text": "That message comes from an app. Capture what a person said "
                    "instead, or file it with /feedback."
                },
            )
            return
        text = unescape(message.get("text") or "")
        metadata = {
            "channel_id": channel,
            "message_ts": message.get("ts"),
            "author_id": message.get("user"),
        }
        author = message.get("user")
        client.views_open(
            trigger_id=shortcut["trigger_id"],
            view=blocks.build_feedback_modal(
                metadata=metadata,
                draft=service.FeedbackDraft(text=text[: service.TEXT_MAX]),
                source_line=f"From a message by <@{author}>" if author else None,
            ),
        )

    @app.view(blocks.FEEDBACK_MODAL)
    def on_feedback_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_form(ack, body, client)

    @app.action(blocks.ACTION_VOTE)
    def on_vote_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with view_action(deps, body, client, respond) as respond:
            flows.guard_action(respond, lambda: flows.vote(body, client, respond))

    @app.action(blocks.ACTION_EDIT)
    def on_edit_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.guard_action(respond, lambda: flows.open_edit(body, client, respond))

    @app.action(blocks.ACTION_MERGE)
    def on_merge_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.guard_action(respond, lambda: flows.merge(body, client, respond))

    @app.action(blocks.ACTION_KEEP)
    def on_keep_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        new, _ = body["actions"][0]["value"].split(":")
        respond(replace_original=True, text=f"Kept FB-{new} separate. Thanks!")

    @app.action(blocks.ACTION_STATUS)
    def on_status_picked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with view_action(deps, body, client, respond) as respond:
            flows.guard_action(respond, lambda: flows.pick_status(body, client, respond))

    @app.view(blocks.CLOSE_NOTE_MODAL)
    def on_close_note_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        with view_action(deps, body, client, None):
            flows.submit_close_note(ack, body, client)

    @app.action(blocks.ACTION_OWNER)
    def on_owner_picked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with view_action(deps, body, client, respond) as respond:
            flows.guard_action(respond, lambda: flows.pick_owner(body, client, respond))

    @app.action(blocks.ACTION_MORE)
    def on_more_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        flows.guard_action(respond, lambda: flows.more(body, client, respond))


class FeedbackFlows:
    """What each feedback listener does, between parsing a payload and answering it."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ------------------------------------------------------------------ shared

    def guard(self, run: Any) -> dict[str, Any]:
        """The answer of a command flow; expected errors become a usage card or a short note."""
        try:
            return dict(run())
        except CommandParseError as err:
            return build_usage_card(USAGE, problem=err.message, fragment=err.fragment)
        except (FeedbackNotFound, FeedbackConflict) as err:
            return {"text": f":warning: {err}"}

    def guard_action(self, respond: Respond, run: Any) -> None:
        """Run a button flow (already acked); expected errors become an ephemeral answer."""
        try:
            run()
        except (FeedbackNotFound, FeedbackConflict, CommandParseError) as err:
            respond(text=f":warning: {err}", replace_original=False, response_type="ephemeral")

    def is_ops(self, client: WebClient, team: str, user: str) -> bool:
        """The ops check of SPEC §4."""
        return directory.is_ops(self.deps, client, team, user)

    def names(self, client: WebClient, team: str, *items: FeedbackItem) -> dict[str, str]:
        """Plain display names of the people on these items (never mentions: no pings)."""
        return names(
            self.deps, client, team, [u for i in items for u in (i.reporter_id, i.owner_id)]
        )

    def refresh_card(self, client: WebClient, team: str, item: FeedbackItem) -> None:
        """Update the item's triage card in place, if it has one."""
        if not (item.card_channel_id and item.card_ts):
            return
        try:
            client.chat_update(
                channel=item.card_channel_id,
                ts=item.card_ts,
                link_names=False,
                parse="none",
                **blocks.build_triage_card(item, self.names(client, team, item)),
            )
        except SlackApiError as err:
            log.warning("triage_card_update_failed", team=team, item=item.key, error=str(err))

    # ------------------------------------------------------------------ filing

    def show_help(self, client: WebClient, team: str, user: str, args: list[Any]) -> dict[str, Any]:
        """`/feedback help`."""
        return build_usage_card(USAGE)

    def file(
        self,
        ack: Ack,
        respond: Respond,
        client: WebClient,
        command: dict[str, Any],
        tokens: list[Any],
        context: BoltContext | None = None,
    ) -> None:
        """`/feedback <text>`: file, answer with the card, then look for duplicates.

        A filing that would be answered after Slack's deadline is rolled back: the person
        has seen "failed" by then, and files it again."""
        mistyped = service.mistyped_subcommand(tokens)
        if mistyped:
            typed, meant = mistyped
            ack(
                **build_usage_card(
                    USAGE, problem=f"unknown subcommand, did you mean `{meant}`?", fragment=typed
                )
            )
            return
        try:
            draft = service.parse_draft(tokens)
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
            return
        team = command["team_id"]
        try:
            with self.deps.session_scope() as session:
                filed = service.file_feedback(
                    session=session,
                    team_id=team,
                    reporter_id=command["user_id"],
                    channel_id=command.get("channel_id"),
                    draft=draft,
                    now=self.deps.now(),
                    source_key=f"command:{command.get('trigger_id')}",
                )
                in_time(context)
        except TooLate:
            log.warning("command_dropped_too_late", team=team, command="/feedback")
            return
        ack(**blocks.build_feedback_card(filed))
        if filed.created:
            self.later(self.after_filing, client, team, filed.item, respond=respond)

    def later(self, work: Any, *args: Any, **kwargs: Any) -> None:
        """Slow work after the ack, in the background pool; skipped (and logged) when its
        backlog is full, so acks stay fast under load."""
        if not self.deps.background.offer(work, *args, **kwargs):
            log.warning("background_work_skipped", work=getattr(work, "__name__", "?"))

    def after_filing(
        self,
        client: WebClient,
        team: str,
        item: FeedbackItem,
        *,
        respond: Respond | None = None,
        channel_id: str | None = None,
    ) -> None:
        """Slow work after the ack: the duplicate offer and the triage card."""
        # Read in one short session, score after it: the scoring takes a while, and an open
        # SQLite transaction would hold the write lock all that time.
        with self.deps.session_scope() as session:
            query = service.duplicate_candidates(session=session, team_id=team, number=item.number)
        similar = service.rank_duplicates(query)
        if similar:
            offer = blocks.build_duplicate_offer(item, similar)
            if respond is not None:
                respond(response_type="ephemeral", replace_original=False, **offer)
            else:
                tell(client, channel_id=channel_id, user_id=item.reporter_id, message=offer)
        channel = config_of(self.deps, team).feedback_channel
        if channel:
            try:
                posted = client.chat_postMessage(
                    channel=channel,
                    **blocks.build_triage_card(item, self.names(client, team, item)),
                )
            except SlackApiError as err:
                log.warning("triage_card_failed", team=team, item=item.key, error=str(err))
                return
            with self.deps.session_scope() as session:
                service.attach_card(
                    session=session,
                    team_id=team,
                    number=item.number,
                    channel_id=str(posted["channel"]),
                    ts=str(posted["ts"]),
                )

    def open_form(self, client: WebClient, trigger_id: str, channel_id: str | None) -> None:
        """`/feedback` alone: the feedback form."""
        client.views_open(
            trigger_id=trigger_id,
            view=blocks.build_feedback_modal(metadata={"channel_id": channel_id}),
        )

    def submit_form(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The feedback form was submitted: new feedback, a captured message, or an edit."""
        view = body["view"]
        metadata = metadata_of(view)
        team, user = team_of(body), user_of(body)
        try:
            draft = service.make_draft(
                text=input_value(view, blocks.FIELD_TEXT) or "",
                tags=(input_value(view, blocks.FIELD_TAGS) or "").replace(",", " ").split(),
                customer=input_value(view, blocks.FIELD_CUSTOMER),
                area=input_value(view, blocks.FIELD_AREA),
                urgency=input_value(view, blocks.FIELD_URGENCY),
            )
        except CommandParseError as err:
            field = {
                "urgency": blocks.FIELD_URGENCY,
                "customer": blocks.FIELD_CUSTOMER,
                "area": blocks.FIELD_AREA,
                "a tag": blocks.FIELD_TAGS,
            }
            block = next(
                (b for k, b in field.items() if err.message.startswith(k)), blocks.FIELD_TEXT
            )
            ack(response_action="errors", errors={block: err.message.capitalize()})
            return
        channel = metadata.get("channel_id")
        if "edit" in metadata:
            self.submit_edit(ack, client, team, user, int(metadata["edit"]), draft, channel)
            return
        ack()
        message_ts = metadata.get("message_ts")
        with self.deps.session_scope() as session:
            if message_ts and channel:
                existing = service.captured_item(
                    session=session, team_id=team, channel_id=channel, message_ts=message_ts
                )
                if existing is not None:
                    result = service.vote(
                        session=session,
                        team_id=team,
                        number=existing.number,
                        user_id=user,
                        now=self.deps.now(),
                        source="shortcut",
                    )
                    tell(
                        client,
                        channel_id=channel,
                        user_id=user,
                        message=blocks.build_capture_answer(result, created=False),
                    )
                    return
            filed = service.file_feedback(
                session=session,
                team_id=team,
                reporter_id=user,
                channel_id=channel,
                draft=draft,
                now=self.deps.now(),
                source="shortcut" if message_ts else "modal",
                source_key=service.message_key(channel, message_ts)
                if message_ts and channel
                else f"view:{view['id']}",
                author_id=metadata.get("author_id"),
                permalink=self.permalink(client, channel, message_ts),
            )
        tell(client, channel_id=channel, user_id=user, message=blocks.build_feedback_card(filed))
        if filed.created:
            self.later(self.after_filing, client, team, filed.item, channel_id=channel)

    def permalink(self, client: WebClient, channel: str | None, ts: str | None) -> str | None:
        """The message's permalink, or None when Slack cannot give one."""
        if not (channel and ts):
            return None
        try:
            return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError:
            return None

    def open_edit(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Edit details: the form pre-filled, for the reporter or ops."""
        team, user = team_of(body), user_of(body)
        number = service.parse_number(body["actions"][0]["value"])
        with self.deps.session_scope() as session:
            item = service.get_item(session=session, team_id=team, number=number)
        if item.reporter_id != user and not self.is_ops(client, team, user):
            respond(
                text="Only the person who filed it, or ops, can edit this feedback.",
                replace_original=False,
            )
            return
        draft = service.FeedbackDraft(
            text=item.text,
            tags=item.tags,
            customer=item.customer,
            area=item.area,
            urgency=item.urgency,
        )
        channel = body.get("container", {}).get("channel_id")
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_feedback_modal(
                metadata={"edit": number, "channel_id": channel},
                draft=draft,
                title=f"Edit {item.key}",
            ),
        )

    def submit_edit(
        self,
        ack: Ack,
        client: WebClient,
        team: str,
        user: str,
        number: int,
        draft: service.FeedbackDraft,
        channel: str | None,
    ) -> None:
        """Save an edit (checked again: the form may be old)."""
        with self.deps.session_scope() as session:
            item = service.get_item(session=session, team_id=team, number=number)
        if item.reporter_id != user and not self.is_ops(client, team, user):
            ack(
                response_action="errors",
                errors={blocks.FIELD_TEXT: "Only the person who filed it, or ops, can edit it."},
            )
            return
        ack()
        with self.deps.session_scope() as session:
            item = service.edit_feedback(
                session=session,
                team_id=team,
                number=number,
                draft=draft,
                actor_id=user,
                now=self.deps.now(),
            )
        tell(
            client,
            channel_id=channel,
            user_id=user,
            message={"text": f"Saved your changes to {item.key}."},
        )
        self.refresh_card(client, team, item)

    # ------------------------------------------------------------------ votes and merges

    def vote(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """+1: one vote per person, however often they click."""
        team, user = team_of(body), user_of(body)
        number = service.parse_number(body["actions"][0]["value"])
        with self.deps.session_scope() as session:
            result = service.vote(
                session=session, team_id=team, number=number, user_id=user, now=self.deps.now()
            )
        respond(
            response_type="ephemeral", replace_original=False, **blocks.build_vote_answer(result)
        )
        if result.added:
            self.refresh_card(client, team, result.item)

    def merge(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Merge as +1: the new item's people join the original."""
        team, user = team_of(body), user_of(body)
        new, original = (int(part) for part in body["actions"][0]["value"].split(":"))
        with self.deps.session_scope() as session:
            item = service.get_item(session=session, team_id=team, number=new)
        if item.reporter_id != user and not self.is_ops(client, team, user):
            respond(
                text="Only the person who filed it, or ops, can merge it.", replace_original=False
            )
            return
        with self.deps.session_scope() as session:
            target = service.merge(
                session=session,
                team_id=team,
                duplicate=new,
                original=original,
                actor_id=user,
                now=self.deps.now(),
            )
            merged = service.get_item(session=session, team_id=team, number=new)
        respond(replace_original=True, **blocks.build_merged_answer(new, target))
        self.refresh_card(client, team, target)
        self.refresh_card(client, team, merged)

    # ------------------------------------------------------------------ triage

    def triage_queue(
        self, client: WebClient, team: str, user: str, args: list[Any]
    ) -> dict[str, Any]:
        """`/feedback triage [FB-n ...]`: the queue of new items, or these ones (ops only)."""
        if not self.is_ops(client, team, user):
            return {"text": OPS_ONLY}
        numbers = [service.parse_number(getattr(a, "text", a.raw)) for a in args]
        with self.deps.session_scope() as session:
            if numbers:
                items = [
                    service.get_item(session=session, team_id=team, number=n) for n in numbers[:15]
                ]
                title = "Triage " + ", ".join(i.key for i in items)
            else:
                page = service.list_items(
                    session=session,
                    team_id=team,
                    query=service.ListQuery(status="new"),
                    user_id=user,
                    page_size=15,
                    order="votes",
                )
                items, title = page.items, "Triage queue: new feedback, most voted first"
        return blocks.build_triage_queue(items, self.names(client, team, *items), title=title)

    def pick_status(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """A status picked from a select: shipping or declining asks for the note first."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            respond(text=OPS_ONLY, replace_original=False)
            return
        number_text, status = body["actions"][0]["selected_option"]["value"].split(":")
        number = int(number_text)
        if status in service.CLOSED_STATUSES:
            with self.deps.session_scope() as session:
                item = service.get_item(session=session, team_id=team, number=number)
            channel = body.get("container", {}).get("channel_id")
            client.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.build_close_note_modal(
                    item, status, {"number": number, "status": status, "channel_id": channel}
                ),
            )
            return
        self.change_status(
            client,
            team,
            user,
            number,
            status,
            None,
            channel=body.get("container", {}).get("channel_id"),
        )

    def submit_close_note(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Ship or decline with the note; then each reporter and voter gets one DM."""
        team, user = team_of(body), user_of(body)
        metadata = metadata_of(body["view"])
        if not self.is_ops(client, team, user):
            ack(response_action="errors", errors={blocks.FIELD_NOTE: OPS_ONLY})
            return
        note = (input_value(body["view"], blocks.FIELD_NOTE) or "").strip() or None
        if note and len(note) > service.NOTE_MAX:
            problem = f"A note can be at most {service.NOTE_MAX} characters."
            ack(response_action="errors", errors={blocks.FIELD_NOTE: problem})
            return
        ack()
        try:
            self.change_status(
                client,
                team,
                user,
                int(metadata["number"]),
                str(metadata["status"]),
                note,
                channel=metadata.get("channel_id"),
            )
        except (FeedbackNotFound, FeedbackConflict, CommandParseError) as err:
            tell(
                client,
                channel_id=metadata.get("channel_id"),
                user_id=user,
                message={"text": f":warning: {err}"},
            )

    def change_status(
        self,
        client: WebClient,
        team: str,
        user: str,
        number: int,
        status: str,
        note: str | None,
        *,
        channel: str | None,
    ) -> None:
        """Apply a status, tell the ops member, refresh the card, close the loop."""
        with self.deps.session_scope() as session:
            change = service.set_status(
                session=session,
                team_id=team,
                number=number,
                status=status,
                actor_id=user,
                now=self.deps.now(),
                note=note,
            )
        tell(
            client,
            channel_id=channel,
            user_id=user,
            message=blocks.build_status_answer(change.item, change.previous, len(change.notify)),
        )
        self.refresh_card(client, team, change.item)
        self.close_the_loop(client, team, change.item, change.notify)

    def close_the_loop(
        self, client: WebClient, team: str, item: FeedbackItem, people: tuple[str, ...]
    ) -> None:
        """One DM per person who filed or voted (claimed once in the database)."""
        message = blocks.build_loop_dm(item)
        for person in people:
            try:
                client.chat_postMessage(channel=person, **message)
            except SlackApiError as err:
                log.warning("loop_dm_failed", team=team, item=item.key, user=person, error=str(err))
                continue
            with self.deps.session_scope() as session:
                service.notice_sent(
                    session=session,
                    team_id=team,
                    number=item.number,
                    user_id=person,
                    status=item.status,
                    now=self.deps.now(),
                )

    def pick_owner(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """An owner picked from a select."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            respond(text=OPS_ONLY, replace_original=False)
            return
        action = body["actions"][0]
        number = int(action["block_id"].split(":")[1])
        with self.deps.session_scope() as session:
            item = service.set_owner(
                session=session,
                team_id=team,
                number=number,
                owner_id=action.get("selected_user"),
                actor_id=user,
                now=self.deps.now(),
            )
        owner = self.names(client, team, item).get(item.owner_id or "", "nobody")
        respond(text=f"{item.key} is now owned by {owner}.", replace_original=False)
        self.refresh_card(client, team, item)

    # ------------------------------------------------------------------ finding

    def list_feedback(
        self, client: WebClient, team: str, user: str, args: list[Any], offset: int = 0
    ) -> dict[str, Any]:
        """`/feedback list [status] [#tag] [mine]`."""
        query = service.parse_list_query(args)
        with self.deps.session_scope() as session:
            page = service.list_items(
                session=session, team_id=team, query=query, user_id=user, offset=offset
            )
        status = (query.status or "open").replace("_", " ")
        title = " ".join(
            filter(
                None,
                [
                    "My " + status if query.mine else status.capitalize(),
                    "feedback",
                    f"tagged #{query.tag}" if query.tag else None,
                    f"(from {offset + 1})" if offset else None,
                ],
            )
        )
        more = {
            "k": "list",
            "s": query.status,
            "t": query.tag,
            "m": query.mine,
            "o": offset + len(page.items),
        }
        return blocks.build_item_list(page, title=title, more_value=json.dumps(more))

    def search_feedback(
        self, client: WebClient, team: str, user: str, args: list[Any], offset: int = 0
    ) -> dict[str, Any]:
        """`/feedback search <words>`."""
        words = " ".join(getattr(a, "text", a.raw) for a in args).strip()[:500]
        if not words:
            raise CommandParseError("search needs some words", "search")
        with self.deps.session_scope() as session:
            page = service.search_items(session=session, team_id=team, words=words, offset=offset)
        more = {"k": "search", "q": words, "o": offset + len(page.items)}
        return blocks.build_item_list(
            page, title=f"Feedback matching “{words[:100]}”", more_value=json.dumps(more)
        )

    def show_item(self, client: WebClient, team: str, user: str, args: list[Any]) -> dict[str, Any]:
        """`/feedback show FB-42`."""
        if len(args) != 1 or not isinstance(args[0], Word):
            raise CommandParseError("show takes one id, like FB-42", " ".join(a.raw for a in args))
        number = service.parse_number(args[0].text)
        with self.deps.session_scope() as session:
            detail = service.show(session=session, team_id=team, number=number)
        people = names(
            self.deps,
            client,
            team,
            [
                detail.item.reporter_id,
                detail.item.owner_id,
                *detail.voters[:30],
                *(e.actor_id for e in detail.history[-15:]),
            ],
        )
        return blocks.build_item_detail(detail, people)

    def show_themes(self, team: str, respond: Respond) -> None:
        """`/feedback themes`, after the ack: grouping may take a moment."""
        with self.deps.session_scope() as session:
            items = service.themable_items(session=session, team_id=team, now=self.deps.now())
        found = service.group_into_themes(items)
        respond(response_type="ephemeral", replace_original=False, **blocks.build_themes(found))

    def more(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The More button of a list or a search: the next page as a new message."""
        team, user = team_of(body), user_of(body)
        state = json.loads(body["actions"][0]["value"])
        offset = max(0, int(state.get("o", 0)))
        if state.get("k") == "search":
            query = str(state.get("q", ""))
            answer = self.search_feedback(client, team, user, [Word(query, query)], offset)
        else:
            words = [
                state.get("s"),
                f"#{state['t']}" if state.get("t") else None,
                "mine" if state.get("m") else None,
            ]
            tokens = parse_command(" ".join(w for w in words if w)).tokens
            answer = self.list_feedback(client, team, user, tokens, offset)
        respond(response_type="ephemeral", replace_original=False, **answer)
