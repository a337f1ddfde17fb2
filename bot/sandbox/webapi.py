"""The emulated Slack Web API: the methods the bot calls, in Slack's wire format.

`POST /api/<method>` takes form or JSON arguments like slack.com/api does and answers
`{"ok": true, ...}` or `{"ok": false, "error": ...}`. Blocks and views are checked against
Slack's limits, so a builder that breaks them fails in the tests as it would in Slack.
`POST /response/<token>` is the response_url, `PUT|POST /upload/<file_id>` the file upload.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.sandbox.workspace import (
    APP_ID,
    BOT_NAME,
    RESPONSE_URL_TTL_SECONDS,
    RESPONSE_URL_USES,
    Fault,
    SlackApiFailure,
    Workspace,
    Workspaces,
)

Method = Callable[[Workspace, dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    """Register an implementation of the Web API method `name`."""

    def register(func: Method) -> Method:
        METHODS[name] = func
        return func

    return register


def create_webapi_blueprint(
    slack: Workspace | Workspaces, base_url: Callable[[], str]
) -> Blueprint:
    """Routes for the Web API, OAuth, response_urls and file uploads of the workspaces."""
    workspaces = slack if isinstance(slack, Workspaces) else Workspaces(slack)
    api = Blueprint("webapi", __name__)

    @api.post("/api/<name>")
    def call(name: str) -> tuple[Response, int] | Response:
        args = _arguments()
        if name == "oauth.v2.access":
            return _oauth_access(workspaces, args)
        token = _token(args)
        workspace = workspaces.by_token(token)
        if workspace is None:
            workspaces.refuse(name, args, token)
            error = "not_authed" if not token else "invalid_auth"
            return jsonify({"ok": False, "error": error}), 200
        workspace.record(name, args, token)
        fault = workspace.take_fault(name)
        if fault is not None and not fault.after:
            faulty = _fault_answer(fault)
            if faulty is not None:
                return faulty
        answer = _answer(workspace, name, args)
        if fault is not None and fault.after:
            return _fault_answer(fault) or answer
        return answer

    def _answer(workspace: Workspace, name: str, args: dict[str, Any]) -> tuple[Response, int]:
        if name not in METHODS:
            return jsonify({"ok": False, "error": "unknown_method"}), 200
        try:
            with workspace.lock:
                result = METHODS[name](workspace, {**args, "_base_url": base_url()})
        except SlackApiFailure as failure:
            return jsonify({"ok": False, "error": failure.error, **failure.extra}), 200
        return jsonify({"ok": True, **result}), 200

    @api.get("/oauth/v2/authorize")
    def authorize() -> WerkzeugResponse | tuple[Response, int] | str:
        # Slack's "allow this app" page. Without ?team=&user= it asks who installs where;
        # with them, that person allows the app and the browser goes back to the app.
        redirect_uri = request.args.get("redirect_uri") or workspaces.redirect_uri or ""
        if not redirect_uri:
            return jsonify({"ok": False, "error": "bad_redirect_uri"}), 400
        team_id, user_id = request.args.get("team"), request.args.get("user")
        if not team_id or not user_id:
            return _authorize_page(workspaces, request.args.to_dict())
        try:
            code = workspaces.authorize(team_id, user_id)
        except SlackApiFailure as failure:
            return jsonify({"ok": False, "error": failure.error}), 400
        query = urlencode({"code": code, "state": request.args.get("state", "")})
        return redirect(f"{redirect_uri}?{query}")

    @api.post("/response/<token>")
    def response_url(token: str) -> tuple[Response, int]:
        payload = request.get_json(force=True, silent=True) or {}
        workspace = workspaces.find_response_url(token) or workspaces.first
        workspace.record("response_url", payload, None)
        try:
            with workspace.lock:
                _respond(workspace, token, payload)
        except SlackApiFailure as failure:
            return jsonify({"ok": False, "error": failure.error}), 404
        return jsonify({"ok": True}), 200

    @api.route("/upload/<file_id>", methods=["POST", "PUT"])
    def upload(file_id: str) -> tuple[str, int]:
        workspace = workspaces.find_file(file_id)
        if workspace is None:
            return "unknown upload", 404
        with workspace.lock:
            workspace.files[file_id]["content"] = request.get_data()
            size = len(workspace.files[file_id]["content"])
        return f"OK - {size}", 200

    @api.get("/files/<file_id>")
    def file_content(file_id: str) -> Response:
        workspace = workspaces.find_file(file_id)
        entry = workspace.files.get(file_id) if workspace else None
        if entry is None or entry.get("content") is None:
            return Response("not found", status=404)
        return Response(entry["content"], mimetype=entry.get("mimetype", "image/png"))

    return api


def _authorize_page(workspaces: Workspaces, args: dict[str, str]) -> str:
    """The page where a person picks the workspace (and who they are) to install into."""
    rows = []
    for ws in workspaces.all:
        links = " ".join(
            f'<a class="who" href="?{escape(_with(args, team=ws.team_id, user=pid))}">'
            f"{escape(name)}</a>"
            for pid, name in ((p["id"], p["name"]) for p in ws.people())
        )
        state = "installed" if ws.tokens else "not installed yet"
        rows.append(f"<li><b>{escape(ws.name)}</b> ({state}): allow as {links}</li>")
    return (
        "<!doctype html><meta charset=utf-8><title>Install productops</title>"
        "<style>body{font:15px system-ui;margin:3em auto;max-width:42em}"
        "a.who{margin-right:.6em}</style>"
        "<h1>productops is requesting permission to access a workspace</h1>"
        "<p>It will post messages, read the channels it is in, add slash commands and "
        "shortcuts, and see basic information about people.</p>"
        f"<ul>{''.join(rows)}</ul>"
    )


def _with(args: dict[str, str], **more: str) -> str:
    return urlencode({**args, **more})


def _oauth_access(workspaces: Workspaces, args: dict[str, Any]) -> tuple[Response, int]:
    """oauth.v2.access: a code from the authorize page becomes a bot token for its workspace."""
    client_id, client_secret = str(args.get("client_id", "")), str(args.get("client_secret", ""))
    if request.authorization and request.authorization.type == "basic":
        client_id = request.authorization.username or ""
        client_secret = request.authorization.password or ""
    try:
        workspace, user_id, token = workspaces.exchange(
            str(args.get("code", "")), client_id, client_secret
        )
    except SlackApiFailure as failure:
        return jsonify({"ok": False, "error": failure.error}), 200
    workspace.record("oauth.v2.access", {"code": args.get("code")}, None)
    return jsonify(
        {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": user_id},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
    ), 200


def _fault_answer(fault: Fault) -> tuple[Response, int] | None:
    """The faulty answer (None: only a delay, then the real answer)."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.drop:
        # Close the connection without a word: the client sees the server hang up.
        connection = request.environ.get("werkzeug.socket")
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
        return Response(status=500), 500
    if fault.status == 429:
        response = jsonify({"ok": False, "error": "ratelimited"})
        response.headers["Retry-After"] = str(fault.retry_after or 1)
        return response, 429
    if fault.status >= 500:
        return jsonify({"ok": False, "error": "internal_error"}), fault.status
    if fault.error:
        return jsonify({"ok": False, "error": fault.error}), 200
    return None


