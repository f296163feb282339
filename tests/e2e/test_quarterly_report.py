"""Acceptance of the quarterly-report issue over HTTP against `crm local`, as a new user would try
it: `crm clock` through a quarter of service in two branches, `crm trigger quarterly-report --at …`
after it, then the files downloaded from moto's S3 over loopback through their presigned URLs.

A system of its own: the company's figures are every client's, so no other test's may be in them."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop

SUP_A = ("supervisor", "sup-qa", "BA")
SUP_B = ("supervisor", "sup-qb", "BB")
COUNTER_A = ("counter", "ctr-qa", "BA")
COUNTER_B = ("counter", "ctr-qb", "BB")
MANAGER = ("manager", "mgr-qa", "BA")
HQ = ("hq", "hq-q", None)
A_PLUS = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
CLASS_G = {"assets": 5_000, "avg_assets": 1_000, "trade_volume": 0}
REACHED = {"reached": True, "solved": True, "risk_reminder": True}


@pytest.fixture(scope="module")
def system() -> Iterator[LocalSystem]:
    started = start(free_port())
    yield started
    stop(started)


def at(system: LocalSystem, moment: str) -> None:
    crm("clock", moment, "--port", str(system.port))


def ok(system: LocalSystem, method: str, path: str, body: Any = None, *, as_: Any) -> Any:
    reply = system.request(method, path, body, as_=as_)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
    return reply.body


def client(client_id: str, id_number: str, branch: str, manager: str, phone: str) -> dict[str, str]:
    return {
        "client_id": client_id,
        "name": "季报客户",
        "id_number": id_number,
        "phone": phone,
        "branch_id": branch,
        "manager_id": manager,
        "opened_on": "2019-03-01",
    }


def complaint(system: LocalSystem, client_id: str, channel: str, sup: Any, moves: list[tuple[str, str]]) -> str:
    at(system, "2026-06-01T10:00:00+08:00")
    body = {"client_id": client_id, "channel": channel, "category": "efficiency", "content": "办理太慢"}
    number = str(ok(system, "POST", "/complaints", body, as_=sup)["complaint_no"])
    for to, moment in moves:
        at(system, moment)
        ok(system, "POST", f"/complaints/{number}/transitions", {"to": to, "note": to}, as_=sup)
    return number


def trigger(system: LocalSystem, job: str, moment: str) -> dict[str, Any]:
    return json.loads(crm("trigger", job, "--at", moment, "--port", str(system.port)).stdout)["result"]


def download(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:"), url  # moto's S3, over loopback
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def rows(body: bytes) -> dict[tuple[str, str, str], dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    found: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
        found.setdefault((row["scope"], row["branch_id"], row["manager_id"]), {})[row["metric"]] = row["value"]
    return found


def quarter(system: LocalSystem) -> None:
    """Q2 2026: branch BA serves QA01 (an A+ client) well; branch BB serves QB01 late."""
    at(system, "2026-04-01T10:00:00+08:00")
    system.token("manager", "mgr-qa", "BA")  # the managers on the staff register (crm token)
    system.token("manager", "mgr-qb", "BB")
    ok(system, "POST", "/clients", client("QA01", "110101198001010010", "BA", "mgr-qa", "13700000001"), as_=SUP_A)
    ok(system, "POST", "/clients", client("QB01", "110101198001010037", "BB", "mgr-qb", "13700000002"), as_=SUP_B)
    ok(system, "PUT", "/clients/QA01/metrics/2026", A_PLUS, as_=SUP_A)
    ok(system, "PUT", "/clients/QB01/metrics/2026", CLASS_G, as_=SUP_B)

    at(system, "2026-06-01T10:00:00+08:00")
    call = {"client_id": "QA01", "channel": "phone", "subject": "咨询", "first_responder": "ctr-qa"}
    ok(system, "POST", "/contacts", call, as_=COUNTER_A)
    mail = call | {"client_id": "QB01", "channel": "email", "first_responder": "ctr-qb"}
    late_mail = ok(system, "POST", "/contacts", mail, as_=COUNTER_B)["contact_id"]
    at(system, "2026-06-05T10:00:00+08:00")  # due at the end of 3 June
    ok(system, "POST", f"/contacts/{late_mail}/reply", {"answer": "迟复"}, as_=SUP_B)

    good = complaint(
        system,
        "QA01",
        "phone",
        SUP_A,
        [
            ("accepted", "2026-06-01T11:00:00+08:00"),
            ("investigating", "2026-06-01T14:00:00+08:00"),
            ("replied", "2026-06-02T10:00:00+08:00"),
        ],
    )
    trigger(system, "callbacks", "2026-06-03T06:00:00+08:00")
    at(system, "2026-06-03T10:00:00+08:00")
    ok(system, "POST", f"/callbacks/PC-{good}/attempts", REACHED | {"attitude": "satisfied", "score": 8}, as_=COUNTER_A)
    complaint(system, "QB01", "regulator", SUP_B, [("rejected", "2026-06-04T10:00:00+08:00")])

    at(system, "2026-06-08T18:00:00+08:00")
    day = {"entries": [{"kind": "visit", "minutes": 60, "client_id": "QA01"}]}
    ok(system, "PUT", "/work-logs/mgr-qa/2026-06-08", day, as_=MANAGER)


def test_the_quarterly_report_for_hq_supervisors_and_no_one_else(system: LocalSystem) -> None:
    try:
        quarter(system)
        missing = system.request("GET", "/reports/quarterly/2026Q2", as_=HQ)
        assert (missing.status, missing.body["error"]["field"]) == (404, "period")
        run = trigger(system, "quarterly-report", "2026-07-01T01:00:00+08:00")
        assert (run["period"], run["status"]) == ("2026Q2", "published"), run
    finally:
        crm("clock", "--port", str(system.port))

    report = ok(system, "GET", "/reports/quarterly/2026Q2", as_=HQ)
    assert {f["format"] for f in report["files"]} == {"xlsx", "csv", "json"}
    urls = {f["name"]: f["url"] for f in report["files"]}

    book_bytes = download(urls["report.xlsx"])
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as archive:  # a valid zip, with native charts
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())
    assert "客户分类" in openpyxl.load_workbook(io.BytesIO(book_bytes)).sheetnames

    figures = rows(download(urls["metrics.csv"]))
    company = figures[("company", "", "")]
    # what this test did, counted by hand
    assert company["clients"] == "2"
    assert (company["clients_class_A+"], company["clients_class_G"]) == ("1", "1")
    assert (company["contacts_phone"], company["contacts_email"]) == ("1", "1")
    assert (company["email_replied_same_day"], company["email_replied_within_2wd"]) == ("0", "0")
    assert (company["complaints"], company["complaints_efficiency"], company["complaints_regulator"]) == ("2", "2", "1")
    assert (company["complaints_valid"], company["complaints_invalid"]) == ("1", "1")
    assert company["complaints_per_100_clients"] == "100.0000"
    assert (company["callbacks_done"], company["callbacks_done_on_time"]) == ("1", "1")
    assert (company["satisfaction_mean_score"], company["satisfaction_share_satisfied"]) == ("8.0000", "1.0000")
    assert company["work_logs"] == "1"
    assert int(company["sla_breaches"]) >= 1  # BB's late e-mail
    assert figures[("branch", "BA", "")]["sla_breaches"] == "0"
    assert figures[("manager", "BA", "mgr-qa")]["callbacks_done"] == "1"

    # another branch's supervisor: only its own rows; a manager: nothing
    own = ok(system, "GET", "/reports/quarterly/2026Q2", as_=SUP_B)
    (csv_url,) = [f["url"] for f in own["files"] if f["format"] == "csv"]
    assert set(rows(download(csv_url))) == {("branch", "BB", ""), ("manager", "BB", "mgr-qb")}
    assert system.request("GET", "/reports/quarterly/2026Q2", as_=MANAGER).status == 403
    assert system.request("GET", "/reports/quarterly/2026Q5", as_=HQ).status == 422

    dashboard = ok(system, "GET", "/reports/quarterly/2026Q2/figures?scope=branch", as_=HQ)
    assert [(i["branch_id"], i["figures"]["clients"]) for i in dashboard["items"]] == [("BA", 1), ("BB", 1)]
