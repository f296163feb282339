"""A person's information restricted once every account is closed or transferred (PIPL 第47条;
DOMAIN §14), through the handlers on moto: while one account stays open nothing changes; once the
last closes, the numbers are masked for every role and the record says it is restricted, lookups by
number, name or account find nothing, the client lists and the at-risk list leave the person out,
the callbacks job creates nothing but the `post_closure` follow-ups, and nothing is deleted. A new
account of the person lifts it."""

from __future__ import annotations

from typing import Any

from crm.domain.pii import mask_id_number, mask_phone
from tests.integration.harness import Harness, new_client

SUP_B1 = ("supervisor", "sup-b1", "B1")
COUNTER_B1 = ("counter", "ctr-1", "B1")
COMPLIANCE = ("compliance", "cmp-1", None)
ID, PHONE = new_client("C001")["id_number"], new_client("C001")["phone"]
OPENED = "2026-03-02T10:00:00+08:00"


def account(client_id: str, **more: Any) -> dict[str, Any]:
    return new_client("C001") | {"client_id": client_id, "opened_on": "2026-03-02"} | more


def close(harness: Harness, client_id: str, day: str, outcome: str = "closed") -> None:
    at = f"{day}T10:00:00+08:00"
    opened = harness.call(
        "POST", "/retention-cases", {"client_id": client_id, "kind": "closure", "reason": "moving"}, at=at
    )
    assert opened.status == 201, opened.body
    case_id = opened.json()["case_id"]
    decided = harness.call("POST", f"/retention-cases/{case_id}/outcome", {"outcome": outcome, "note": "销户"}, at=at)
    assert decided.status == 200, decided.body
    harness.drain()


def lookups(harness: Harness) -> dict[str, list[str]]:
    found = {}
    for key, value in (("id_number", ID), ("phone", PHONE), ("name", "张"), ("client_id", "C001")):
        answer = harness.call("POST", "/clients/lookup", {key: value}, as_=SUP_B1)
        assert answer.status == 200, answer.body
        found[key] = [c["client_id"] for c in answer.json()["items"]]
    return found


def test_a_person_is_restricted_once_the_last_account_closes(harness: Harness) -> None:
    for client_id in ("C001", "C002"):
        assert harness.call("POST", "/clients", account(client_id), at=OPENED).status == 201
    harness.drain()

    close(harness, "C001", "2026-06-05")  # one account left open: nothing is restricted
    first = harness.call("GET", "/clients/C001", as_=SUP_B1).json()
    assert (first["status"], first["restricted"], first["id_number"]) == ("closed", False, ID)
    assert lookups(harness)["id_number"] == ["C002", "C001"]

    close(harness, "C002", "2026-06-08", outcome="transferred")
    for caller in (SUP_B1, COUNTER_B1, COMPLIANCE, ("manager", "mgr-1", "B1")):
        for client_id in ("C001", "C002"):
            record = harness.call("GET", f"/clients/{client_id}", as_=caller).json()
            assert record["restricted"] is True, (caller, client_id)
            assert (record["id_number"], record["phone"]) == (mask_id_number(ID), mask_phone(PHONE)), caller
            assert record["name"] == "张三"  # kept: nothing is deleted
    assert lookups(harness) == {"id_number": [], "phone": [], "name": [], "client_id": []}
    listed = harness.call("GET", "/clients", query="branch_id=B1", as_=SUP_B1).json()["items"]
    assert [c["client_id"] for c in listed] == []
    assert harness.call("GET", "/clients/at-risk", query="branch_id=B1", as_=SUP_B1).json()["items"] == []
    overview = harness.call("GET", "/clients/C001/overview", as_=SUP_B1).json()
    assert overview["client"]["id_number"] == mask_id_number(ID)
    history = harness.call("GET", "/clients/C002/class-history", as_=SUP_B1)
    assert history.status == 200  # the records stay readable, as records

    # the callbacks job: the follow-ups of the closure and the transfer, and nothing else
    harness.trigger("callbacks", "2026-06-09T06:00:00+08:00")
    harness.trigger("callbacks", "2026-12-01T06:00:00+08:00")
    tasks = harness.call("GET", "/callbacks", query="branch_id=B1&limit=100", as_=SUP_B1).json()["items"]
    made_after = [t for t in tasks if t["created_at"] >= "2026-06-05"]
    assert made_after
    assert {t["kind"] for t in made_after} == {"post_closure"}, made_after


def test_a_new_account_of_a_restricted_person_lifts_the_restriction(harness: Harness) -> None:
    assert harness.call("POST", "/clients", account("C001"), at=OPENED).status == 201
    close(harness, "C001", "2026-06-05")
    assert harness.call("GET", "/clients/C001", as_=SUP_B1).json()["restricted"] is True
    assert (
        harness.call("POST", "/clients", account("C003", opened_on="2026-07-01"), at="2026-07-01T10:00:00+08:00").status
        == 201
    )
    again = harness.call("GET", "/clients/C001", as_=SUP_B1).json()
    assert (again["restricted"], again["id_number"]) == (False, ID)
    assert lookups(harness)["id_number"] == ["C003", "C001"]
