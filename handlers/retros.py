"""/retro and the board's buttons and forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.blocks import retros as blocks
from bot.blocks.usage import build_usage_card
from bot.deps import Deps
from bot.grammar import CommandParseError, parse_command
from bot.logs import get_logger
from bot.services import retros as service
from bot.services.retros import ACTION_COLUMN, Board, RetroProblem
from handlers.common import input_value, metadata_of, names, team_of, tell, user_of
from handlers.home import view_action

log = get_logger(__name__)
USAGE = blocks.RETRO_USAGE


def register(app: App, deps: Deps) -> None:
    """Attach the retro listeners."""
    flows = RetroFlows(deps)

    @app.command("/retro")
    def on_retro_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
            if parsed.subcommand == "start":
                title, channel = service.parse_start(
                    parsed.args, default_channel=command.get("channel_id") or ""
                )
                ack(text="Opening the retro board…")
                flows.start(client, command["team_id"], command["user_id"], title, channel)
            elif parsed.subcommand == "close" and not parsed.args:
                ack(**flows.close_current(client, command))
            else:
                problem = (
                    "unknown subcommand" if parsed.tokens and parsed.subcommand != "help" else None
                )
                ack(
                    **build_usage_card(
                        USAGE, problem=problem, fragment=parsed.tokens[0].raw if problem else None
                    )
                )
        except CommandParseError as err:
            ack(**build_usage_card(USAGE, problem=err.message, fragment=err.fragment))

    @app.action(blocks.ACTION_ADD)
    def on_add_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        retro_id, column = body["actions"][0]["value"].split(":")
        view = (
            blocks.build_action_modal(int(retro_id))
            if column == ACTION_COLUMN
            else blocks.build_card_modal(int(retro_id), column)
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(blocks.CARD_MODAL)
    def on_card_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_card(ack, body, client)

    @app.view(blocks.ACTION_MODAL)
    def on_action_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.submit_action(ack, body, client)

    def facilitator_button(change: Callable[..., Any]) -> Callable[..., None]:
        """Reveal or Close: the board's change, made by its facilitator or ops."""

        def on_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            ack()
            flows.guarded(
                body,
                client,
                respond,
                lambda session, team, user: change(
                    session=session,
                    team_id=team,
                    retro_id=int(body["actions"][0]["value"]),
                    actor_id=user,
                    is_ops=directory.is_ops(deps, client, team, user),
                    now=deps.now(),
                ),
            )

        return on_clicked

    app.action(blocks.ACTION_REVEAL)(facilitator_button(service.reveal))
    app.action(blocks.ACTION_CLOSE)(facilitator_button(service.close))

    @app.action(blocks.ACTION_VOTE)
    def on_vote_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        retro_id, item_id = (int(p) for p in body["actions"][0]["value"].split(":"))
        flows.guarded(
            body,
            client,
            respond,
            lambda session, team, user: service.vote(
                session=session,
                team_id=team,
                retro_id=retro_id,
                item_id=item_id,
                user_id=user,
                now=deps.now(),
            ),
        )

    @app.action(blocks.ACTION_DONE)
    def on_done_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        shown_on, action_id = (int(p) for p in body["actions"][0]["value"].split(":"))
        # From App Home (shown_on 0) the answer goes to a DM and the tab is refreshed.
        with view_action(deps, body, client, respond) as answer:
            flows.guarded(
                body,
                client,
                answer,
                lambda session, team, user: service.set_action_done(
                    session=session,
                    team_id=team,
                    action_id=action_id,
                    user_id=user,
                    is_ops=directory.is_ops(deps, client, team, user),
                    now=deps.now(),
                    shown_on=shown_on or None,
                ),
            )

    @app.action(blocks.ACTION_SEE_ALL)
    def on_see_all_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team = team_of(body)
        with deps.session_scope() as session:
            board = service.board(
                session=session, team_id=team, retro_id=int(body["actions"][0]["value"])
            )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.build_all_cards(board, flows.names(client, team, board)),
        )


