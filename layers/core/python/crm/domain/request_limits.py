"""What one request may carry (rules/requests.toml): hostile input refused at the edge.

A body is parsed once, with limits: nesting depth, finite numbers of bounded digits and exponent
(never Python's int-string limit or an infinite Decimal deep inside), no duplicate keys, no lone
surrogates, no control characters (bar \\t, \\n and \\r in text) and no bidirectional overrides or
isolates in any string or key, bounded strings, arrays and objects. Path and query parameters are
held to the same characters, on one line, and to a length. Each refusal names the field by its
JSON path (`entries.0.note`), as the validation errors of the models do.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.domain.rule_values import whole_number
from crm.errors import InvalidInput, MalformedRequest, RuleTableError

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the bidirectional
# embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069); surrogates, which a decoded
# JSON string holds only when one came alone ("\ud800").
_REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Runs without brackets or quotes; a string (to its end if unterminated: linear, never backtracking); one character.
_TOKENS = re.compile(r'[^"\[\]{}]+|"(?:[^"\\]|\\.)*"?|.', re.DOTALL)


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int
    max_depth: int
    max_integer_digits: int
    max_number_digits: int
    max_number_exponent: int
    max_string_chars: int
    max_array_items: int
    max_object_keys: int
    max_key_chars: int
    single_line_max_chars: int
    max_path_parameter_chars: int
    max_query_parameter_chars: int
    max_money_cny: Decimal
    max_money_decimal_places: int
    earliest_year: int
    latest_year: int
    complaint_received_max_days_back: int


@dataclass(frozen=True)
class IdempotencySettings:
    expires_after_s: int


@dataclass(frozen=True)
class RequestRules:
    version: str
    limits: RequestLimits
    idempotency: IdempotencySettings
    names: NameRules

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> RequestRules:
        try:
            raw = table["limits"]
            counts = {
                name: whole_number(raw[name]) for name in RequestLimits.__dataclass_fields__ if name != "max_money_cny"
            }
            money = raw["max_money_cny"]
            if isinstance(money, bool) or not isinstance(money, int | Decimal):
                raise ValueError(f"max_money_cny {money!r} is not a number")
            limits = RequestLimits(max_money_cny=Decimal(money), **counts)
            rules = cls(
                version=str(table["version"]),
                limits=limits,
                idempotency=IdempotencySettings(expires_after_s=whole_number(table["idempotency"]["expires_after_s"])),
                names=NameRules(
                    letter_categories=frozenset(str(c) for c in table["names"]["letter_categories"]),
                    punctuation=str(table["names"]["punctuation"]),
                ),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"requests table: {exc!r}") from exc
        unknown = set(raw) - set(RequestLimits.__dataclass_fields__)
        if unknown:
            raise RuleTableError(f"requests table: unknown limits {sorted(unknown)}")
        positive = {name: value for name, value in counts.items() if name != "max_money_decimal_places"}
        if any(value < 1 for value in positive.values()) or limits.max_money_decimal_places < 0:
            raise RuleTableError("requests table: every limit is at least 1 (decimal places at least 0)")
        if not 1 <= limits.max_depth <= 200:
            raise RuleTableError("requests table: max_depth lies within 1–200 (the parser's own recursion is deeper)")
        if limits.max_integer_digits > 4000 or limits.max_number_digits > 4000:
            raise RuleTableError("requests table: digits stay under Python's int-string limit (4300)")
        if not 0 < limits.max_money_cny < Decimal(10) ** limits.max_number_exponent:
            raise RuleTableError("requests table: max_money_cny is positive and within max_number_exponent")
        if not 1 <= limits.earliest_year < limits.latest_year <= 9998:
            raise RuleTableError("requests table: 1 ≤ earliest_year < latest_year ≤ 9998")
        if limits.single_line_max_chars > limits.max_string_chars:
            raise RuleTableError("requests table: single_line_max_chars ≤ max_string_chars")
        if limits.max_body_bytes > 10 * 1024 * 1024:
            raise RuleTableError("requests table: max_body_bytes within API Gateway's 10 MiB")
        if not rules.names.letter_categories <= {"L", "M"} or "L" not in rules.names.letter_categories:
            raise RuleTableError("requests table: names take letters (L), and may take marks (M), only")
        if any(unicodedata.category(char)[0] in "LNCZ" and char != " " for char in rules.names.punctuation):
            raise RuleTableError("requests table: a name's punctuation holds marks, never letters, digits or controls")
        if not 60 <= rules.idempotency.expires_after_s <= 7 * 86400:
            raise RuleTableError("requests table: idempotency expires_after_s lies within a minute and a week")
        return rules


# ---------------------------------------------------------------------------------------------
# Strings


def _escaped(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def _shown(text: str) -> str:
    """A key or name fit to quote back in an error: refused characters and line breaks as \\uXXXX."""
    return _LINE_BREAKS.sub(_escaped, _REFUSED_IN_TEXT.sub(_escaped, text))


def _invisible(text: str) -> str | None:
    """The first control, invisible format or line/paragraph separator character (Unicode Cc, Cf,
    Zl, Zp: a zero-width space, a direction mark, a BOM, U+2028), or None. `isprintable` answers
    for almost every string at C speed; only a string it refuses (which also refuses spaces other
    than U+0020, such as the ideographic space) is looked at character by character."""
    if text.isprintable():
        return None
    return next((char for char in text if unicodedata.category(char) in _INVISIBLE_CATEGORIES), None)


def text_problem(text: str, *, one_line: bool) -> str | None:
    """Why a string may not be stored, or None. Text (`one_line=False`) may hold tabs and line
    breaks; a one-line field (a name, an id, a reference) holds no control or invisible format
    character at all (API.md «Rules»: Unicode Cc, Cf, Zl, Zp)."""
    found = _REFUSED_IN_TEXT.search(text)
    if found:
        code = ord(found.group())
        if 0xD800 <= code <= 0xDFFF:
            return f"holds a lone surrogate (U+{code:04X}): not Unicode text"
        if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            return f"holds a bidirectional override or isolate (U+{code:04X})"
        return f"holds a control character (U+{code:04X})"
    if one_line:
        if _LINE_BREAKS.search(text):
            return "must be one line, without line breaks or tabs"
        invisible = _invisible(text)
        if invisible is not None:
            return f"holds an invisible format character (U+{ord(invisible):04X})"
    return None


@dataclass(frozen=True)
class NameRules:
    """What a person's name (a client's, a prospect's, a staff member's) may hold: letters of any
    script and combining marks (Unicode categories by their first letter), and a few marks names
    are written with — the middle dot of 阿沛·阿旺晋美, spaces, hyphens, apostrophes, periods."""

    letter_categories: frozenset[str]
    punctuation: str

    def problem(self, name: str) -> str | None:
        if not name or unicodedata.category(name[0])[0] != "L":
            return "must begin with a letter"
        for char in name:
            if unicodedata.category(char)[0] not in self.letter_categories and char not in self.punctuation:
                return f"takes letters, combining marks and {' '.join(repr(p) for p in self.punctuation)} only"
        return None


# ---------------------------------------------------------------------------------------------
# Bodies


@dataclass(frozen=True)
class _BadNumber:
    literal: str
    problem: str


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as read, key by key, so duplicates are seen (and named) with their path."""


