"""A real browser on another origin: headless Chromium (Debian's, driven by puppeteer-core through
browser.mjs) loads page/index.html from a small static server of its own and walks a front-end's first
steps against a running `crm local`: sign in, look a client up by ID number, open its overview, change
its phone with If-Match, see the stale change refused with 412 (API.md «Rules every route follows»).
The same page served from an origin the API does not allow gets nothing through: CORS is what lets it in.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import LocalSystem, free_port, start, stop
from tests.frontend.node import CHROMIUM, FRONTEND, Node

pytestmark = pytest.mark.e2e

SUPERVISOR = ("supervisor", "sup-web", "B001")
MANAGER = ("manager", "mgr-web", "B001")
ID_NUMBER = "110101199003074514"
CLIENT = {
    "client_id": "W001",
    "name": "网页客户",
    "id_number": ID_NUMBER,
    "phone": "13800138000",
    "branch_id": "B001",
    "manager_id": "mgr-web",
    "opened_on": "2024-03-01",
}
METRICS = {"assets": 5000000, "avg_assets": 1000000, "trade_volume": 3000000}  # class A+ (README)
BROWSER_TIMEOUT_S = 120


@dataclass
class Walk:
    allowed: dict[str, dict[str, str]]  # each step's {state, text}, from http://localhost:<port>
    refused: dict[str, dict[str, str]]  # the same from http://127.0.0.2:<port>, an origin not allowed
    refused_origin: str
    preflight_for_refused: dict[str, str]  # the API's answer to that origin's preflight, its headers
    client_after: dict[str, Any]  # GET /clients/W001 as the supervisor once the walks are done


@pytest.fixture(scope="module")
def walk(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    if not CHROMIUM.is_file():
        pytest.fail(f"no {CHROMIUM}: `make frontend-deps` installs Debian's chromium")
    system = start(free_port())
    try:
        token = _seed(system)
        with _site("127.0.0.1") as allowed_port, _site("127.0.0.2") as refused_port:
            fragment = urlencode({"api": system.base_url, "token": token, "id_number": ID_NUMBER, "client_id": "W001"})
            allowed_url = f"http://localhost:{allowed_port}/index.html#{fragment}"
            refused_origin = f"http://127.0.0.2:{refused_port}"
            results = _browse(
                node,
                tmp_path_factory.mktemp("chromium-profile"),
                allowed_url,
                f"{refused_origin}/index.html#{fragment}",
            )
        yield Walk(
            allowed=results[0]["steps"],
            refused=results[1]["steps"],
            refused_origin=refused_origin,
            preflight_for_refused=_preflight(system, "/staff/sup-web", refused_origin),
            client_after=system.request("GET", "/clients/W001", as_=SUPERVISOR).body,
        )
    finally:
        stop(system)


def test_the_page_signs_in_with_a_local_token(walk: Walk) -> None:
    assert walk.allowed["signin"] == {"state": "ok", "text": "sup-web supervisor B001"}


def test_the_page_reads_a_client_from_another_origin(walk: Walk) -> None:
    read = walk.allowed["read"]
    assert read["state"] == "ok", read
    assert read["text"].startswith("W001 网页客户 13800138000 "), read  # in clear: its branch's supervisor


def test_the_page_can_read_the_etag(walk: Walk) -> None:
    assert walk.allowed["read"]["text"].endswith(" etag present"), walk.allowed["read"]


def test_the_page_looks_a_client_up_by_id_number(walk: Walk) -> None:
    assert walk.allowed["lookup"] == {"state": "ok", "text": f"1 found: W001 网页客户 {ID_NUMBER}"}


def test_the_page_shows_the_overview_with_name_and_class(walk: Walk) -> None:
    assert walk.allowed["overview"] == {"state": "ok", "text": "网页客户 A+"}


def test_the_page_changes_the_phone_with_if_match(walk: Walk) -> None:
    assert walk.allowed["edit"] == {"state": "ok", "text": "200 13911112222 new etag"}


def test_a_stale_change_shows_412_and_changes_nothing(walk: Walk) -> None:
    assert walk.allowed["stale"] == {"state": "ok", "text": "412 precondition_failed"}
    assert walk.client_after["phone"] == "13911112222"


def test_another_origin_gets_nothing_through(walk: Walk) -> None:
    assert "access-control-allow-origin" not in walk.preflight_for_refused, walk.preflight_for_refused
    signin = walk.refused["signin"]
    assert signin["state"] == "failed", signin
    assert signin["text"].startswith("blocked: "), signin  # a script sees no status, no body
    assert all(step["state"] != "ok" for step in walk.refused.values()), walk.refused


def _seed(system: LocalSystem) -> str:
    """W001 registered by the supervisor of B001, with year figures that make it A+; its token."""
    system.token(*MANAGER)  # puts mgr-web on the staff register, as a client's manager must be
    registered = system.request("POST", "/clients", CLIENT, as_=SUPERVISOR)
    assert registered.status == 201, registered
    figures = system.request("PUT", "/clients/W001/metrics/2025", METRICS, as_=SUPERVISOR)
    assert figures.status == 200, figures
    classified = system.wait_for(
        lambda: system.request("GET", "/clients/W001", as_=SUPERVISOR).body.get("client_class") == "A+"
    )
    assert classified, "W001 was not reclassified A+ by the stream"
    return system.token(*SUPERVISOR)


@contextmanager
def _site(host: str) -> Iterator[int]:
    """page/ served on `host` (loopback) and a free port, in a thread, quietly; its port."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), functools.partial(Quiet, directory=str(FRONTEND / "page")))
    thread = threading.Thread(target=server.serve_forever, name=f"page-{host}", daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _browse(node: Node, profile: Path, *urls: str) -> list[dict[str, Any]]:
    """browser.mjs on the URLs. It closes Chromium when done or failing; if it hangs, SIGTERM (on which
    puppeteer kills the browser it launched, which runs in a process group of its own), then SIGKILL."""
    process = subprocess.Popen(
        [str(node.node), str(FRONTEND / "browser.mjs"), str(CHROMIUM), str(profile), *urls],
        cwd=FRONTEND,
        env=node.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=BROWSER_TIMEOUT_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 0, f"browser.mjs failed ({process.returncode}):\n{err}"
    results: list[dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return results


def _preflight(system: LocalSystem, path: str, origin: str) -> dict[str, str]:
    request = urllib.request.Request(
        system.base_url + path,
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return {key.lower(): value for key, value in response.headers.items()}
    except urllib.error.HTTPError as error:
        return {key.lower(): value for key, value in error.headers.items()}