def _arguments() -> dict[str, Any]:
    if request.is_json:
        body = request.get_json(silent=True)
        args = dict(body) if isinstance(body, dict) else {}
    else:
        args = request.form.to_dict()
    args.update({k: v for k, v in request.args.items() if k not in args})
    for key in ("blocks", "view", "files", "attachments", "metadata"):
        if isinstance(args.get(key), str) and args[key].strip().startswith(("[", "{")):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                raise_invalid = args[key]
                args[key] = {"__invalid_json__": raise_invalid}
    return args


def _token(args: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    token = args.get("token")
    return str(token) if token else None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


# ---------------------------------------------------------------------- limits

SURFACE_BLOCK_LIMITS = {"message": 50, "modal": 100, "home": 100}


def check_blocks(blocks: Any, *, surface: str = "message") -> list[str]:
    """Slack's complaints about `blocks`, in its own words; empty when Slack would accept them."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    limit = SURFACE_BLOCK_LIMITS[surface]
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"missing required field: type [json-pointer:{pointer}]")
            continue
        errors.extend(_check_block(block, pointer))
    return errors


def _check_block(block: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    kind = block["type"]

    def text_limit(obj: Any, limit: int, where: str) -> None:
        if isinstance(obj, dict):
            text = obj.get("text", "")
            if not isinstance(text, str) or not text:
                errors.append(f"must be more than 0 characters [json-pointer:{where}/text]")
            elif len(text) > limit:
                errors.append(
                    f"must be less than {limit + 1} characters [json-pointer:{where}/text]"
                )

    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must provide text or fields [json-pointer:{pointer}]")
        if "text" in block:
            text_limit(block["text"], 3000, f"{pointer}/text")
        fields = block.get("fields", [])
        if len(fields) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/fields]")
        for i, item in enumerate(fields):
            text_limit(item, 2000, f"{pointer}/fields/{i}")
        if "accessory" in block:
            errors.extend(_check_element(block["accessory"], f"{pointer}/accessory"))
    elif kind == "header":
        text_limit(block.get("text"), 150, f"{pointer}/text")
    elif kind == "context":
        elements = block.get("elements", [])
        if not elements or len(elements) > 10:
            errors.append(f"must have 1 to 10 items [json-pointer:{pointer}/elements]")
        for i, item in enumerate(elements):
            if item.get("type") in ("mrkdwn", "plain_text"):
                text_limit(item, 3000, f"{pointer}/elements/{i}")
    elif kind == "actions":
        elements = block.get("elements", [])
        if not elements or len(elements) > 25:
            errors.append(f"must have 1 to 25 items [json-pointer:{pointer}/elements]")
        for i, element in enumerate(elements):
            errors.extend(_check_element(element, f"{pointer}/elements/{i}"))
    elif kind == "input":
        text_limit(block.get("label"), 2000, f"{pointer}/label")
        if "element" not in block:
            errors.append(f"missing required field: element [json-pointer:{pointer}]")
        else:
            errors.extend(_check_element(block["element"], f"{pointer}/element"))
    elif kind == "image":
        if not block.get("image_url") and not block.get("slack_file"):
            errors.append(f"missing required field: image_url [json-pointer:{pointer}]")
        if len(block.get("alt_text", "")) > 2000:
            errors.append(f"must be less than 2001 characters [json-pointer:{pointer}/alt_text]")
    block_id = block.get("block_id")
    if isinstance(block_id, str) and len(block_id) > 255:
        errors.append(f"must be less than 256 characters [json-pointer:{pointer}/block_id]")
    return errors


def _check_element(element: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    if element.get("type") == "button":
        text = element.get("text", {}).get("text", "")
        if not text or len(text) > 75:
            errors.append(f"must be 1 to 75 characters [json-pointer:{pointer}/text/text]")
        if len(str(element.get("value", ""))) > 2000:
            errors.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > 255:
        errors.append(f"must be less than 256 characters [json-pointer:{pointer}/action_id]")
    options = element.get("options")
    if isinstance(options, list):
        if len(options) > 100:
            errors.append(f"no more than 100 items allowed [json-pointer:{pointer}/options]")
        for i, option in enumerate(options):
            if len(option.get("text", {}).get("text", "")) > 75:
                errors.append(
                    f"must be less than 76 characters [json-pointer:{pointer}/options/{i}/text]"
                )
            if len(str(option.get("value", ""))) > 150:
                errors.append(
                    f"must be less than 151 characters [json-pointer:{pointer}/options/{i}/value]"
                )
    return errors


def _check_message(args: dict[str, Any]) -> None:
    blocks = args.get("blocks")
    errors = check_blocks(blocks, surface="message")
    if errors:
        raise SlackApiFailure("invalid_blocks", errors=errors)
    if not args.get("text") and not blocks:
        raise SlackApiFailure("no_text")
    if len(str(args.get("text") or "")) > 40000:
        raise SlackApiFailure("msg_too_long")


def _check_view(view: Any, surface: str) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise SlackApiFailure("invalid_arguments")
    messages = [f"[ERROR] {e}" for e in check_blocks(view.get("blocks", []), surface=surface)]
    for key in ("title", "submit", "close"):
        text = (view.get(key) or {}).get("text", "")
        if len(text) > 24:
            messages.append(
                f"[ERROR] must be less than 25 characters [json-pointer:/view/{key}/text]"
            )
    if surface == "modal" and not (view.get("title") or {}).get("text"):
        messages.append("[ERROR] missing required field: title [json-pointer:/view]")
    if len(view.get("private_metadata", "") or "") > 3000:
        messages.append(
            "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
        )
    if messages:
        raise SlackApiFailure("invalid_arguments", response_metadata={"messages": messages})
    return view


# ---------------------------------------------------------------------- methods


@method("auth.test")
def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.name,
        "user": BOT_NAME,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _bot_message(ws: Workspace, message: dict[str, Any]) -> dict[str, Any]:
    return {
        **message,
        "bot_profile": {"id": ws.bot_id, "name": BOT_NAME, "app_id": APP_ID, "team_id": ws.team_id},
    }


def _resolve_channel(ws: Workspace, channel_id: str) -> str:
    """Slack accepts a user id as `channel` for a DM with the bot."""
    if channel_id.startswith(("U", "W")) and channel_id in ws.users:
        return ws.dm_of(channel_id).id
    return ws.channel(channel_id).id


@method("apps.connections.open")
def apps_connections_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if not ws.socket_url:
        raise SlackApiFailure("socket_mode_not_enabled")
    return {"url": ws.socket_url}


@method("chat.postMessage")
def chat_post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _resolve_channel(ws, str(args.get("channel", "")))
    _check_message(args)
    if ws.bot_user_id not in ws.channel(channel).members:
        raise SlackApiFailure("not_in_channel")
    metadata = _metadata(args.get("metadata"))
    message = ws.add_message(
        channel,
        user_id=ws.bot_user_id,
        text=str(args.get("text") or ""),
        blocks=args.get("blocks"),
        thread_ts=args.get("thread_ts") or None,
        extra={"metadata": metadata} if metadata else None,
    )
    return {"channel": channel, "ts": message["ts"], "message": _bot_message(ws, message)}


def _metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata as Slack takes it: `{"event_type": str, "event_payload": {...}}`."""
    if value in (None, ""):
        return None
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("event_type"), str)
        or not isinstance(value.get("event_payload"), dict)
        or set(value) - {"event_type", "event_payload"}
    ):
        raise SlackApiFailure("invalid_metadata_format")
    if len(json.dumps(value)) > 8000:
        raise SlackApiFailure("metadata_too_large")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}


