"""Settings every suite shares (tests/environment.py), set before any test module imports the
handlers; and how `make test` spreads the suites over the machine's cores (pytest-xdist)."""

from __future__ import annotations

import pytest

from tests import environment

environment.apply()

# Suites whose tests share one expensive session fixture (a synthesised stack, a running
# `crm local`): each runs on one worker, so the fixture is built once.
SHARED_FIXTURE_SUITES = ("infra", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.nodeid.split("/")
        suite = parts[1] if len(parts) > 2 and parts[0] == "tests" else None
        if suite in SHARED_FIXTURE_SUITES:
            item.add_marker(pytest.mark.xdist_group(suite))
