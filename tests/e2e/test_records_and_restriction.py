"""Acceptance of the records issue (issue 22) over HTTP against `crm local`, as a new user would try
it with `crm clock`, `crm trigger` and curl: a person with an account in two branches and a record
of every kind; their information on request (PIPL 第45条) covering both accounts; both accounts
closed through retention cases — after the first alone nothing is restricted, after the second the
person is restricted (第47条): not found by ID number, masked for every role, still whole in the
access export, and the callbacks job makes nothing but the `post_closure` follow-ups. And the
quarter's report, with complaints of every category, read as HQ reads it: each category on the
服务与投诉 sheet under its Chinese label, and no English code on any sheet.

A system of its own: the callbacks job and the quarterly report cover every client on record."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from crm import rules
from crm.domain.complaints import Category
from crm.domain.pii import mask_id_number, mask_phone
from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop
from tests.integration.harness import person_of

SUP_R1 = ("supervisor", "sup-r1", "R1")
SUP_R2 = ("supervisor", "sup-r2", "R2")
MANAGER = ("manager", "mgr-r1", "R1")
COUNTER = ("counter", "ctr-r1", "R1")
HQ = ("hq", "hq-r", None)
COMPLIANCE = ("compliance", "cmp-r", None)
PERSON = person_of("PI-A")  # the person of both accounts
NAME = "周立波"
# Every list of an account that the walk below fills for the person's R1 account.
KINDS = (
    "metrics",
    "class_history",
    "questionnaires",
    "disclosures",
    "businesses",
    "sales",
    "messages",
    "contacts",
    "complaints",
    "callbacks",
    "visits",
    "education",
    "work_log_entries",
    "lookups",
    "retention_cases",
)
ENGLISH_WORD = re.compile(r"[a-z][a-z0-9_]+")


@pytest.fixture(scope="module")
def system() -> Iterator[LocalSystem]:
    started = start(free_port())
    yield started
    stop(started)


def clock(system: LocalSystem, moment: str) -> None:
    crm("clock", moment, "--port", str(system.port))


def trigger(system: LocalSystem, job: str, at: str) -> dict[str, Any]:
    return json.loads(crm("trigger", job, "--at", at, "--port", str(system.port)).stdout)["result"]


def ok(system: LocalSystem, method: str, path: str, body: Any = None, *, as_: Any = SUP_R1) -> Any:
    reply = system.request(method, path, body, as_=as_)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
    return reply.body


def account(client_id: str, branch: str, manager: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": NAME,
        "id_number": PERSON["id_number"],
        "phone": PERSON["phone"],
        "birthday": PERSON["birthday"],
        "branch_id": branch,
        "manager_id": manager,
        "opened_on": "2026-04-01",
    }


def close(system: LocalSystem, client_id: str, supervisor: Any) -> None:
    case = ok(
        system,
        "POST",
        "/retention-cases",
        {"client_id": client_id, "kind": "closure", "reason": "moving"},
        as_=supervisor,
    )
    ok(
        system,
        "POST",
        f"/retention-cases/{case['case_id']}/outcome",
        {"outcome": "closed", "note": "销户"},
        as_=supervisor,
    )


def found_by_id_number(system: LocalSystem) -> list[str]:
    items = ok(system, "POST", "/clients/lookup", {"id_number": PERSON["id_number"]}, as_=SUP_R1)["items"]
    return [c["client_id"] for c in items]


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # the local system's presigned GET
        return bytes(response.read())


def a_quarter_of_records(system: LocalSystem) -> None:
    """The person's two accounts and a record of every kind, and a complaint of every category."""
    system.token(*MANAGER)
    system.token("manager", "mgr-r2", "R2")
    clock(system, "2026-04-01T09:00:00+08:00")
    ok(system, "POST", "/clients", account("PI-A", "R1", "mgr-r1"))
    ok(system, "POST", "/clients", account("PI-B", "R2", "mgr-r2"), as_=SUP_R2)
    other = person_of("PI-OTHER")
    ok(system, "POST", "/clients", {**account("PI-OTHER", "R1", "mgr-r1"), **other, "name": "吴其"})
    ok(
        system,
        "PUT",
        "/clients/PI-A/metrics/2025",
        {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000},
    )
    # the class follows through the stream; a request meanwhile could meet the changed client (409)
    assert system.wait_for(lambda: ok(system, "GET", "/clients/PI-A")["client_class"])
    answers = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}
    ok(system, "POST", "/clients/PI-A/questionnaires", {"answers": answers, "paper_ref": "PAPER-PI"})
    ok(
        system,
        "POST",
        "/contacts",
        {"client_id": "PI-A", "channel": "phone", "subject": "对账单", "first_responder": "mgr-r1"},
    )
    disclosure = {"business": "margin", "document_ref": "RD-PI-1", "signed_on": "2026-04-01"}
    ok(system, "POST", "/clients/PI-A/risk-disclosures", disclosure)
    ok(system, "POST", "/clients/PI-A/businesses", {"business": "margin"})
    ok(system, "POST", "/clients/PI-A/sales", {"product_id": "money_market", "amount": 20_000})
    lecture = {
        "title": "理财大讲堂",
        "kind": "lecture",
        "branch_id": "R1",
        "held_on": "2026-04-02",
        "topic": "基金",
        "speaker": "李老师",
    }
    activity = ok(system, "POST", "/education/activities", lecture, as_=COUNTER)["activity_id"]
    clock(system, "2026-04-03T10:00:00+08:00")  # the lecture held: its attendance
    ok(system, "PUT", f"/education/activities/{activity}/attendance", {"client_ids": ["PI-A"]})
    visit = {
        "client_id": "PI-A",
        "at": "2026-04-01T15:00:00+08:00",
        "channel": "onsite",
        "purpose": "资产配置",
        "outcome": "认购",
        "self_assessment": 4,
    }
    ok(system, "POST", "/visits", visit, as_=MANAGER)
    entry = {"kind": "call", "minutes": 30, "client_id": "PI-A", "note": "回访"}
    ok(system, "PUT", "/work-logs/mgr-r1/2026-04-03", {"entries": [entry]}, as_=MANAGER)
    assert found_by_id_number(system) == ["PI-A"]  # R2's account: outside R1's supervisor's scope
    for number, category in enumerate(Category):
        complaint = {
            "client_id": "PI-OTHER" if number else "PI-A",
            "channel": "phone",
            "category": category.value,
            "content": "意见",
        }
        ok(system, "POST", "/complaints", complaint)
    trigger(system, "callbacks", "2026-04-02T06:00:00+08:00")  # the new accounts' callbacks
    system.wait_for(lambda: ok(system, "GET", "/callbacks?branch_id=R1", as_=SUP_R1)["items"])


