"""Installing into many workspaces: Bolt's OAuth flow on our database (SLACK_CLIENT_ID/SECRET).

`/slack/install` sends the browser to Slack's "allow" page, `/slack/oauth_redirect` finishes:
slack_sdk's SQLAlchemy stores keep the OAuth states and each team's bot token in our tables
(created by the migrations), and the installer becomes ops.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.deps import Deps
from bot.logs import get_logger
from bot.manifest import BOT_SCOPES
from bot.services import installs

log = get_logger(__name__)

STATE_EXPIRATION_SECONDS = 600
NOT_INSTALLED = (
    "productops is not installed in this workspace (or was removed from it). "
    "Ask a workspace admin to install it again; nothing was changed."
)


def authorize_url(api_url: str) -> str:
    """Slack's "allow this app" page, next to the Web API (the emulator has one too)."""
    base = api_url.rstrip("/").removesuffix("/api")
    return f"{base}/oauth/v2/authorize"


def oauth_settings(deps: Deps) -> OAuthSettings:
    """Bolt's OAuth settings: our scopes, our stores, and what happens after an install."""
    settings = deps.settings
    assert deps.installations is not None, "OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
    state_store = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS,
        engine=deps.engine,
        table_name="slack_oauth_states",
    )

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        team_id = installation.team_id or ""
        with deps.session_scope() as session:
            installs.installed(
                session=session,
                team_id=team_id,
                team_name=installation.team_name,
                installer_id=installation.user_id,
                now=deps.now(),
            )
        log.info("installed", team=team_id, user=installation.user_id)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("install_failed", reason=args.reason, status=args.suggested_status_code)
        return args.default.failure(args)

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=deps.installations,
        installation_store_bot_only=True,
        state_store=state_store,
        authorization_url=authorize_url(settings.slack_api_url),
        # /slack/install goes straight to Slack's page (Bolt's own page loads its button
        # image from Slack's servers; one step less for the person, too).
        install_page_rendering_enabled=False,
        callback_options=CallbackOptions(success=success, failure=failure),
    )


def authorize(deps: Deps) -> InstallationStoreAuthorize:
    """Each request's token from the installation store; auth.test once per token, not per call."""
    assert deps.installations is not None
    return InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.authorize"),
        installation_store=deps.installations,
        client_id=deps.settings.slack_client_id,
        client_secret=deps.settings.slack_client_secret,
        bot_only=True,
        cache_enabled=True,
    )
