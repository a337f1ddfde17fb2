"""KPI input: names, values, targets, units, dates and the define/record forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.grammar import CommandParseError, parse_command
from bot.services.kpis import (
    Target,
    format_delta,
    format_value,
    name_key,
    parse_day,
    parse_definition,
    parse_iso_day,
    parse_name,
    parse_record,
    parse_target,
    parse_value,
)

WEDNESDAY = date(2026, 11, 25)


def args(text: str) -> list:
    return parse_command(text).tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("41.5", Decimal("41.5")),
        ("41.5%", Decimal("41.5")),
        ("1,200", Decimal("1200")),
        ("1,234,567.25", Decimal("1234567.25")),
        ("-3", Decimal("-3")),
        ("+3", Decimal("3")),
        ("−2.5", Decimal("-2.5")),
        (".5", Decimal("0.5")),
        ("7.", Decimal("7")),
        ("0", Decimal("0")),
        ("-0", Decimal("0")),
        ("0.1234567", Decimal("0.123457")),
        ("123456789.123456", Decimal("123456789.123456")),
    ],
)
def test_values_are_read_as_decimals(text: str, expected: Decimal) -> None:
    assert parse_value(text, "%") == expected


@pytest.mark.parametrize(
    "text",
    ["", "abc", "41,5", "1,20", "12,3456", "4 1", "NaN", "inf", "1e5", "--3", "%", "1.2.3", "$5"],
)
def test_what_is_not_a_number_is_refused_and_quoted(text: str) -> None:
    with pytest.raises(CommandParseError) as raised:
        parse_value(text, "%")
    assert raised.value.fragment == text


def test_too_many_digits_are_refused_not_silently_rounded() -> None:
    with pytest.raises(CommandParseError, match="too many digits"):
        parse_value("1234567890123456")
    with pytest.raises(CommandParseError, match="too many digits"):
        parse_value("123456789012.1234")


def test_a_unit_after_the_value_must_be_the_kpis_own() -> None:
    assert parse_value("250 ms", "ms") == Decimal(250)
    assert parse_value("250MS", "ms") == Decimal(250)
    with pytest.raises(CommandParseError, match="not a number in %"):
        parse_value("42ms", "%")
    with pytest.raises(CommandParseError, match="without a unit"):
        parse_value("42%", None)


@pytest.mark.parametrize(
    ("text", "target", "unit"),
    [
        (">=40", Target(">=", Decimal(40)), None),
        ("<=2.5", Target("<=", Decimal("2.5")), None),
        (">40", Target(">", Decimal(40)), None),
        ("<3", Target("<", Decimal(3)), None),
        ("=100", Target("=", Decimal(100)), None),
        (">= 40%", Target(">=", Decimal(40)), "%"),
        ("≤ 24h", Target("<=", Decimal(24)), "h"),
        ("=>1,000", Target(">=", Decimal(1000)), None),
    ],
)
def test_targets(text: str, target: Target, unit: str | None) -> None:
    assert parse_target(text) == (target, unit)


@pytest.mark.parametrize("text", ["40", ">=", ">=abc", "about 40", "!=3"])
def test_bad_targets_say_what_a_target_looks_like(text: str) -> None:
    with pytest.raises(CommandParseError) as raised:
        parse_target(text)
    assert raised.value.fragment


def test_target_status_at_the_boundary() -> None:
    assert Target(">=", Decimal(40)).met_by(Decimal(40))
    assert not Target(">", Decimal(40)).met_by(Decimal(40))
    assert Target("<=", Decimal("2.5")).met_by(Decimal("2.5"))
    assert not Target("<", Decimal(3)).met_by(Decimal(3))
    assert Target("=", Decimal(100)).met_by(Decimal("100.000"))
    assert Target(">=", Decimal(40)).label("%") == "≥ 40%"


@pytest.mark.parametrize(
    "name", ["nps", "NPS", "activation-rate", "time_to_triage", "v1.2", "x" * 64, "Zufriedenheit"]
)
def test_good_names(name: str) -> None:
    assert parse_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 65, "-nps", ".nps", "a b", "nps!", "<@U1>", "a/b"])
def test_bad_names(name: str) -> None:
    with pytest.raises(CommandParseError, match="not a KPI name"):
        parse_name(name)


def test_names_ignore_case() -> None:
    assert name_key("NPS") == name_key("nps") == "nps"


def test_define_reads_every_option_in_any_order() -> None:
    definition = parse_definition(
        args('NPS "Net promoter score" channel:<#C0003|squad-a> target:">=40%" direction:up')
    )
    assert definition.name == "NPS"
    assert definition.changes == {
        "description": "Net promoter score",
        "channel_id": "C0003",
        "target": Target(">=", Decimal(40)),
        "unit": "%",
        "direction": "up",
    }


def test_define_with_slack_escaped_target_and_clearing_options() -> None:
    # Slack sends what people type with &, < and > escaped.
    definition = parse_definition(args("triage target:&lt;=24 unit:h channel:none"))
    assert definition.changes == {
        "target": Target("<=", Decimal(24)),
        "unit": "h",
        "channel_id": None,
    }
    assert parse_definition(args("nps target:none unit:none")).changes == {
        "target": None,
        "unit": None,
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "define"),
        ('"nps"', "define"),
        ("nps colour:red", "colour:red"),
        ("nps stray words", "stray"),
        ("nps direction:sideways", "sideways"),
        ("nps channel:#general", "#general"),
        ("nps unit:'two words'", "words'"),
        ('nps target:""', 'target:""'),
        ('nps target:">=40" direction:down', "direction:down"),
        ('nps unit:% target:"<3ms"', "<3ms"),
    ],
)
def test_define_mistakes_are_quoted(text: str, fragment: str) -> None:
    with pytest.raises(CommandParseError) as raised:
        parse_definition(args(text))
    assert fragment in raised.value.fragment


def test_description_is_limited() -> None:
    with pytest.raises(CommandParseError, match="too long"):
        parse_definition(args('nps "' + "x" * 501 + '"'))


def test_record_forms() -> None:
    request = parse_record(args("nps 41.5"), today=WEDNESDAY)
    assert (request.name, request.value_text, request.on) == ("nps", "41.5", WEDNESDAY)
    assert parse_record(args("nps 1,200 2026-11-20"), today=WEDNESDAY).on == date(2026, 11, 20)
    assert parse_record(args("nps 3 on yesterday"), today=WEDNESDAY).on == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "record"), ("nps", "nps"), ("nps 4 today extra", "extra"), ("n?ps 4", "n?ps")],
)
def test_record_mistakes(text: str, fragment: str) -> None:
    with pytest.raises(CommandParseError) as raised:
        parse_record(args(text), today=WEDNESDAY)
    assert raised.value.fragment == fragment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", WEDNESDAY),
        ("yesterday", date(2026, 11, 24)),
        ("2026-11-01", date(2026, 11, 1)),
        ("wed", WEDNESDAY),  # a weekday is the latest one, today included
        ("mon", date(2026, 11, 23)),
        ("Thursday", date(2026, 11, 19)),
    ],
)
def test_days(text: str, expected: date) -> None:
    assert parse_day(text, today=WEDNESDAY) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2026-11-26", "2030-01-01"])
def test_future_days_are_refused_clearly(text: str) -> None:
    with pytest.raises(CommandParseError, match="is in the future"):
        parse_day(text, today=WEDNESDAY)


@pytest.mark.parametrize("text", ["2026-02-30", "soon", "0001-01-01", "26/11/2026"])
def test_bad_days(text: str) -> None:
    with pytest.raises(CommandParseError) as raised:
        parse_day(text, today=WEDNESDAY)
    assert raised.value.fragment == text


def test_file_and_api_dates_are_iso_only() -> None:
    assert parse_iso_day("2026-11-20", today=WEDNESDAY) == date(2026, 11, 20)
    assert parse_iso_day("", today=WEDNESDAY) == WEDNESDAY
    with pytest.raises(CommandParseError, match="YYYY-MM-DD"):
        parse_iso_day("yesterday", today=WEDNESDAY)


def test_formatting() -> None:
    assert format_value(Decimal("1200.000000"), None) == "1,200"
    assert format_value(Decimal("41.500000"), "%") == "41.5%"
    assert format_value(Decimal("-0.25"), "ms") == "-0.25 ms"
    assert format_value(Decimal("0.000001")) == "0.000001"
    assert format_delta(Decimal("1.5"), "%") == "+1.5 pts"
    assert format_delta(Decimal("-20"), "ms") == "-20 ms"
    assert format_delta(Decimal("0")) == "±0"
