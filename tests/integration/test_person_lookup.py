"""The person behind the accounts, lookup and the overview through the handlers on moto (DOMAIN §12;
第29条3–4): one person's accounts found by ID number in the caller's scope and nowhere else, a sixth
open account refused, lookups by number audited, no number in clear in any index, and the whole
picture of a client in a bounded number of requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm import topology
from crm.domain.pii import mask_id_number
from tests.integration.harness import Harness, new_client

SUP_B1 = ("supervisor", "sup-b1", "B1")
SUP_B2 = ("supervisor", "sup-b2", "B2")
COUNTER_B1 = ("counter", "ctr-1", "B1")
MANAGER_B1 = ("manager", "mgr-1", "B1")
COMPLIANCE = ("compliance", "cmp-1", None)
ID = "110101199003074514"


def account(client_id: str, branch: str = "B1", **more: Any) -> dict[str, Any]:
    """Another fund account of C001's holder (the same person: same ID number and key information)."""
    manager = "mgr-1" if branch == "B1" else "mgr-9"
    return new_client("C001") | {"client_id": client_id, "branch_id": branch, "manager_id": manager} | more


def register(harness: Harness, body: dict[str, Any]) -> Any:
    caller = SUP_B1 if body["branch_id"] == "B1" else SUP_B2
    return harness.call("POST", "/clients", body, as_=caller)


def lookup(harness: Harness, body: dict[str, Any], as_: Any = COUNTER_B1) -> Any:
    return harness.call("POST", "/clients/lookup", body, as_=as_)


def test_one_persons_accounts_are_found_by_id_number_in_scope_newest_first(harness: Harness) -> None:
    assert register(harness, account("C001", opened_on="2020-05-18")).status == 201
    assert register(harness, account("C002", opened_on="2023-01-09")).status == 201
    assert register(harness, account("C900", "B2", opened_on="2024-02-01")).status == 201
    found = lookup(harness, {"id_number": ID})
    assert found.status == 200, found.body
    assert [c["client_id"] for c in found.json()["items"]] == ["C002", "C001"]  # B2's account: not a hint
    assert found.json()["items"][0]["id_number"] == mask_id_number(ID)  # masked for counter staff
    b2 = lookup(harness, {"id_number": ID}, as_=SUP_B2).json()["items"]
    assert [c["client_id"] for c in b2] == ["C900"]
    assert b2[0]["id_number"] == ID  # in clear for the branch's supervisor
    assert lookup(harness, {"id_number": ID.lower().replace("4", "4")}).status == 200
    # same_person: the others in the caller's scope
    assert harness.call("GET", "/clients/C001", as_=SUP_B1).json()["same_person"] == ["C002"]
    assert harness.call("GET", "/clients/C900", as_=SUP_B2).json()["same_person"] == []


def test_a_sixth_open_account_is_refused_and_a_closed_one_does_not_count(harness: Harness) -> None:
    for n in range(1, 6):
        assert register(harness, account(f"C00{n}")).status == 201
    refused = register(harness, account("C006"))
    assert refused.status == 409
    assert refused.json()["error"]["field"] == "id_number"
    assert harness.call("GET", "/clients/C006").status == 404
    case = harness.call("POST", "/retention-cases", {"client_id": "C005", "kind": "closure", "reason": "moving"})
    outcome = {"outcome": "closed", "note": "销户"}
    assert harness.call("POST", f"/retention-cases/{case.json()['case_id']}/outcome", outcome).status == 200
    assert register(harness, account("C006")).status == 201


