"""Reading IAM statements of a synthesised template the way IAM would: wildcards in actions and
resources count, and a resource is identified through the `Ref`/`Fn::GetAtt` that names it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import Any


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions(statement: dict[str, Any]) -> list[str]:
    assert "NotAction" not in statement, statement  # would allow everything it does not name
    return [str(action) for action in as_list(statement["Action"])]


def allows(statement: dict[str, Any], action: str) -> bool:
    """Whether an Allow statement's actions cover `action` (IAM action names are case-insensitive)."""
    return statement["Effect"] == "Allow" and any(
        fnmatchcase(action.lower(), pattern.lower()) for pattern in actions(statement)
    )


def allows_any(statement: dict[str, Any], candidates: Iterable[str]) -> list[str]:
    return [action for action in candidates if allows(statement, action)]


def _references(value: Any) -> Iterator[tuple[str, str | None]]:
    """(logical id, attribute or None for Ref) of every resource a template value refers to."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and not item.startswith("AWS::"):
                yield item, None
            elif key == "Fn::GetAtt":
                yield item[0], item[1]
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _literal_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _literal_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _literal_strings(item)


def resource_covers(
    resource: Any, logical_id: str, attributes: Iterable[str | None] | None = None, *, named: bool = False
) -> bool:
    """Whether one statement resource may denote `logical_id` (or what is under it, e.g. `Arn/*`).

    It does when it refers to that resource (through one of `attributes`, None standing for `Ref`;
    any when not given), and also — unless only resources `named` by reference count — when it
    refers to no resource at all but holds a wildcard (`*`, `arn:…:table/*`): IAM would match it
    against every resource, this one included.
    """
    references = list(_references(resource))
    if references:
        return any(
            found == logical_id and (attributes is None or attribute in attributes) for found, attribute in references
        )
    return not named and any("*" in text for text in _literal_strings(resource))


def applies_to(
    statement: dict[str, Any], logical_id: str, attributes: Iterable[str | None] | None = None, *, named: bool = False
) -> bool:
    assert "NotResource" not in statement, statement  # would apply to everything it does not name
    wanted = None if attributes is None else tuple(attributes)
    return any(
        resource_covers(resource, logical_id, wanted, named=named) for resource in as_list(statement["Resource"])
    )


def unscoped(statement: dict[str, Any]) -> bool:
    """Whether a statement names no resource of the template, only wildcards (`"Resource": "*"`)."""
    return not list(_references(statement["Resource"]))
