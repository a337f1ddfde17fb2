"""Tests for the shared slash-command grammar in bot.grammar."""

import dataclasses
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import (
    ChannelMention,
    Command,
    CommandParseError,
    KeyValue,
    Link,
    Quoted,
    SpecialMention,
    Tag,
    Token,
    UserMention,
    Word,
    parse_channel_mention,
    parse_command,
    parse_date,
    parse_duration,
    parse_time,
    parse_user_mention,
    parse_weekday,
    tokenize,
    unescape,
)

TOKEN_TYPES = (Word, Quoted, KeyValue, Tag, UserMention, ChannelMention, Link, SpecialMention)
FRIDAY = date(2026, 11, 27)


def words(*texts: str) -> list[Token]:
    return [Word(text, text) for text in texts]


def assert_tiles(text: str, tokens: list[Token]) -> None:
    """Each token's raw text is the next slice of the input, with only whitespace between."""
    pos = 0
    for token in tokens:
        assert token.raw
        assert not token.raw[0].isspace()
        found = text.find(token.raw, pos)
        assert found >= pos
        assert text[pos:found].strip() == ""
        pos = found + len(token.raw)
    assert text[pos:].strip() == ""


# --- errors and token types ---------------------------------------------------------------


def test_command_parse_error_carries_message_fragment_and_position() -> None:
    err = CommandParseError("unclosed quote", fragment='"abc', position=4)
    assert isinstance(err, ValueError)
    assert str(err) == "unclosed quote"
    assert (err.message, err.fragment, err.position) == ("unclosed quote", '"abc', 4)


def test_command_parse_error_defaults() -> None:
    err = CommandParseError("bad")
    assert (str(err), err.fragment, err.position) == ("bad", "", None)


def test_tokens_are_frozen() -> None:
    token = Word("a", "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.text = "b"  # type: ignore[misc]


# --- unescape -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a &lt; b", "a < b"),
        ("a &gt; b &amp; c", "a > b & c"),
        ("&amp;lt;", "&lt;"),
        ("&amp;amp;", "&amp;"),
        ("&quot;&#39;&nbsp;", "&quot;&#39;&nbsp;"),
        ("&amp &lt", "&amp &lt"),
        ("AT&amp;T", "AT&T"),
        ("", ""),
        ("plain", "plain"),
    ],
)
def test_unescape(text: str, expected: str) -> None:
    assert unescape(text) == expected


# --- whitespace and words -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   ", "\n\t\r", "\u00a0", "\u3000 \u2028"])
def test_empty_or_blank_text_has_no_tokens(text: str) -> None:
    assert tokenize(text) == []


def test_any_unicode_whitespace_separates_tokens() -> None:
    text = "a b\tc\nd\r\ne\u00a0f\u2003g\u3000h"
    assert tokenize(text) == words("a", "b", "c", "d", "e", "f", "g", "h")


def test_words_are_unescaped_and_keep_raw() -> None:
    assert tokenize("a&lt;b x&amp;y") == [Word("a<b", "a&lt;b"), Word("x&y", "x&amp;y")]


def test_unicode_words() -> None:
    text = "🎉 🚀🔥 مرحبا بالعالم 你好世界 café naïve"
    assert tokenize(text) == words("🎉", "🚀🔥", "مرحبا", "بالعالم", "你好世界", "café", "naïve")


def test_control_characters_are_text() -> None:
    assert tokenize("a\x00b \x07 \x1b[0m") == words("a\x00b", "\x07", "\x1b[0m")


def test_single_quotes_are_not_quotes() -> None:
    assert tokenize("don't 'a b' ‘c d’") == words("don't", "'a", "b'", "‘c", "d’")


def test_quote_inside_a_word_is_literal() -> None:
    assert tokenize('5" screen say"hi there"') == words('5"', "screen", 'say"hi', 'there"')


def test_times_and_emoji_codes_are_words() -> None:
    assert tokenize("15:00 9:30 :tada: :+1:") == words("15:00", "9:30", ":tada:", ":+1:")


def test_url_like_text_is_a_word() -> None:
    assert tokenize("https://x.y/z http://a") == words("https://x.y/z", "http://a")


# --- real payloads ------------------------------------------------------------------------