def test_the_records_issue_through_crm_local(system: LocalSystem) -> None:
    a_quarter_of_records(system)

    # the quarter's report, as HQ opens it: every category on 服务与投诉, in Chinese
    files = trigger(system, "quarterly-report", "2026-07-01T01:00:00+08:00")
    assert files["status"] == "published", files
    listing = ok(system, "GET", "/reports/quarterly/2026Q2", as_=HQ)
    (workbook,) = [f for f in listing["files"] if f["name"] == "report.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(download(workbook["url"])))
    service = book["服务与投诉"]
    header = [cell.value for cell in service[1]]
    for category in Category:
        label = f"投诉类别 {rules.labels().code_label(f'complaints_{category.value}')}"
        assert label in header, (label, header)
    company = [row for row in service.iter_rows(values_only=True) if row[0] and "R1" in str(row[0])]
    assert company, list(service.iter_rows(values_only=True))
    # no code (channel, category, kind, reason, level) and no metric name in English on any sheet;
    # the people and branches are named by their ids, as HQ knows them
    figures = ok(system, "GET", "/reports/quarterly/2026Q2/figures?scope=branch", as_=HQ)
    english = set(figures["labels"]) | {code for vocabulary in rules.labels().codes.values() for code in vocabulary}
    assert "attitude" in english
    for sheet in book:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not english & set(ENGLISH_WORD.findall(value)), (sheet.title, value)

    # the person's information on request: both accounts, every kind, the numbers in clear
    clock(system, "2026-07-06T10:00:00+08:00")
    document = ok(system, "GET", "/clients/PI-A/personal-information")
    assert sorted(a["client"]["client_id"] for a in document["accounts"]) == ["PI-A", "PI-B"]
    (mine,) = [a for a in document["accounts"] if a["client"]["client_id"] == "PI-A"]
    close(system, "PI-A", SUP_R1)  # a retention case, for the list of kinds
    document = ok(system, "GET", "/clients/PI-A/personal-information", as_=COMPLIANCE)
    (mine,) = [a for a in document["accounts"] if a["client"]["client_id"] == "PI-A"]
    assert [kind for kind in KINDS if not mine[kind]] == []
    assert (document["person"]["id_number"], document["person"]["restricted"]) == (PERSON["id_number"], False)

    # one account closed, one open: nothing restricted
    record = ok(system, "GET", "/clients/PI-A")
    assert (record["status"], record["restricted"], record["id_number"]) == ("closed", False, PERSON["id_number"])
    assert found_by_id_number(system) == ["PI-A"]
    assert [
        c["client_id"]
        for c in ok(system, "POST", "/clients/lookup", {"id_number": PERSON["id_number"]}, as_=SUP_R2)["items"]
    ] == ["PI-B"]

    # the last one closed: restricted
    clock(system, "2026-07-08T10:00:00+08:00")
    close(system, "PI-B", SUP_R2)
    assert system.wait_for(lambda: ok(system, "GET", "/clients/PI-A")["restricted"])
    assert found_by_id_number(system) == []
    assert ok(system, "POST", "/clients/lookup", {"id_number": PERSON["id_number"]}, as_=SUP_R2)["items"] == []
    for caller in (SUP_R1, MANAGER, COUNTER, HQ, COMPLIANCE):
        shown = ok(system, "GET", "/clients/PI-A", as_=caller)
        assert shown["restricted"] is True, caller
        assert (shown["id_number"], shown["phone"]) == (
            mask_id_number(PERSON["id_number"]),
            mask_phone(PERSON["phone"]),
        )
    kept = ok(system, "GET", "/clients/PI-A/personal-information", as_=COMPLIANCE)
    assert (kept["person"]["id_number"], kept["person"]["phone"], kept["person"]["restricted"]) == (
        PERSON["id_number"],
        PERSON["phone"],
        True,
    )
    assert {a["client"]["id_number"] for a in kept["accounts"]} == {PERSON["id_number"]}

    # the callbacks job: the closures' follow-ups, nothing else for the person
    before = {t["callback_id"] for branch, sup in (("R1", SUP_R1), ("R2", SUP_R2)) for t in tasks(system, branch, sup)}
    for day in ("2026-07-09", "2026-08-10", "2026-09-30", "2026-10-12"):
        trigger(system, "callbacks", f"{day}T06:00:00+08:00")
    made = [
        t
        for branch, sup in (("R1", SUP_R1), ("R2", SUP_R2))
        for t in tasks(system, branch, sup)
        if t["callback_id"] not in before and t["client_id"] in ("PI-A", "PI-B")
    ]
    assert sorted((t["client_id"], t["kind"]) for t in made) == [("PI-A", "post_closure"), ("PI-B", "post_closure")]


def tasks(system: LocalSystem, branch: str, supervisor: Any) -> list[dict[str, Any]]:
    return ok(system, "GET", f"/callbacks?branch_id={branch}&limit=100", as_=supervisor)["items"]