def _constant(literal: str) -> _BadNumber:
    return _BadNumber(literal, f"{literal} is not a JSON number")


def _number_reader(limits: RequestLimits) -> tuple[Any, Any]:
    def integer(literal: str) -> int | _BadNumber:
        digits = len(literal.lstrip("-"))
        if digits > limits.max_integer_digits:
            return _BadNumber(literal, f"an integer of {digits} digits (at most {limits.max_integer_digits})")
        return int(literal)

    def decimal(literal: str) -> Decimal | _BadNumber:
        if len(literal) > limits.max_number_digits + 16:  # digits, sign, point and exponent
            return _BadNumber(literal, f"a number literal of {len(literal)} characters")
        try:
            number = Decimal(literal)
        except InvalidOperation:  # pragma: no cover - the JSON grammar already holds
            return _BadNumber(literal, "not a number")
        if not number.is_finite():  # pragma: no cover - Decimal reads JSON's grammar finitely
            return _BadNumber(literal, "not a finite number")
        if number.is_zero():
            return Decimal(0)
        if len(number.as_tuple().digits) > limits.max_number_digits:
            return _BadNumber(literal, f"more than {limits.max_number_digits} significant digits")
        if abs(number.adjusted()) > limits.max_number_exponent:
            return _BadNumber(literal, f"out of range (magnitude 1e±{limits.max_number_exponent} at most)")
        return number

    return integer, decimal


def _path(parent: str, part: str | int) -> str:
    return f"{parent}.{part}" if parent else str(part)