def test_another_account_of_a_person_carries_the_persons_key_information(harness: Harness) -> None:
    register(harness, account("C001"))
    refused = register(harness, account("C002") | {"phone": "13900000000"})
    assert refused.status == 409
    assert refused.json()["error"]["field"] == "phone"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"id_number": ID, "name": "张三"}, "name"),
        ({"name": "Z"}, "name"),
        ({"id_number": "110101199003074515"}, "id_number"),  # a bad check digit
        ({"phone": "12345"}, "phone"),
        ({"securities_account": "B123"}, "securities_account"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_a_lookup_must_name_one_sound_key(harness: Harness, body: dict[str, Any], field: str) -> None:
    refused = lookup(harness, body)
    assert refused.status == 422, refused.body
    assert refused.json()["error"]["field"] == field


def test_every_key_finds_the_account_and_lookups_by_number_are_audited(harness: Harness) -> None:
    register(harness, account("C001"))
    register(harness, new_client("C777", name="李四", manager_id="mgr-2"))
    accounts = {"accounts": [{"exchange": "SH", "account": "A123456789"}, {"exchange": "SZ", "account": "0123456789"}]}
    assert harness.call("PUT", "/clients/C001/securities-accounts", accounts).status == 200
    for body in (
        {"client_id": "C001"},
        {"securities_account": "A123456789"},
        {"securities_account": "0123456789"},
        {"id_number": ID},
        {"phone": "13800138000"},
        {"name": "张三"},
        {"name": "张"},
    ):
        found = lookup(harness, body).json()["items"]
        assert [c["client_id"] for c in found] == ["C001"], body
    assert [c["client_id"] for c in lookup(harness, {"name": "李"}).json()["items"]] == ["C777"]
    assert lookup(harness, {"client_id": "C001"}, as_=("manager", "mgr-2", "B1")).json()["items"] == []
    harness.drain()
    trail = harness.call("GET", "/audit/clients/C001", as_=COMPLIANCE).json()["items"]
    looked = [entry for entry in trail if entry["event"] == "LOOKUP"]
    assert sorted(entry["after"]["looked_up_by"] for entry in looked) == ["id_number", "phone"]
    assert all(entry["by"] == "ctr-1" for entry in looked)
    assert ID not in str(looked)
    assert "13800138000" not in str(looked)
    # and in the archive kept twenty years (the audit table has no stream: the lookup archives them)
    s3, bucket = harness.clients["s3"], topology.AUDIT_ARCHIVE.local_name
    lines = [
        json.loads(line)
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", [])
        if "/lookups-" in o["Key"]
        for line in s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode().splitlines()
    ]
    archived = [e for e in lines if e["event"] == "LOOKUP" and e["subject"] == "CLIENT#C001"]
    assert sorted(e["after"]["looked_up_by"] for e in archived) == ["id_number", "phone"]
    assert ID not in str(lines)


def test_no_number_is_held_in_clear_in_a_lookup_index(harness: Harness) -> None:
    register(harness, account("C001"))
    dynamodb = harness.clients["dynamodb"]
    for index in ("by_id_hash", "by_phone_hash"):
        items = dynamodb.scan(TableName="crm-clients", IndexName=index)["Items"]
        assert items
        keys = {item["id_hash"]["S"] if index == "by_id_hash" else item["phone_hash"]["S"] for item in items}
        assert not keys & {ID, "13800138000"}
        assert all(len(key) == 40 for key in keys)


def test_a_securities_account_belongs_to_one_fund_account(harness: Harness) -> None:
    register(harness, account("C001"))
    register(harness, new_client("C777", name="李四"))
    sh = {"accounts": [{"exchange": "SH", "account": "A123456789"}]}
    assert harness.call("PUT", "/clients/C001/securities-accounts", sh).status == 200
    taken = harness.call("PUT", "/clients/C777/securities-accounts", sh)
    assert taken.status == 409
    wrong = harness.call(
        "PUT", "/clients/C777/securities-accounts", {"accounts": [{"exchange": "SZ", "account": "A1"}]}
    )
    assert wrong.status == 422
    assert harness.call("PUT", "/clients/C001/securities-accounts", {"accounts": []}).status == 200
    assert harness.call("PUT", "/clients/C777/securities-accounts", sh).status == 200
    # an owner record is no client: the branch's list holds the clients alone
    listed = harness.call("GET", "/clients", query="branch_id=B1")
    assert listed.status == 200, listed.body
    assert sorted(c["client_id"] for c in listed.json()["items"]) == ["C001", "C777"]
    assert harness.call("GET", "/clients/C777").json()["securities_accounts"] == [
        {"exchange": "SH", "account": "A123456789"}
    ]


def test_the_overview_holds_the_whole_picture(harness: Harness) -> None:
    register(harness, account("C001"))
    register(harness, account("C002"))
    harness.call(
        "PUT", "/clients/C001/metrics/2025", {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
    )
    harness.call(
        "POST", "/complaints", {"client_id": "C001", "channel": "phone", "category": "attitude", "content": "态度"}
    )
    harness.call(
        "POST", "/contacts", {"client_id": "C001", "channel": "email", "subject": "对账单", "first_responder": "mgr-1"}
    )
    case = harness.call("POST", "/retention-cases", {"client_id": "C001", "kind": "transfer", "reason": "fees"}).json()
    harness.drain()
    seen = harness.call("GET", "/clients/C001/overview", as_=MANAGER_B1)
    assert seen.status == 200, seen.body
    overview = seen.json()
    assert overview["client"]["client_class"] == "A+"
    assert overview["metrics"]["year"] == 2025
    assert len(overview["open_complaints"]) == 1
    assert overview["open_contacts"][0]["reply_due_at"]
    assert overview["retention_case"]["case_id"] == case["case_id"]
    assert overview["same_person"] == ["C002"]
    assert overview["client"]["id_number"] == mask_id_number(ID)
    assert harness.call("GET", "/clients/C001/overview", as_=("manager", "mgr-2", "B1")).status == 403
    assert harness.call("GET", "/clients/NONE/overview").status == 404


def test_a_change_of_key_information_is_made_on_every_account_of_the_person(harness: Harness) -> None:
    register(harness, account("C001"))
    register(harness, account("C002"))
    register(harness, account("C900", "B2"))
    change = {"phone": "13911112222", "name": "张叁", "evidence_ref": "REC-1", "reason": "换号改名"}
    assert harness.call("PUT", "/clients/C001/contact-details", change, as_=COUNTER_B1).status == 200
    for client_id, caller in (("C001", SUP_B1), ("C002", SUP_B1), ("C900", SUP_B2)):
        client = harness.call("GET", f"/clients/{client_id}", as_=caller).json()
        assert (client["phone"], client["name"]) == ("13911112222", "张叁"), client_id
        (entry,) = harness.call("GET", f"/clients/{client_id}/contact-details-history", as_=caller).json()["items"]
        assert (entry["made_on"], entry["by"], entry["name_before"], entry["phone_after"]) == (
            "C001",
            "ctr-1",
            "张三",
            "13911112222",
        )
    # the person is found by the new phone, and the old one finds no one
    assert [c["client_id"] for c in lookup(harness, {"phone": "13911112222"}).json()["items"]] == ["C002", "C001"]
    assert lookup(harness, {"phone": "13800138000"}).json()["items"] == []
    # the next account of the person carries the new key information
    assert register(harness, account("C003")).status == 409
    assert register(harness, account("C003") | {"phone": "13911112222", "name": "张叁"}).status == 201


def test_a_change_that_fails_on_one_account_changes_none(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.data.clients import person as person_data

    register(harness, account("C001"))
    register(harness, account("C002"))
    before = {c: harness.call("GET", f"/clients/{c}").json() for c in ("C001", "C002")}
    original = person_data.change_key_information

    def one_account_moved_on(person, clients, after, entries, stamp):  # type: ignore[no-untyped-def]
        # C002 changed between the read and the write (its version moved on): the transaction must fail whole
        from crm.data.clients.items import ProfileItem, client_pk

        moved = ProfileItem.get(client_pk("C002"), "PROFILE", consistent_read=True)
        moved.update(actions=[ProfileItem.profile_note.set("changed meanwhile")])
        monkeypatch.setattr(person_data, "change_key_information", original)
        return original(person, clients, after, entries, stamp)

    monkeypatch.setattr(person_data, "change_key_information", one_account_moved_on)
    answer = harness.call("PUT", "/clients/C001/contact-details", {"phone": "13911112222", "evidence_ref": "R"})
    assert answer.status == 200  # retried from a fresh read, after the whole first try was refused
    after = {c: harness.call("GET", f"/clients/{c}").json() for c in ("C001", "C002")}
    assert {c: a["phone"] for c, a in after.items()} == {"C001": "13911112222", "C002": "13911112222"}
    histories = [harness.call("GET", f"/clients/{c}/contact-details-history").json()["items"] for c in before]
    assert [len(h) for h in histories] == [1, 1]  # one entry each: the refused try left none
