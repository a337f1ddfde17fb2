"""App Home: the tab (published on app_home_opened), its "See all" modals, the ops role
controls and the team settings form.

Clicks elsewhere in the tab (triage status, owner, +1) are the feedback handlers' own;
`view_action` lets them answer in a DM (a view has no response_url) and refreshes the tab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import directory
from bot.blocks import home as blocks
from bot.deps import Deps
from bot.logs import get_logger
from bot.services import home as service
from bot.services import roles
from bot.services import stack as stack_service
from bot.services.home import Picked
from bot.services.roles import OPS_ONLY
from bot.services.team_settings import (
    SettingInvalid,
    TeamConfig,
    check_channel,
    check_timezone,
    parse_reactions,
    save_team_settings,
    team_settings,
)
from handlers.common import input_value, metadata_of, names, team_of, user_of

log = get_logger(__name__)

FIELD_OF = {
    "feedback_reactions": blocks.FIELD_REACTIONS,
    "feedback_channel": blocks.FIELD_CHANNEL,
    "default_timezone": blocks.FIELD_TIMEZONE,
}


def register(app: App, deps: Deps) -> None:
    """Attach the App Home listeners."""
    flows = HomeFlows(deps)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            flows.publish(client, team_of(body), str(event["user"]))

    @app.action(blocks.ACTION_SEE_ALL)
    def on_see_all_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.see_all(body, client)

    @app.action(blocks.ACTION_OPS_PICK)
    def on_person_picked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.pick(body, client)

    @app.action(blocks.ACTION_OPS_GRANT)
    def on_grant_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.change_role(body, client, grant=True)

    @app.action(blocks.ACTION_OPS_REVOKE)
    def on_revoke_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.change_role(body, client, grant=False)

    @app.action(blocks.ACTION_SETTINGS)
    def on_settings_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flows.open_settings(body, client)

    @app.view(blocks.SETTINGS_MODAL)
    def on_settings_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        flows.save_settings(ack, body, client)


@contextmanager
def view_action(
    deps: Deps, body: dict[str, Any], client: WebClient, respond: Callable[..., Any] | None
) -> Iterator[Any]:
    """Run a message-minded action from App Home or a modal: answers go to the person's DM
    (a view has no response_url), and their home tab is refreshed afterwards.

    Anywhere else `respond` comes back unchanged and nothing more happens.
    """
    in_view = body.get("type") == "block_actions" and not body.get("response_url")
    if body.get("type") == "view_submission":
        # The close-note form opened from App Home carries no channel to answer in.
        in_view = not metadata_of(body.get("view") or {}).get("channel_id")
    if not in_view:
        yield respond or (lambda **_: None)
        return
    user = user_of(body)

    def answer_in_dm(text: str = "", blocks: list[dict[str, Any]] | None = None, **_: Any) -> None:
        client.chat_postMessage(channel=user, text=text or " ", blocks=blocks)

    yield answer_in_dm
    HomeFlows(deps).publish(client, team_of(body), user)


class HomeFlows:
    """What each App Home listener does, between the payload and views.publish."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def is_ops(self, client: WebClient, team: str, user: str) -> bool:
        """The ops check of SPEC §4."""
        return directory.is_ops(self.deps, client, team, user)

    def config(self, team: str) -> TeamConfig:
        """The team's settings in effect."""
        with self.deps.session_scope() as session:
            return team_settings(session, team, self.deps.settings)

    def viewer_tz(self, client: WebClient, team: str, user: str, config: TeamConfig) -> str:
        """The person's Slack timezone, else the team's default."""
        profile = directory.profile(self.deps, client, team, user)
        return (profile.tz if profile and profile.tz else None) or config.default_timezone

    def publish(
        self,
        client: WebClient,
        team: str,
        user: str,
        *,
        picked: Picked | None = None,
        notice: str | None = None,
    ) -> None:
        """Build and publish the person's home tab."""
        config = self.config(team)
        is_ops = self.is_ops(client, team, user)
        tz = self.viewer_tz(client, team, user, config)
        with self.deps.session_scope() as session:
            data = service.home_data(
                session=session,
                team_id=team,
                user_id=user,
                now=self.deps.now(),
                viewer_tz=tz,
                config=config,
                is_ops=is_ops,
                picked=picked if is_ops else None,
                notice=notice,
            )
        data = replace(data, names=names(self.deps, client, team, data.people()))
        client.views_publish(user_id=user, view=blocks.build_home(data))

    # ------------------------------------------------------------------ See all

    def see_all(self, body: dict[str, Any], client: WebClient) -> None:
        """A "See all" button: a modal with more of that section."""
        team, user = team_of(body), user_of(body)
        what = str(body["actions"][0].get("value", ""))
        if what in ("triage", "kpis", "renewals") and not self.is_ops(client, team, user):
            self.publish(client, team, user, notice=OPS_ONLY)
            return
        view = self.list_view(client, team, user, what)
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def list_view(
        self, client: WebClient, team: str, user: str, what: str
    ) -> dict[str, Any] | None:
        """The modal behind one "See all" button."""
        config = self.config(team)
        now = self.deps.now()
        title = blocks.SEE_ALL.get(what)
        if title is None:
            return None
        with self.deps.session_scope() as session:
            if what == "feedback":
                items, _ = service.my_feedback(
                    session=session, team_id=team, user_id=user, limit=service.FEEDBACK_ALL
                )
            elif what == "rituals":
                tz = self.viewer_tz(client, team, user, config)
                found, _ = service.my_rituals(
                    session=session, team_id=team, user_id=user, now=now, limit=service.RITUALS_ALL
                )
                return blocks.build_list_modal(
                    title, [blocks.ritual_line(i, at, tz) for i, at in found]
                )
            elif what == "triage":
                items = service.triage_queue(session=session, team_id=team, user_id=user)
            elif what == "kpis":
                today = stack_service.today_in(now, config.default_timezone)
                summaries, total = service.kpis_at_a_glance(
                    session=session, team_id=team, today=today, limit=service.KPIS_ALL
                )
                return blocks.build_list_modal(
                    title, [blocks.kpi_line(s) for s in summaries], total=total
                )
            else:
                due = stack_service.renewals_due(
                    session,
                    team,
                    now,
                    service.RENEWAL_DAYS,
                    tz=config.default_timezone,
                    limit=service.RENEWALS_ALL,
                )
        if what == "renewals":
            people = names(self.deps, client, team, [t.owner_id for t in due])
            today = stack_service.today_in(now, config.default_timezone)
            return blocks.build_list_modal(
                title, [blocks.renewal_line(t, people, today) for t in due]
            )
        people = names(
            self.deps, client, team, [u for i in items for u in (i.reporter_id, i.owner_id)]
        )
        if what == "triage":
            return blocks.build_triage_modal(items, people, more=len(items) >= service.TRIAGE_ALL)
        return blocks.build_list_modal(title, [blocks.feedback_line(i, people) for i in items])

    # ------------------------------------------------------------------ ops role

    def role_of(self, client: WebClient, team: str, user: str) -> str:
        """member, granted (revocable here) or builtin (admin, owner, OPS_ADMINS)."""
        profile = directory.profile(self.deps, client, team, user)
        if user in self.deps.settings.ops_admins or (
            profile is not None and (profile.is_admin or profile.is_owner)
        ):
            return "builtin"
        return "granted" if self.is_ops(client, team, user) else "member"

    def pick(self, body: dict[str, Any], client: WebClient) -> None:
        """A person picked in the ops role control: show their role and the right button."""
        team, user = team_of(body), user_of(body)
        target = body["actions"][0].get("selected_user")
        picked = Picked(target, self.role_of(client, team, target)) if target else None
        self.publish(client, team, user, picked=picked)

    def change_role(self, body: dict[str, Any], client: WebClient, *, grant: bool) -> None:
        """Grant ops, or revoke a granted role; only ops can. Both home tabs are refreshed."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            self.publish(client, team, user, notice=OPS_ONLY)
            return
        target = str(body["actions"][0].get("value") or "") or self.picked_in_state(body)
        if not target:
            self.publish(client, team, user, notice="Pick a person first.")
            return
        role = self.role_of(client, team, target)
        who = names(self.deps, client, team, [target])[target]
        profile = directory.profile(self.deps, client, team, target)
        changed = False
        if role == "builtin":
            notice = f"{who} is ops as a workspace admin, owner or in OPS_ADMINS already."
        elif profile is not None and profile.is_bot:
            notice = f"{who} is an app; apps can't have the ops role."
        elif grant:
            with self.deps.session_scope() as session:
                changed = roles.grant(
                    session=session, team_id=team, user_id=target, by=user, now=self.deps.now()
                )
            notice = f"{who} now has the ops role." if changed else f"{who} has it already."
        else:
            with self.deps.session_scope() as session:
                changed = roles.revoke(session=session, team_id=team, user_id=target)
            notice = (
                f"{who} no longer has the ops role."
                if changed
                else f"{who} doesn't have a granted ops role."
            )
        if changed:
            log.info("ops_role_changed", team=team, user=user, target=target, granted=grant)
        picked = Picked(target, self.role_of(client, team, target))
        self.publish(client, team, user, picked=picked, notice=notice)
        if changed and target != user:
            self.publish(client, team, target)

    def picked_in_state(self, body: dict[str, Any]) -> str:
        """The person picked in the users_select, from the view's state (real Slack sends it)."""
        values = (body.get("view") or {}).get("state", {}).get("values", {})
        state = values.get(blocks.OPS_BLOCK, {}).get(blocks.ACTION_OPS_PICK, {})
        return str(state.get("selected_user") or "")

    # ------------------------------------------------------------------ settings

    def open_settings(self, body: dict[str, Any], client: WebClient) -> None:
        """Edit settings: the form, for ops."""
        team, user = team_of(body), user_of(body)
        if not self.is_ops(client, team, user):
            self.publish(client, team, user, notice=OPS_ONLY)
            return
        client.views_open(
            trigger_id=body["trigger_id"], view=blocks.build_settings_modal(self.config(team))
        )

    def save_settings(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Save the form (checked again: the role may have changed); problems show in place."""
        team, user = team_of(body), user_of(body)
        view = body["view"]
        if not self.is_ops(client, team, user):
            ack(response_action="errors", errors={blocks.FIELD_REACTIONS: OPS_ONLY})
            return
        try:
            reactions = parse_reactions(input_value(view, blocks.FIELD_REACTIONS) or "")
            channel = check_channel(input_value(view, blocks.FIELD_CHANNEL))
            timezone = check_timezone(input_value(view, blocks.FIELD_TIMEZONE) or "")
        except SettingInvalid as err:
            ack(response_action="errors", errors={FIELD_OF[err.field]: err.message})
            return
        ack()
        with self.deps.session_scope() as session:
            save_team_settings(
                session,
                team,
                self.deps.settings,
                reactions=reactions,
                channel=channel,
                timezone=timezone,
                by=user,
                now=self.deps.now(),
            )
        log.info("team_settings_saved", team=team, user=user)
        self.publish(client, team, user, notice="Saved the team settings.")