def test_feedback_payload() -> None:
    text = (
        'CSV export times out on large accounts #export customer:"Acme" area:billing urgency:high'
    )
    assert tokenize(text) == [
        *words("CSV", "export", "times", "out", "on", "large", "accounts"),
        Tag("export", "#export"),
        KeyValue("customer", "Acme", True, 'customer:"Acme"'),
        KeyValue("area", "billing", False, "area:billing"),
        KeyValue("urgency", "high", False, "urgency:high"),
    ]


def test_ritual_payload_with_escaped_mentions() -> None:
    text = (
        '/ritual add workshop "Pricing discovery" on 2026-12-03 15:00 for 90m '
        "with <@U0002|bob> <@U0003> in <#C0001|product-feedback>"
    )
    assert tokenize(text) == [
        *words("/ritual", "add", "workshop"),
        Quoted("Pricing discovery", '"Pricing discovery"'),
        *words("on", "2026-12-03", "15:00", "for", "90m", "with"),
        UserMention("U0002", "bob", "<@U0002|bob>"),
        UserMention("U0003", None, "<@U0003>"),
        Word("in", "in"),
        ChannelMention("C0001", "product-feedback", "<#C0001|product-feedback>"),
    ]


# --- markup -------------------------------------------------------------------------------


DATE_MARKUP = "<!date^1392734382^{date} at {time}|Feb 18th, 2014 at 6:39 AM>"


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("<@U0002|bob>", UserMention, ("U0002", "bob")),
        ("<@U0002>", UserMention, ("U0002", None)),
        ("<@W123>", UserMention, ("W123", None)),
        ("<@U1|>", UserMention, ("U1", None)),
        ("<@U1|bob smith>", UserMention, ("U1", "bob smith")),
        ("<@U1|a&amp;b>", UserMention, ("U1", "a&b")),
        ("<#C0001|product-feedback>", ChannelMention, ("C0001", "product-feedback")),
        ("<#C0001>", ChannelMention, ("C0001", None)),
        ("<#C0001|>", ChannelMention, ("C0001", None)),
        ("<#G0001|private>", ChannelMention, ("G0001", "private")),
        ("<https://example.com/x>", Link, ("https://example.com/x", None)),
        ("<https://example.com/x|label>", Link, ("https://example.com/x", "label")),
        ("<https://x.y|two words>", Link, ("https://x.y", "two words")),
        ("<https://x.y/?a=1&amp;b=2>", Link, ("https://x.y/?a=1&b=2", None)),
        ("<https://x.y|a &lt;b&gt;>", Link, ("https://x.y", "a <b>")),
        ("<mailto:a@b.c|a@b.c>", Link, ("mailto:a@b.c", "a@b.c")),
        ("<!channel>", SpecialMention, ("channel",)),
        ("<!here>", SpecialMention, ("here",)),
        ("<!everyone>", SpecialMention, ("everyone",)),
        ("<!here|@here>", SpecialMention, ("here",)),
        ("<!subteam^S123|@team>", SpecialMention, ("subteam",)),
        (DATE_MARKUP, SpecialMention, ("date",)),
    ],
)
def test_markup_tokens(text: str, kind: type, fields: tuple[str | None, ...]) -> None:
    assert tokenize(text) == [kind(*fields, text)]
    assert tokenize(f"x {text} y") == [Word("x", "x"), kind(*fields, text), Word("y", "y")]


def test_escaped_special_mention_is_inert_text() -> None:
    assert tokenize("&lt;!channel&gt;") == [Word("<!channel>", "&lt;!channel&gt;")]
    assert tokenize("&lt;@U1&gt;") == [Word("<@U1>", "&lt;@U1&gt;")]


def test_real_special_mention_next_to_escaped_one() -> None:
    assert tokenize("<!channel> &lt;!channel&gt;") == [
        SpecialMention("channel", "<!channel>"),
        Word("<!channel>", "&lt;!channel&gt;"),
    ]


def test_markup_glued_to_text_is_its_own_token() -> None:
    assert tokenize("hi<@U1>, (<#C1>)") == [
        Word("hi", "hi"),
        UserMention("U1", None, "<@U1>"),
        Word(",", ","),
        Word("(", "("),
        ChannelMention("C1", None, "<#C1>"),
        Word(")", ")"),
    ]


def test_adjacent_markup() -> None:
    assert tokenize("<@U1><@U2>") == [
        UserMention("U1", None, "<@U1>"),
        UserMention("U2", None, "<@U2>"),
    ]