class RetroFlows:
    """What the retro listeners do between the payload and the board."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def names(self, client: WebClient, team: str, board: Board) -> dict[str, str]:
        """Names of the people the board shows (never of anonymous authors: none is stored)."""
        return names(
            self.deps,
            client,
            team,
            [
                board.facilitator_id,
                *(c.author_id for c in board.cards),
                *(a.owner_id for a in [*board.actions, *board.carried]),
            ],
        )

    def start(
        self, client: WebClient, team: str, user: str, title: str | None, channel: str
    ) -> None:
        """Open a board now; the series is the channel."""
        with self.deps.session_scope() as session:
            board = service.start_retro(
                session=session,
                team_id=team,
                facilitator_id=user,
                title=title,
                channel_id=channel,
                series=f"channel:{channel}",
                now=self.deps.now(),
            )
        self.show(client, team, board)

    def show(self, client: WebClient, team: str, board: Board) -> None:
        """Update the board in place; post it (again) when it has no message or it was deleted."""
        message = blocks.build_board(
            board, self.names(client, team, board), today=self.deps.now().date()
        )
        if board.message_ts:
            try:
                client.chat_update(
                    channel=board.channel_id,
                    ts=board.message_ts,
                    link_names=False,
                    parse="none",
                    **message,
                )
                return
            except SlackApiError as err:
                if err.response.get("error") not in ("message_not_found", "cant_update_message"):
                    raise
                log.info("retro_board_reposted", team=team, retro=board.number)
        posted = client.chat_postMessage(channel=board.channel_id, **message)
        with self.deps.session_scope() as session:
            service.posted(
                session=session, team_id=team, retro_id=board.id, message_ts=str(posted["ts"])
            )

    def guarded(self, body: dict[str, Any], client: WebClient, respond: Respond, act: Any) -> None:
        """Run a board act in one session; a refusal is told to the person, the board refreshed."""
        team, user = team_of(body), user_of(body)
        try:
            with self.deps.session_scope() as session:
                board = act(session, team, user)
        except RetroProblem as err:
            respond(
                text=f":warning: {str(err).capitalize()}.",
                replace_original=False,
                response_type="ephemeral",
            )
            return
        self.show(client, team, board)

    def close_current(self, client: WebClient, command: dict[str, Any]) -> dict[str, Any]:
        """`/retro close`: the current retro of this channel."""
        team, user = command["team_id"], command["user_id"]
        with self.deps.session_scope() as session:
            current = service.latest_open(
                session=session, team_id=team, channel_id=command.get("channel_id") or ""
            )
        if current is None:
            return {"text": "There is no open retro in this channel."}
        try:
            with self.deps.session_scope() as session:
                board = service.close(
                    session=session,
                    team_id=team,
                    retro_id=current.id,
                    actor_id=user,
                    is_ops=directory.is_ops(self.deps, client, team, user),
                    now=self.deps.now(),
                )
        except RetroProblem as err:
            return {"text": f":warning: {str(err).capitalize()}."}
        self.show(client, team, board)
        return {"text": f"Closed retro #{board.number}."}

    def submit_card(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A card from the form (anonymous when ticked: the author is not passed on)."""
        view = body["view"]
        metadata = metadata_of(view)
        team, user = team_of(body), user_of(body)
        text = (input_value(view, "text") or "").strip()
        if not text:
            ack(response_action="errors", errors={"text": "Please write something."})
            return
        ticked = view.get("state", {}).get("values", {}).get("anonymous", {}).get("value", {})
        anonymous = bool(ticked.get("selected_options"))
        try:
            with self.deps.session_scope() as session:
                board = service.add_card(
                    session=session,
                    team_id=team,
                    retro_id=int(metadata["retro_id"]),
                    column=str(metadata["column"]),
                    text=text,
                    author_id=user,
                    anonymous=anonymous,
                    source_key=f"view:{view['id']}",
                    now=self.deps.now(),
                )
        except RetroProblem as err:
            ack(response_action="errors", errors={"text": f"{str(err).capitalize()}."})
            return
        ack()
        self.show(client, team, board)

    def submit_action(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """An action item with owner and due date."""
        view = body["view"]
        metadata = metadata_of(view)
        team = team_of(body)
        text = (input_value(view, "text") or "").strip()
        if not text:
            ack(response_action="errors", errors={"text": "Please write something."})
            return
        due_text = input_value(view, "due")
        due = date.fromisoformat(due_text) if due_text else None
        ack()
        try:
            with self.deps.session_scope() as session:
                board = service.add_action(
                    session=session,
                    team_id=team,
                    retro_id=int(metadata["retro_id"]),
                    text=text,
                    owner_id=input_value(view, "owner"),
                    due=due,
                    source_key=f"view:{view['id']}",
                    now=self.deps.now(),
                )
        except RetroProblem as err:
            tell(client, channel_id=None, user_id=user_of(body), message={"text": str(err)})
            return
        self.show(client, team, board)
