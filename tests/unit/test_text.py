"""Safe text: escaping, never-ping, truncation and splitting within Slack's limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.text import drop_nul, escape, plain_names, safe_mrkdwn, split_for_sections, truncate


def test_escape_only_the_three_control_characters() -> None:
    assert escape("a & b < c > d \"e\" 'f'") == "a &amp; b &lt; c &gt; d \"e\" 'f'"


def test_plain_names_never_ping() -> None:
    text = "<!channel> <!here> <!everyone> <!subteam^S1|@devs> <@U0002|bob> <@U0003> <#C0001|pf>"
    assert plain_names(text, {"U0003": "Carol Tanaka"}) == (
        "@channel @here @everyone @devs @bob @Carol Tanaka #pf"
    )


@given(st.text(max_size=500))
def test_safe_mrkdwn_leaves_no_control_sequence(text: str) -> None:
    out = safe_mrkdwn(text)
    assert "<" not in out and ">" not in out


def test_truncate_shows_an_ellipsis_and_keeps_entities_whole() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("abcdefghij", 5) == "abcd…"
    cut = truncate("aa &amp; bb", 6)
    assert cut == "aa …" and len(cut) <= 6
    assert truncate("x" * 50, 20, more=" (see all)") == "x" * 9 + "… (see all)"


@given(st.text(max_size=8000), st.integers(min_value=20, max_value=3000))
def test_split_covers_everything_within_the_limit(text: str, limit: int) -> None:
    text = escape(text)
    chunks = split_for_sections(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_drop_nul_cleans_every_string_of_a_payload_in_place() -> None:
    payload = {
        "text": "a\x00b",
        "view": {"state": {"values": {"b": {"value": {"value": "\x00x\x00"}}}}},
        "list": ["\x00", 3, None, {"k": "ok"}],
    }
    drop_nul(payload)
    assert payload == {
        "text": "ab",
        "view": {"state": {"values": {"b": {"value": {"value": "x"}}}}},
        "list": ["", 3, None, {"k": "ok"}],
    }