def test_unknown_markup_is_a_raw_word() -> None:
    assert tokenize("<foo> <> <@lower>") == words("<foo>", "<>", "<@lower>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b", ["a", "<", "b"]),
        ("a<b", ["a<b"]),
        ("<b c>", ["<b", "c>"]),
        ("<<@U1", ["<<@U1"]),
        ("x<", ["x<"]),
        ("<@U1\n>", ["<@U1", ">"]),
    ],
)
def test_unmatched_angle_bracket_is_literal(text: str, expected: list[str]) -> None:
    assert tokenize(text) == words(*expected)


def test_angle_bracket_before_real_markup() -> None:
    assert tokenize("<<@U1>") == [Word("<", "<"), UserMention("U1", None, "<@U1>")]


# --- quotes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['"Acme Inc"', "“Acme Inc”", "„Acme Inc“", '"Acme Inc”', "”Acme Inc”", '“Acme Inc"'],
)
def test_smart_and_mixed_double_quotes(text: str) -> None:
    assert tokenize(text) == [Quoted("Acme Inc", text)]


def test_smart_quotes_in_key_value() -> None:
    assert tokenize("customer:“Acme Inc”") == [
        KeyValue("customer", "Acme Inc", True, "customer:“Acme Inc”")
    ]


def test_quoted_text_is_unescaped_and_keeps_whitespace() -> None:
    text = '"  a &lt; b\n&amp; c  "'
    assert tokenize(text) == [Quoted("  a < b\n& c  ", text)]


def test_empty_quoted_string() -> None:
    assert tokenize('"" x') == [Quoted("", '""'), Word("x", "x")]


def test_closing_quote_ends_the_token() -> None:
    assert tokenize('"a b"c') == [Quoted("a b", '"a b"'), Word("c", "c")]
    assert tokenize('"a""b"') == [Quoted("a", '"a"'), Quoted("b", '"b"')]


def test_markup_inside_quotes_is_kept_verbatim() -> None:
    text = '"ping <@U1|bob> re <https://x.y/?a=1&amp;b=2|say "hi"> &amp; go"'
    assert tokenize(text) == [
        Quoted('ping <@U1|bob> re <https://x.y/?a=1&amp;b=2|say "hi"> & go', text)
    ]


def test_unclosed_quote() -> None:
    with pytest.raises(CommandParseError) as excinfo:
        tokenize('add "Pricing discovery on fri')
    err = excinfo.value
    assert str(err) == "unclosed quote"
    assert err.fragment == '"Pricing discovery on fri'
    assert err.position == 4


def test_unclosed_quote_fragment_is_truncated() -> None:
    text = "x “" + "a" * 100
    with pytest.raises(CommandParseError) as excinfo:
        tokenize(text)
    assert excinfo.value.fragment == text[2:42]
    assert len(excinfo.value.fragment) == 40
    assert excinfo.value.position == 2


def test_unclosed_quote_after_key() -> None:
    with pytest.raises(CommandParseError) as excinfo:
        tokenize('customer:"Acme')
    assert (excinfo.value.fragment, excinfo.value.position) == ('"Acme', 9)


def test_quote_inside_markup_does_not_close() -> None:
    with pytest.raises(CommandParseError):
        tokenize('"<https://x.y|say ">')


# --- key:value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("area:billing", KeyValue("area", "billing", False, "area:billing")),
        ("Area:Billing", KeyValue("area", "Billing", False, "Area:Billing")),
        ("tz:Europe/Berlin", KeyValue("tz", "Europe/Berlin", False, "tz:Europe/Berlin")),
        ('cron:"30 9 * * 1-5"', KeyValue("cron", "30 9 * * 1-5", True, 'cron:"30 9 * * 1-5"')),
        ("at:15:00", KeyValue("at", "15:00", False, "at:15:00")),
        ("a_b-1:x", KeyValue("a_b-1", "x", False, "a_b-1:x")),
        ("q:a&lt;b", KeyValue("q", "a<b", False, "q:a&lt;b")),
        ('size:5"', KeyValue("size", '5"', False, 'size:5"')),
        ('note:""', KeyValue("note", "", True, 'note:""')),
        ('title:"a &amp; b"', KeyValue("title", "a & b", True, 'title:"a &amp; b"')),
        ("url:<https://x.y>", KeyValue("url", "https://x.y", False, "url:<https://x.y>")),
        (
            "url:<https://x.y/?a=1&amp;b=2|docs>",
            KeyValue("url", "https://x.y/?a=1&b=2", False, "url:<https://x.y/?a=1&amp;b=2|docs>"),
        ),
        ("owner:<@U0001|ann>", KeyValue("owner", "<@U0001|ann>", False, "owner:<@U0001|ann>")),
        ("in:<#C1|general>", KeyValue("in", "<#C1|general>", False, "in:<#C1|general>")),
        ("to:<!here>", KeyValue("to", "<!here>", False, "to:<!here>")),
    ],
)
def test_key_value(text: str, expected: KeyValue) -> None:
    assert tokenize(text) == [expected]


