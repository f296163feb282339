"""Front-end checks (`make test-frontend`): they need npm packages and Debian's Chromium (`make
frontend-deps`), so they run only when asked for — tests/frontend named on the command line, or
CRM_FRONTEND_TESTS=1 — and not as part of `pytest tests` (`make test`) until the team decides so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.frontend import node as toolchain

OPT_IN = "CRM_FRONTEND_TESTS"


def _asked_for(config: pytest.Config) -> bool:
    if os.environ.get(OPT_IN) == "1":
        return True
    here = toolchain.FRONTEND
    for arg in config.invocation_params.args:
        if arg.startswith("-"):
            continue
        named = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if named == here or here in named.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None


@pytest.fixture(scope="session")
def node() -> toolchain.Node:
    """The venv's Node.js with the pinned packages installed (`npm ci` only when they are not)."""
    found = toolchain.find_node()
    toolchain.ensure_packages(found)
    return found
