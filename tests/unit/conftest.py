"""Shared fixtures for the pure-domain unit tests (no AWS, no network)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from crm import rules
from crm.errors import RuleTableError

Breakage = Callable[[dict[str, Any]], None]
TableCheck = Callable[[str, Callable[[dict[str, Any]], object], Breakage], None]


@pytest.fixture
def assert_refused() -> TableCheck:
    """Break a private copy of a shipped rule table and check that building rules from it fails."""

    def check(name: str, build: Callable[[dict[str, Any]], object], breakage: Breakage) -> None:
        table = copy.deepcopy(rules.load_table(name))
        breakage(table)
        with pytest.raises(RuleTableError):
            build(table)

    return check
