"""A person's information on request through the handlers on moto (PIPL 第45条; DOMAIN §14): one
person with an account in B1 and one in B2, and a record of every kind made for them through the
API; the export, by B1's supervisor and by compliance, covers both accounts and every kind with
the numbers in clear, read through keys and indexes alone (no Scan), and is itself in each
account's audit trail and in the archive; everyone else is refused. A restricted person's export
(every account closed: 第47条) still holds the numbers in clear."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest
from botocore.client import BaseClient

from crm import topology
from tests.integration.harness import Harness, new_client

SUP_B1 = ("supervisor", "sup-b1", "B1")
SUP_B2 = ("supervisor", "sup-b2", "B2")
MANAGER = ("manager", "mgr-1", "B1")
NEXT_MANAGER = ("manager", "mgr-2", "B1")
COUNTER = ("counter", "ctr-1", "B1")
HQ = ("hq", "hq-1", None)
COMPLIANCE = ("compliance", "cmp-1", None)
ID = "110101199003074514"
PHONE, NEW_PHONE = "13800138000", "13911112222"
LOWEST: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}
ASKED = "2026-06-05T10:00:00+08:00"

# Every list of an account the walkthrough below fills for C001.
KINDS = (
    "metrics",
    "class_history",
    "vip_history",
    "manager_history",
    "contact_details_history",
    "profile_history",
    "questionnaires",
    "disclosures",
    "sales",
    "businesses",
    "messages",
    "contacts",
    "complaints",
    "retention_cases",
    "callbacks",
    "visits",
    "education",
    "work_log_entries",
    "lookups",
)


def ok(harness: Harness, method: str, path: str, body: Any, *, at: str, as_: Any = SUP_B1) -> dict[str, Any]:
    response = harness.call(method, path, body, as_=as_, at=at)
    assert 200 <= response.status < 300, (method, path, response.status, response.body)
    return response.json() if response.body else {}


def account(client_id: str, branch: str, opened_on: str) -> dict[str, Any]:
    """An account of C001's holder (the same person: same ID number and key information)."""
    manager = "mgr-1" if branch == "B1" else "mgr-9"
    return new_client("C001") | {
        "client_id": client_id,
        "branch_id": branch,
        "manager_id": manager,
        "opened_on": opened_on,
    }