def test_mention_values_can_be_parsed() -> None:
    owner, channel = tokenize("owner:<@U0001|ann> in:<#C0001>")
    assert isinstance(owner, KeyValue)
    assert isinstance(channel, KeyValue)
    assert parse_user_mention(owner.value) == UserMention("U0001", "ann", "<@U0001|ann>")
    assert parse_channel_mention(channel.value) == ChannelMention("C0001", None, "<#C0001>")


def test_text_glued_after_key_value_markup_is_separate() -> None:
    assert tokenize("owner:<@U1>, x:y<@U2>") == [
        KeyValue("owner", "<@U1>", False, "owner:<@U1>"),
        Word(",", ","),
        KeyValue("x", "y", False, "x:y"),
        UserMention("U2", None, "<@U2>"),
    ]


@pytest.mark.parametrize("text", ["1a:b", "_a:b", ":a:b", "a!:b", "é:b", "a.b:c"])
def test_not_a_key(text: str) -> None:
    assert tokenize(text) == words(text)


@pytest.mark.parametrize(("text", "position"), [("key:", 0), ("x Key:", 2), ("a: b", 0)])
def test_key_without_value_is_a_word(text: str, position: int) -> None:
    segment = text[position:].split()[0]
    tokens = tokenize(text)
    assert Word(segment, segment) in tokens
    assert not any(isinstance(token, KeyValue) for token in tokens)


def test_prose_with_a_colon_stays_text() -> None:
    assert tokenize("Bug: export fails") == words("Bug:", "export", "fails")


def test_key_without_value_before_literal_angle_bracket_is_a_value() -> None:
    assert tokenize("k:<a b>") == [KeyValue("k", "<a", False, "k:<a"), Word("b>", "b>")]


# --- tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("#export", "export"),
        ("#Export", "export"),
        ("#v1.2", "v1.2"),
        ("#a_b-c", "a_b-c"),
        ("#2026", "2026"),
        ("#café", "café"),
        ("#日本語", "日本語"),
        ("#हिन्दी", "हिन्दी"),
        ("#مرحبا", "مرحبا"),
    ],
)
def test_tags(text: str, name: str) -> None:
    assert tokenize(text) == [Tag(name, text)]


@pytest.mark.parametrize("text", ["#", "#export!", "##a", "#-", "#...", "#🎉", "#a&amp;b", "a#b"])
def test_not_tags(text: str) -> None:
    assert tokenize(text) == [Word(unescape(text), text)]


# --- parse_command ------------------------------------------------------------------------


def test_parse_command_splits_subcommand() -> None:
    text = '  ADD workshop "Pricing discovery" with <@U1>  '
    command = parse_command(text)
    assert command.subcommand == "add"
    assert command.args == [
        Word("workshop", "workshop"),
        Quoted("Pricing discovery", '"Pricing discovery"'),
        Word("with", "with"),
        UserMention("U1", None, "<@U1>"),
    ]
    assert command.tokens == [Word("ADD", "ADD"), *command.args]
    assert command.text == text.strip()


@pytest.mark.parametrize("text", ['"quoted first"', "<@U1> hi", "#tag x", "k:v x", "<!here>"])
def test_parse_command_without_subcommand(text: str) -> None:
    command = parse_command(text)
    assert command.subcommand is None
    assert command.args == command.tokens == tokenize(text)


def test_parse_command_empty() -> None:
    assert parse_command(" \n ") == Command(None, [], [], "")


