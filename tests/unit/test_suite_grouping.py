"""`make test` spreads the suites over the cores with `--dist loadgroup` (tests/conftest.py): a
grouped suite's tests must all run on one worker, or each worker builds its expensive fixtures
again. pytest 9.2 broke that silently (pytest-xdist#1386; constraints.txt pins below it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CONFTEST = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "grouped" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("together"))
"""
TESTS = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    assert n >= 0

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    assert n >= 0
"""


def test_a_group_added_by_a_conftest_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_sample.py").write_text(TESTS, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-n", "2", "--dist", "loadgroup", "-v"],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # xdist alone: seconds faster
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    workers = {m[1] for m in re.finditer(r"\[(gw\d)\] .*PASSED .*test_grouped\[\d\]@together", run.stdout)}
    assert len(re.findall(r"PASSED .*test_grouped\[\d\]@together", run.stdout)) == 6, run.stdout[-2000:]
    assert len(workers) == 1, run.stdout[-2000:]