@pytest.fixture
def person(harness: Harness) -> Harness:
    """C001 (B1, opened 1 June) and C900 (B2, opened 20 May), one person, with a record of every kind."""
    ok(harness, "POST", "/clients", account("C001", "B1", "2026-06-01"), at="2026-06-01T09:00:00+08:00")
    ok(harness, "POST", "/clients", account("C900", "B2", "2026-05-20"), at="2026-06-01T09:00:00+08:00", as_=SUP_B2)
    harness.drain()  # the opening SMS of each
    figures = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
    ok(harness, "PUT", "/clients/C001/metrics/2025", figures, at="2026-06-01T09:30:00+08:00")
    harness.drain()  # its class (A+), from the metrics' stream
    at = "2026-06-01T10:00:00+08:00"
    ok(harness, "POST", "/clients/C001/questionnaires", {"answers": LOWEST, "paper_ref": "PAPER-1"}, at=at)
    contact = {"client_id": "C001", "channel": "phone", "subject": "对账单", "first_responder": "mgr-1"}
    ok(harness, "POST", "/contacts", contact, at=at)
    complaint = {"client_id": "C001", "channel": "phone", "category": "attitude", "content": "态度不好"}
    complaint_no = ok(harness, "POST", "/complaints", complaint, at=at)["complaint_no"]
    ok(harness, "POST", f"/complaints/{complaint_no}/transitions", {"to": "accepted", "note": "受理"}, at=at)
    disclosure = {"business": "margin", "document_ref": "RD-MARGIN-1", "signed_on": "2026-06-01"}
    ok(harness, "POST", "/clients/C001/risk-disclosures", disclosure, at=at)
    ok(harness, "POST", "/clients/C001/businesses", {"business": "margin"}, at=at)
    ok(harness, "POST", "/clients/C001/sales", {"product_id": "money_market", "amount": 20_000}, at=at)
    ok(harness, "PUT", "/clients/C001/profile", {"note": "偏好稳健", "value_segment": "rising_star"}, at=at)
    lecture = {
        "title": "理财大讲堂",
        "kind": "lecture",
        "branch_id": "B1",
        "held_on": "2026-06-02",
        "topic": "基金",
        "speaker": "李老师",
    }
    activity_id = ok(harness, "POST", "/education/activities", lecture, at=at, as_=COUNTER)["activity_id"]
    visit = {
        "client_id": "C001",
        "at": at,
        "channel": "onsite",
        "purpose": "资产配置",
        "outcome": "认购货币基金",
        "self_assessment": 4,
    }
    ok(harness, "POST", "/visits", visit, at="2026-06-01T18:00:00+08:00", as_=MANAGER)
    call = {"kind": "call", "minutes": 30, "client_id": "C001", "note": "回访张三"}
    ok(harness, "PUT", "/work-logs/mgr-1/2026-06-01", {"entries": [call]}, at="2026-06-01T18:00:00+08:00", as_=MANAGER)
    harness.drain()  # the callback schedule
    harness.trigger("callbacks", "2026-06-02T06:00:00+08:00")  # NA-C001
    reached = {"reached": True, "attitude": "satisfied", "score": 9, "solved": True, "risk_reminder": True}
    ok(harness, "POST", "/callbacks/NA-C001/attempts", reached, at="2026-06-02T10:00:00+08:00", as_=COUNTER)
    at = "2026-06-03T10:00:00+08:00"
    # after the job: its yearly sample walks the by_branch index, where an OWNER item trips it up
    securities = {"accounts": [{"exchange": "SH", "account": "A123456789"}]}
    ok(harness, "PUT", "/clients/C001/securities-accounts", securities, at=at)
    ok(harness, "PUT", f"/education/activities/{activity_id}/attendance", {"client_ids": ["C001"]}, at=at)
    ok(harness, "POST", "/clients/lookup", {"id_number": ID}, at=at, as_=COUNTER)  # finds C001
    ok(harness, "POST", "/clients/lookup", {"phone": PHONE}, at=at, as_=SUP_B2)  # finds C900
    reassigned = {"manager_id": "mgr-2", "reason": "客户要求更换客户经理"}
    ok(harness, "PUT", "/clients/C001/manager", reassigned, at="2026-06-03T11:00:00+08:00")
    research = {"kind": "research", "minutes": 60, "client_id": "C001", "note": "研究持仓"}
    ok(
        harness,
        "PUT",
        "/work-logs/mgr-2/2026-06-03",
        {"entries": [research, {"kind": "meeting", "minutes": 20}]},
        at="2026-06-03T18:00:00+08:00",
        as_=NEXT_MANAGER,
    )
    change = {"phone": NEW_PHONE, "evidence_ref": "REC-1", "reason": "换号"}
    ok(harness, "PUT", "/clients/C001/contact-details", change, at="2026-06-04T10:00:00+08:00", as_=COUNTER)
    case = {"client_id": "C001", "kind": "transfer", "reason": "fees"}
    ok(harness, "POST", "/retention-cases", case, at="2026-06-04T11:00:00+08:00")
    harness.drain()
    return harness


