"""Callbacks through the API, the streams and the daily job (DOMAIN §4–7): every kind created on
its day and once, due dates, the branch pool and independence, attempts to done and unreachable,
complaints completed by their callback, periodic and care calls following the client's record."""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from typing import Any

import pytest

from crm.data import callbacks as callback_data
from crm.domain.callbacks import Kind
from tests.integration.harness import Harness, new_client

SUPERVISOR = ("supervisor", "sup-b1", "B1")
COUNTER = ("counter", "ctr-1", "B1")
MANAGER = ("manager", "mgr-1", "B1")
OTHER_MANAGER = ("manager", "mgr-2", "B1")
OTHER_BRANCH = ("supervisor", "sup-b2", "B2")
HQ = ("hq", "hq-1", None)

A_PLUS = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
CLASS_E = {"assets": 50_000, "avg_assets": 10_000, "trade_volume": 20_000}
CLASS_G = {"assets": 5_000, "avg_assets": 1_000, "trade_volume": 0}
REACHED = {"reached": True, "attitude": "satisfied", "score": 9, "solved": True, "risk_reminder": True}


def register(harness: Harness, client_id: str, *, at: str, **changes: Any) -> None:
    response = harness.call("POST", "/clients", new_client(client_id, **changes), at=at)
    assert response.status == 201, response.body
    harness.drain()


def metrics(harness: Harness, client_id: str, figures: dict[str, int], *, at: str, year: int = 2026) -> None:
    response = harness.call("PUT", f"/clients/{client_id}/metrics/{year}", figures, at=at)
    assert response.status == 200, response.body
    harness.drain()


def tasks(harness: Harness, query: str = "", as_: Any = SUPERVISOR) -> list[dict[str, Any]]:
    response = harness.call("GET", "/callbacks", query=query, as_=as_)
    assert response.status == 200, response.body
    return response.json()["items"]


def task(harness: Harness, callback_id: str, as_: Any = SUPERVISOR) -> dict[str, Any]:
    response = harness.call("GET", f"/callbacks/{callback_id}", as_=as_)
    assert response.status == 200, response.body
    return response.json()


def attempt(harness: Harness, callback_id: str, body: dict[str, Any], *, as_: Any = COUNTER, at: str | None = None):
    return harness.call("POST", f"/callbacks/{callback_id}/attempts", body, as_=as_, at=at)


def run_job(harness: Harness, at: str) -> dict[str, Any]:
    return harness.trigger("callbacks", at)["result"]


# --- new accounts ----------------------------------------------------------------------------------


def test_a_new_account_is_called_back_within_a_month_from_the_pool_once(harness: Harness) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    first = run_job(harness, "2026-11-21T06:00:00+08:00")
    assert first["created"] == {"new_account": 1}
    assert run_job(harness, "2026-11-21T06:30:00+08:00")["created"] == {}
    assert run_job(harness, "2026-11-22T06:00:00+08:00")["created"] == {}
    (found,) = tasks(harness, "owner=pool&status=open")
    assert found | {"created_at": None} == {
        "callback_id": "NA-C1",
        "client_id": "C1",
        "branch_id": "B1",
        "kind": "new_account",
        "due_at": "2026-12-20T23:59:59+08:00",
        "owner": None,
        "status": "open",
        "attempts": 0,
        "source": None,
        "manager_id": "mgr-1",
        "unreached": 0,
        "due_provisional": False,
        "rules_version": "2026.1",
        "created_at": None,
        "finished_at": None,
        "attitude": None,
        "score": None,
    }


@pytest.mark.parametrize(
    ("opened_on", "due_at"),
    [
        ("2026-04-30", "2026-05-31T23:59:59+08:00"),  # a month's last day: the next month's last day
        ("2026-01-31", "2026-02-28T23:59:59+08:00"),
        ("2026-03-15", "2026-04-15T23:59:59+08:00"),
    ],
)
def test_the_new_account_callback_is_due_the_same_day_of_the_next_month(
    harness: Harness, opened_on: str, due_at: str
) -> None:
    register(harness, "C1", at=f"{opened_on}T15:00:00+08:00", opened_on=opened_on)
    run_job(harness, f"{opened_on}T23:00:00+08:00")
    assert task(harness, "NA-C1")["due_at"] == due_at


