"""Pydantic types shared by the routes: money as exact Decimal, the error body, pages.

Request bodies (`Strict`) keep to the limits of `rules/requests.toml` beyond what the body parser
already checked: short strings are one line, dates lie in sane years, money is bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import MaxLen
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from crm import rules
from crm.domain.identifiers import IDENTIFIER_MAX_CHARS, IDENTIFIER_PATTERN
from crm.domain.pii import phone_problem
from crm.domain.request_limits import money_problem, text_problem, year_problem
from crm.errors import DetailCode, ErrorCode

LIMITS = rules.requests().limits


def _json_number(value: Any) -> Decimal:
    """Accept a JSON number only: bodies are parsed with Decimal floats, so a float here is NaN or ±∞."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _bounded_money(amount: Decimal) -> Decimal:
    problem = money_problem(amount, LIMITS)
    if problem:
        raise ValueError(problem)
    return amount


def _number_out(value: Decimal) -> int | float:
    # JSON has one number type; ints stay exact and Python's float repr round-trips money amounts.
    return int(value) if value == value.to_integral_value() else float(value)


Identifier = Annotated[str, Field(min_length=1, max_length=IDENTIFIER_MAX_CHARS, pattern=IDENTIFIER_PATTERN)]


def _valid_phone(value: str) -> str:
    problem = phone_problem(value)
    if problem:
        raise ValueError(f"the phone number {problem}")
    return value


Phone = Annotated[str, Field(min_length=11, max_length=11), AfterValidator(_valid_phone)]


def _valid_person_name(value: str) -> str:
    problem = rules.requests().names.problem(value)
    if problem:
        raise ValueError(f"a person's name {problem}")
    return value


PersonName = Annotated[
    str,
    Field(min_length=1, max_length=100, description="Letters of any script, combining marks, and · - ' . and spaces"),
    AfterValidator(_valid_person_name),
]
"""A person's name: a client's, a prospect's, a staff member's (API.md «Rules», rules/requests.toml)."""

Money = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0),
    AfterValidator(_bounded_money),
    PlainSerializer(_number_out, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": int(LIMITS.max_money_cny)}),
]
"""CNY as a JSON number, stored as Decimal, never float (API.md); at most `max_money_cny`, to the fen."""

Number = Annotated[
    Decimal,
    PlainSerializer(_number_out, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


def _max_length(metadata: Iterable[Any]) -> int | None:
    return next((m.max_length for m in metadata if isinstance(m, MaxLen)), None)


def _screen(value: Any, *, one_line: bool) -> None:
    """Raise for a string that must be one line and is not, or a date outside the table's years;
    through lists, tuples, sets and mappings (a nested model checks itself)."""
    if isinstance(value, str):
        problem = text_problem(value, one_line=one_line)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, date):
        problem = year_problem(value, LIMITS)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _screen(item, one_line=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            _screen(key, one_line=True)
            _screen(item, one_line=True)


class Model(BaseModel):
    """Every body of the API. Its validator and serialiser are built at its first use, not at
    import: a cold start pays for the models of the route its request takes, not for all of the
    function's (SnapStart's snapshot has them all built: crm.snapstart)."""

    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """Request bodies reject fields they do not know: a typo must not pass silently.

    A string field capped at `single_line_max_chars` or fewer (a name, an id, a reference) is one
    line; longer free text may hold line breaks and tabs. Dates lie within the table's years.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _within_request_limits(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, bool | int | Decimal | BaseModel):
            return value
        field = cls.model_fields.get(info.field_name or "")
        cap = _max_length(field.metadata) if field is not None else None
        _screen(value, one_line=cap is None or cap <= LIMITS.single_line_max_chars)
        return value


class FieldProblemOut(Model):
    field: str = Field(description="The field, as a dotted path into the body (`entries.0.minutes`) or a parameter")
    code: DetailCode
    message: str


class ErrorDetail(Model):
    code: ErrorCode = Field(description="Stable and machine-readable: what a client branches on")
    message: str
    field: str | None = Field(default=None, description="The field at fault (the first, when there are several)")
    details: list[FieldProblemOut] | None = Field(
        default=None, description="On a 422: every invalid field, the first being `field`"
    )


class ErrorBody(Model):
    error: ErrorDetail
