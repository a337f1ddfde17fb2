"""The event sender: turns a person's act into the signed HTTP request Slack would send.

Each act (type a slash command, react, click, submit a modal, open App Home, mention the
bot) changes the workspace the way Slack would, POSTs the exact payload to the bot's
request URL with `X-Slack-Signature`, and applies the synchronous answer (an ephemeral
reply, a modal's `response_action`) the way Slack's client would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from bot.sandbox.workspace import APP_ID, SlackApiFailure, Workspace

SIGNATURE_VERSION = "v0"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, 'v0:{ts}:{body}')."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """What the bot answered to one request."""

    status: int
    body: str
    headers: dict[str, str]
    # The request as sent (body, content type, timestamp), so that it can be sent again.
    request: tuple[bytes, str, int] | None = None
    # Seconds from sending the request to the answer.
    latency: float = 0.0

    def json(self) -> Any:
        """The answer's body as JSON, or None when it is empty or plain text."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class EventSender:
    """Sends acts of the workspace's people to the bot, signed like Slack."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        bot_url: str,
        signing_secret: str,
        emulator_url: str,
        timeout: float = 10.0,
        settle: Callable[[], object] | None = None,
    ) -> None:
        self.workspace = workspace
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.emulator_url = emulator_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        # Called after each request: the tests wait here for the bot's work after the ack.
        self.settle = settle

    # ----------------------------------------------------------------- transport

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        wait: bool = True,
    ) -> Delivery:
        """POST a raw body to the bot, signed (unless `signature` is given) at `timestamp`.

        With `wait` (and a `settle` callback) it returns once the bot's work after the ack
        is done too; acts that show the ack themselves wait after showing it.
        """
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or sign(self.signing_secret, stamp, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.monotonic()
        response = self.http.post(self.bot_url, data=body, headers=headers, timeout=self.timeout)
        latency = time.monotonic() - started
        if wait:
            self.wait()
        return Delivery(
            response.status_code,
            response.text,
            dict(response.headers),
            request=(body, content_type, int(stamp)),
            latency=latency,
        )

    def resend(self, delivery: Delivery, *, retry_num: int = 1, wait: bool = True) -> Delivery:
        """Send a delivered request again, as Slack retries it: same body, same signature."""
        if delivery.request is None:
            raise ValueError("that delivery has no request to send again")
        body, content_type, stamp = delivery.request
        return self.post(body, content_type, timestamp=stamp, retry_num=retry_num, wait=wait)

    def wait(self) -> None:
        """Let the bot finish what it does after its acks (when a settle callback is set)."""
        if self.settle is not None:
            self.settle()

    def post_form(self, fields: dict[str, str], **kwargs: Any) -> Delivery:
        """A form-encoded request, like slash commands."""
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def post_payload(self, payload: dict[str, Any], **kwargs: Any) -> Delivery:
        """An interactivity request: one form field `payload=<json>`."""
        return self.post_form({"payload": json.dumps(payload)}, **kwargs)

    def post_event(self, event: dict[str, Any], **kwargs: Any) -> tuple[str, Delivery]:
        """An Events API callback wrapping `event`; returns its event_id and the answer."""
        event_id = kwargs.pop("event_id", None) or self.workspace.new_event_id()
        envelope = self.event_envelope(event, event_id)
        return event_id, self.post(json.dumps(envelope).encode(), "application/json", **kwargs)

    def event_envelope(self, event: dict[str, Any], event_id: str) -> dict[str, Any]:
        """The event_callback envelope Slack wraps around every event."""
        team = self.workspace.team_id
        return {
            "token": "sandbox-verification-token",
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": None,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"1-{event.get('type')}-{team}",
        }

    # ----------------------------------------------------------------- acts

    def slash_command(self, user_id: str, channel_id: str, line: str) -> Delivery:
        """A person types `/command text` in a channel; the ack is shown as Slack would."""
        ws = self.workspace
        command, _, text = line.strip().partition(" ")
        user = ws.user(user_id)
        channel = ws.channel(channel_id)
        fields = {
            "token": "sandbox-verification-token",
            "team_id": ws.team_id,
            "team_domain": ws.domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text.strip(),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": ws.issue_response_url(
                self.emulator_url, user_id=user.id, channel_id=channel.id
            ),
            "trigger_id": ws.issue_trigger(user.id),
        }
        sent_at = ws.new_ts()
        delivery = self.post_form(fields, wait=False)
        self._show_ack(delivery, user_id=user.id, channel_id=channel.id, echo=line, ts=sent_at)
        self.wait()
        return delivery

    def _show_ack(
        self, delivery: Delivery, *, user_id: str, channel_id: str, echo: str, ts: str
    ) -> None:
        if delivery.status != 200:
            self.workspace.add_ephemeral(
                channel_id,
                user_id,
                text=f'{echo.split(" ")[0]} failed with the error "dispatch_failed"',
            )
            return
        if not delivery.body:
            return
        answer = delivery.json()
        if not isinstance(answer, dict):
            self.workspace.add_ephemeral(channel_id, user_id, text=delivery.body, ts=ts)
            return
        text = str(answer.get("text") or "")
        blocks = answer.get("blocks")
        if answer.get("response_type") == "in_channel":
            self.workspace.add_message(channel_id, user_id=user_id, text=echo)
            self.workspace.add_message(
                channel_id, user_id=self.workspace.bot_user_id, text=text, blocks=blocks
            )
        else:
            self.workspace.add_ephemeral(channel_id, user_id, text=text, blocks=blocks, ts=ts)

    def post_message(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A person writes a message; the bot subscribes to no message events, so none is sent.

        A message that mentions the bot also sends `app_mention`, as Slack does.
        """
        message = self.workspace.add_message(
            channel_id,
            user_id=user_id,
            text=text,
            thread_ts=thread_ts,
            extra={"client_msg_id": f"sandbox-{time.time_ns()}"},
        )
        if (
            f"<@{self.workspace.bot_user_id}>" in text
            and not self.workspace.channel(channel_id).is_im
        ):
            event = {
                "type": "app_mention",
                "user": user_id,
                "text": text,
                "ts": message["ts"],
                "channel": channel_id,
                "event_ts": message["ts"],
            }
            if message.get("thread_ts"):
                event["thread_ts"] = message["thread_ts"]
            self.post_event(event)
        return message

    def react(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery | None:
        """A person adds a reaction; sends `reaction_added` if it is new."""
        ws = self.workspace
        message = ws.find_message(channel_id, ts)
        if not ws.add_reaction(channel_id, ts, name, user_id):
            return None
        return self.post_event(
            self._reaction_event("reaction_added", user_id, message, channel_id, name)
        )[1]

    def unreact(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery | None:
        """A person removes a reaction; sends `reaction_removed` if there was one."""
        ws = self.workspace
        message = ws.find_message(channel_id, ts)
        if not ws.remove_reaction(channel_id, ts, name, user_id):
            return None
        return self.post_event(
            self._reaction_event("reaction_removed", user_id, message, channel_id, name)
        )[1]

    def _reaction_event(
        self, kind: str, user_id: str, message: dict[str, Any], channel_id: str, name: str
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind,
            "user": user_id,
            "reaction": name,
            "item": {"type": "message", "channel": channel_id, "ts": message["ts"]},
            "event_ts": self.workspace.new_ts(),
        }
        if message.get("user"):
            event["item_user"] = message["user"]
        return event

    def open_home(self, user_id: str) -> Delivery:
        """A person opens the bot's App Home tab."""
        ws = self.workspace
        home = ws.home_views.get(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": ws.dm_of(user_id).id,
            "tab": "home",
            "event_ts": ws.new_ts(),
        }
        if home:
            event["view"] = {k: v for k, v in ws.views[home].items() if not k.startswith("_")}
        return self.post_event(event)[1]

    def shortcut(self, user_id: str, channel_id: str, ts: str, callback_id: str) -> Delivery:
        """A person picks a message shortcut from a message's menu."""
        ws = self.workspace
        user = ws.user(user_id)
        channel = ws.channel(channel_id)
        message = ws.find_message(channel.id, ts)
        payload = {
            "type": "message_action",
            "token": "sandbox-verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": ws.team_id, "domain": ws.domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "team_id": ws.team_id,
                "name": user.name,
            },
            "channel": {"id": channel.id, "name": channel.name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": ws.issue_trigger(user.id),
            "message_ts": message["ts"],
            "message": dict(message),
            "response_url": ws.issue_response_url(
                self.emulator_url, user_id=user.id, channel_id=channel.id
            ),
        }
        return self.post_payload(payload)

    def click(
        self,
        user_id: str,
        *,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        selected: dict[str, Any] | None = None,
        times: int = 1,
    ) -> Delivery:
        """A person clicks a button (or picks from a select) in a message, ephemeral or view.

        `times` > 1 is a double click: the same payload again before the message changes.
        """
        ws = self.workspace
        user = ws.user(user_id)
        with ws.lock:
            container, surface, blocks = self._container(user.id, channel_id, message_ts, view_id)
            element, found_block = _find_element(blocks, action_id, value, block_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": found_block,
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("type", "button") == "button":
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
        elif selected is not None:
            action.update(selected)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": ws.team_id,
            },
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
            "container": container,
            "trigger_id": ws.issue_trigger(user.id),
            "team": {"id": ws.team_id, "domain": ws.domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if surface == "view":
            view = ws.views[str(view_id)]
            payload["view"] = {k: v for k, v in view.items() if not k.startswith("_")}
        else:
            channel = ws.channel(str(channel_id))
            payload["channel"] = {"id": channel.id, "name": channel.name}
            payload["message"] = {"type": "message", "ts": message_ts, "blocks": blocks}
            payload["response_url"] = ws.issue_response_url(
                self.emulator_url,
                user_id=user.id,
                channel_id=channel.id,
                message_ts=message_ts,
                ephemeral=container.get("is_ephemeral", False),
            )
        deliveries = [self.post_payload(payload, wait=False) for _ in range(times)]
        self.wait()
        return deliveries[-1]

    def _container(
        self, user_id: str, channel_id: str | None, message_ts: str | None, view_id: str | None
    ) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        ws = self.workspace
        if view_id:
            view = ws.views.get(view_id)
            if view is None:
                raise SlackApiFailure("view_not_found")
            return {"type": "view", "view_id": view_id}, "view", view.get("blocks", [])
        if channel_id is None or message_ts is None:
            raise SlackApiFailure("invalid_arguments")
        for ephemeral in ws.ephemerals:
            if ephemeral["ts"] == message_ts and ephemeral["user"] == user_id:
                container = {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel_id,
                    "is_ephemeral": True,
                }
                return container, "message", ephemeral.get("blocks", [])
        message = ws.find_message(channel_id, message_ts)
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        return container, "message", message.get("blocks", [])

    def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]]
    ) -> Delivery:
        """A person submits a modal with `values` ({block_id: {action_id: state}}).

        The answer is applied like Slack's client: `errors` stay on the view, `update`
        replaces it, `push` stacks a new one, `clear` closes all, an empty ack closes it.
        """
        ws = self.workspace
        user = ws.user(user_id)
        with ws.lock:
            view = ws.views.get(view_id)
            if view is None or view.get("_user") != user.id:
                raise SlackApiFailure("view_not_found")
            view["state"] = {"values": values}
            public = {k: v for k, v in view.items() if not k.startswith("_")}
        payload = {
            "type": "view_submission",
            "team": {"id": ws.team_id, "domain": ws.domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": ws.team_id,
            },
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
            "trigger_id": ws.issue_trigger(user.id),
            "view": public,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        delivery = self.post_payload(payload, wait=False)
        self._apply_view_answer(user.id, view_id, delivery)
        self.wait()
        return delivery

    def close_view(self, user_id: str, view_id: str) -> None:
        """A person closes a modal with Cancel (the bot is told only if it asked)."""
        ws = self.workspace
        with ws.lock:
            stack = ws.view_stacks.get(user_id, [])
            if view_id in stack:
                del stack[stack.index(view_id) :]
                ws.touch()

    def _apply_view_answer(self, user_id: str, view_id: str, delivery: Delivery) -> None:
        ws = self.workspace
        answer = delivery.json() if delivery.status == 200 else None
        with ws.lock:
            stack = ws.view_stacks.setdefault(user_id, [])
            view = ws.views[view_id]
            action = answer.get("response_action") if isinstance(answer, dict) else None
            if delivery.status != 200:
                view["_errors"] = {"": "We had some trouble connecting. Try again?"}
            elif action == "errors":
                view["_errors"] = answer.get("errors", {}) if isinstance(answer, dict) else {}
            elif action == "update" and isinstance(answer, dict):
                view.update({k: v for k, v in answer.get("view", {}).items() if k != "type"})
                view.pop("_errors", None)
            elif action == "push" and isinstance(answer, dict):
                new_id = ws.new_id("V")
                ws.views[new_id] = {
                    **answer.get("view", {}),
                    "id": new_id,
                    "type": "modal",
                    "_user": user_id,
                    "state": {"values": {}},
                    "hash": f"{time.time():.6f}.{new_id}",
                    "root_view_id": stack[0] if stack else new_id,
                    "previous_view_id": view_id,
                }
                stack.append(new_id)
            elif action == "clear":
                stack.clear()
            elif view_id in stack:
                stack.remove(view_id)
            ws.touch()


def _find_element(
    blocks: list[dict[str, Any]], action_id: str, value: str | None, block_id: str | None
) -> tuple[dict[str, Any], str]:
    for index, block in enumerate(blocks):
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        if "element" in block:
            candidates.append(block["element"])
        for element in candidates:
            if element.get("action_id") != action_id:
                continue
            if value is not None and element.get("value") not in (None, value):
                continue
            found_block = block.get("block_id") or f"b{index}"
            if block_id is not None and found_block != block_id:
                continue
            return element, found_block
    raise SlackApiFailure("action_not_found")
