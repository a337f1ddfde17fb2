"""The tool stack: costs, yearly totals per currency, URLs, command options, and its builders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.blocks import stack as blocks
from bot.grammar import CommandParseError, parse_command
from bot.sandbox.webapi import check_blocks
from bot.services.stack import (
    Cost,
    Overview,
    Saved,
    ToolInfo,
    check_url,
    format_money,
    parse_cost,
    parse_request,
    yearly_totals,
)

TODAY = date(2026, 11, 25)
HOSTILE = "<!channel> &<>*_~`" * 200


@pytest.mark.parametrize(
    ("typed", "amount", "currency", "period", "yearly"),
    [
        ("1200/yr", "1200", None, "year", "1200"),
        ("$99/mo", "99", "USD", "month", "1188"),
        ("€50/month", "50", "EUR", "month", "600"),
        ("2000 EUR/year", "2000", "EUR", "year", "2000"),
        ("2000 eur / year", "2000", "EUR", "year", "2000"),
        ("USD 1,200/yr", "1200", "USD", "year", "1200"),
        ("£10 per month", "10", "GBP", "month", "120"),
        ("49,99 €/mo", "49.99", "EUR", "month", "599.88"),
        ("1.5k/yr", "1500", None, "year", "1500"),
        ("300/quarter", "300", None, "quarter", "1200"),
        ("10/wk", "10", None, "week", "520"),
        ("CHF 20 monthly", "20", "CHF", "month", "240"),
        ("A$15/mo", "15", "AUD", "month", "180"),
        ("1 200 SEK/year", "1200", "SEK", "year", "1200"),
    ],
)
def test_costs_keep_their_currency_and_period(
    typed: str, amount: str, currency: str | None, period: str, yearly: str
) -> None:
    cost = parse_cost(typed)
    assert (cost.amount, cost.currency, cost.period) == (Decimal(amount), currency, period)
    assert cost.yearly == Decimal(yearly)
    assert cost.text == typed


@pytest.mark.parametrize("typed", ["free", "FREE", "0/mo", "$0/yr"])
def test_free_costs_nothing(typed: str) -> None:
    cost = parse_cost(typed)
    assert cost.free and cost.yearly == 0


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("99", "say how often"),
        ("$99", "say how often"),
        ("99/fortnight", "is not a period"),
        ("lots/yr", "expected an amount"),
        ("99 dollars/mo", "is not a currency"),
        ("$99 EUR/mo", "one currency per cost"),
        ("", "the cost is empty"),
        ("9" * 20 + "/yr", "too large"),
    ],
)
def test_bad_costs_say_what_is_wrong(typed: str, problem: str) -> None:
    with pytest.raises(CommandParseError) as err:
        parse_cost(typed)
    assert problem in err.value.message


def test_yearly_totals_never_mix_currencies() -> None:
    costs = [
        parse_cost("$99/mo"),
        parse_cost("1200 USD/yr"),
        parse_cost("€50/month"),
        parse_cost("2000 EUR/year"),
        parse_cost("1200/yr"),
        parse_cost("100/qtr"),
        parse_cost("free"),
        None,
    ]
    assert yearly_totals(costs) == {
        "EUR": Decimal(2600),
        "USD": Decimal(2388),
        "unspecified": Decimal(1600),
    }
    assert list(yearly_totals(costs)) == ["EUR", "USD", "unspecified"]
    assert yearly_totals([parse_cost("free"), None]) == {}
    assert format_money(Decimal(2388), "USD") == "USD 2,388"
    assert format_money(Decimal("599.88"), "unspecified") == "599.88"


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("https://figma.com", "https://figma.com"),
        ("http://intranet.example/tools?a=1&b=2", "http://intranet.example/tools?a=1&b=2"),
        ("<https://figma.com>", "https://figma.com"),
        ("<https://figma.com|figma.com>", "https://figma.com"),
        ("HTTPS://Example.com/x", "HTTPS://Example.com/x"),
    ],
)
def test_urls_are_http_or_https(typed: str, url: str) -> None:
    assert check_url(typed) == url


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "ftp://files.example",
        "mailto:ann@example.com",
        "figma.com",
        "https://",
        "https://exa mple.com",
        "https://" + "x" * 2000 + ".com",
        "https://[::1",
    ],
)
def test_other_urls_are_refused(typed: str) -> None:
    with pytest.raises(CommandParseError):
        check_url(typed)


def request(text: str, sub: str = "add") -> Any:
    return parse_request(parse_command(text).tokens, subcommand=sub, actor="U0001", today=TODAY)


def test_add_reads_every_option() -> None:
    found = request(
        '"Google Workspace" owner:<@U0002|bob> purpose:"design ops" cost:"$99/mo" '
        "renewal:2027-01-15 url:<https://workspace.google.com>"
    )
    assert found.name == "Google Workspace"
    assert found.changes == {
        "owner": "U0002",
        "purpose": "design ops",
        "cost": parse_cost("$99/mo"),
        "renewal": date(2027, 1, 15),
        "url": "https://workspace.google.com",
    }


def test_names_may_be_several_words_and_owner_may_be_me() -> None:
    found = request("Google Workspace owner:me renewal:tomorrow")
    assert found.name == "Google Workspace"
    assert found.changes == {"owner": "U0001", "renewal": date(2026, 11, 26)}


def test_edit_clears_with_an_empty_value_and_renames() -> None:
    found = request('Figma owner:"" url:none name:"Figma Pro"', "edit")
    assert found.changes == {"owner": None, "url": None, "name": "Figma Pro"}


@pytest.mark.parametrize(
    ("text", "sub", "problem"),
    [
        ("owner:<@U0002|bob>", "add", "add needs a tool name"),
        ("Figma owner:@bob", "add", "owner takes a person"),
        ("Figma colour:blue", "add", "unknown option"),
        ("Figma name:Other", "add", "unknown option"),
        ("Figma cost:1/mo cost:2/mo", "add", "given twice"),
        ("Figma #design", "add", "after the name come options"),
        ("Figma url:ftp://x.y", "add", "must start with https://"),
        ("Figma renewal:someday", "add", "is not a date"),
        ("Figma", "edit", "say what to change"),
        ("x" * 65, "add", "at most 64 characters"),
        ('Figma purpose:"' + "p" * 101 + '"', "add", "at most 100 characters"),
    ],
)
def test_bad_options_say_what_is_wrong(text: str, sub: str, problem: str) -> None:
    with pytest.raises(CommandParseError) as err:
        request(text, sub)
    assert problem in err.value.message


# ---------------------------------------------------------------------------- builders


def tool(**changes: Any) -> ToolInfo:
    values: dict[str, Any] = {
        "id": 7,
        "team_id": "T0001",
        "name": "Figma",
        "owner_id": "U0002",
        "purpose": "design",
        "url": "https://figma.com",
        "cost": parse_cost("$45/mo"),
        "renewal_on": date(2026, 12, 25),
        "created_by": "U0001",
        "created_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    }
    values.update(changes)
    return ToolInfo(**values)


def hostile_tool(number: int = 1) -> ToolInfo:
    return tool(
        id=number,
        name=f"<!here> {number} " + "&" * 50,
        purpose=HOSTILE[:100],
        url="https://x.example/" + "a|b>" * 400,
        cost=Cost(Decimal("99999999999"), "USD", "month", HOSTILE[:100]),
    )


def overview(tools: list[ToolInfo]) -> Overview:
    groups: dict[str, list[ToolInfo]] = {}
    for t in tools:
        groups.setdefault(t.purpose or "Other", []).append(t)
    return Overview(
        groups=list(groups.items()),
        totals=yearly_totals(t.cost for t in tools),
        group_totals={k: yearly_totals(t.cost for t in v) for k, v in groups.items()},
        count=len(tools),
        today=TODAY,
    )


NAMES = {"U0001": "Ann Lee", "U0002": "Bob <!channel> Martin"}


def test_list_groups_by_purpose_with_yearly_totals() -> None:
    listing = blocks.build_stack_list(
        overview(
            [
                tool(),
                tool(id=2, name="Miro", cost=parse_cost("€10/mo")),
                tool(id=3, name="Jira", purpose="delivery", cost=parse_cost("1200/yr")),
                tool(id=4, name="Old", purpose="delivery", renewal_on=date(2026, 1, 1)),
            ]
        ),
        NAMES,
    )
    head, body, footer = listing["blocks"]
    assert "4 tools" in head["text"]["text"]
    assert (
        "EUR 120/yr · USD 1,080/yr · 1,200/yr in an unspecified currency" in (head["text"]["text"])
    )
    text = body["text"]["text"]
    assert text.index("*design*") < text.index("<https://figma.com|Figma>")
    assert "*delivery* · USD 540/yr · 1,200/yr in an unspecified currency" in text
    assert "renewal passed on Thu 1 Jan 2026 without an update" in text
    assert "Bob &lt;!channel&gt; Martin" in text
    assert "… and" not in footer["elements"][0]["text"]


def test_empty_stack_says_how_to_add() -> None:
    listing = blocks.build_stack_list(overview([]), {})
    assert "The stack is empty" in listing["blocks"][0]["text"]["text"]


def test_builders_fit_slacks_limits_with_hostile_text_and_thousands_of_tools() -> None:
    many = [hostile_tool(n) for n in range(3000)]
    messages: list[dict[str, Any]] = [
        blocks.build_stack_list(overview(many), NAMES),
        blocks.build_saved(Saved(hostile_tool(), created=True, renewal_passed=True), NAMES, TODAY),
        blocks.build_saved(Saved(hostile_tool(), created=False, reminders=(TODAY,)), NAMES, TODAY),
        blocks.build_tool_detail(hostile_tool(), NAMES, TODAY),
        blocks.build_remove_confirm(hostile_tool()),
        blocks.build_removed(HOSTILE[:64]),
        blocks.build_renewal_dm(hostile_tool(), TODAY, owner=True, names=NAMES),
        blocks.build_renewal_dm(tool(owner_id=None), TODAY, owner=False),
    ]
    for message in messages:
        assert check_blocks(message["blocks"], surface="message") == []
        assert message["text"]
        rendered = " ".join(mrkdwn_texts(message["blocks"]))
        assert "<!channel>" not in rendered and "<!here>" not in rendered
    footer = messages[0]["blocks"][-1]["elements"][0]["text"]
    assert "more." in footer and "and 3000 more" not in footer


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text in blocks (plain_text never pings, so it may hold anything)."""
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn_texts(v)]
    if not isinstance(value, dict):
        return []
    found = [value["text"]] if value.get("type") == "mrkdwn" else []
    return found + [t for v in value.values() for t in mrkdwn_texts(v)]


def test_renewal_dm_says_when_and_how_to_update() -> None:
    dm = blocks.build_renewal_dm(tool(), date(2026, 11, 25), owner=True, names=NAMES)
    assert dm["text"] == "Figma renews in 30 days, on Fri 25 Dec 2026"
    assert "You own it" in dm["blocks"][0]["text"]["text"]
    assert "/stack edit Figma renewal:YYYY-MM-DD" in dm["blocks"][-1]["elements"][0]["text"]
