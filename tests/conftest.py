"""Settings every suite shares (tests/environment.py), set before any test module imports the
handlers; and how `make test` spreads the suites over the machine's cores (pytest-xdist)."""

from __future__ import annotations

import pytest

from tests import environment

environment.apply()

# Suites whose tests share one expensive session fixture (a synthesised stack, a running
# `crm local`): each runs on one worker, so the fixture is built once. The fuzzing runs a system
# of its own for minutes: on its own, so that the other end-to-end tests go on beside it. The
# access matrix's world (13 s) would be built again on each worker its thousand tests went to.
SHARED_FIXTURE_SUITES = ("infra", "e2e")
ON_THEIR_OWN = {"tests/e2e/test_api_fuzz.py": "fuzz", "tests/integration/test_access_matrix.py": "access-matrix"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        parts = path.split("/")
        suite = parts[1] if len(parts) > 2 and parts[0] == "tests" else None
        group = ON_THEIR_OWN.get(path) or (suite if suite in SHARED_FIXTURE_SUITES else None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