def _with_metadata(messages: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages as history shows them: metadata only when asked (`include_all_metadata`)."""
    if _flag(args.get("include_all_metadata")):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


@method("chat.postEphemeral")
def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _resolve_channel(ws, str(args.get("channel", "")))
    user = ws.user(str(args.get("user", "")))
    _check_message(args)
    if user.id not in ws.channel(channel).members:
        raise SlackApiFailure("user_not_in_channel")
    ephemeral = ws.add_ephemeral(
        channel,
        user.id,
        text=str(args.get("text") or ""),
        blocks=args.get("blocks"),
        thread_ts=args.get("thread_ts") or None,
    )
    return {"message_ts": ephemeral["ts"]}


@method("chat.update")
def chat_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = ws.channel(str(args.get("channel", ""))).id
    message = ws.find_message(channel, str(args.get("ts", "")))
    if message.get("user") != ws.bot_user_id:
        raise SlackApiFailure("cant_update_message")
    _check_message(args)
    if "text" in args:
        message["text"] = args["text"]
    if "blocks" in args:
        message["blocks"] = args["blocks"] or []
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.new_ts()}
    ws.touch()
    return {"channel": channel, "ts": message["ts"], "text": message["text"]}


@method("chat.delete")
def chat_delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = ws.channel(str(args.get("channel", ""))).id
    message = ws.find_message(channel, str(args.get("ts", "")))
    if message.get("user") != ws.bot_user_id:
        raise SlackApiFailure("cant_delete_message")
    ws.messages[channel].remove(message)
    ws.touch()
    return {"channel": channel, "ts": message["ts"]}


@method("chat.getPermalink")
def chat_get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = ws.channel(str(args.get("channel", ""))).id
    message = ws.find_message(channel, str(args.get("message_ts", "")))
    link = f"https://{ws.domain}.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != message["ts"]:
        link += "?" + urlencode({"thread_ts": thread_ts, "cid": channel})
    return {"channel": channel, "permalink": link}


def _page(items: list[dict[str, Any]], args: dict[str, Any], default: int) -> dict[str, Any]:
    limit = min(int(args.get("limit") or default), 999)
    start = int(args.get("cursor") or 0) if str(args.get("cursor") or "0").isdigit() else 0
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return {
        "messages": chunk,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def _in_window(message: dict[str, Any], args: dict[str, Any]) -> bool:
    ts = float(message["ts"])
    oldest = float(args.get("oldest") or 0)
    latest = float(args.get("latest") or 1e12)
    inclusive = _flag(args.get("inclusive"))
    if inclusive:
        return oldest <= ts <= latest
    return oldest < ts < latest


def _visible_to_bot(ws: Workspace, channel_id: str) -> str:
    channel = ws.channel(channel_id)
    if ws.bot_user_id not in channel.members:
        raise SlackApiFailure("not_in_channel")
    return channel.id


@method("conversations.history")
def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _visible_to_bot(ws, str(args.get("channel", "")))
    top = [
        m
        for m in reversed(ws.messages[channel])
        if (m.get("thread_ts") in (None, m["ts"])) and _in_window(m, args)
    ]
    return _page(_with_metadata(top, args), args, 100)


@method("conversations.replies")
def conversations_replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _visible_to_bot(ws, str(args.get("channel", "")))
    try:
        thread = ws.replies(channel, str(args.get("ts", "")))
    except SlackApiFailure:
        raise SlackApiFailure("thread_not_found") from None
    if thread[0].get("thread_ts") not in (None, thread[0]["ts"]):
        # Asking with a reply's ts answers with the whole thread, like Slack.
        thread = ws.replies(channel, thread[0]["thread_ts"])
    return _page(_with_metadata([m for m in thread if _in_window(m, args)], args), args, 1000)


@method("conversations.info")
def conversations_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"channel": ws.channel(str(args.get("channel", ""))).to_api(ws.bot_user_id)}


@method("conversations.open")
def conversations_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    users = [u for u in str(args.get("users", "")).split(",") if u]
    if len(users) != 1:
        raise SlackApiFailure("not_implemented" if users else "users_list_not_supplied")
    return {"channel": {"id": ws.dm_of(ws.user(users[0]).id).id}}


@method("conversations.list")
def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channels = [c.to_api(ws.bot_user_id) for c in ws.channels.values() if not c.is_im]
    return {"channels": channels, "response_metadata": {"next_cursor": ""}}


@method("conversations.members")
def conversations_members(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = ws.channel(str(args.get("channel", "")))
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


@method("users.info")
def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"user": ws.user(str(args.get("user", ""))).to_api(ws.team_id)}


@method("users.list")
def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    members = [u.to_api(ws.team_id) for u in ws.users.values()]
    return {"members": members, "response_metadata": {"next_cursor": ""}}


def _store_view(ws: Workspace, view: dict[str, Any], *, user_id: str, kind: str) -> dict[str, Any]:
    view_id = ws.new_id("V")
    stored = {
        **view,
        "id": view_id,
        "team_id": ws.team_id,
        "type": kind,
        "state": {"values": {}},
        "hash": f"{time.time():.6f}.{view_id}",
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": APP_ID,
        "bot_id": ws.bot_id,
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "_user": user_id,
    }
    ws.views[view_id] = stored
    return stored


def _public(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if not k.startswith("_")}


@method("views.open")
def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    view = _check_view(args.get("view"), "modal")
    user_id = ws.use_trigger(str(args.get("trigger_id", "")))
    stored = _store_view(ws, view, user_id=user_id, kind="modal")
    ws.view_stacks[user_id] = [stored["id"]]
    ws.touch()
    return {"view": _public(stored)}


@method("views.push")
def views_push(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    view = _check_view(args.get("view"), "modal")
    user_id = ws.use_trigger(str(args.get("trigger_id", "")))
    stack = ws.view_stacks.get(user_id, [])
    if not stack:
        raise SlackApiFailure("not_found")
    if len(stack) >= 3:
        raise SlackApiFailure("push_limit_reached")
    stored = _store_view(ws, view, user_id=user_id, kind="modal")
    stored["root_view_id"] = stack[0]
    stored["previous_view_id"] = stack[-1]
    stack.append(stored["id"])
    ws.touch()
    return {"view": _public(stored)}


@method("views.update")
def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    target = None
    if args.get("view_id"):
        target = ws.views.get(str(args["view_id"]))
    elif args.get("external_id"):
        target = next(
            (v for v in ws.views.values() if v.get("external_id") == args["external_id"]), None
        )
    if target is None:
        raise SlackApiFailure("not_found")
    if args.get("hash") and args["hash"] != target["hash"]:
        raise SlackApiFailure("hash_conflict")
    view = _check_view(args.get("view"), target["type"])
    target.update({k: v for k, v in view.items() if k != "type"})
    target["hash"] = f"{time.time():.6f}.{target['id']}"
    target.pop("_errors", None)
    ws.touch()
    return {"view": _public(target)}


@method("views.publish")
def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = ws.user(str(args.get("user_id", "")))
    view = _check_view(args.get("view"), "home")
    current = ws.home_views.get(user.id)
    if current and args.get("hash") and args["hash"] != ws.views[current]["hash"]:
        raise SlackApiFailure("hash_conflict")
    stored = _store_view(ws, view, user_id=user.id, kind="home")
    if current:
        ws.views.pop(current, None)
    ws.home_views[user.id] = stored["id"]
    ws.touch()
    return {"view": _public(stored)}


@method("reactions.add")
def reactions_add(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _visible_to_bot(ws, str(args.get("channel", "")))
    name = str(args.get("name", "")).strip(":")
    if not ws.add_reaction(channel, str(args.get("timestamp", "")), name, ws.bot_user_id):
        raise SlackApiFailure("already_reacted")
    return {}


@method("reactions.remove")
def reactions_remove(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _visible_to_bot(ws, str(args.get("channel", "")))
    name = str(args.get("name", "")).strip(":")
    if not ws.remove_reaction(channel, str(args.get("timestamp", "")), name, ws.bot_user_id):
        raise SlackApiFailure("no_reaction")
    return {}


@method("reactions.get")
def reactions_get(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _visible_to_bot(ws, str(args.get("channel", "")))
    message = ws.find_message(channel, str(args.get("timestamp", "")))
    return {"type": "message", "channel": channel, "message": message}


@method("files.getUploadURLExternal")
def files_get_upload_url(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if not args.get("filename") or not str(args.get("length", "")).isdigit():
        raise SlackApiFailure("invalid_arguments")
    file_id = ws.new_id("F")
    ws.files[file_id] = {
        "id": file_id,
        "name": args["filename"],
        "length": int(args["length"]),
        "content": None,
        "mimetype": "image/png" if str(args["filename"]).endswith(".png") else "text/plain",
    }
    return {"upload_url": f"{args['_base_url'].rstrip('/')}/upload/{file_id}", "file_id": file_id}


@method("files.completeUploadExternal")
def files_complete_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    files = args.get("files")
    if not isinstance(files, list) or not files:
        raise SlackApiFailure("invalid_arguments")
    done = []
    for item in files:
        entry = ws.files.get(str(item.get("id")))
        if entry is None or entry.get("content") is None:
            raise SlackApiFailure("file_not_found")
        entry["title"] = item.get("title") or entry["name"]
        entry["url_private"] = f"{args['_base_url'].rstrip('/')}/files/{entry['id']}"
        done.append({"id": entry["id"], "title": entry["title"]})
    channel_id = args.get("channel_id") or args.get("channels")
    if channel_id:
        channel = _resolve_channel(ws, str(channel_id).split(",")[0])
        shared = [{k: v for k, v in ws.files[f["id"]].items() if k != "content"} for f in done]
        ws.add_message(
            channel,
            user_id=ws.bot_user_id,
            text=str(args.get("initial_comment") or ""),
            thread_ts=args.get("thread_ts") or None,
            files=shared,
        )
    return {"files": done}


# ---------------------------------------------------------------------- response_url


def _respond(ws: Workspace, token: str, payload: dict[str, Any]) -> None:
    entry = ws.response_urls.get(token)
    if entry is None:
        raise SlackApiFailure("no_such_response_url")
    if (
        entry["uses"] >= RESPONSE_URL_USES
        or time.time() - entry["issued"] > RESPONSE_URL_TTL_SECONDS
    ):
        raise SlackApiFailure("expired_url")
    entry["uses"] += 1
    errors = check_blocks(payload.get("blocks"))
    if errors:
        raise SlackApiFailure("invalid_blocks", errors=errors)
    text = str(payload.get("text") or "")
    blocks = payload.get("blocks")
    target_ts = entry.get("message_ts")
    if _flag(payload.get("delete_original")) and target_ts:
        _remove_target(ws, entry)
        return
    if _flag(payload.get("replace_original")) and target_ts:
        if entry["ephemeral"]:
            for ephemeral in ws.ephemerals:
                if ephemeral["ts"] == target_ts and ephemeral["user"] == entry["user"]:
                    ephemeral.update({"text": text, "blocks": blocks or []})
                    ws.touch()
                    return
        else:
            message = ws.find_message(entry["channel"], target_ts)
            message.update({"text": text, "blocks": blocks or []})
            ws.touch()
            return
    if payload.get("response_type") == "in_channel":
        ws.add_message(
            entry["channel"],
            user_id=ws.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=payload.get("thread_ts"),
        )
        return
    ws.add_ephemeral(
        entry["channel"],
        entry["user"],
        text=text,
        blocks=blocks,
        thread_ts=payload.get("thread_ts"),
    )


def _remove_target(ws: Workspace, entry: dict[str, Any]) -> None:
    if entry["ephemeral"]:
        ws.ephemerals = [
            e
            for e in ws.ephemerals
            if not (e["ts"] == entry["message_ts"] and e["user"] == entry["user"])
        ]
    else:
        message = ws.find_message(entry["channel"], entry["message_ts"])
        ws.messages[entry["channel"]].remove(message)
    ws.touch()
