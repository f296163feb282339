"""Each person's work for a day (DOMAIN §12 «My work»; 第51–54条) through the handlers on moto: one
list per person, due first, overdue flagged, each item naming its record, from indexes of open work."""

from __future__ import annotations

from typing import Any

from tests.integration.harness import Harness, new_client

MANAGER = ("manager", "mgr-1", "B1")
COUNTER = ("counter", "ctr-1", "B1")
SUPERVISOR = ("supervisor", "sup-b1", "B1")
OTHER_SUPERVISOR = ("supervisor", "sup-b2", "B2")
MONDAY = "2026-06-01"  # a working day; Tuesday the 2nd and Wednesday the 3rd too


def work(harness: Harness, as_: Any, day: str, at: str) -> dict[str, Any]:
    answer = harness.call("GET", "/work", query=f"date={day}", as_=as_, at=at)
    assert answer.status == 200, answer.body
    return answer.json()


def kinds(listed: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(w["kind"], w["id"], w["overdue"]) for w in listed["items"]]


def test_each_person_sees_its_own_work_due_first(harness: Harness) -> None:
    opened = f"{MONDAY}T09:00:00+08:00"
    harness.call("POST", "/clients", new_client("C001", opened_on=MONDAY), at=opened)
    harness.call("POST", "/clients", new_client("C002", manager_id="mgr-2", opened_on=MONDAY), at=opened)
    email = {"client_id": "C001", "channel": "email", "subject": "对账单", "first_responder": "mgr-1"}
    contact = harness.call("POST", "/contacts", email, as_=MANAGER, at=f"{MONDAY}T10:00:00+08:00").json()
    complaint = {"client_id": "C002", "channel": "phone", "category": "attitude", "content": "态度"}
    filed = harness.call("POST", "/complaints", complaint, at=f"{MONDAY}T10:00:00+08:00").json()
    prospect = {
        "name": "意向客户",
        "phone": "13500000001",
        "source": "walk_in",
        "branch_id": "B1",
        "manager_id": "mgr-1",
    }
    followed = harness.call("POST", "/prospects", prospect, at=f"{MONDAY}T11:00:00+08:00").json()
    harness.drain()
    harness.trigger("callbacks", "2026-06-02T06:00:00+08:00")  # NA-C001, NA-C002 in B1's pool

    wednesday = "2026-06-03T09:00:00+08:00"
    mine = work(harness, MANAGER, "2026-06-03", wednesday)
    assert kinds(mine) == [
        ("prospect_follow_up", followed["prospect_id"], True),  # due at the end of Tuesday
        ("contact_reply", contact["contact_id"], False),  # the e-mail's reply, due Wednesday (第36条)
        ("work_log_missing", "2026-06-02", False),  # Tuesday's log, writable until Wednesday's end
    ]
    assert mine["date"] == "2026-06-03"
    assert mine["counts"]["contact_reply"] == 1
    assert mine["items"][1]["client_id"] == "C001"
    assert all(w["id"] not in ("NA-C001", "NA-C002") for w in mine["items"])  # the pool is not a manager's

    counter = work(harness, COUNTER, "2026-07-01", "2026-07-01T09:00:00+08:00")  # the pool's, due in a month
    assert [(w["kind"], w["id"]) for w in counter["items"]] == [("callback", "NA-C001"), ("callback", "NA-C002")]
    assert work(harness, COUNTER, "2026-06-03", wednesday)["items"] == []  # nothing of it due yet

    supervisor = work(harness, SUPERVISOR, "2026-06-03", wednesday)
    complaint_work = [(w["kind"], w["overdue"]) for w in supervisor["items"] if w["id"] == filed["complaint_no"]]
    assert complaint_work == [("complaint_investigation", True), ("complaint_reply", False)]
    assert work(harness, OTHER_SUPERVISOR, "2026-06-03", wednesday)["items"] == []

    # what is done leaves the list
    harness.call("POST", f"/contacts/{contact['contact_id']}/reply", {"answer": "已寄出"}, as_=MANAGER, at=wednesday)
    log = {"entries": [{"kind": "call", "minutes": 30, "note": "回访"}]}
    harness.call("PUT", "/work-logs/mgr-1/2026-06-02", log, as_=MANAGER, at=wednesday)
    assert kinds(work(harness, MANAGER, "2026-06-03", wednesday)) == [
        ("prospect_follow_up", followed["prospect_id"], True)
    ]


def test_work_is_for_the_people_of_a_branch_and_the_day_must_be_a_date(harness: Harness) -> None:
    assert harness.call("GET", "/work", as_=("hq", "hq-1", None)).status == 403
    assert harness.call("GET", "/work", query="date=tomorrow", as_=MANAGER).status == 422
    today = harness.call("GET", "/work", as_=MANAGER)
    assert today.status == 200
    assert today.json()["date"]
