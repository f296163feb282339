"""`crm`'s port: every command's `--port` defaults to the environment's CRM_PORT, else 3000
(docs/local.md; a second local system beside the first, as tests/e2e/test_docs_commands.py runs one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from crm import cli


def test_without_crm_port_the_default_is_3000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_PORT", raising=False)
    assert cli._default_port() == 3000
    monkeypatch.setenv("CRM_PORT", " ")
    assert cli._default_port() == 3000


def test_crm_port_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PORT", "3117")
    assert cli._default_port() == 3117


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "30 00", "3000.0"])
def test_a_crm_port_that_is_no_port_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CRM_PORT", value)
    with pytest.raises(SystemExit, match="CRM_PORT must be a port number"):
        cli._default_port()


def test_every_command_takes_the_default_and_port_still_wins() -> None:
    commands = [
        ["local"],
        ["token", "--role", "hq", "--user", "hq-1"],
        ["trigger", "callbacks"],
        ["dead-letters"],
        ["clock"],
        ["events"],
        ["messages"],
        ["replay"],
        ["import", "book.csv", "--kind", "clients"],
    ]
    for args in commands:
        assert cli.parser().parse_args(args).port == cli.DEFAULT_PORT, args
        assert cli.parser().parse_args([*args, "--port", "4000"]).port == 4000, args


def test_the_command_line_reaches_the_port_crm_port_names() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "crm.cli", "clock"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CRM_PORT": str(port)},
        check=False,
    )
    assert done.returncode != 0
    assert f"no local system on port {port}" in done.stderr
