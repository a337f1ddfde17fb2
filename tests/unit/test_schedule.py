"""The /ritual schedule language: parsing, description, occurrences across DST, JSON storage."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import CommandParseError
from bot.schedule import (
    EXAMPLES,
    Rule,
    describe,
    known_zone,
    next_occurrences,
    parse_schedule,
    suggest,
)

BERLIN = "Europe/Berlin"
# Tuesday 1 Dec 2026, 09:00 in Berlin.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def parse(text: str, tz: str = BERLIN, now: datetime = NOW) -> Rule:
    return parse_schedule(text, now=now, tz=tz)


def local(instants: list[datetime], tz: str = BERLIN) -> list[str]:
    return [i.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M") for i in instants]


# --- parsing and describing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "described"),
    [
        ("every weekday at 9:30", "weekly", "every weekday at 09:30"),
        ("every weekend at 10am", "weekly", "every weekend at 10:00"),
        ("every mon,wed at 10am", "weekly", "every Monday and Wednesday at 10:00"),
        ("every mon, wed, fri at 10am", "weekly", "every Monday, Wednesday and Friday at 10:00"),
        ("every monday and wednesday at 10:00", "weekly", "every Monday and Wednesday at 10:00"),
        ("every fri at 16:00", "weekly", "every Friday at 16:00"),
        ("every mon-fri at 9", "weekly", "every weekday at 09:00"),
        ("every fridays at 4 pm", "weekly", "every Friday at 16:00"),
        ("weekly on thu at noon", "weekly", "every Thursday at 12:00"),
        ("every week on tue at 11:00", "weekly", "every Tuesday at 11:00"),
        ("every 1 week on tue at 11:00", "weekly", "every Tuesday at 11:00"),
        ("every weekday at 9:00 and 15:00", "weekly", "every weekday at 09:00 and 15:00"),
        ("daily at 8", "daily", "every day at 08:00"),
        ("every day at 8:15", "daily", "every day at 08:15"),
        ("every 2 weeks on fri at 16:00", "interval_weeks", "every 2 weeks on Friday at 16:00"),
        ("every other week on fri at 16:00", "interval_weeks", "every 2 weeks on Friday at 16:00"),
        ("biweekly on fri at 4pm", "interval_weeks", "every 2 weeks on Friday at 16:00"),
        ("every three weeks on mon at 9", "interval_weeks", "every 3 weeks on Monday at 09:00"),
        (
            "monthly on the first mon at 10:00",
            "monthly_nth_weekday",
            "monthly on the first Monday at 10:00",
        ),
        (
            "monthly on the 2nd tue at 10",
            "monthly_nth_weekday",
            "monthly on the second Tuesday at 10:00",
        ),
        (
            "monthly on the third wed at 10",
            "monthly_nth_weekday",
            "monthly on the third Wednesday at 10:00",
        ),
        (
            "monthly on the fourth thu at 10",
            "monthly_nth_weekday",
            "monthly on the fourth Thursday at 10:00",
        ),
        (
            "monthly on the fifth friday at 10",
            "monthly_nth_weekday",
            "monthly on the fifth Friday at 10:00",
        ),
        (
            "every month on the last fri at 16:00",
            "monthly_nth_weekday",
            "monthly on the last Friday at 16:00",
        ),
        ("monthly on the 15th at 9:00", "monthly_day", "monthly on the 15th at 09:00"),
        ("monthly on the 1st at 9:00", "monthly_day", "monthly on the 1st at 09:00"),
        ("monthly on the first day at 9:00", "monthly_day", "monthly on the 1st at 09:00"),
        ("monthly on the 22nd at 9:00", "monthly_day", "monthly on the 22nd at 09:00"),
        (
            "monthly on the last day at 17:00",
            "monthly_last_day",
            "monthly on the last day at 17:00",
        ),
        ("on 2026-12-03 15:00", "once", "on Thu 3 Dec 2026 at 15:00"),
        ("on 2026-12-03 at 3pm", "once", "on Thu 3 Dec 2026 at 15:00"),
        ("2026-12-03 at 3pm", "once", "on Thu 3 Dec 2026 at 15:00"),
        ("on fri at 15:00", "once", "on Fri 4 Dec 2026 at 15:00"),
        ("tomorrow at 3pm", "once", "on Wed 2 Dec 2026 at 15:00"),
        ("today at 17:00", "once", "on Tue 1 Dec 2026 at 17:00"),
        ('cron:"30 9 * * 1-5"', "cron", "cron 30 9 * * 1-5"),
        ("cron:\u201c30 9 * * 1-5\u201d", "cron", "cron 30 9 * * 1-5"),
        ('CRON: "0 9 * JAN,Jul MON-fri"', "cron", "cron 0 9 * jan,jul mon-fri"),
    ],
)
def test_every_form_parses_and_reads_well(text: str, kind: str, described: str) -> None:
    rule = parse(text)
    assert rule.kind == kind
    assert describe(rule) == described


def test_parsing_is_case_and_space_insensitive_and_keeps_normalised_text() -> None:
    rule = parse("  Every   WEEKDAY at\u00a09:30AM ")
    assert rule == Rule(
        "weekly", times=(time(9, 30),), weekdays=frozenset(range(5)), text=rule.text
    )
    assert rule.text == "every weekday at 9:30am"
    assert parse("cron:\u201c30 9 * * 1-5\u201d").text == 'cron:"30 9 * * 1-5"'


def test_bare_hour_is_on_the_hour() -> None:
    assert parse("daily at 8").times == (time(8, 0),)
    assert parse("daily at 0").times == (time(0, 0),)
    assert parse("daily at 12am").times == (time(0, 0),)


def test_every_example_parses() -> None:
    for example in EXAMPLES:
        assert describe(parse(example))


@pytest.mark.parametrize(
    "text",
    [
        "every weekday at 9:30",
        "every Monday, Wednesday and Friday at 10:00",
        "every day at 08:00 and 17:30",
        "every 3 weeks on Monday at 09:00",
        "monthly on the last Friday at 16:00",
        "monthly on the 31st at 09:00",
        "monthly on the last day at 17:00",
    ],
)
def test_descriptions_of_repeating_rules_parse_back_to_the_same_rule(text: str) -> None:
    rule = parse(text)
    again = parse(describe(rule))
    assert dataclasses.replace(again, text=rule.text) == rule


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment", "words"),
    [
        ("every 0 weeks on fri at 9", "0", "1 to 52"),
        ("every 60 weeks on fri at 9", "60", "1 to 52"),
        ("every 99999999999999999999 weeks on fri at 9", "99999999999999999999", "1 to 52"),
        ("every 2 days at 9", "days", "only weeks"),
        ("monthly on the 32nd at 9", "32nd", "no month has a 32nd day"),
        ("monthly on the 6th monday at 9", "6th", "at most five Mondays"),
        ("every day at 25:00", "25:00", "not a time"),
        ("daily at 25", "25", "not a time"),
        ("every weekday at 9:75", "9:75", "not a time"),
        ("on 2026-02-30 at 9", "2026-02-30", "not a real date"),
        ("every weekday", "every weekday", "say what time"),
        ("on mon,wed at 10", "on mon,wed at 10", "every mon,wed at 10am"),
        ("tomorrow at 9 and 10", "tomorrow at 9 and 10", "one time"),
    ],
)
def test_out_of_range_values_are_clear_errors(text: str, fragment: str, words: str) -> None:
    with pytest.raises(CommandParseError) as caught:
        parse(text)
    assert caught.value.fragment == fragment
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("61 * * * *", "61"),
        ("* 24 * * *", "24"),
        ("* * 0 * *", "0"),
        ("* * 32 * *", "32"),
        ("* * * 13 *", "13"),
        ("* * * * 8", "8"),
        ("*/0 * * * *", "*/0"),
        ("*/x * * * *", "*/x"),
        ("5-1 * * * *", "5-1"),
        ("x * * * *", "x"),
        ("1,,2 * * * *", "1,,2"),
        ("0 9 * * funday", "funday"),
        ("* * * *", "* * * *"),
        ("* * * * * *", "* * * * * *"),
        ("", ""),
    ],
)
def test_bad_cron_fields_are_errors_quoting_the_field(expression: str, fragment: str) -> None:
    with pytest.raises(CommandParseError) as caught:
        parse(f'cron:"{expression}"')
    assert caught.value.fragment == fragment
    assert "cron" in caught.value.message


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 feb-apr/2 *"])
def test_a_cron_that_never_fires_is_rejected(expression: str) -> None:
    with pytest.raises(CommandParseError, match="never happens"):
        parse(f'cron:"{expression}"')


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("on 2020-01-01 10:00", NOW),
        ("today at 0:00", NOW),
        ("today at 9:00", NOW),  # exactly now is not in the future
        ("today at 8:59", NOW),
    ],
)
def test_a_one_off_in_the_past_is_an_error(text: str, now: datetime) -> None:
    with pytest.raises(CommandParseError, match="already passed"):
        parse(text, now=now)


def test_today_and_tomorrow_are_read_in_the_rules_timezone() -> None:
    # 23:30 UTC on 1 Dec is already 2 Dec in Berlin and still 1 Dec in New York.
    late = utc(2026, 12, 1, 23, 30)
    assert parse("tomorrow at 3pm", now=late).at == datetime(2026, 12, 3, 15, 0)
    assert parse("tomorrow at 3pm", tz="America/New_York", now=late).at == datetime(
        2026, 12, 2, 15, 0
    )
    assert parse("today at 23:45", tz="America/New_York", now=late).at == datetime(
        2026, 12, 1, 23, 45
    )
    assert parse("today at 0:45", now=late).at == datetime(2026, 12, 2, 0, 45)
    with pytest.raises(CommandParseError, match="already passed"):
        parse("today at 0:15", now=late)


def test_unknown_timezone_is_an_error_quoting_it() -> None:
    for tz in ("Mars/Olympus", "", "../etc/passwd", "Europe"):
        with pytest.raises(CommandParseError, match="unknown timezone") as caught:
            parse("daily at 8", tz=tz)
        assert caught.value.fragment == tz
    with pytest.raises(CommandParseError, match="unknown timezone"):
        next_occurrences(parse("daily at 8"), "Nowhere/Land", NOW, 1)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_schedule("daily at 8", now=datetime(2026, 1, 1), tz=BERLIN)
    with pytest.raises(ValueError, match="aware"):
        next_occurrences(parse("daily at 8"), BERLIN, datetime(2026, 1, 1), 1)


@pytest.mark.parametrize(
    "text",
    ["every tuesdy at 9", "evry weekday at 9", "at 9", "whenever", "monthly on teh 1st", "?"],
)
def test_unreadable_text_is_an_error_with_suggestions(text: str) -> None:
    with pytest.raises(CommandParseError) as caught:
        parse(text)
    assert "try: " + " | ".join(suggest(text)) in caught.value.message
    assert caught.value.fragment


def test_the_fragment_is_the_word_that_could_not_be_read() -> None:
    with pytest.raises(CommandParseError) as caught:
        parse("every tuesdy at 9")
    assert caught.value.fragment == "tuesdy"
    with pytest.raises(CommandParseError) as caught:
        parse("every weekday at 9 sharp please")
    assert caught.value.fragment == "sharp please"


def test_suggestions_are_the_nearest_examples() -> None:
    assert suggest("every tuesdy at 9")[0] == "every mon,wed at 10am"
    assert suggest("montly on the 1st tuesday at 9")[0] == "monthly on the first mon at 10:00"
    assert suggest("montly on the 15 at 9")[0] == "monthly on the 15th at 9:00"
    assert suggest('cron "bad"')[0] == 'cron:"30 9 * * 1-5"'
    assert suggest("tomorow at 3")[0] == "tomorrow at 3pm"
    assert "every 2 weeks on fri at 16:00" in suggest("every 3 weeks on fri")
    for text in ("", "???", "every tuesdy at 9", "x" * 1000):
        picked = suggest(text)
        assert 2 <= len(picked) <= 3
        assert len(set(picked)) == len(picked)
        assert set(picked) <= set(EXAMPLES)


# --- occurrences of each kind -------------------------------------------------------------


def test_weekly_occurrences() -> None:
    rule = parse("every mon,wed at 10am")
    assert local(next_occurrences(rule, BERLIN, NOW, 3)) == [
        "Wed 2026-12-02 10:00",
        "Mon 2026-12-07 10:00",
        "Wed 2026-12-09 10:00",
    ]
    # Strictly after: an occurrence exactly at `after` is not repeated.
    first = next_occurrences(rule, BERLIN, NOW, 1)[0]
    assert next_occurrences(rule, BERLIN, first, 1)[0] == utc(2026, 12, 7, 9, 0)


def test_weekday_and_weekend_occurrences() -> None:
    assert local(next_occurrences(parse("every weekday at 9:30"), BERLIN, NOW, 5)) == [
        "Tue 2026-12-01 09:30",
        "Wed 2026-12-02 09:30",
        "Thu 2026-12-03 09:30",
        "Fri 2026-12-04 09:30",
        "Mon 2026-12-07 09:30",
    ]
    assert local(next_occurrences(parse("every weekend at 10am"), BERLIN, NOW, 3)) == [
        "Sat 2026-12-05 10:00",
        "Sun 2026-12-06 10:00",
        "Sat 2026-12-12 10:00",
    ]


def test_several_times_a_day_interleave() -> None:
    rule = parse("every weekday at 17:30 and 9")
    assert local(next_occurrences(rule, BERLIN, NOW - timedelta(hours=1), 4)) == [
        "Tue 2026-12-01 09:00",
        "Tue 2026-12-01 17:30",
        "Wed 2026-12-02 09:00",
        "Wed 2026-12-02 17:30",
    ]


def test_daily_occurrences_are_utc() -> None:
    found = next_occurrences(parse("daily at 8"), BERLIN, NOW, 2)
    assert found == [utc(2026, 12, 2, 7, 0), utc(2026, 12, 3, 7, 0)]
    assert all(instant.tzinfo is UTC for instant in found)
    # `after` in another zone means the same instant.
    in_tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert next_occurrences(parse("daily at 8"), BERLIN, in_tokyo, 2) == found


def test_monthly_occurrences() -> None:
    assert local(next_occurrences(parse("monthly on the first mon at 10:00"), BERLIN, NOW, 3)) == [
        "Mon 2026-12-07 10:00",
        "Mon 2027-01-04 10:00",
        "Mon 2027-02-01 10:00",
    ]
    assert local(next_occurrences(parse("monthly on the last fri at 16:00"), BERLIN, NOW, 3)) == [
        "Fri 2026-12-25 16:00",
        "Fri 2027-01-29 16:00",
        "Fri 2027-02-26 16:00",
    ]
    assert local(next_occurrences(parse("monthly on the last day at 17:00"), BERLIN, NOW, 4)) == [
        "Thu 2026-12-31 17:00",
        "Sun 2027-01-31 17:00",
        "Sun 2027-02-28 17:00",
        "Wed 2027-03-31 17:00",
    ]


def test_monthly_on_the_31st_skips_short_months() -> None:
    found = next_occurrences(parse("monthly on the 31st at 9"), BERLIN, NOW, 7)
    assert [i.astimezone(ZoneInfo(BERLIN)).date() for i in found] == [
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
        date(2027, 8, 31),
        date(2027, 10, 31),
    ]


def test_monthly_on_the_29th_skips_february_except_in_leap_years() -> None:
    rule = parse("monthly on the 29th at 9:00")
    found = next_occurrences(rule, BERLIN, utc(2027, 1, 1), 14)
    days = [i.astimezone(ZoneInfo(BERLIN)).date() for i in found]
    assert date(2027, 1, 29) in days and date(2027, 3, 29) in days
    assert not any(d.year == 2027 and d.month == 2 for d in days)
    assert date(2028, 2, 29) in days
    assert len(days) == 14 and days[-1] == date(2028, 3, 29)


def test_the_fifth_friday_skips_months_without_one() -> None:
    found = next_occurrences(parse("monthly on the fifth friday at 10"), BERLIN, NOW, 4)
    # Jan, Apr, Jul and Oct 2027 have five Fridays; the months between do not.
    assert local(found) == [
        "Fri 2027-01-29 10:00",
        "Fri 2027-04-30 10:00",
        "Fri 2027-07-30 10:00",
        "Fri 2027-10-29 10:00",
    ]


def test_a_rare_rule_far_ahead_is_found() -> None:
    # The fifth Monday in a February happens once in 28 years or so: 2044-02-29.
    rule = parse("monthly on the fifth monday at 9")
    febs = [
        i
        for i in next_occurrences(rule, BERLIN, NOW, 200)
        if i.astimezone(ZoneInfo(BERLIN)).month == 2
    ]
    assert local(febs[:1]) == ["Mon 2044-02-29 09:00"]


def test_a_one_off_yields_at_most_one_occurrence() -> None:
    rule = parse("on 2026-12-03 at 3pm")
    assert next_occurrences(rule, BERLIN, NOW, 5) == [utc(2026, 12, 3, 14, 0)]
    assert next_occurrences(rule, BERLIN, utc(2026, 12, 3, 14, 0), 5) == []
    assert next_occurrences(rule, BERLIN, NOW, 0) == []
    # The wall time is kept; another zone moves the instant.
    assert next_occurrences(rule, "America/New_York", NOW, 1) == [utc(2026, 12, 3, 20, 0)]


def test_on_a_weekday_is_the_next_one() -> None:
    assert parse("on tue at 10", now=NOW).at == datetime(2026, 12, 8, 10, 0)
    assert parse("on wed at 10", now=NOW).at == datetime(2026, 12, 2, 10, 0)


def test_no_occurrences_requested() -> None:
    assert next_occurrences(parse("daily at 8"), BERLIN, NOW, 0) == []
    assert next_occurrences(parse("daily at 8"), BERLIN, NOW, -3) == []


# --- every n weeks ------------------------------------------------------------------------


def test_every_two_weeks_is_anchored_on_the_first_occurrence() -> None:
    rule = parse("every 2 weeks on fri at 16:00")
    assert rule.anchor == date(2026, 12, 4)
    assert local(next_occurrences(rule, BERLIN, NOW, 3)) == [
        "Fri 2026-12-04 16:00",
        "Fri 2026-12-18 16:00",
        "Fri 2027-01-01 16:00",
    ]


@pytest.mark.parametrize(
    ("now", "anchor"),
    [
        (utc(2026, 12, 4, 14, 59), date(2026, 12, 4)),  # Friday 15:59 in Berlin
        (utc(2026, 12, 4, 15, 0), date(2026, 12, 4)),  # exactly 16:00: at or after counts
        (utc(2026, 12, 4, 15, 1), date(2026, 12, 11)),  # just missed it
        (utc(2026, 12, 5, 12, 0), date(2026, 12, 11)),
    ],
)
def test_the_anchor_is_the_first_occurrence_at_or_after_creation(
    now: datetime, anchor: date
) -> None:
    assert parse("biweekly on fri at 4pm", now=now).anchor == anchor


def test_every_two_weeks_on_several_days_keeps_whole_weeks_together() -> None:
    # Created on a Wednesday: Friday is the first occurrence, that week is an "on" week.
    rule = parse("every 2 weeks on mon,fri at 9", now=utc(2026, 12, 2, 12, 0))
    assert rule.anchor == date(2026, 12, 4)
    assert local(next_occurrences(rule, BERLIN, utc(2026, 11, 1), 5)) == [
        "Fri 2026-12-04 09:00",
        "Mon 2026-12-14 09:00",
        "Fri 2026-12-18 09:00",
        "Mon 2026-12-28 09:00",
        "Fri 2027-01-01 09:00",
    ]


def test_every_two_weeks_parity_is_stable_across_many_occurrences_and_dst() -> None:
    rule = parse("every 2 weeks on fri at 16:00")
    zone = ZoneInfo(BERLIN)
    found = next_occurrences(rule, BERLIN, NOW, 60)  # into 2029, through six DST changes
    offsets = {i.astimezone(zone).utcoffset() for i in found}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    for instant in found:
        wall = instant.astimezone(zone)
        assert wall.time() == time(16, 0) and wall.weekday() == 4
        assert (wall.date() - date(2026, 12, 4)).days % 14 == 0
    assert [
        (b.astimezone(zone).date() - a.astimezone(zone).date()).days
        for a, b in itertools.pairwise(found)
    ] == [14] * 59
    # Asking later, from any instant, lands on the same series.
    for start in (utc(2027, 3, 27, 23, 0), utc(2027, 10, 31, 0, 0), utc(2028, 6, 1, 12, 0)):
        later = next_occurrences(rule, BERLIN, start, 5)
        assert set(later) <= set(found)
        assert later == [i for i in found if i > start][:5]


def test_every_three_weeks_jumps_whole_weeks() -> None:
    rule = parse("every 3 weeks on wed at 9")
    found = next_occurrences(rule, BERLIN, NOW, 4)
    assert local(found) == [
        "Wed 2026-12-02 09:00",
        "Wed 2026-12-23 09:00",
        "Wed 2027-01-13 09:00",
        "Wed 2027-02-03 09:00",
    ]


# --- cron ---------------------------------------------------------------------------------


def cron(expression: str, after: datetime = NOW, n: int = 4, tz: str = BERLIN) -> list[str]:
    return local(next_occurrences(parse(f'cron:"{expression}"', tz=tz), tz, after, n), tz)


def test_cron_weekdays_at_half_past_nine() -> None:
    assert cron("30 9 * * 1-5", n=5) == [
        "Tue 2026-12-01 09:30",
        "Wed 2026-12-02 09:30",
        "Thu 2026-12-03 09:30",
        "Fri 2026-12-04 09:30",
        "Mon 2026-12-07 09:30",
    ]


def test_cron_steps_ranges_and_lists() -> None:
    assert cron("*/15 9-10 * * *", n=5) == [
        "Tue 2026-12-01 09:15",
        "Tue 2026-12-01 09:30",
        "Tue 2026-12-01 09:45",
        "Tue 2026-12-01 10:00",
        "Tue 2026-12-01 10:15",
    ]
    assert cron("0-30/10 11 * * *") == [
        "Tue 2026-12-01 11:00",
        "Tue 2026-12-01 11:10",
        "Tue 2026-12-01 11:20",
        "Tue 2026-12-01 11:30",
    ]
    assert cron("5/20 12 * * *", n=3) == [
        "Tue 2026-12-01 12:05",
        "Tue 2026-12-01 12:25",
        "Tue 2026-12-01 12:45",
    ]
    assert cron("0 8,18 * * *", n=3) == [
        "Tue 2026-12-01 18:00",
        "Wed 2026-12-02 08:00",
        "Wed 2026-12-02 18:00",
    ]
    assert cron("* * * * *", n=3) == [
        "Tue 2026-12-01 09:01",
        "Tue 2026-12-01 09:02",
        "Tue 2026-12-01 09:03",
    ]


@pytest.mark.parametrize("dow", ["0", "7", "sun", "SUN", "6-7/1", "0,7"])
def test_cron_sunday_is_0_7_or_sun(dow: str) -> None:
    found = cron(f"0 9 * * {dow}", n=3)
    if dow == "6-7/1":
        assert found == ["Sat 2026-12-05 09:00", "Sun 2026-12-06 09:00", "Sat 2026-12-12 09:00"]
    else:
        assert found == ["Sun 2026-12-06 09:00", "Sun 2026-12-13 09:00", "Sun 2026-12-20 09:00"]


def test_cron_month_names() -> None:
    assert cron("0 9 1 jan,jul *", n=3) == [
        "Fri 2027-01-01 09:00",
        "Thu 2027-07-01 09:00",
        "Sat 2028-01-01 09:00",
    ]


def test_cron_with_both_day_fields_restricted_fires_on_either() -> None:
    # Vixie cron: the 13th OR any Friday.
    assert cron("0 9 13 * fri", n=5) == [
        "Fri 2026-12-04 09:00",
        "Fri 2026-12-11 09:00",
        "Sun 2026-12-13 09:00",
        "Fri 2026-12-18 09:00",
        "Fri 2026-12-25 09:00",
    ]
    # Either day field left as '*' (or starting with '*') means both must match.
    assert cron("0 9 13 * *", n=2) == ["Sun 2026-12-13 09:00", "Wed 2027-01-13 09:00"]
    assert cron("0 9 * * fri", n=2) == ["Fri 2026-12-04 09:00", "Fri 2026-12-11 09:00"]
    assert cron("0 9 */2 * fri", n=3) == [
        "Fri 2026-12-11 09:00",
        "Fri 2026-12-25 09:00",
        "Fri 2027-01-01 09:00",
    ]


def test_cron_finds_the_29th_of_february() -> None:
    assert cron("0 9 29 2 *", after=utc(2026, 3, 1), n=2) == [
        "Tue 2028-02-29 09:00",
        "Sun 2032-02-29 09:00",
    ]


def test_cron_with_a_rare_and_combination_is_found() -> None:
    # A day-of-week starting with '*' keeps AND semantics: '*/7' is {0, 7}, Sunday only, so
    # this is 29 Feb falling on a Sunday, next in 2032.
    assert cron("0 9 29 feb */7", after=utc(2026, 3, 1), n=2) == [
        "Sun 2032-02-29 09:00",
        "Sun 2060-02-29 09:00",
    ]
    assert cron("0 9 29 2 */1", after=utc(2026, 3, 1), n=1) == ["Tue 2028-02-29 09:00"]


# --- DST ----------------------------------------------------------------------------------


def daily_around(tz: str, at: str, after: datetime, n: int = 4) -> list[datetime]:
    return next_occurrences(parse(f"daily at {at}", tz=tz), tz, after, n)


def test_berlin_spring_forward_shifts_the_gap_time_by_the_gap() -> None:
    found = daily_around(BERLIN, "2:30", utc(2027, 3, 26, 12, 0))
    assert found == [
        utc(2027, 3, 27, 1, 30),  # 02:30 CET
        utc(2027, 3, 28, 1, 30),  # 02:30 does not exist: 03:30 CEST
        utc(2027, 3, 29, 0, 30),  # 02:30 CEST
        utc(2027, 3, 30, 0, 30),
    ]
    assert local(found[1:2]) == ["Sun 2027-03-28 03:30"]


def test_berlin_fall_back_fires_the_repeated_time_once_at_its_first_occurrence() -> None:
    found = daily_around(BERLIN, "2:30", utc(2027, 10, 29, 12, 0))
    assert found == [
        utc(2027, 10, 30, 0, 30),  # 02:30 CEST
        utc(2027, 10, 31, 0, 30),  # the first 02:30 (CEST); the second (01:30 UTC) never fires
        utc(2027, 11, 1, 1, 30),  # 02:30 CET
        utc(2027, 11, 2, 1, 30),
    ]
    # Asking from between the two 02:30s does not fire the second one.
    assert daily_around(BERLIN, "2:30", utc(2027, 10, 31, 0, 30), 1) == [utc(2027, 11, 1, 1, 30)]


def test_new_york_spring_forward_and_fall_back() -> None:
    ny = "America/New_York"
    assert daily_around(ny, "2:30", utc(2027, 3, 12, 12, 0), 3) == [
        utc(2027, 3, 13, 7, 30),  # 02:30 EST
        utc(2027, 3, 14, 7, 30),  # gap: 03:30 EDT
        utc(2027, 3, 15, 6, 30),  # 02:30 EDT
    ]
    assert daily_around(ny, "1:30", utc(2027, 11, 5, 12, 0), 3) == [
        utc(2027, 11, 6, 5, 30),  # 01:30 EDT
        utc(2027, 11, 7, 5, 30),  # first 01:30 (EDT) only
        utc(2027, 11, 8, 6, 30),  # 01:30 EST
    ]


def test_sydney_fall_back_in_april_and_spring_forward_in_october() -> None:
    sydney = "Australia/Sydney"
    assert daily_around(sydney, "2:30", utc(2027, 4, 1, 20, 0), 3) == [
        utc(2027, 4, 2, 15, 30),  # 3 Apr 02:30 AEDT
        utc(2027, 4, 3, 15, 30),  # 4 Apr: first 02:30 (AEDT) only
        utc(2027, 4, 4, 16, 30),  # 5 Apr 02:30 AEST
    ]
    found = daily_around(sydney, "2:30", utc(2027, 9, 30, 20, 0), 3)
    assert found == [
        utc(2027, 10, 1, 16, 30),  # 2 Oct 02:30 AEST
        utc(2027, 10, 2, 16, 30),  # 3 Oct: gap, 03:30 AEDT
        utc(2027, 10, 3, 15, 30),  # 4 Oct 02:30 AEDT
    ]
    assert local(found[1:2], sydney) == ["Sun 2027-10-03 03:30"]


@pytest.mark.parametrize(
    ("tz", "day", "count"),
    [
        (BERLIN, date(2027, 3, 28), 23),
        (BERLIN, date(2027, 10, 31), 24),
        ("America/New_York", date(2027, 3, 14), 23),
        ("America/New_York", date(2027, 11, 7), 24),
        ("Australia/Sydney", date(2027, 4, 4), 24),
        ("Australia/Sydney", date(2027, 10, 3), 23),
    ],
)
def test_an_hourly_cron_fires_each_wall_time_once_on_dst_days(
    tz: str, day: date, count: int
) -> None:
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(minutes=1)
    found = next_occurrences(parse('cron:"30 * * * *"', tz=tz), tz, start, 30)
    on_day = [i for i in found if i.astimezone(zone).date() == day]
    walls = [i.astimezone(zone).strftime("%H:%M") for i in on_day]
    # The gap's wall time lands on the next hour's instant and fires once; the overlap's
    # repeated wall time fires once: 24 wall times, never a duplicate instant.
    assert len(on_day) == count == len(set(walls))
    assert on_day == sorted(set(on_day))
    assert all(b - a >= timedelta(minutes=60) for a, b in itertools.pairwise(on_day))


def test_a_gap_time_and_its_shifted_twin_fire_once() -> None:
    found = next_occurrences(parse("daily at 2:30 and 3:30"), BERLIN, utc(2027, 3, 27, 12, 0), 3)
    assert local(found) == ["Sun 2027-03-28 03:30", "Mon 2027-03-29 02:30", "Mon 2027-03-29 03:30"]


def test_a_one_off_in_a_gap_or_overlap() -> None:
    before = utc(2027, 1, 1)
    gap = parse("on 2027-03-28 at 2:30", now=before)
    assert next_occurrences(gap, BERLIN, before, 3) == [utc(2027, 3, 28, 1, 30)]
    overlap = parse("on 2027-10-31 at 2:30", now=before)
    assert next_occurrences(overlap, BERLIN, before, 3) == [utc(2027, 10, 31, 0, 30)]


# --- properties ---------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # changes at midnight
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]
minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
time_tuples = st.lists(minute_times, min_size=1, max_size=3).map(tuple)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
afters = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


@settings(max_examples=150, deadline=None)
@given(
    weekdays=weekday_sets,
    times=time_tuples,
    after=afters,
    tz=st.sampled_from(ZONES),
    n=st.integers(1, 12),
)
def test_weekly_occurrences_are_increasing_after_and_on_the_rules_wall_time(
    weekdays: frozenset[int], times: tuple[time, ...], after: datetime, tz: str, n: int
) -> None:
    rule = Rule("weekly", times=times, weekdays=weekdays)
    zone = ZoneInfo(tz)
    found = next_occurrences(rule, tz, after, n)
    assert len(found) == n
    assert all(i.tzinfo is UTC for i in found)
    assert found[0] > after
    assert all(a < b for a, b in itertools.pairwise(found))
    for instant in found:
        wall = instant.astimezone(zone)
        if wall.time() in times and wall.weekday() in weekdays:
            continue
        # Otherwise it must be a wall time of the rule that fell in a gap, shifted forward.
        shifted = [
            t
            for t in times
            if not _exists(datetime.combine(wall.date(), t), zone)
            and datetime.combine(wall.date(), t, tzinfo=zone).astimezone(UTC) == instant
        ]
        assert shifted and wall.weekday() in weekdays
    # And nothing is missed: every wall time of the rule between `after` and the last one.
    day = after.astimezone(zone).date() - timedelta(days=1)
    expected: set[datetime] = set()
    while day <= found[-1].astimezone(zone).date():
        if day.weekday() in weekdays:
            for t in times:
                instant = datetime.combine(day, t, tzinfo=zone).astimezone(UTC)
                if after < instant <= found[-1]:
                    expected.add(instant)
        day += timedelta(days=1)
    assert found == sorted(expected)


nth_values = st.sampled_from([1, 2, 3, 4, 5, -1])
rules = st.one_of(
    st.builds(Rule, st.just("weekly"), times=time_tuples, weekdays=weekday_sets),
    st.builds(Rule, st.just("daily"), times=time_tuples),
    st.builds(
        lambda times, days, interval, anchor: Rule(
            "interval_weeks",
            times=times,
            weekdays=days | {anchor.weekday()},
            interval=interval,
            anchor=anchor,
        ),
        time_tuples,
        st.frozensets(st.integers(0, 6)),
        st.integers(2, 52),
        st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    ),
    st.builds(
        lambda times, day, nth: Rule(
            "monthly_nth_weekday", times=times, weekdays=frozenset({day}), nth=nth
        ),
        time_tuples,
        st.integers(0, 6),
        nth_values,
    ),
    st.builds(Rule, st.just("monthly_day"), times=time_tuples, day=st.integers(1, 31)),
    st.builds(Rule, st.just("monthly_last_day"), times=time_tuples),
    st.builds(
        Rule,
        st.just("once"),
        at=st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
    ),
    st.builds(
        Rule,
        st.just("cron"),
        cron=st.sampled_from(
            ["30 9 * * 1-5", "*/15 * * * *", "0 9 13 * fri", "0 9 29 2 *", "0 0 1 jan,jul *"]
        ),
    ),
).flatmap(lambda rule: st.builds(dataclasses.replace, st.just(rule), text=st.text(max_size=30)))


@settings(max_examples=200, deadline=None)
@given(rule=rules, after=afters, tz=st.sampled_from(ZONES))
def test_rules_round_trip_through_json_and_always_schedule_sanely(
    rule: Rule, after: datetime, tz: str
) -> None:
    stored = rule.to_json()
    again = Rule.from_json(stored)
    assert again == rule
    assert again.to_json() == stored
    assert describe(rule)
    found = next_occurrences(rule, tz, after, 3)
    assert all(i > after for i in found)
    assert all(a < b for a, b in itertools.pairwise(found))
    if rule.kind == "once":
        assert len(found) <= 1
    else:
        assert len(found) == 3


def test_json_is_stable_and_canonical() -> None:
    rule = parse("every 2 weeks on fri,mon at 16:00 and 9:00")
    assert rule.to_json() == (
        '{"anchor":"2026-12-04","at":null,"cron":null,"day":0,"interval":2,"kind":"interval_weeks",'
        '"nth":0,"text":"every 2 weeks on fri,mon at 16:00 and 9:00","times":["09:00","16:00"],'
        '"v":1,"weekdays":[0,4]}'
    )
    assert Rule("weekly", times=(time(9), time(8), time(9)), weekdays=frozenset({1, 0})) == Rule(
        "weekly", times=(time(8), time(9)), weekdays=frozenset({0, 1})
    )


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "[]",
        "{}",
        '{"v":2,"kind":"daily"}',
        '{"anchor":null,"at":null,"cron":null,"day":0,"interval":1,"kind":"hourly","nth":0,'
        '"text":"","times":["09:00"],"v":1,"weekdays":[]}',
        '{"anchor":null,"at":null,"cron":null,"day":0,"interval":1,"kind":"daily","nth":0,'
        '"text":"","times":[],"v":1,"weekdays":[]}',
        '{"anchor":null,"at":null,"cron":"0 0 30 2 *","day":0,"interval":1,"kind":"cron",'
        '"nth":0,"text":"","times":[],"v":1,"weekdays":[]}',
        '{"anchor":null,"at":null,"cron":null,"day":"1","interval":1,"kind":"monthly_day",'
        '"nth":0,"text":"","times":["09:00"],"v":1,"weekdays":[]}',
    ],
)
def test_from_json_refuses_what_is_not_a_rule(stored: str) -> None:
    with pytest.raises(ValueError):
        Rule.from_json(stored)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "weekly", "times": (time(9),)},
        {"kind": "daily"},
        {"kind": "daily", "times": (time(9, 0, 30),)},
        {"kind": "interval_weeks", "times": (time(9),), "weekdays": frozenset({4}), "interval": 2},
        {
            "kind": "interval_weeks",
            "times": (time(9),),
            "weekdays": frozenset({4}),
            "interval": 53,
            "anchor": date(2026, 12, 4),
        },
        {"kind": "monthly_nth_weekday", "times": (time(9),), "weekdays": frozenset({0}), "nth": 6},
        {"kind": "monthly_day", "times": (time(9),), "day": 32},
        {"kind": "once"},
        {"kind": "once", "at": datetime(2027, 1, 1, 9, tzinfo=UTC)},
        {"kind": "cron", "cron": "bad"},
    ],
)
def test_malformed_rules_cannot_be_built(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Rule(**fields)


@pytest.mark.parametrize("name", ["Europe", "x" * 300, "/etc/passwd", "Europe/../UTC", "", "UTC "])
def test_known_zone_is_none_for_any_text_that_is_no_timezone(name: str) -> None:
    assert known_zone(name) is None


def test_known_zone_finds_iana_names() -> None:
    assert known_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
