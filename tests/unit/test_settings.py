"""Settings: defaults, every malformed value named in one line, and start-up exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import Settings, SettingsError, load_settings

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}


def test_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key in Settings.model_fields or key.lower() in Settings.model_fields:
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url == "sqlite:///productops.db"
    assert settings.port == 3000
    assert settings.feedback_reactions == ("inbox_tray",)
    assert settings.slack_api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        ("PORT", "abc", "PORT: expected an integer between 1 and 65535, got 'abc'"),
        ("PORT", "70000", "PORT: expected an integer between 1 and 65535, got '70000'"),
        (
            "DEFAULT_TIMEZONE",
            "Mars/Base",
            "DEFAULT_TIMEZONE: expected an IANA timezone like Europe/Berlin, got 'Mars/Base'",
        ),
        (
            "LOG_LEVEL",
            "loud",
            "LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'",
        ),
        (
            "DATABASE_URL",
            "mysql://x",
            "DATABASE_URL: expected sqlite:///path.db or "
            "postgresql+psycopg://user@host/db, got 'mysql'",
        ),
        ("SLACK_API_URL", "slack.com", "SLACK_API_URL: expected an http(s) URL, got 'slack.com'"),
        ("LISTENER_THREADS", "many", "LISTENER_THREADS: expected a number, got 'many'"),
        (
            "FEEDBACK_REACTIONS",
            " , ",
            "FEEDBACK_REACTIONS: expected a comma-separated list of emoji names, like inbox_tray",
        ),
    ],
)
def test_malformed_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, line: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    assert str(excinfo.value) == line


def test_lists_and_urls_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACK_REACTIONS", ":inbox_tray:, bulb ,")
    monkeypatch.setenv("OPS_ADMINS", "U0001,U0002")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = load_settings()
    assert settings.feedback_reactions == ("inbox_tray", "bulb")
    assert settings.ops_admins == ("U0001", "U0002")
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.port = 1  # type: ignore[misc]


def test_server_needs_slack_credentials() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET: required"):
        Settings().require_slack_credentials()
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN: required"):
        Settings(slack_signing_secret="s").require_slack_credentials()
    Settings(slack_signing_secret="s", slack_bot_token="xoxb-1").require_slack_credentials()
    Settings(
        slack_signing_secret="s", slack_client_id="1", slack_client_secret="2"
    ).require_slack_credentials()


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**CLEAN_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ("serve",),
            {"PORT": "abc"},
            "productops: PORT: expected an integer between 1 and 65535, got 'abc'",
        ),
        (
            ("serve",),
            {},
            "productops: SLACK_SIGNING_SECRET: required, but not set (see .env.example)",
        ),
        (
            ("serve", "--socket"),
            {"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"},
            "productops: SLACK_APP_TOKEN: required, but not set (see .env.example)",
        ),
        (
            ("migrate",),
            {"DATABASE_URL": "oracle://x"},
            "productops: DATABASE_URL: expected "
            "sqlite:///path.db or postgresql+psycopg://user@host/db, got 'oracle'",
        ),
    ],
)
def test_bad_setting_stops_start_up_with_one_line(
    args: tuple[str, ...], env: dict[str, str], line: str, tmp_path: object
) -> None:
    result = run_cli(*args, **env)
    assert result.returncode == 2
    assert result.stderr.strip() == line
    assert "Traceback" not in result.stderr + result.stdout


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "clock", "migrate", "sandbox", "manifest"):
        assert command in result.stdout
