"""Pydantic types shared by the routes: money as exact Decimal, the error body, pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema


def _json_number(value: Any) -> Decimal:
    """Accept a JSON number only: bodies are parsed with Decimal floats, so a float here is NaN or ±∞."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _number_out(value: Decimal) -> int | float:
    # JSON has one number type; ints stay exact and Python's float repr round-trips money amounts.
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0),
    PlainSerializer(_number_out, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
"""CNY as a JSON number, stored as Decimal, never float (API.md)."""

Number = Annotated[
    Decimal,
    PlainSerializer(_number_out, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


class Strict(BaseModel):
    """Request bodies reject fields they do not know: a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
