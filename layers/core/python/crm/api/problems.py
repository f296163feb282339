"""What pydantic finds wrong with a request, as the API reports it (`error.details`: field, code,
message): for the bodies of every route, and for the rows of an import read by the same models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm import errors


def field_of(loc: tuple[Any, ...]) -> str | None:
    """The field a problem's location names (`body.assets` → `assets`), None for the body itself."""
    parts = [str(part) for part in loc[1:]] if loc and loc[0] in ("body", "path", "query", "header") else []
    return ".".join(parts) or None


def field_problem(found: Mapping[str, Any]) -> errors.FieldProblem:
    """One problem pydantic found, as the field it names, a code and a clear message."""
    kind = found.get("type", "")
    field = field_of(tuple(found.get("loc", ()))) or "body"
    message = str(found.get("msg", "invalid")).removeprefix("Value error, ")
    if kind == "missing":
        return errors.FieldProblem(field, errors.DetailCode.REQUIRED, f"{field} is required")
    if kind == "extra_forbidden":
        return errors.FieldProblem(field, errors.DetailCode.UNKNOWN_FIELD, f"{field} is not a known field")
    return errors.FieldProblem(field, errors.DetailCode.INVALID, f"{field}: {message}" if field != "body" else message)
