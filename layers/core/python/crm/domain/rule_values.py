"""Checks shared by the rule-table loaders: a table's numbers mean what they say or are refused."""

from __future__ import annotations


def whole_number(value: object) -> int:
    """A count from a rule table: an integer, never a fraction silently cut down."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    return value
