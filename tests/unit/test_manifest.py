"""The manifest: in sync with manifest.yml, within Slack's schema limits, matching the app."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.manifest import build_manifest, render_manifest


def test_manifest_file_is_the_rendered_manifest(repo_root: Path) -> None:
    assert (repo_root / "manifest.yml").read_text() == render_manifest()


def test_manifest_respects_slack_schema_limits() -> None:
    manifest = build_manifest()
    assert 1 <= len(manifest["display_information"]["name"]) <= 35
    for command in manifest["features"]["slash_commands"]:
        assert command["command"].startswith("/") and 2 <= len(command["command"]) <= 32
        assert command["url"].endswith("/slack/events") and command["should_escape"] is True
        assert len(command["usage_hint"]) <= 1000
    for shortcut in manifest["features"]["shortcuts"]:
        assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 150
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert yaml.safe_load(render_manifest()) == manifest
