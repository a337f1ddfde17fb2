"""/ritual, the ritual form, and the buttons on occurrence posts (RSVP, agenda, notes, standup)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.blocks import rituals as blocks
from bot.blocks.usage import build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, parse_command, parse_duration
from bot.logs import get_logger
from bot.services import rituals as service
from bot.services.rituals import RitualDraft, RitualNotFound
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
    user_of,
)

log = get_logger(__name__)
USAGE = blocks.RITUAL_USAGE
CHANNEL_FOR_OPS = (
    "Scheduling in a channel is for ops (admins, owners, OPS_ADMINS and people granted the "
    "role). You can schedule for yourself in a DM with me."
)


def register(app: App, deps: Deps) -> None:
    """Attach the ritual listeners."""
    flows = RitualFlows(deps)

    @app.command("/ritual")
    def on_ritual_command(
        ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
            sub = parsed.subcommand
            if sub == "add" and not parsed.args:
                ack()
                flows.open_form(client, command["trigger_id"], command.get("channel_id"), None)
            elif sub == "add":
                ack(**flows.add(client, command, parsed.args, context))
            elif sub in ("list", "next") and not parsed.args:
                ack(**flows.show(client, command, sub))
            elif sub in ("pause", "resume", "cancel", "edit") and len(parsed.args) == 1:
                ack(**flows.change(client, command, sub, parsed.args[0].raw))
            else:
                problem = None
                if parsed.tokens and sub != "help":
                    problem = "unknown subcommand"
                fragment = parsed.tokens[0].raw if problem and parsed.tokens else None
                ack(**build_usage_card(USAGE, problem=problem, fragment=fragment))
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))
        except RitualNotFound as err:
            ack(text=f":warning: {err}")
        except TooLate:
            log.warning("command_dropped_too_late", team=command.get("team_id"), command="/ritual")

    @app.view(blocks.RITUAL_MODAL)
    def on_ritual_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_form(ack, body, client)

    @app.action(blocks.ACTION_RSVP)
    def on_rsvp_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        occurrence_id, answer = body["actions"][0]["value"].split(":")
        flows.rsvp(body, client, respond, int(occurrence_id), answer)

    @app.action(blocks.ACTION_AGENDA)
    def on_agenda_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.open_text_form(body, client, blocks.AGENDA_MODAL, "Add to the agenda", "Agenda item")

    @app.view(blocks.AGENDA_MODAL)
    def on_agenda_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_text(ack, body, client, notes=False)

    @app.action(blocks.ACTION_NOTES)
    def on_notes_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.open_text_form(
            body, client, blocks.NOTES_MODAL, "Notes & outcomes", "What came out of it?"
        )

    @app.view(blocks.NOTES_MODAL)
    def on_notes_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_text(ack, body, client, notes=True)

    @app.action(blocks.ACTION_STANDUP)
    def on_standup_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.open_standup(body, client)

    @app.view(blocks.STANDUP_MODAL)
    def on_standup_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_standup(ack, body, client)


class RitualFlows:
    """What each ritual listener does between the payload and the answer."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def viewer_tz(self, client: WebClient, team: str, user: str) -> str:
        """The person's Slack timezone (users.info), else DEFAULT_TIMEZONE."""
        profile = directory.profile(self.deps, client, team, user)
        return (profile.tz if profile and profile.tz else None) or config_of(
            self.deps, team
        ).default_timezone

    def may_schedule_in(self, client: WebClient, team: str, user: str, channel: str) -> bool:
        """Anyone in a DM with the bot; ops in channels."""
        return channel.startswith("D") or directory.is_ops(self.deps, client, team, user)

    # ------------------------------------------------------------------ commands

    def add(
        self, client: WebClient, command: dict[str, Any], args: list[Any], context: BoltContext
    ) -> dict[str, Any]:
        """`/ritual add <kind> "<title>" <when> ...`."""
        team, user = command["team_id"], command["user_id"]
        draft = service.parse_add(args, default_channel=command.get("channel_id") or user)
        return self.create(client, team, user, draft, context)

    def create(
        self,
        client: WebClient,
        team: str,
        user: str,
        draft: RitualDraft,
        context: BoltContext | None = None,
    ) -> dict[str, Any]:
        """Store a new ritual after the role check; the confirmation shows three next times.

        Past Slack's deadline it raises TooLate and nothing is stored (see `in_time`)."""
        if not self.may_schedule_in(client, team, user, draft.channel_id):
            return {"text": CHANNEL_FOR_OPS}
        tz = self.viewer_tz(client, team, user)
        with self.deps.session_scope() as session:
            info, upcoming = service.create_ritual(
                session=session,
                team_id=team,
                creator_id=user,
                draft=draft,
                tz=tz,
                now=self.deps.now(),
            )
            in_time(context)
        return blocks.build_ritual_created(info, upcoming, viewer_tz=tz)

    def show(self, client: WebClient, command: dict[str, Any], sub: str) -> dict[str, Any]:
        """`/ritual list` and `/ritual next`."""
        team, user = command["team_id"], command["user_id"]
        tz = self.viewer_tz(client, team, user)
        with self.deps.session_scope() as session:
            if sub == "list":
                return blocks.build_ritual_list(
                    service.list_rituals(session=session, team_id=team), viewer_tz=tz
                )
            pairs = service.upcoming(session=session, team_id=team, now=self.deps.now())
        return blocks.build_upcoming(pairs, viewer_tz=tz)

    def change(
        self, client: WebClient, command: dict[str, Any], sub: str, ref: str
    ) -> dict[str, Any]:
        """pause, resume, cancel or edit R-3 (its creator or ops)."""
        team, user = command["team_id"], command["user_id"]
        number = service.parse_number(ref)
        with self.deps.session_scope() as session:
            info = service.get_ritual(session=session, team_id=team, number=number)
        if info.creator_id != user and not directory.is_ops(self.deps, client, team, user):
            return {"text": f"Only its creator or ops can change {info.key}. {OPS_ONLY}"}
        if sub == "edit":
            self.open_form(client, command["trigger_id"], command.get("channel_id"), info)
            return {"text": f"Editing {info.key}…"}
        with self.deps.session_scope() as session:
            info = service.set_status(
                session=session, team_id=team, number=number, action=sub, now=self.deps.now()
            )
        state = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[sub]
        text = f"{info.key} {info.title} is {state}."
        if sub == "resume" and info.next_at:
            text += f" Next: {blocks.when(info.next_at, self.viewer_tz(client, team, user))}."
        return {"text": text}

    # ------------------------------------------------------------------ the form

    def open_form(
        self,
        client: WebClient,
        trigger_id: str,
        channel: str | None,
        info: service.RitualInfo | None,
    ) -> None:
        """The add/edit form."""
        metadata = {"edit": info.number} if info else {"channel_id": channel}
        client.views_open(
            trigger_id=trigger_id,
            view=blocks.build_ritual_modal(metadata=metadata, info=info, channel_id=channel),
        )

    def submit_form(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Add or edit from the form; problems show under their field."""
        view = body["view"]
        team, user = team_of(body), user_of(body)
        metadata = metadata_of(view)
        duration = (input_value(view, "r_duration") or "").strip()
        try:
            minutes = None
            if duration:
                minutes = int(parse_duration(duration).total_seconds() // 60)
        except CommandParseError as err:
            ack(response_action="errors", errors={"r_duration": err.message.capitalize()})
            return
        title = (input_value(view, "r_title") or "").strip()
        if not title or len(title) > service.TITLE_MAX:
            problem = (
                f"A title can be at most {service.TITLE_MAX} characters."
                if title
                else "Please give it a title."
            )
            ack(response_action="errors", errors={"r_title": problem})
            return
        draft = RitualDraft(
            kind=input_value(view, "r_kind") or "custom",
            title=title,
            when=(input_value(view, "r_when") or "").strip(),
            channel_id=input_value(view, "r_channel") or metadata.get("channel_id") or user,
            participants=tuple(input_value(view, "r_people") or ()),
            duration_minutes=minutes,
            agenda=(input_value(view, "r_agenda") or "").strip() or None,
        )
        if not self.may_schedule_in(client, team, user, draft.channel_id):
            ack(response_action="errors", errors={"r_channel": CHANNEL_FOR_OPS})
            return
        tz = self.viewer_tz(client, team, user)
        try:
            with self.deps.session_scope() as session:
                if "edit" in metadata:
                    info, upcoming = service.update_ritual(
                        session=session,
                        team_id=team,
                        number=int(metadata["edit"]),
                        draft=draft,
                        now=self.deps.now(),
                    )
                    verb = "Updated"
                else:
                    info, upcoming = service.create_ritual(
                        session=session,
                        team_id=team,
                        creator_id=user,
                        draft=draft,
                        tz=tz,
                        now=self.deps.now(),
                    )
                    verb = "Scheduled"
        except CommandParseError as err:
            ack(response_action="errors", errors={"r_when": err.message[:2000]})
            return
        ack()
        tell(
            client,
            channel_id=metadata.get("channel_id"),
            user_id=user,
            message=blocks.build_ritual_created(info, upcoming, viewer_tz=tz, verb=verb),
        )

    # ------------------------------------------------------------------ occurrences

    def refresh(self, client: WebClient, team: str, occurrence: service.OccurrenceInfo) -> None:
        """Update the occurrence post in place (RSVPs, agenda, notes)."""
        if not (occurrence.channel_id and occurrence.message_ts):
            return
        people = names(
            self.deps,
            client,
            team,
            [
                *occurrence.ritual.participants,
                *(u for v in occurrence.rsvps.values() for u in v),
                *(u for u, _ in occurrence.agenda_items),
            ],
        )
        try:
            client.chat_update(
                channel=occurrence.channel_id,
                ts=occurrence.message_ts,
                link_names=False,
                parse="none",
                **blocks.build_occurrence_message(occurrence, people),
            )
        except SlackApiError as err:
            log.warning("occurrence_update_failed", team=team, error=str(err))

    def rsvp(
        self,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        occurrence_id: int,
        answer: str,
    ) -> None:
        """Going / Maybe / Can't: counts and names update in place."""
        team, user = team_of(body), user_of(body)
        try:
            with self.deps.session_scope() as session:
                occurrence = service.rsvp(
                    session=session,
                    team_id=team,
                    occurrence_id=occurrence_id,
                    user_id=user,
                    answer=answer,
                    now=self.deps.now(),
                    clicked_at=clicked_at(body),
                )
        except (LookupError, CommandParseError) as err:
            respond(text=f":warning: {err}", replace_original=False)
            return
        self.refresh(client, team, occurrence)

    def open_text_form(
        self, body: dict[str, Any], client: WebClient, callback_id: str, title: str, label: str
    ) -> None:
        """The one-field form of Add agenda item / Add notes & outcomes."""
        container = body.get("container", {})
        metadata = {
            "occurrence_id": int(body["actions"][0]["value"]),
            "channel_id": container.get("channel_id"),
            "ts": container.get("message_ts"),
        }
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_text_modal(
                callback_id=callback_id,
                title=title,
                label=label,
                metadata=metadata,
                max_length=2900 if callback_id == blocks.NOTES_MODAL else 500,
            ),
        )

    def submit_text(
        self, ack: Ack, body: dict[str, Any], client: WebClient, *, notes: bool
    ) -> None:
        """An agenda item or notes & outcomes, saved and shown in place."""
        team, user = team_of(body), user_of(body)
        metadata = metadata_of(body["view"])
        text = (input_value(body["view"], "text") or "").strip()
        if not text:
            ack(response_action="errors", errors={"text": "Please write something."})
            return
        ack()
        occurrence_id = int(metadata["occurrence_id"])
        try:
            with self.deps.session_scope() as session:
                if notes:
                    occurrence = service.save_notes(
                        session=session, team_id=team, occurrence_id=occurrence_id, notes=text
                    )
                else:
                    occurrence = service.add_agenda_item(
                        session=session,
                        team_id=team,
                        occurrence_id=occurrence_id,
                        user_id=user,
                        text=text,
                        now=self.deps.now(),
                    )
        except (LookupError, CommandParseError) as err:
            tell(
                client,
                channel_id=metadata.get("channel_id"),
                user_id=user,
                message={"text": f":warning: {err}"},
            )
            return
        self.refresh(client, team, occurrence)
        if notes and metadata.get("channel_id") and metadata.get("ts"):
            try:
                client.chat_update(
                    channel=metadata["channel_id"],
                    ts=metadata["ts"],
                    link_names=False,
                    parse="none",
                    **blocks.build_followup(occurrence),
                )
            except SlackApiError as err:
                log.warning("followup_update_failed", team=team, error=str(err))

    def open_standup(self, body: dict[str, Any], client: WebClient) -> None:
        """Answer standup: the three questions."""
        team = team_of(body)
        with self.deps.session_scope() as session:
            occurrence = service.get_occurrence(
                session=session, team_id=team, occurrence_id=int(body["actions"][0]["value"])
            )
        client.views_open(
            trigger_id=body["trigger_id"], view=blocks.build_standup_modal(occurrence)
        )

    def submit_standup(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Store a standup answer; the report collects them at the deadline."""
        team, user = team_of(body), user_of(body)
        view = body["view"]
        ack()
        with self.deps.session_scope() as session:
            service.answer_standup(
                session=session,
                team_id=team,
                occurrence_id=int(metadata_of(view)["occurrence_id"]),
                user_id=user,
                yesterday=input_value(view, "yesterday") or "",
                today=input_value(view, "today") or "",
                blockers=input_value(view, "blockers") or "",
                now=self.deps.now(),
            )
        client.chat_postMessage(channel=user, text="Thanks! Your standup answer is in.")


def clicked_at(body: dict[str, Any]) -> datetime | None:
    """When the person clicked, by Slack's clock (the action's action_ts), if it says."""
    try:
        return datetime.fromtimestamp(float(body["actions"][0]["action_ts"]), UTC)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
