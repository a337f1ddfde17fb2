"""The emulated Slack workspace: users, channels, messages, views and a record of every call.

State is kept in memory, in Slack's own shapes, behind one lock. The Web API server
(`webapi.py`) reads and changes it for the bot; the event sender (`sender.py`) changes it for
the people using the sandbox or the tests.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0001"
TEAM_DOMAIN = "acme-product"
TEAM_NAME = "Acme Product"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "U0005"
BOT_NAME = "productops"

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60


@dataclass
class User:
    """A member of the workspace."""

    id: str
    name: str
    real_name: str
    tz: str
    tz_label: str
    tz_offset: int
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The `user` object of users.info."""
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "real_name_normalized": self.real_name,
                "display_name_normalized": self.name,
                "email": f"{self.name}@{TEAM_DOMAIN}.example.com",
                "team": team_id,
            },
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1795000000,
        }


@dataclass
class Channel:
    """A public channel, or a DM between one person and the bot (`im_user` set)."""

    id: str
    name: str
    members: set[str]
    im_user: str | None = None
    topic: str = ""

    @property
    def is_im(self) -> bool:
        """True for a direct message with the bot."""
        return self.im_user is not None

    def to_api(self, bot_user_id: str = BOT_USER_ID) -> dict[str, Any]:
        """The `channel` object of conversations.info."""
        if self.is_im:
            return {"id": self.id, "is_im": True, "user": self.im_user, "is_open": True}
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_im": False,
            "is_private": False,
            "is_member": bot_user_id in self.members,
            "topic": {"value": self.topic},
            "num_members": len(self.members),
        }


@dataclass
class Fault:
    """An answer the Web API gives instead of the real one: an HTTP status, an error, a delay.

    `drop` closes the connection without any answer (after `delay`). With `after`, the call
    is done first (the message is posted) and only then delayed, dropped or failed: Slack
    did the work but the client never heard back.
    """

    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    delay: float = 0.0
    drop: bool = False
    after: bool = False