@pytest.fixture
def operations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation the code makes from here on (botocore's, PynamoDB's included)."""
    made: list[str] = []
    original = BaseClient._make_api_call

    def counted(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        made.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    return made


def exported(harness: Harness, client_id: str, as_: Any, at: str = ASKED) -> dict[str, Any]:
    response = harness.call("GET", f"/clients/{client_id}/personal-information", as_=as_, at=at)
    assert response.status == 200, response.body
    return response.json()


def test_the_export_covers_every_account_and_every_kind_in_clear_without_a_scan(
    person: Harness, operations: list[str]
) -> None:
    document = exported(person, "C001", SUP_B1)
    assert "Scan" not in operations
    assert "Query" in operations
    assert document["person"] == {
        "name": "张三",
        "id_number": ID,
        "phone": NEW_PHONE,
        "email": "zhang.san@example.com",
        "birthday": "1990-03-07",
        "restricted": False,
    }
    assert (document["generated_by"], document["generated_at"]) == ("sup-b1", "2026-06-05T10:00:00+08:00")
    c001, c900 = document["accounts"]  # newest opened first: B2's account too, the person's right
    assert (c001["client"]["client_id"], c900["client"]["client_id"]) == ("C001", "C900")
    assert [kind for kind in KINDS if not c001[kind]] == []
    record = c001["client"]
    assert (record["id_number"], record["phone"], record["branch_id"], record["manager_id"]) == (
        ID,
        NEW_PHONE,
        "B1",
        "mgr-2",
    )
    assert record["securities_accounts"] == [{"exchange": "SH", "account": "A123456789"}]
    assert (record["client_class"], record["profile"]["note"]) == ("A+", "偏好稳健")
    (changed,) = c001["contact_details_history"]
    assert (changed["phone_before"], changed["phone_after"], changed["made_on"]) == (PHONE, NEW_PHONE, "C001")
    assert c001["questionnaires"][0]["answers"]["1"] == "A"
    assert [t["to"] for t in c001["complaints"][0]["history"]][-1] == "accepted"
    (callback,) = c001["callbacks"]
    assert (callback["callback_id"], callback["attempt_log"][0]["by"]) == ("NA-C001", "ctr-1")
    assert [(w["manager_id"], w["day"], w["kind"]) for w in c001["work_log_entries"]] == [
        ("mgr-1", "2026-06-01", "call"),
        ("mgr-2", "2026-06-03", "research"),
    ]
    assert c001["education"][0]["title"] == "理财大讲堂"
    assert c001["visits"][0]["purpose"] == "资产配置"
    assert c001["messages"][0]["template"] == "account_opened"
    (looked,) = c001["lookups"]
    assert (looked["by"], looked["looked_up_by"], looked["found"]) == ("ctr-1", "id_number", ["C001"])
    assert ID not in json.dumps(c001["lookups"])  # the trail keeps the number masked
    # B2's account: its own records, and the change made on the person's every account
    assert (c900["client"]["branch_id"], c900["client"]["id_number"], c900["client"]["phone"]) == ("B2", ID, NEW_PHONE)
    assert c900["contact_details_history"][0]["made_on"] == "C001"
    assert c900["messages"]
    assert c900["lookups"][0]["by"] == "sup-b2"
    assert c900["complaints"] == []
    assert c900["work_log_entries"] == []


def test_compliance_exports_any_account_of_the_person_and_earlier_exports_are_listed(person: Harness) -> None:
    first = exported(person, "C001", SUP_B1)
    second = exported(person, "C900", COMPLIANCE, at="2026-06-05T11:00:00+08:00")
    assert [a["client"]["client_id"] for a in second["accounts"]] == ["C001", "C900"]
    assert second["person"] == first["person"]
    for before, after in zip(first["accounts"], second["accounts"], strict=True):
        assert before["exports"] == []
        (earlier,) = after["exports"]
        assert (earlier["by"], earlier["role"], earlier["asked_on"], earlier["accounts"]) == (
            "sup-b1",
            "supervisor",
            "C001",
            ["C001", "C900"],
        )
        assert {k: v for k, v in after.items() if k != "exports"} == {k: v for k, v in before.items() if k != "exports"}


def test_the_export_is_in_each_accounts_audit_trail_and_the_archive(person: Harness) -> None:
    exported(person, "C001", SUP_B1)
    for client_id in ("C001", "C900"):
        trail = person.call("GET", f"/audit/clients/{client_id}", as_=COMPLIANCE).json()["items"]
        (entry,) = [e for e in trail if e["event"] == "PERSONAL_INFORMATION"]
        assert (entry["by"], entry["at"], entry["after"]["accounts"]) == (
            "sup-b1",
            "2026-06-05T10:00:00+08:00",
            ["C001", "C900"],
        )
        assert ID not in json.dumps(entry)
        assert NEW_PHONE not in json.dumps(entry)
    s3, bucket = person.clients["s3"], topology.AUDIT_ARCHIVE.local_name
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/2026/06/05/").get("Contents", [])
        if "/personal_information-" in o["Key"]
    ]
    (key,) = keys
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    archived = [json.loads(line) for line in body.splitlines()]
    assert sorted(e["subject"] for e in archived) == ["CLIENT#C001", "CLIENT#C900"]
    assert {(e["event"], e["by"]) for e in archived} == {("PERSONAL_INFORMATION", "sup-b1")}
    assert ID not in body
    assert NEW_PHONE not in body


def test_everyone_else_is_refused_and_nothing_is_recorded(person: Harness) -> None:
    # the client's own manager, counter staff, headquarters, and the supervisor of the person's other branch
    for caller in (MANAGER, COUNTER, HQ, SUP_B2):
        refused = person.call("GET", "/clients/C001/personal-information", as_=caller, at=ASKED)
        assert refused.status == 403, (caller, refused.body)
        text = refused.body.decode()
        assert ID not in text
        assert "张三" not in text
        assert NEW_PHONE not in text
    trail = person.call("GET", "/audit/clients/C001", as_=COMPLIANCE).json()["items"]
    assert [e for e in trail if e["event"] == "PERSONAL_INFORMATION"] == []


@pytest.mark.parametrize("caller", [SUP_B1, COMPLIANCE], ids=["supervisor", "compliance"])
def test_an_unknown_client_is_not_found(harness: Harness, caller: Any) -> None:
    missing = harness.call("GET", "/clients/NONE/personal-information", as_=caller, at=ASKED)
    assert missing.status == 404, missing.body
    assert missing.json()["error"]["field"] == "client_id"


def test_a_restricted_persons_export_still_holds_the_numbers_in_clear(harness: Harness) -> None:
    ok(harness, "POST", "/clients", account("C001", "B1", "2026-06-01"), at="2026-06-01T09:00:00+08:00")
    ok(harness, "POST", "/clients", account("C900", "B2", "2026-05-20"), at="2026-06-01T09:00:00+08:00", as_=SUP_B2)
    for client_id, caller in (("C001", SUP_B1), ("C900", SUP_B2)):  # every account closed: restricted (第47条)
        case = {"client_id": client_id, "kind": "closure", "reason": "moving"}
        case_id = ok(harness, "POST", "/retention-cases", case, at="2026-06-02T10:00:00+08:00", as_=caller)["case_id"]
        outcome = {"outcome": "closed", "note": "销户"}
        ok(harness, "POST", f"/retention-cases/{case_id}/outcome", outcome, at="2026-06-02T11:00:00+08:00", as_=caller)
    harness.drain()
    document = exported(harness, "C001", SUP_B1)
    assert (document["person"]["restricted"], document["person"]["id_number"], document["person"]["phone"]) == (
        True,
        ID,
        PHONE,
    )
    assert [
        (a["client"]["client_id"], a["client"]["status"], a["client"]["id_number"]) for a in document["accounts"]
    ] == [
        ("C001", "closed", ID),
        ("C900", "closed", ID),
    ]
    assert [len(a["retention_cases"]) for a in document["accounts"]] == [1, 1]


def test_the_export_parses_dynamodbs_service_model_once(person: Harness) -> None:
    """PynamoDB opens a botocore session per model class, each parsing DynamoDB's service model and
    endpoint rules again (~7 MB): the export, reading some twenty models, peaked at 227 MB in its
    function for that alone. Every connection of a thread shares one session (crm.data.base)."""
    tracemalloc.start()
    try:
        exported(person, "C001", SUP_B1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MiB"
