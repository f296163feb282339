"""Breaking one entry of a rule table, for the tests that hold each table's validation to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def breaking(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the dotted `path` of a loaded table to `value` (or delete it, for `KeyError`)."""

    def breakage(table: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = table
        for part in parents:
            node = node[part]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    breakage.__name__ = f"{path}={value!r}"
    return breakage