def test_parse_command_subcommand_is_unescaped() -> None:
    assert parse_command("a&amp;b c").subcommand == "a&b"


def test_parse_command_propagates_errors() -> None:
    with pytest.raises(CommandParseError):
        parse_command('add "oops')


# --- parse_user_mention / parse_channel_mention ---------------------------------------------


def test_parse_user_mention() -> None:
    assert parse_user_mention("<@U1|ann>") == UserMention("U1", "ann", "<@U1|ann>")
    assert parse_user_mention(" <@W9> ") == UserMention("W9", None, "<@W9>")


@pytest.mark.parametrize("value", ["", "@ann", "U1", "<#C1>", "<@U1> x", "<@U1", "&lt;@U1&gt;"])
def test_parse_user_mention_rejects(value: str) -> None:
    assert parse_user_mention(value) is None


def test_parse_channel_mention() -> None:
    assert parse_channel_mention("<#C1|general>") == ChannelMention(
        "C1", "general", "<#C1|general>"
    )
    assert parse_channel_mention("<#C1|>") == ChannelMention("C1", None, "<#C1|>")


@pytest.mark.parametrize("value", ["", "#general", "<@U1>", "<#C1> <#C2>", "<https://x.y>"])
def test_parse_channel_mention_rejects(value: str) -> None:
    assert parse_channel_mention(value) is None


# --- parse_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        (" 2026-12-03 ", date(2026, 12, 3)),
        ("2028-02-29", date(2028, 2, 29)),
        ("today", FRIDAY),
        ("Today", FRIDAY),
        ("tomorrow", date(2026, 11, 28)),
        ("sat", date(2026, 11, 28)),
        ("sun", date(2026, 11, 29)),
        ("mon", date(2026, 11, 30)),
        ("Monday", date(2026, 11, 30)),
        ("thu", date(2026, 12, 3)),
        ("thursday", date(2026, 12, 3)),
        ("fri", date(2026, 12, 4)),
        ("FRIDAY", date(2026, 12, 4)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert FRIDAY.weekday() == 4
    assert parse_date(text, today=FRIDAY) == expected


def test_parse_date_weekday_is_never_today() -> None:
    for offset in range(7):
        today = FRIDAY + timedelta(days=offset)
        for name in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]:
            result = parse_date(name, today=today)
            assert 1 <= (result - today).days <= 7
            assert result.weekday() == parse_weekday(name)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12/03/2026",
        "2026-1-5",
        "03-12-2026",
        "next friday",
        "yesterday",
        "2026-12-03x",
        "٢٠٢٦-١٢-٠٣",
    ],
)
def test_parse_date_rejects_other_forms(text: str) -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_date(text, today=FRIDAY)
    assert "expected a date like 2026-12-03, tomorrow or fri" in str(excinfo.value)
    assert excinfo.value.fragment == text


@pytest.mark.parametrize(
    "text", ["2026-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01"]
)
def test_parse_date_rejects_impossible_dates(text: str) -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_date(text, today=FRIDAY)
    assert excinfo.value.fragment == text


def test_parse_date_past_the_last_date() -> None:
    with pytest.raises(CommandParseError):
        parse_date("tomorrow", today=date.max)


# --- parse_time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:00", time(15, 0)),
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("3pm", time(15, 0)),
        ("3PM", time(15, 0)),
        ("3 pm", time(15, 0)),
        ("3:30pm", time(15, 30)),
        ("10am", time(10, 0)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12, 0)),
        ("12:15pm", time(12, 15)),
        ("noon", time(12, 0)),
        ("Midnight", time(0, 0)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "13pm", "0am", "9:75", "9:5", "12:60", "15h", "9", "", "930", "-1:00", "3p"],
)
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_time(text)
    assert excinfo.value.fragment == text