@dataclass
class ApiCall:
    """One Web API call the bot made (or a response_url post), for tests to assert on."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)


class SlackApiFailure(Exception):
    """A Web API error answer: `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def default_users(number: int = 0) -> list[User]:
    """Five people in five timezones (two hemispheres), and the bot.

    Team `number` 0 has U0001..U0006, team 2 has U2001..U2006: Slack's ids never repeat
    across workspaces, so a test can tell whose id reached the bot. Other teams' people
    have other names too (same zones and roles), so the sandbox's switcher tells them apart.
    """
    people = [
        User(
            "U0001",
            "ann",
            "Ann Lee",
            "Europe/Berlin",
            "Central European Time",
            3600,
            is_admin=True,
            is_owner=True,
        ),
        User("U0002", "bob", "Bob Martin", "America/New_York", "Eastern Standard Time", -18000),
        User("U0003", "carol", "Carol Tanaka", "Asia/Tokyo", "Japan Standard Time", 32400),
        User(
            "U0004",
            "dave",
            "Dave Nguyen",
            "Australia/Sydney",
            "Australian Eastern Daylight Time",
            39600,
        ),
        User("U0006", "erin", "Erin Silva", "America/Sao_Paulo", "Brasilia Standard Time", -10800),
        User(BOT_USER_ID, BOT_NAME, "productops", "UTC", "UTC", 0, is_bot=True),
    ]
    for person in people:
        person.id = _numbered(person.id, number)
        if number and not person.is_bot:
            person.name, person.real_name = OTHER_NAMES[person.name]
    return people


# The people of a second workspace, by the first one's handle.
OTHER_NAMES = {
    "ann": ("gina", "Gina Park"),
    "bob": ("hugo", "Hugo Moreau"),
    "carol": ("ines", "Ines Costa"),
    "dave": ("jon", "Jon Berg"),
    "erin": ("kim", "Kim Ito"),
}


def _numbered(slack_id: str, number: int) -> str:
    """`U0001` for team 0, `U2001` for team 2 (the first digit after the letter is the team)."""
    return f"{slack_id[0]}{number}{slack_id[2:]}" if number else slack_id


class Workspace:
    """One emulated team: its people, channels, messages, views, files and the call record."""

    def __init__(
        self,
        team_id: str = TEAM_ID,
        *,
        users: list[User] | None = None,
        number: int = 0,
        name: str = TEAM_NAME,
        domain: str = TEAM_DOMAIN,
    ) -> None:
        self.team_id = team_id
        self.domain = domain
        self.name = name
        self.number = number
        # The bot's user and bot ids differ per workspace, as in Slack.
        self.bot_user_id = _numbered(BOT_USER_ID, number)
        self.bot_id = _numbered(BOT_ID, number)
        # Bot tokens this workspace answers to; the Web API refuses any other (invalid_auth).
        self.tokens: set[str] = set()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self.users: dict[str, User] = {u.id: u for u in (users or default_users(number))}
        humans = [u.id for u in self.users.values() if not u.is_bot]
        everyone = {*humans, self.bot_user_id}
        self.channels: dict[str, Channel] = {}
        for cid, cname, topic in (
            ("C0001", "product-feedback", "Feedback"),
            ("C0002", "general", "Company-wide"),
            ("C0003", "squad-a", "Squad A"),
        ):
            cid = _numbered(cid, number)
            self.channels[cid] = Channel(cid, cname, set(everyone), topic=topic)
        for index, user_id in enumerate(humans, start=1):
            dm = _numbered(f"D{index:04d}", number)
            self.channels[dm] = Channel(dm, user_id, {user_id, self.bot_user_id}, im_user=user_id)
        self.messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.calls: list[ApiCall] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.triggers: dict[str, tuple[str, float]] = {}
        self.response_urls: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._last_ts = 0.0
        # Where apps.connections.open sends Socket Mode clients (tests run a server there).
        self.socket_url: str | None = None

    # ----------------------------------------------------------------- bookkeeping

    def touch(self) -> None:
        """Mark the state changed and wake anyone waiting for news (the page's long poll)."""
        with self.lock:
            self.version += 1
            self.changed.notify_all()

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until the version passes `since` or `timeout` runs out; return the version."""
        with self.lock:
            self.changed.wait_for(lambda: self.version > since, timeout=timeout)
            return self.version

    def new_id(self, prefix: str) -> str:
        """A fresh id like V0007 or F0012 (V20007 in team 2: ids are unique across teams)."""
        number = str(self.number) if self.number else ""
        return f"{prefix}{number}{next(self._ids):04d}"

    def new_event_id(self) -> str:
        """An Events API event_id, unique in the workspace (whichever sender sends it)."""
        return f"Ev{next(self._event_ids):08d}"

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing, in Slack's '1795510800.000100' form."""
        with self.lock:
            stamp = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = stamp
            return f"{stamp:.6f}"

    def record(self, method: str, args: dict[str, Any], token: str | None) -> None:
        """Keep a call for the tests."""
        with self.lock:
            self.calls.append(ApiCall(method, args, token))

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of `method`, oldest first."""
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def inject(self, method: str, *faults: Fault) -> None:
        """Answer the next calls of `method` with `faults`, one each, then normally again."""
        with self.lock:
            self.faults.setdefault(method, deque()).extend(faults)

    def take_fault(self, method: str) -> Fault | None:
        """The next fault queued for `method`, if any."""
        with self.lock:
            queue = self.faults.get(method)
            return queue.popleft() if queue else None

    # ----------------------------------------------------------------- look-ups

    def humans(self) -> list[str]:
        """The ids of the people (not the bot)."""
        with self.lock:
            return [u.id for u in self.users.values() if not u.is_bot]

    def people(self) -> list[dict[str, str]]:
        """Id and name of each person, for pickers."""
        with self.lock:
            return [{"id": u.id, "name": u.real_name} for u in self.users.values() if not u.is_bot]

    def user(self, user_id: str) -> User:
        """The user, or a `user_not_found` failure."""
        found = self.users.get(user_id)
        if found is None:
            raise SlackApiFailure("user_not_found")
        return found

    def channel(self, channel_id: str) -> Channel:
        """The channel, or a `channel_not_found` failure."""
        found = self.channels.get(channel_id)
        if found is None:
            raise SlackApiFailure("channel_not_found")
        return found

    def dm_of(self, user_id: str) -> Channel:
        """The user's DM with the bot."""
        for channel in self.channels.values():
            if channel.im_user == user_id:
                return channel
        raise SlackApiFailure("user_not_found")

    def find_message(self, channel_id: str, ts: str) -> dict[str, Any]:
        """A message by channel and ts (replies included), or `message_not_found`."""
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise SlackApiFailure("message_not_found")

    def replies(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """A thread: its parent and replies, oldest first."""
        parent = self.find_message(channel_id, thread_ts)
        replies = [
            m
            for m in self.messages[channel_id]
            if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]
        return [parent, *replies]

    # ----------------------------------------------------------------- changes

    def add_message(
        self,
        channel_id: str,
        *,
        user_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Post a message as `user_id` (the bot or a person) and return it in Slack's shape."""
        with self.lock:
            channel = self.channel(channel_id)
            if thread_ts is not None:
                parent = self.find_message(channel.id, thread_ts)
                thread_ts = parent.get("thread_ts", parent["ts"])
            message: dict[str, Any] = {
                "type": "message",
                "ts": self.new_ts(),
                "user": user_id,
                "text": text,
                "team": self.team_id,
            }
            if user_id == self.bot_user_id:
                message.update({"bot_id": self.bot_id, "app_id": APP_ID})
            if blocks:
                message["blocks"] = blocks
            if files:
                message["files"] = files
            if extra:
                message.update(extra)
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
                parent = self.find_message(channel.id, thread_ts)
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                users = parent.setdefault("reply_users", [])
                if user_id not in users:
                    users.append(user_id)
            self.messages[channel.id].append(message)
            self.touch()
            return message

    def add_ephemeral(
        self,
        channel_id: str,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> dict[str, Any]:
        """Show a message to one person in a channel ("Only visible to you").

        `ts` places it in time (an ack's answer belongs where the command was sent).
        """
        with self.lock:
            ephemeral: dict[str, Any] = {
                "type": "message",
                "subtype": "ephemeral",
                "ts": ts or self.new_ts(),
                "channel": channel_id,
                "user": user_id,
                "text": text,
                "blocks": blocks or [],
                "bot_id": self.bot_id,
            }
            if thread_ts:
                ephemeral["thread_ts"] = thread_ts
            self.ephemerals.append(ephemeral)
            self.ephemerals.sort(key=lambda e: float(e["ts"]))
            self.touch()
            return ephemeral

    def ephemerals_for(self, user_id: str) -> list[dict[str, Any]]:
        """What only `user_id` sees, oldest first."""
        with self.lock:
            return [e for e in self.ephemerals if e["user"] == user_id]

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Every message in a channel (thread replies included), oldest first."""
        with self.lock:
            return list(self.messages.get(channel_id, []))

    def add_reaction(self, channel_id: str, ts: str, name: str, user_id: str) -> bool:
        """Add a reaction; False if this person already reacted with it."""
        with self.lock:
            message = self.find_message(channel_id, ts)
            reactions = message.setdefault("reactions", [])
            for reaction in reactions:
                if reaction["name"] == name:
                    if user_id in reaction["users"]:
                        return False
                    reaction["users"].append(user_id)
                    reaction["count"] += 1
                    break
            else:
                reactions.append({"name": name, "users": [user_id], "count": 1})
            self.touch()
            return True

    def remove_reaction(self, channel_id: str, ts: str, name: str, user_id: str) -> bool:
        """Remove a reaction; False if there was none from this person."""
        with self.lock:
            message = self.find_message(channel_id, ts)
            for reaction in message.get("reactions", []):
                if reaction["name"] == name and user_id in reaction["users"]:
                    reaction["users"].remove(user_id)
                    reaction["count"] -= 1
                    if not reaction["users"]:
                        message["reactions"].remove(reaction)
                    self.touch()
                    return True
            return False

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for one act of `user_id`, valid for 3 seconds."""
        with self.lock:
            trigger = f"{int(time.time())}.{next(self._ids)}.{self.team_id.lower()}"
            self.triggers[trigger] = (user_id, time.time())
            return trigger

    def use_trigger(self, trigger_id: str) -> str:
        """The user behind a fresh trigger_id; Slack's errors for old or unknown ones."""
        with self.lock:
            found = self.triggers.pop(trigger_id, None)
            if found is None:
                raise SlackApiFailure("invalid_trigger_id")
            user_id, issued = found
            if time.time() - issued > TRIGGER_TTL_SECONDS:
                raise SlackApiFailure("expired_trigger_id")
            return user_id

    def issue_response_url(
        self,
        base_url: str,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A response_url the bot can POST to five times within 30 minutes."""
        with self.lock:
            token = self.new_id("R")
            self.response_urls[token] = {
                "user": user_id,
                "channel": channel_id,
                "message_ts": message_ts,
                "ephemeral": ephemeral,
                "issued": time.time(),
                "uses": 0,
            }
            return f"{base_url.rstrip('/')}/response/{token}"

    def state_for(self, user_id: str) -> dict[str, Any]:
        """Everything `user_id` sees, for the sandbox page."""
        with self.lock:
            stack = self.view_stacks.get(user_id, [])
            home = self.home_views.get(user_id)
            return {
                "version": self.version,
                "team": {"id": self.team_id, "domain": self.domain, "name": self.name},
                "me": user_id,
                "bot_user_id": self.bot_user_id,
                "users": [u.to_api(self.team_id) for u in self.users.values()],
                "channels": [
                    {**c.to_api(self.bot_user_id), "name": c.name}
                    for c in self.channels.values()
                    if not c.is_im or c.im_user == user_id
                ],
                "messages": {
                    cid: msgs
                    for cid, msgs in self.messages.items()
                    if not self.channels[cid].is_im or self.channels[cid].im_user == user_id
                },
                "ephemerals": [e for e in self.ephemerals if e["user"] == user_id],
                "views": [self.views[v] for v in stack],
                "home": self.views.get(home) if home else None,
            }


class Workspaces:
    """Every emulated workspace of one Slack: found by a bot token, a team id or an issued id.

    The Web API answers a call as the workspace whose bot token it carries, as Slack does;
    OAuth installs (`/oauth/v2/authorize`, `oauth.v2.access`) give a workspace a new token.
    """

    def __init__(self, *workspaces: Workspace) -> None:
        self.all: list[Workspace] = list(workspaces) or [Workspace()]
        self.lock = threading.RLock()
        # The app's OAuth credentials; None accepts any (the sandbox has no OAuth app).
        self.client_id: str | None = None
        self.client_secret: str | None = None
        # The app's configured redirect URL, used when the install link names none.
        self.redirect_uri: str | None = None
        self.codes: dict[str, tuple[str, str]] = {}
        # Calls whose token no workspace knows (answered invalid_auth / not_authed).
        self.refused: list[ApiCall] = []
        self._ids = itertools.count(1)

    def refuse(self, method: str, args: dict[str, Any], token: str | None) -> None:
        """Keep a call no workspace would answer, for the tests."""
        with self.lock:
            self.refused.append(ApiCall(method, args, token))

    @property
    def first(self) -> Workspace:
        """The workspace the sandbox page shows."""
        return self.all[0]

    def add(self, workspace: Workspace) -> Workspace:
        """Another workspace in the same Slack."""
        with self.lock:
            self.all.append(workspace)
        return workspace

    def by_token(self, token: str | None) -> Workspace | None:
        """The workspace a bot token belongs to, if any."""
        with self.lock:
            return next((ws for ws in self.all if token in ws.tokens), None)

    def by_user(self, user_id: str) -> Workspace | None:
        """The workspace a person belongs to (user ids are unique across workspaces)."""
        with self.lock:
            return next((ws for ws in self.all if user_id in ws.users), None)

    def by_team(self, team_id: str) -> Workspace | None:
        """The workspace with this team id, if any."""
        with self.lock:
            return next((ws for ws in self.all if ws.team_id == team_id), None)

    def authorize(self, team_id: str, user_id: str) -> str:
        """A person allows the app into their workspace: a one-use code for oauth.v2.access."""
        with self.lock:
            workspace = self.by_team(team_id)
            if workspace is None:
                raise SlackApiFailure("team_not_found")
            workspace.user(user_id)
            code = f"code-{team_id}-{next(self._ids)}"
            self.codes[code] = (team_id, user_id)
            return code

    def exchange(self, code: str, client_id: str, client_secret: str) -> tuple[Workspace, str, str]:
        """oauth.v2.access: the workspace, its installer and a new bot token for a code."""
        with self.lock:
            if self.client_id is not None and (
                client_id != self.client_id or client_secret != self.client_secret
            ):
                raise SlackApiFailure("invalid_client_id")
            found = self.codes.pop(code, None)
            if found is None:
                raise SlackApiFailure("invalid_code")
            team_id, user_id = found
            workspace = self.by_team(team_id)
            assert workspace is not None
            token = f"xoxb-{team_id}-{next(self._ids)}"
            workspace.tokens.add(token)
            workspace.touch()
            return workspace, user_id, token

    def uninstall(self, team_id: str) -> None:
        """The app is removed from a workspace: its tokens stop working."""
        with self.lock:
            workspace = self.by_team(team_id)
            if workspace is not None:
                workspace.tokens.clear()
                workspace.touch()

    def find_response_url(self, token: str) -> Workspace | None:
        """The workspace that issued a response_url."""
        with self.lock:
            return next((ws for ws in self.all if token in ws.response_urls), None)

    def find_file(self, file_id: str) -> Workspace | None:
        """The workspace a file upload belongs to."""
        with self.lock:
            return next((ws for ws in self.all if file_id in ws.files), None)
