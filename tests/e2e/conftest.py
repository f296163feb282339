"""End-to-end: `crm local` started as a user would start it, driven over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT_S = 60
# Unmasked ID numbers (18 characters) and mainland mobile numbers, anywhere in a log line.
PII = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9])")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def crm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `crm` command line as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args], capture_output=True, text=True, timeout=120, check=check
    )


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


@dataclass
class LocalSystem:
    port: int
    process: subprocess.Popen[str]
    log: Path  # everything the process prints (a file: a full pipe would block the server)
    tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, role: str, user: str, branch: str | None = None) -> str:
        key = (role, user, branch)
        if key not in self.tokens:
            args = ["token", "--role", role, "--user", user, "--port", str(self.port)]
            if branch:
                args += ["--branch", branch]
            self.tokens[key] = crm(*args).stdout.strip()
        return self.tokens[key]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        as_: tuple[str, str, str | None] | None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = {"Content-Type": "application/json", **(headers or {})}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token(*as_)}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = _decode(response.read(), response.headers.get("Content-Type"))
                return Reply(response.status, body, _lower(response.headers.items()))
        except urllib.error.HTTPError as error:
            body = _decode(error.read(), error.headers.get("Content-Type"))
            return Reply(error.code, body, _lower(error.headers.items()))

    def wait_for(self, probe: Callable[[], Any], *, timeout_s: float = 20) -> Any:
        """Poll until `probe` returns something truthy: stream processing is asynchronous."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = probe()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.2)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def _decode(body: bytes, content_type: str | None) -> Any:
    if content_type and "json" in content_type and body:
        return json.loads(body)
    return body.decode("utf-8", errors="replace")


def start(port: int, *extra: str, log_events: bool = True) -> LocalSystem:
    env = dict(os.environ)
    # as a user's shell has it: none of what tests/environment.py sets for the in-process suites
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCOUNT_ID_ENDPOINT_MODE"):
        env.pop(key, None)
    if log_events:
        # Every handler logs the whole event it receives (bodies with ID and phone numbers among
        # them), so the PII check on the output at stop has something to find if redaction fails.
        env["POWERTOOLS_LOGGER_LOG_EVENT"] = "true"
        env["POWERTOOLS_LOG_LEVEL"] = "INFO"
    log = Path(tempfile.mkstemp(prefix="crm-local-", suffix=".log")[1])
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "crm.cli", "local", "--port", str(port), *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    system = LocalSystem(port=port, process=process, log=log)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"crm local exited: {log.read_text(encoding='utf-8')}")
        try:
            if system.request("POST", "/_local/health", {}, as_=None).status == 200:
                return system
        except (urllib.error.URLError, ConnectionError):
            pass  # not listening yet: ask again
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("crm local did not start in time")


def stop(system: LocalSystem) -> str:
    """Ctrl-C, as a user stops it; returns everything it printed, having checked that no ID or
    phone number appears in it unmasked (PIPL: never in logs)."""
    system.process.send_signal(signal.SIGINT)
    system.process.wait(timeout=90)
    output = system.log.read_text(encoding="utf-8")
    system.log.unlink()
    leaked = sorted(set(PII.findall(output)))
    assert leaked == [], f"{len(leaked)} unmasked ID or phone numbers in the log, e.g. {leaked[:1]}"
    return output


@pytest.fixture(scope="session")
def local() -> Iterator[LocalSystem]:
    system = start(free_port())
    yield system
    output = stop(system)
    assert system.process.returncode == 0, output
    assert "crm local: stopped" in output


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


# --- the demo brokerage: one `crm local --demo` for every test that walks it ---------------------------

DEMO_WAIT_S = 300  # how long a test waits for the demo before calling it broken (a busy machine is slower)
DEMO_GUIDE_END = "Also on the register:"  # the guide's last line, printed once the demo is loaded


@dataclass
class Demo:
    system: LocalSystem  # the running one: the restart test replaces it with its second start
    state: Path
    seconds: float  # from the start of `crm local --demo` to its guide
    guide: list[str]


def guide_of(system: LocalSystem, *, since: float, timeout_s: float = DEMO_WAIT_S) -> tuple[float, list[str]]:
    """Wait for the guide the demo prints once loaded; the seconds since `since`, and its lines."""
    deadline = since + timeout_s
    while time.monotonic() < deadline:
        output = system.log.read_text(encoding="utf-8")
        if "the demo could not be loaded" in output or system.process.poll() is not None:
            raise AssertionError(f"crm local --demo failed:\n{output[-3000:]}")
        lines = output.splitlines()
        starts = [n for n, line in enumerate(lines) if line.startswith("crm local: demo brokerage")]
        if starts and any(line.strip().startswith(DEMO_GUIDE_END) for line in lines[starts[-1] :]):
            return time.monotonic() - since, [line for line in lines[starts[-1] :] if not line.startswith("{")]
        time.sleep(0.25)
    raise AssertionError(f"no demo after {timeout_s} s:\n{system.log.read_text(encoding='utf-8')[-3000:]}")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`crm local --demo --state DIR`, loaded once for the session (the e2e suite runs on one worker):
    the demo's acceptance and the README's walk through it."""
    state = tmp_path_factory.mktemp("demo") / "state"
    began = time.monotonic()
    system = start(free_port(), "--demo", "--state", str(state), log_events=False)
    seconds, guide = guide_of(system, since=began)
    loaded = Demo(system, state, seconds, guide)
    yield loaded
    if loaded.system.process.poll() is None:
        stop(loaded.system)