# --- parse_duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", timedelta(minutes=45)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("7d", timedelta(days=7)),
        ("1d2h", timedelta(days=1, hours=2)),
        ("1d2h3m", timedelta(days=1, hours=2, minutes=3)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("0h5m", timedelta(minutes=5)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0m", "0h0m", "0d", "", "m", "1h30", "30s", "1.5h", "2w", "-5m", "5 m", "30m1h", "h1"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_duration(text)
    assert excinfo.value.fragment == text


@pytest.mark.parametrize("text", ["99999999999d", "1" * 5000 + "m"])
def test_parse_duration_rejects_huge_values(text: str) -> None:
    with pytest.raises(CommandParseError):
        parse_duration(text)


# --- parse_weekday ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", 0),
        ("Monday", 0),
        ("tue", 1),
        ("tuesday", 1),
        ("wed", 2),
        ("WEDNESDAY", 2),
        ("thu", 3),
        ("thursday", 3),
        ("fri", 4),
        ("friday", 4),
        ("sat", 5),
        ("saturday", 5),
        ("sun", 6),
        (" sunday ", 6),
    ],
)
def test_parse_weekday(text: str, expected: int) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize("text", ["", "mo", "fr", "weekday", "1", "montag"])
def test_parse_weekday_rejects(text: str) -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_weekday(text)
    assert excinfo.value.fragment == text


def test_error_messages_shorten_long_input() -> None:
    with pytest.raises(CommandParseError) as excinfo:
        parse_weekday("x" * 500)
    assert len(str(excinfo.value)) < 120
    assert excinfo.value.fragment == "x" * 500


# --- performance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x " * 20_000,
        "<" * 40_000,
        "<a " * 13_000,
        "a<" * 20_000,
        "<@U1> " * 6_600,
        'a:"' * 13_000,
        "a" * 20_000 + "!" + ':"' * 10_000,
        "&lt;" * 10_000,
        "a:b " * 10_000,
        "#t " * 13_000,
        '"a" ' * 10_000,
        '"' + "a" * 40_000,
        "<" + "a" * 39_998 + ">",
    ],
    ids=lambda text: repr(text[:6]),
)
def test_large_inputs_tokenize_or_fail_cleanly(text: str) -> None:
    # Speed on these is measured in bench/grammar_speed.py, not asserted here.
    try:
        tokens = tokenize(text)
    except CommandParseError as err:
        assert err.message
    else:
        assert_tiles(text, tokens)


# --- properties ---------------------------------------------------------------------------

# Random text rarely hits markup, entities or keys, so this mixes in the interesting pieces.
SLACKISH = st.lists(
    st.sampled_from(
        [
            *"<>@#!|:^\"“”„'&;/ \n\u00a0\x00UWCGabkz019-_.é🎉",
            *["&amp;", "&lt;", "&gt;", "<@U1|", "<#C1>", "<https://", "key:", "#tag", '"x y"'],
        ]
    ),
    max_size=300,
).map("".join)


def check_never_crashes(text: str) -> None:
    try:
        tokens = tokenize(text)
    except CommandParseError as err:
        assert isinstance(err.message, str)
        assert err.message
        assert err.position is None or 0 <= err.position < len(text)
        with pytest.raises(CommandParseError):
            parse_command(text)
        return
    assert all(isinstance(token, TOKEN_TYPES) for token in tokens)
    assert_tiles(text, tokens)
    command = parse_command(text)
    assert command.tokens == tokens
    assert command.text == text.strip()
    if command.subcommand is None:
        assert command.args == tokens
    else:
        assert command.args == tokens[1:]


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=4000))
def test_any_text_tokenizes_or_raises_parse_error(text: str) -> None:
    check_never_crashes(text)


@settings(max_examples=300, deadline=None, database=None)
@given(SLACKISH)
def test_slack_like_text_tokenizes_or_raises_parse_error(text: str) -> None:
    check_never_crashes(text)


@settings(max_examples=50, deadline=None, database=None)
@given(st.text(min_size=2000, max_size=4000))
def test_long_text_tokenizes_or_raises_parse_error(text: str) -> None:
    check_never_crashes(text)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.,!?'/-]{0,15}", fullmatch=True)))
def test_safe_words_round_trip(parts: list[str]) -> None:
    assert tokenize(" ".join(parts)) == words(*parts)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=50))
def test_value_parsers_return_or_raise_parse_error(text: str) -> None:
    for parse in (parse_time, parse_duration, parse_weekday):
        try:
            parse(text)
        except CommandParseError as err:
            assert err.fragment == text
    try:
        parse_date(text, today=FRIDAY)
    except CommandParseError as err:
        assert err.fragment == text
    assert parse_user_mention(text) is None or isinstance(parse_user_mention(text), UserMention)
    assert parse_channel_mention(text) is None or isinstance(
        parse_channel_mention(text), ChannelMention
    )