def test_a_migrated_record_opened_long_ago_gets_no_new_account_callback(harness: Harness) -> None:
    register(harness, "OLD", at="2026-11-20T10:00:00+08:00", opened_on="2026-10-01")
    register(harness, "LATE", at="2026-11-01T10:00:00+08:00", opened_on="2026-10-20")
    run_job(harness, "2026-11-25T06:00:00+08:00")  # LATE: opened 36 days before this run
    assert tasks(harness, "kind=new_account") == []


def test_the_clients_own_manager_may_not_record_it_and_three_unreached_attempts_end_it(harness: Harness) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    assert task(harness, "NA-C1", as_=MANAGER)["kind"] == "new_account"  # it may read it
    refused = attempt(harness, "NA-C1", {"reached": False}, as_=MANAGER)
    assert refused.status == 403, refused.body
    assigned = harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": "mgr-1"})
    assert (assigned.status, assigned.json()["error"]["field"]) == (422, "owner")
    for number in (1, 2):
        answered = attempt(harness, "NA-C1", {"reached": False, "suggestions": "无人接听"})
        assert (answered.status, answered.json()["status"], answered.json()["attempts"]) == (200, "open", number)
    assert answered.json()["owner"] == "ctr-1"  # recording a pool task takes it
    third = attempt(harness, "NA-C1", {"reached": False}).json()
    assert (third["status"], third["unreached"], len(third["attempt_log"])) == ("unreachable", 3, 3)
    late = attempt(harness, "NA-C1", REACHED)
    assert (late.status, late.json()["error"]["field"]) == (409, "callback_id")
    assert task(harness, "NA-C1")["attempt_log"][0]["suggestions"] == "无人接听"


def test_a_reached_attempt_with_attitude_and_score_makes_it_done_and_an_appointment_moves_it(
    harness: Harness,
) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    later = attempt(
        harness, "NA-C1", {"reached": True, "next_at": "2026-11-25T15:00:00+08:00"}, at="2026-11-23T10:00:00+08:00"
    ).json()
    assert (later["status"], later["due_at"], later["unreached"]) == ("open", "2026-11-25T15:00:00+08:00", 0)
    done = attempt(harness, "NA-C1", REACHED, at="2026-11-25T15:05:00+08:00").json()
    assert (done["status"], done["attitude"], done["score"], done["finished_at"]) == (
        "done",
        "satisfied",
        9,
        "2026-11-25T15:05:00+08:00",
    )
    assert [a["reached"] for a in done["attempt_log"]] == [True, True]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached": True}, "attitude"),
        ({"reached": True, "attitude": "satisfied"}, "score"),
        ({"reached": True, "attitude": "happy", "score": 9}, "attitude"),
        ({"reached": True, "attitude": "satisfied", "score": 11}, "score"),
        ({"reached": True, "attitude": "satisfied", "score": 0}, "score"),
        ({"reached": False, "attitude": "satisfied"}, "attitude"),
        ({"reached": False, "next_at": "2026-11-20T09:00:00+08:00"}, "next_at"),
        ({"reached": True, "next_at": "2026-11-30T09:00:00"}, "next_at"),  # no offset
        ({"reached": "yes"}, "reached"),
        ({"attitude": "satisfied", "score": 9}, "reached"),
        ({"reached": True, "attitude": "satisfied", "score": 9, "mood": "good"}, "mood"),
    ],
    ids=[
        "no-attitude",
        "no-score",
        "unknown-attitude",
        "score-11",
        "score-0",
        "attitude-unreached",
        "past-appointment",
        "naive-appointment",
        "reached-not-bool",
        "reached-missing",
        "unknown-field",
    ],
)
def test_bad_attempts_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, body: dict[str, Any], field: str
) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    refused = attempt(harness, "NA-C1", body, at="2026-11-23T10:00:00+08:00")
    assert (refused.status, refused.json()["error"]["field"]) == (422, field), refused.body
    stored = task(harness, "NA-C1")
    assert (stored["attempts"], stored["attempt_log"], stored["owner"]) == (0, [], None)


