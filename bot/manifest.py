"""The Slack app manifest: every command, shortcut, event and scope the bot needs.

`manifest.yml` at the project root is this, rendered by `productops manifest`; a test keeps
the two equal. The sandbox page reads its command list from here too.
"""

from __future__ import annotations

from typing import Any

import yaml

COMMANDS: tuple[dict[str, str], ...] = (
    {
        "command": "/feedback",
        "description": "File, list, search and triage product feedback",
        "usage_hint": (
            '<text> [#tag] [customer:"Acme"] [urgency:high] | list | search | show FB-42 | help'
        ),
    },
    {
        "command": "/ritual",
        "description": "Schedule standups, syncs, workshops, brainstorms and retros",
        "usage_hint": 'add <kind> "<title>" <when> | list | next | help',
    },
    {
        "command": "/retro",
        "description": "Run a retrospective now, or act on the current one",
        "usage_hint": 'start ["title"] | close | help',
    },
    {
        "command": "/summarize",
        "description": "Summarize a thread (by link) or a channel's recent history",
        "usage_hint": "<permalink> | #channel [7d] | help",
    },
    {
        "command": "/kpi",
        "description": "Define KPIs, record values, show trends",
        "usage_hint": (
            'define <name> [target:">=40"] | record <name> <value> [date] | show | list | delete'
        ),
    },
    {
        "command": "/digest",
        "description": "Preview, post or subscribe to the weekly digest",
        "usage_hint": "preview | now | subscribe [#channel] | unsubscribe | help",
    },
    {
        "command": "/stack",
        "description": "The team's product tool stack: owners, purpose, cost, renewals",
        "usage_hint": "add | list | show | edit | remove | help",
    },
)

SHORTCUTS: tuple[dict[str, str], ...] = (
    {
        "name": "Capture as feedback",
        "type": "message",
        "callback_id": "capture_feedback",
        "description": "Save this message as product feedback",
    },
    {
        "name": "Summarize thread",
        "type": "message",
        "callback_id": "summarize_thread",
        "description": "Summarize this thread for you",
    },
)

BOT_EVENTS = (
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "reaction_added",
    "reaction_removed",
    "tokens_revoked",
)

BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "mpim:history",
    "reactions:read",
    "reactions:write",
    "users:read",
)


def build_manifest(base_url: str = "https://productops.example.com") -> dict[str, Any]:
    """The manifest with request URLs under `base_url`."""
    events_url = f"{base_url.rstrip('/')}/slack/events"
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "productops",
            "description": "Product operations: feedback, rituals, retros, summaries, KPIs",
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "productops", "always_online": True},
            "slash_commands": [
                {**command, "url": events_url, "should_escape": True} for command in COMMANDS
            ],
            "shortcuts": [dict(shortcut) for shortcut in SHORTCUTS],
        },
        "oauth_config": {
            "redirect_urls": [f"{base_url.rstrip('/')}/slack/oauth_redirect"],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {"request_url": events_url, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def render_manifest(base_url: str = "https://productops.example.com") -> str:
    """The manifest as YAML, ready to paste into api.slack.com/apps."""
    header = (
        "# Slack app manifest for productops-bot. Replace productops.example.com with your\n"
        "# host (or run `productops manifest --url https://your.host`), then create the app\n"
        "# from it at api.slack.com/apps -> Create New App -> From a manifest.\n"
    )
    return header + yaml.safe_dump(build_manifest(base_url), sort_keys=False, width=100)
