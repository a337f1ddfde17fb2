"""The emulator signs requests exactly like Slack: Slack's own published test vector."""

from __future__ import annotations

from bot.sandbox.sender import sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770088"
    "5554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447f"
    "ce8b6703c"
)


def test_slack_signing_vector() -> None:
    assert sign(SECRET, TIMESTAMP, BODY.encode()) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_any_change_changes_the_signature() -> None:
    good = sign(SECRET, TIMESTAMP, BODY.encode())
    assert sign(SECRET, "1531420619", BODY.encode()) != good
    assert sign(SECRET, TIMESTAMP, BODY.encode() + b"x") != good
    assert sign(SECRET + "x", TIMESTAMP, BODY.encode()) != good