def test_owners_supervisors_assign_counter_staff_take_others_may_not(harness: Harness) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    assert harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": "ctr-9"}, as_=COUNTER).status == 403
    taken = harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": "ctr-1"}, as_=COUNTER)
    assert (taken.status, taken.json()["owner"]) == (200, "ctr-1")
    assert [t["callback_id"] for t in tasks(harness, "owner=ctr-1&status=open")] == ["NA-C1"]
    assert tasks(harness, "owner=pool&status=open") == []
    other = attempt(harness, "NA-C1", {"reached": False}, as_=("counter", "ctr-2", "B1"))
    assert other.status == 403
    moved = harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": "mgr-2"})
    assert moved.json()["owner"] == "mgr-2"
    assert attempt(harness, "NA-C1", {"reached": False}, as_=OTHER_MANAGER).status == 200
    back = harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": None})
    assert back.json()["owner"] is None
    assert harness.call("PUT", "/callbacks/NA-C1/owner", {"owner": "ctr-1"}, as_=MANAGER).status == 403


def test_scope_managers_see_their_clients_tasks_other_branches_see_none(harness: Harness) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    register(harness, "C2", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20", manager_id="mgr-2")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    assert [t["callback_id"] for t in tasks(harness, as_=MANAGER)] == ["NA-C1"]
    assert harness.call("GET", "/callbacks/NA-C2", as_=MANAGER).status == 403
    assert harness.call("GET", "/callbacks/NA-C1", as_=OTHER_BRANCH).status == 403
    assert harness.call("GET", "/callbacks", query="branch_id=B1", as_=OTHER_BRANCH).status == 403
    assert len(tasks(harness, "branch_id=B1", as_=HQ)) == 2
    assert [t["client_id"] for t in tasks(harness, "client_id=C2")] == ["C2"]
    assert harness.call("GET", "/callbacks/NA-NOPE").status == 404
    assert harness.call("GET", "/callbacks/not-a-task").status == 422


def test_the_list_takes_several_statuses_with_or_without_an_owner_or_a_client(harness: Harness) -> None:
    for client_id in ("C1", "C2", "C3"):
        register(harness, client_id, at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    assert attempt(harness, "NA-C1", REACHED).json()["status"] == "done"
    for _ in range(3):
        attempt(harness, "NA-C2", {"reached": False})
    assert task(harness, "NA-C2")["status"] == "unreachable"

    def listed(query: str) -> list[str]:
        return sorted(t["callback_id"] for t in tasks(harness, query))

    assert listed("status=done,unreachable") == ["NA-C1", "NA-C2"]
    assert listed("status=open,done,unreachable,cancelled") == ["NA-C1", "NA-C2", "NA-C3"]
    assert listed("status=open") == ["NA-C3"]
    assert listed("owner=pool&status=open") == ["NA-C3"]  # the open-work index
    assert listed("owner=ctr-1&status=open,done") == ["NA-C1"]  # done as well: the branch's tasks
    assert listed("owner=ctr-1&status=open") == []
    assert listed("client_id=C2&status=unreachable,done") == ["NA-C2"]
    assert listed("client_id=C2&status=open") == []
    refused = harness.call("GET", "/callbacks", query="status=done,later")
    assert (refused.status, refused.json()["error"]["field"]) == (422, "status")


# --- complaints ------------------------------------------------------------------------------------


def replied_complaint(harness: Harness, *, about_staff: list[str] | None = None) -> str:
    register(harness, "C001", at="2026-05-06T09:00:00+08:00", opened_on="2020-05-18")
    body = {"client_id": "C001", "channel": "phone", "category": "efficiency", "content": "开户等待太久"}
    if about_staff:
        body["about_staff"] = about_staff
    filed = harness.call("POST", "/complaints", body, as_=COUNTER, at="2026-05-06T10:00:00+08:00")
    assert filed.status == 201, filed.body
    number = filed.json()["complaint_no"]
    for to, at in (("accepted", "10:30"), ("investigating", "11:00"), ("replied", "16:00")):
        moved = harness.call(
            "POST", f"/complaints/{number}/transitions", {"to": to, "note": to}, at=f"2026-05-06T{at}:00+08:00"
        )
        assert moved.status == 200, moved.body
    harness.drain()
    return number


def test_a_replied_complaint_is_called_back_two_working_days_later_and_done_moves_it(harness: Harness) -> None:
    number = replied_complaint(harness)
    run_job(harness, "2026-05-07T06:00:00+08:00")
    callback_id = f"PC-{number}"
    found = task(harness, callback_id)
    # replied Wednesday 6 May 2026: Thursday 7 and Friday 8 May are the two working days
    assert (found["kind"], found["source"], found["due_at"], found["owner"]) == (
        "post_complaint",
        number,
        "2026-05-08T23:59:59+08:00",
        None,
    )
    by_hand = harness.call("POST", f"/complaints/{number}/transitions", {"to": "callback_done", "note": "done"})
    assert by_hand.status == 409, by_hand.body
    assert attempt(harness, callback_id, REACHED | {"attitude": "neutral", "score": 6}, as_=MANAGER).status == 403
    done = attempt(harness, callback_id, REACHED | {"attitude": "neutral", "score": 6}, at="2026-05-08T10:00:00+08:00")
    assert done.json()["status"] == "done"
    complaint = harness.call("GET", f"/complaints/{number}").json()
    assert (complaint["status"], complaint["satisfaction"]) == ("callback_done", "neutral")
    assert complaint["history"][-1]["callback"] == {
        "reached": True,
        "satisfaction": "neutral",
        "score": 6,
        "note": None,
    }
    closed = harness.call("POST", f"/complaints/{number}/transitions", {"to": "closed", "note": "结案"})
    assert closed.json()["status"] == "closed"


def test_the_person_complained_about_may_never_call_back(harness: Harness) -> None:
    number = replied_complaint(harness, about_staff=["ctr-7"])
    run_job(harness, "2026-05-07T06:00:00+08:00")
    callback_id = f"PC-{number}"
    assert attempt(harness, callback_id, REACHED, as_=("counter", "ctr-7", "B1")).status == 403
    assigned = harness.call("PUT", f"/callbacks/{callback_id}/owner", {"owner": "ctr-7"})
    assert (assigned.status, assigned.json()["error"]["field"]) == (422, "owner")


def test_an_unreachable_complainant_lets_the_supervisor_close_the_complaint(harness: Harness) -> None:
    number = replied_complaint(harness)
    run_job(harness, "2026-05-07T06:00:00+08:00")
    early = harness.call("POST", f"/complaints/{number}/transitions", {"to": "closed", "note": "结案"})
    assert early.status == 409
    for count in (1, 2, 3):
        attempt(harness, f"PC-{number}", {"reached": False})
        assert harness.call("GET", f"/complaints/{number}").json()["failed_callbacks"] == count
    assert task(harness, f"PC-{number}")["status"] == "unreachable"
    closed = harness.call("POST", f"/complaints/{number}/transitions", {"to": "closed", "note": "三次未接通"})
    assert closed.json()["status"] == "closed", closed.body


# --- periodic and care -----------------------------------------------------------------------------


def test_an_a_plus_client_is_called_a_month_after_its_class_was_set_an_e_client_not_yet(harness: Harness) -> None:
    register(harness, "VIP", at="2026-06-01T09:00:00+08:00", opened_on="2020-05-18", birthday="1990-09-20")
    register(harness, "SMALL", at="2026-06-01T09:00:00+08:00", opened_on="2020-05-18")
    metrics(harness, "VIP", A_PLUS, at="2026-06-10T10:00:00+08:00")
    metrics(harness, "SMALL", CLASS_E, at="2026-06-10T10:00:00+08:00")
    assert run_job(harness, "2026-07-02T06:00:00+08:00")["created"].get("periodic") is None  # 8 days before
    assert run_job(harness, "2026-07-03T06:00:00+08:00")["created"]["periodic"] == 1  # 7 days before
    (periodic,) = tasks(harness, "kind=periodic")
    assert (periodic["client_id"], periodic["due_at"], periodic["owner"]) == (
        "VIP",
        "2026-07-10T23:59:59+08:00",
        "mgr-1",
    )
    run_job(harness, "2026-07-10T06:00:00+08:00")
    assert len(tasks(harness, "kind=periodic")) == 1  # the open task holds the next one back
    done = attempt(harness, periodic["callback_id"], REACHED, as_=MANAGER, at="2026-07-08T11:00:00+08:00")
    assert done.json()["status"] == "done", done.body
    run_job(harness, "2026-08-01T06:00:00+08:00")  # one month after the last callback, less seven days
    assert sorted(t["due_at"] for t in tasks(harness, "kind=periodic")) == [
        "2026-07-10T23:59:59+08:00",
        "2026-08-08T23:59:59+08:00",
    ]


def test_a_faster_class_brings_the_next_periodic_call_forward_a_dormant_client_is_never_called(
    harness: Harness,
) -> None:
    register(harness, "C1", at="2026-01-05T09:00:00+08:00", opened_on="2020-05-18")
    register(harness, "SLEEPY", at="2026-01-05T09:00:00+08:00", opened_on="2020-05-18")
    metrics(harness, "C1", CLASS_E, at="2026-01-10T10:00:00+08:00")
    metrics(harness, "SLEEPY", CLASS_G, at="2026-01-10T10:00:00+08:00")
    periodic = callback_data.entry(Kind.PERIODIC, "C1")
    assert periodic is not None
    assert (periodic.due_on.isoformat(), periodic.create_on.isoformat()) == ("2027-01-10", "2027-01-03")
    metrics(harness, "C1", A_PLUS, at="2026-03-01T10:00:00+08:00")
    faster = callback_data.entry(Kind.PERIODIC, "C1")
    assert faster is not None
    assert faster.due_on.isoformat() == "2026-02-10"  # one month after the class was first set
    run_job(harness, "2026-03-02T06:00:00+08:00")
    (created,) = tasks(harness, "kind=periodic")
    assert (created["client_id"], created["due_at"]) == ("C1", "2026-03-02T23:59:59+08:00")  # never created overdue
    dormant = callback_data.entry(Kind.PERIODIC, "SLEEPY")
    assert dormant is not None
    assert (dormant.due_on, dormant.create_on) == (None, None)


def test_vips_are_called_for_their_birthday_others_not(harness: Harness) -> None:
    register(harness, "VIP", at="2026-06-01T09:00:00+08:00", opened_on="2020-05-18", birthday="1990-09-20")
    register(harness, "SMALL", at="2026-06-01T09:00:00+08:00", opened_on="2020-05-18", birthday="1990-09-20")
    metrics(harness, "VIP", A_PLUS, at="2026-06-10T10:00:00+08:00")
    metrics(harness, "SMALL", CLASS_E, at="2026-06-10T10:00:00+08:00")
    assert "care" not in run_job(harness, "2026-09-16T06:00:00+08:00")["created"]
    assert run_job(harness, "2026-09-17T06:00:00+08:00")["created"]["care"] == 1
    (care,) = tasks(harness, "kind=care")
    assert (care["callback_id"], care["due_at"], care["owner"]) == ("CR-VIP-2026", "2026-09-20T23:59:59+08:00", "mgr-1")
    assert "care" not in run_job(harness, "2026-09-18T06:00:00+08:00")["created"]
    nxt = callback_data.entry(Kind.CARE, "VIP")
    assert nxt is not None
    assert nxt.due_on.isoformat() == "2027-09-20"


def test_a_reassigned_client_takes_its_periodic_and_care_calls_to_its_new_manager(harness: Harness) -> None:
    register(harness, "VIP", at="2026-06-01T09:00:00+08:00", opened_on="2020-05-18", birthday="1990-07-12")
    metrics(harness, "VIP", A_PLUS, at="2026-06-10T10:00:00+08:00")
    run_job(harness, "2026-07-09T06:00:00+08:00")
    theirs = {"periodic", "care"}
    assert {t["owner"] for t in tasks(harness) if t["kind"] in theirs} == {"mgr-1"}
    moved = harness.call("PUT", "/clients/VIP/manager", {"manager_id": "mgr-2", "reason": "调岗"})
    assert moved.status == 200, moved.body
    harness.drain()
    assert {(t["kind"], t["owner"]) for t in tasks(harness) if t["kind"] in theirs} == {
        ("periodic", "mgr-2"),
        ("care", "mgr-2"),
    }


# --- the yearly sample -----------------------------------------------------------------------------


def test_the_2027_sample_is_drawn_once_by_the_first_run_of_the_year_and_reproducible(harness: Harness) -> None:
    eligible = [f"E{i:02d}" for i in range(21)]
    for client_id in eligible:
        register(harness, client_id, at="2026-12-01T09:00:00+08:00", opened_on="2024-03-01")
    for client_id in ("G1", "G2"):
        register(harness, client_id, at="2026-12-01T09:00:00+08:00", opened_on="2024-03-01")
        metrics(harness, client_id, CLASS_G, at="2026-12-02T10:00:00+08:00")
    register(harness, "LEFT", at="2026-12-01T09:00:00+08:00", opened_on="2024-03-01")
    case = harness.call(
        "POST", "/retention-cases", {"client_id": "LEFT", "kind": "closure", "reason": "fees"}, as_=COUNTER
    ).json()
    decided = harness.call(
        "POST", f"/retention-cases/{case['case_id']}/outcome", {"outcome": "closed", "note": "销户"}, as_=COUNTER
    )
    assert decided.status == 200, decided.body
    register(harness, "NEW27", at="2027-01-01T09:00:00+08:00", opened_on="2027-01-01")
    assert harness.call("GET", "/callbacks/samples/2027", as_=HQ).status == 404

    first = run_job(harness, "2027-01-01T06:00:00+08:00")
    sample = harness.call("GET", "/callbacks/samples/2027", as_=HQ).json()
    assert harness.call("GET", "/callbacks/samples/2027", as_=("compliance", "cmp-1", None)).json() == sample
    assert harness.call("GET", "/callbacks/samples/2027", as_=SUPERVISOR).status == 403
    assert sample["population"] == 21
    assert len(sample["drawn"]) == 3 == math.ceil(Decimal("0.10") * 21)  # at least 10 %, rounded up
    assert set(sample["drawn"]) <= set(eligible)
    assert len(sample["seed"]) == 32
    assert int(sample["seed"], 16) >= 0
    # docs/domain.md's lines (the yearly sample), from the record and the eligible ids alone
    seed, ids = sample["seed"], eligible
    ranked = sorted(ids, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest() == sample["population_digest"]
    assert ranked[: math.ceil(Decimal(str(sample["rate"])) * len(ids))] == sample["drawn"]
    assert first["created"]["sample"] == 3
    sampled = tasks(harness, "kind=sample")
    assert {t["client_id"] for t in sampled} == set(sample["drawn"])
    assert {(t["due_at"], t["owner"]) for t in sampled} == {("2027-06-30T23:59:59+08:00", None)}

    again = run_job(harness, "2027-01-02T06:00:00+08:00")
    assert again["sample"] == "complete"
    assert harness.call("GET", "/callbacks/samples/2027", as_=HQ).json() == sample
    assert len(tasks(harness, "kind=sample")) == 3


def test_tasks_and_attempts_leave_their_trace_in_the_audit_trail(harness: Harness) -> None:
    register(harness, "C1", at="2026-11-20T10:00:00+08:00", opened_on="2026-11-20")
    run_job(harness, "2026-11-21T06:00:00+08:00")
    attempt(harness, "NA-C1", REACHED, at="2026-11-23T10:00:00+08:00")
    harness.drain()
    trail = harness.call("GET", "/audit/clients/C1", as_=("compliance", "cmp-1", None)).json()["items"]
    about_callbacks = [(e["table"], e["key"]["sk"], e["by"]) for e in trail if e["table"] == "callbacks"]
    assert ("callbacks", "TASK", "system:callbacks") in about_callbacks  # created by the job
    assert ("callbacks", "TASK", "ctr-1") in about_callbacks  # done by the attempt
    assert ("callbacks", "ATTEMPT#001", "ctr-1") in about_callbacks
    done = next(e for e in trail if e["key"]["sk"] == "TASK" and e["by"] == "ctr-1")
    assert (done["before"]["status"], done["after"]["status"]) == ("open", "done")
