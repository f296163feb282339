"""What one request may carry (rules/requests.toml; crm.domain.request_limits), and the late-logged
complaint's receipt (crm.domain.complaints): hostile input refused with the field it is in."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crm import errors, rules
from crm.domain.complaints import refuse_implausible_receipt
from crm.domain.request_limits import (
    RequestRules,
    money_problem,
    nests_deeper_than,
    parse_body,
    screen_parameters,
    text_problem,
    year_problem,
)
from crm.domain.time import parse_iso
from tests.unit.breakage import breaking as _set

LIMITS = rules.requests().limits


def refusal(text: str) -> errors.CrmError:
    with pytest.raises(errors.CrmError) as caught:
        parse_body(text, LIMITS)
    return caught.value


# ---------------------------------------------------------------------------------------------
# The table


def test_the_shipped_table_holds_the_defaults() -> None:
    table = rules.requests()
    assert table.version
    assert LIMITS.complaint_received_max_days_back == 30
    assert LIMITS.max_depth == 32
    assert LIMITS.max_body_bytes == 256 * 1024
    assert LIMITS.max_money_cny == Decimal("1000000000000")
    assert table.idempotency.expires_after_s == 86400


@pytest.mark.parametrize(
    "breakage",
    [
        _set("version", KeyError),
        _set("limits.max_depth", KeyError),
        _set("limits.max_depth", 0),
        _set("limits.max_depth", 5000),  # deeper than the parser can go
        _set("limits.max_integer_digits", 5000),  # past Python's int-string limit
        _set("limits.max_money_cny", -1),
        _set("limits.max_money_cny", "lots"),
        _set("limits.max_money_cny", Decimal("1e40")),
        _set("limits.max_money_decimal_places", -1),
        _set("limits.max_string_chars", Decimal("10.5")),
        _set("limits.earliest_year", 2200),
        _set("limits.latest_year", 9999),
        _set("limits.single_line_max_chars", 20000),
        _set("limits.max_body_bytes", 20 * 1024 * 1024),
        _set("limits.complaint_received_max_days_back", 0),
        _set("limits.max_nesting", 3),  # an unknown limit: a typo must not pass silently
        _set("idempotency.expires_after_s", KeyError),
        _set("idempotency.expires_after_s", 1),
        _set("idempotency", KeyError),
    ],
    ids=lambda b: b.__name__,
)
def test_a_broken_requests_table_is_refused(breakage: Callable[[dict[str, Any]], None], assert_refused: Any) -> None:
    assert_refused("requests", RequestRules.from_table, breakage)


# ---------------------------------------------------------------------------------------------
# Bodies


def test_a_body_within_the_limits_reads_as_json_with_exact_numbers() -> None:
    body = parse_body(
        '{"assets": 5000000, "avg": 1234.50, "note": "第一行\\n第二行\\t完", "emoji": "\\ud83d\\ude00"}', LIMITS
    )
    assert body == {"assets": 5000000, "avg": Decimal("1234.50"), "note": "第一行\n第二行\t完", "emoji": "😀"}
    assert isinstance(body["avg"], Decimal)
    assert parse_body('{"zero": 0e-1000}', LIMITS) == {"zero": Decimal(0)}


@pytest.mark.parametrize(
    ("text", "kind", "field"),
    [
        ('{"assets": 1e309}', errors.InvalidInput, "assets"),
        ('{"assets": -1e309}', errors.InvalidInput, "assets"),
        ('{"assets": 1e-400}', errors.InvalidInput, "assets"),
        ('{"assets": ' + "9" * 5000 + "}", errors.InvalidInput, "assets"),
        ('{"assets": -' + "9" * 39 + "}", errors.InvalidInput, "assets"),
        ('{"assets": 1.' + "1" * 40 + "}", errors.InvalidInput, "assets"),
        ('{"assets": NaN}', errors.InvalidInput, "assets"),
        ('{"assets": Infinity}', errors.InvalidInput, "assets"),
        ("1e309", errors.InvalidInput, "body"),
        ("[" * 5000 + "]" * 5000, errors.MalformedRequest, "body"),
        ('{"a":' * 5000 + "1" + "}" * 5000, errors.MalformedRequest, "body"),
        ("[" * 33 + "]" * 33, errors.MalformedRequest, "body"),
        ('{"a": 1, "a": 2}', errors.MalformedRequest, "a"),
        ('{"entries": [{"kind": "call", "kind": "visit"}]}', errors.MalformedRequest, "entries.0.kind"),
        ('{"name": "\\ud800"}', errors.InvalidInput, "name"),
        ('{"name": "\\udfff"}', errors.InvalidInput, "name"),
        ('{"name": "张\\u0000三"}', errors.InvalidInput, "name"),
        ('{"name": "张\\u202e三"}', errors.InvalidInput, "name"),
        ('{"name": "张\u2066三"}', errors.InvalidInput, "name"),
        ('{"name": "\\u0085"}', errors.InvalidInput, "name"),
        ('{"name": "\\u007f"}', errors.InvalidInput, "name"),
        ('{"answers": {"9": ["A", "\\u202aB"]}}', errors.InvalidInput, "answers.9.1"),
        ('{"a\\u0000": 1}', errors.InvalidInput, "a\\u0000"),
        ('{"a\\nb": 1}', errors.InvalidInput, "a\\u000ab"),
        ('{"ids": [' + ",".join(["0"] * 1001) + "]}", errors.InvalidInput, "ids"),
        ('{"note": "' + "x" * 10001 + '"}', errors.InvalidInput, "note"),
        ('{"k": {' + ",".join(f'"k{i}": 0' for i in range(101)) + "}}", errors.InvalidInput, "k"),
        ("{'a': 1}", errors.MalformedRequest, "body"),
        ('{"a": "unterminated', errors.MalformedRequest, "body"),
    ],
)
def test_hostile_bodies_are_refused_naming_the_field(text: str, kind: type[errors.CrmError], field: str) -> None:
    refused = refusal(text)
    assert type(refused) is kind, refused.message
    assert refused.field == field, refused.message


def test_a_refused_key_is_quoted_back_escaped() -> None:
    refused = refusal('{"a\\u202e": 1}')
    assert refused.field == "a\\u202e"
    assert "\u202e" not in refused.message


def test_nesting_is_counted_outside_strings_only() -> None:
    assert not nests_deeper_than('{"a": "' + "[" * 1000 + '"}', 32)
    assert not nests_deeper_than('["\\"[[[[", ' + "[" * 30 + "]" * 30 + "]", 32)
    assert nests_deeper_than("[" * 33, 32)


def test_pathological_bodies_are_read_in_linear_time() -> None:
    started = time.perf_counter()
    for text in ('"\\"' * 80_000, "[" + '"[[[[",' * 40_000 + "0]", "[" * 200_000):
        with pytest.raises(errors.CrmError):
            parse_body(text, LIMITS)
    assert time.perf_counter() - started < 2


# ---------------------------------------------------------------------------------------------
# Strings, parameters, dates, money


def test_text_may_break_lines_a_one_line_field_may_not() -> None:
    assert text_problem("第一行\n第二行\r\n\t缩进", one_line=False) is None
    assert text_problem("张\n三", one_line=True) == "must be one line, without line breaks or tabs"
    assert "control character (U+0000)" in (text_problem("a\x00", one_line=False) or "")
    assert "bidirectional" in (text_problem("a\u2069", one_line=False) or "")
    assert "surrogate" in (text_problem("a\ud800", one_line=False) or "")
    assert text_problem("张三 Zhang-San O'Brien 😀", one_line=True) is None


def event(path: dict[str, str] | None = None, query: dict[str, list[str]] | None = None) -> dict[str, Any]:
    single = {k: v[-1] for k, v in (query or {}).items()} or None
    return {"pathParameters": path, "queryStringParameters": single, "multiValueQueryStringParameters": query}


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        (event(path={"client_id": "A" * 2000}), "client_id"),
        (event(path={"client_id": "C\x00"}), "client_id"),
        (event(path={"client_id": "C\u202e1"}), "client_id"),
        (event(path={"date": "9999-12-31"}), "date"),
        (event(query={"limit": ["1", "2\n"]}), "limit"),  # every value of a repeated parameter
        (event(query={"cursor": ["c" * 2049]}), "cursor"),
        (event(query={"due_before": ["1900-01-01T10:00:00+08:00"]}), "due_before"),
        (event(query={"from": ["0000-01-01"]}), "from"),
        (event(query={"a\u2066": ["1"]}), "a\\u2066"),
    ],
)
def test_hostile_parameters_are_refused_by_name(parameters: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        screen_parameters(parameters, LIMITS)
    assert caught.value.field == field


def test_ordinary_parameters_pass() -> None:
    ordinary = event(
        path={"client_id": "C001", "date": "2026-06-01", "complaint_no": "TS-2606-0001"},
        query={"from": ["2026-06-01"], "cursor": ["c" * 2048], "status": ["open"], "branch_id": [""]},
    )
    screen_parameters(ordinary, LIMITS)


def test_dates_lie_within_the_tables_years() -> None:
    assert year_problem(date(1901, 1, 1), LIMITS) is None
    assert year_problem(date(2100, 12, 31), LIMITS) is None
    assert year_problem(date(1900, 12, 31), LIMITS) is not None
    assert year_problem(datetime(9999, 1, 1), LIMITS) is not None


@pytest.mark.parametrize(
    ("amount", "refused"),
    [
        ("0", False),
        ("0.01", False),
        ("12.50", False),
        ("12.500", False),  # a trailing zero is still to the fen
        ("1000000000000", False),
        ("1000000000000.01", True),
        ("1E+30", True),
        ("0.001", True),
    ],
)
def test_money_is_bounded_and_to_the_fen(amount: str, refused: bool) -> None:
    assert (money_problem(Decimal(amount), LIMITS) is not None) is refused


# ---------------------------------------------------------------------------------------------
# A complaint logged late


NOW = parse_iso("2026-05-06T10:00:00+08:00")
OPENED = date(2020, 5, 18)


@pytest.mark.parametrize(
    ("received_at", "refused"),
    [
        (NOW, False),
        (NOW - timedelta(days=30), False),
        (NOW - timedelta(days=30, minutes=1), True),
        (parse_iso("1900-01-01T10:00:00+08:00"), True),
    ],
)
def test_a_receipt_lies_at_most_the_tables_days_back(received_at: datetime, refused: bool) -> None:
    if refused:
        with pytest.raises(errors.InvalidInput) as caught:
            refuse_implausible_receipt(received_at, now=NOW, opened_on=OPENED, max_days_back=30)
        assert caught.value.field == "received_at"
    else:
        refuse_implausible_receipt(received_at, now=NOW, opened_on=OPENED, max_days_back=30)


def test_a_receipt_is_not_before_the_account_was_opened_on_the_beijing_day() -> None:
    opened = date(2026, 5, 1)
    refuse_implausible_receipt(parse_iso("2026-04-30T16:00:00Z"), now=NOW, opened_on=opened, max_days_back=30)
    with pytest.raises(errors.InvalidInput, match="opened"):
        refuse_implausible_receipt(parse_iso("2026-04-30T15:59:59Z"), now=NOW, opened_on=opened, max_days_back=30)