class _Screen:
    def __init__(self, limits: RequestLimits) -> None:
        self.limits = limits

    def value(self, node: Any, path: str, depth: int) -> Any:
        limits = self.limits
        if isinstance(node, str):
            problem = text_problem(node, one_line=False)
            if problem is None and len(node) > limits.max_string_chars:
                problem = f"is longer than {limits.max_string_chars} characters"
            if problem:
                raise InvalidInput(f"{path or 'body'} {problem}", field=path or "body")
            return node
        if isinstance(node, _BadNumber):
            raise InvalidInput(f"{path or 'body'}: {node.problem}", field=path or "body")
        if isinstance(node, list | _Pairs):
            if depth >= limits.max_depth:
                raise MalformedRequest(
                    f"the body nests objects and arrays deeper than {limits.max_depth} levels", field=path or "body"
                )
            if isinstance(node, _Pairs):
                return self.object(node, path, depth + 1)
            if len(node) > limits.max_array_items:
                raise InvalidInput(
                    f"{path or 'body'} has more than {limits.max_array_items} items", field=path or "body"
                )
            return [self.value(item, _path(path, i), depth + 1) for i, item in enumerate(node)]
        return node  # int, Decimal, bool, None

    def object(self, pairs: _Pairs, path: str, depth: int) -> dict[str, Any]:
        limits = self.limits
        if len(pairs) > limits.max_object_keys:
            raise InvalidInput(f"{path or 'body'} has more than {limits.max_object_keys} keys", field=path or "body")
        out: dict[str, Any] = {}
        for key, item in pairs:
            where = _path(path, _shown(key))
            problem = text_problem(key, one_line=True)
            if problem is None and len(key) > limits.max_key_chars:
                problem = f"is longer than {limits.max_key_chars} characters"
            if problem:
                raise InvalidInput(f"the key {where} {problem}", field=where)
            if key in out:
                raise MalformedRequest(f"the key {where} appears twice", field=where)
            out[key] = self.value(item, where, depth)
        return out


def nests_deeper_than(text: str, depth: int) -> bool:
    """Whether JSON text opens more than `depth` arrays and objects inside one another, found
    without parsing it (the parser itself recurses, and a deep enough body would exhaust it)."""
    if text.count("[") + text.count("{") <= depth:
        return False
    level = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in ("[", "{"):
            level += 1
            if level > depth:
                return True
        elif char in ("]", "}"):
            level -= 1
    return False


def parse_body(text: str, limits: RequestLimits) -> Any:
    """The body as JSON within the limits (numbers as int or Decimal, never float), or the refusal."""
    if nests_deeper_than(text, limits.max_depth):
        raise MalformedRequest(f"the body nests objects and arrays deeper than {limits.max_depth} levels", field="body")
    integer, decimal = _number_reader(limits)
    try:
        raw = json.loads(
            text, parse_int=integer, parse_float=decimal, parse_constant=_constant, object_pairs_hook=_Pairs
        )
    except RecursionError:  # pragma: no cover - refused above
        raise MalformedRequest(
            f"the body nests objects and arrays deeper than {limits.max_depth} levels", field="body"
        ) from None
    except json.JSONDecodeError as exc:
        raise MalformedRequest(
            f"the body is not valid JSON ({exc.msg}, at character {exc.pos})", field="body"
        ) from None
    except ValueError:  # pragma: no cover - what the number readers return keeps clear of it
        raise MalformedRequest("the body is not valid JSON", field="body") from None
    return _Screen(limits).value(raw, "", 0)


# ---------------------------------------------------------------------------------------------
# Parameters, dates and money


_ISO_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}(?:[T ]|$)")


def parameter_problem(value: str, limits: RequestLimits, *, max_chars: int) -> str | None:
    """Why a path or query parameter is refused, or None: one line, readable, bounded, and a date
    (YYYY-MM-DD, or a time that starts with one) within the table's years."""
    problem = text_problem(value, one_line=True)
    if problem is None and len(value) > max_chars:
        problem = f"is longer than {max_chars} characters"
    iso = _ISO_DATE.match(value)
    if problem is None and iso and not limits.earliest_year <= int(iso.group(1)) <= limits.latest_year:
        problem = f"lies outside the years {limits.earliest_year}–{limits.latest_year}"
    return problem


def screen_parameters(event: Mapping[str, Any], limits: RequestLimits) -> None:
    """Every path and query parameter of a proxy event: one line, readable, bounded."""
    found: list[tuple[str, str, int]] = [
        (str(name), str(value), limits.max_path_parameter_chars)
        for name, value in (event.get("pathParameters") or {}).items()
    ]
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    for name in {**single, **multi}:
        for value in multi.get(name) or [single.get(name)]:
            found.append((str(name), "" if value is None else str(value), limits.max_query_parameter_chars))
    for name, value, max_chars in found:
        problem = text_problem(name, one_line=True) or parameter_problem(value, limits, max_chars=max_chars)
        if problem:
            shown = _shown(name)
            raise InvalidInput(f"{shown} {problem}", field=shown)


def year_problem(value: date, limits: RequestLimits) -> str | None:
    """Dates and times of a request lie within the table's years (no 0001, 1900 or 9999)."""
    if not limits.earliest_year <= value.year <= limits.latest_year:
        return f"lies outside the years {limits.earliest_year}–{limits.latest_year}"
    return None


def money_problem(amount: Decimal, limits: RequestLimits) -> str | None:
    if amount > limits.max_money_cny:
        return f"must be at most {limits.max_money_cny:,} CNY"
    if amount != amount.quantize(Decimal(1).scaleb(-limits.max_money_decimal_places)):
        return f"has more than {limits.max_money_decimal_places} decimal places"
    return None
