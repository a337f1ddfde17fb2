"""Settings: every configuration key of the bot, read once from the environment and `.env`.

Nothing else in the project reads `os.environ`. A missing or malformed value stops start-up
with one line naming the key and what is expected (see `SettingsError`).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A configuration value that cannot be used; `str()` is the one line shown to the operator."""


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """The bot's configuration (SPEC §3). Frozen: build it once and pass it down."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    slack_bot_token: str | None = Field(None, description="Bot token xoxb-... (one workspace)")
    slack_signing_secret: str | None = Field(None, description="Signing secret of the Slack app")
    slack_app_token: str | None = Field(None, description="App-level token xapp-... (Socket Mode)")
    slack_client_id: str | None = Field(None, description="OAuth client id (many workspaces)")
    slack_client_secret: str | None = Field(None, description="OAuth client secret")
    slack_api_url: str = Field("https://slack.com/api/", description="Web API base URL")
    database_url: str = Field("sqlite:///productops.db", description="SQLAlchemy database URL")
    openai_api_key: str | None = Field(None, description="Key for the summarizer's LLM")
    openai_base_url: str | None = Field(None, description="Any OpenAI-compatible server")
    openai_model: str = Field("gpt-4o-mini", description="Model name")
    openai_timeout_seconds: float = Field(30.0, gt=0, le=600)
    openai_max_retries: int = Field(2, ge=0, le=10)
    feedback_reactions: CommaList = Field(("inbox_tray",), description="Capture emojis")
    feedback_channel: str | None = Field(None, description="Triage channel id")
    ops_admins: CommaList = Field((), description="User ids with the ops role")
    kpi_ingest_token: str | None = Field(None, description="Bearer token for POST /api/kpi")
    default_timezone: str = Field("UTC", description="IANA timezone when Slack gives none")
    log_level: str = Field("INFO")
    port: int = Field(3000)
    listener_threads: int = Field(16, ge=1, le=512)
    scheduler_grace_seconds: int = Field(900, ge=0, le=86400)
    outbox_lease_seconds: int = Field(300, ge=1, le=86400)
    prompts_dir: str | None = Field(None, description="Folder overriding prompts/*.md")

    @field_validator("feedback_reactions", "ops_admins", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("feedback_reactions")
    @classmethod
    def _reaction_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(v.strip(":") for v in value)
        if not names:
            raise ValueError("expected a comma-separated list of emoji names, like inbox_tray")
        return names

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> int:
        try:
            port = int(str(value).strip())
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise ValueError(f"expected an integer between 1 and 65535, got {value!r}")
        return port

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
        return level

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"expected an IANA timezone like Europe/Berlin, got {value!r}"
            ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("postgres://") or value.startswith("postgresql://"):
            # Heroku-style URLs name no driver; psycopg 3 is the one we ship.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite:") or value.startswith("postgresql+psycopg:")):
            raise ValueError(
                "expected sqlite:///path.db or postgresql+psycopg://user@host/db, "
                f"got {value.split(':', 1)[0]!r}"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value if value.endswith("/") else value + "/"

    @property
    def oauth_enabled(self) -> bool:
        """True when the bot installs into many workspaces through OAuth."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def require(self, *keys: str) -> None:
        """Stop with a SettingsError naming the first of `keys` that has no value."""
        for key in keys:
            if not getattr(self, key.lower()):
                raise SettingsError(f"{key.upper()}: required, but not set (see .env.example)")

    def require_slack_credentials(self) -> None:
        """A server needs a signing secret and either a bot token or OAuth credentials."""
        self.require("SLACK_SIGNING_SECRET")
        if not self.slack_bot_token and not self.oauth_enabled:
            raise SettingsError(
                "SLACK_BOT_TOKEN: required (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth)"
            )


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] in ("int_parsing", "float_parsing"):
            message = f"expected a number, got {first.get('input')!r}"
        elif first["type"].startswith(("greater_than", "less_than")):
            message = f"{message}, got {first.get('input')!r}"
        raise SettingsError(f"{key}: {message}") from None
