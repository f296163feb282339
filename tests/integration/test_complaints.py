"""Complaints through the API (DOMAIN §4): TS-YYMM-NNNN numbers gap-free under retries and
refusals, deadlines in working days, states and legal moves, 回避, regulator flag. The callback after
the reply: tests/integration/test_callbacks.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crm import rules
from crm.data import complaints as complaint_data
from crm.domain.access import Identity, Role
from crm.domain.complaints import Status, plan_transition
from crm.domain.time import parse_iso
from crm.errors import Conflict
from tests.integration.harness import Harness, new_client
from tests.integration.pages import whole

MANAGER = ("manager", "mgr-1", "B1")
COUNTER = ("counter", "ctr-1", "B1")


def complaint_body(**changes: Any) -> dict[str, Any]:
    return {"client_id": "C001", "channel": "phone", "category": "efficiency", "content": "开户等待太久"} | changes


def file(harness: Harness, at: str, *, key: str | None = None, as_: Any = COUNTER, **changes: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return harness.call("POST", "/complaints", complaint_body(**changes), as_=as_, at=at, headers=headers)


def number(harness: Harness, at: str, **changes: Any) -> str:
    response = file(harness, at, **changes)
    assert response.status == 201, response.body
    return response.json()["complaint_no"]


@pytest.mark.usefixtures("client")
def test_numbers_run_per_beijing_month_from_0001(harness: Harness) -> None:
    assert number(harness, "2026-05-06T10:00:00+08:00") == "TS-2605-0001"
    assert number(harness, "2026-05-31T23:59:00+08:00") == "TS-2605-0002"
    # 2026-05-31T16:30Z is already June 1st in Beijing
    assert number(harness, "2026-06-01T09:00:00+08:00", received_at="2026-05-31T16:30:00Z") == "TS-2606-0001"
    # a letter received in April, logged in May, is numbered in April
    assert number(harness, "2026-05-20T10:00:00+08:00", received_at="2026-04-28T10:00:00+08:00") == "TS-2604-0001"
    assert number(harness, "2026-06-02T10:00:00+08:00") == "TS-2606-0002"


@pytest.mark.usefixtures("client")
def test_retries_with_the_same_key_return_the_same_complaint_and_consume_no_number(harness: Harness) -> None:
    first = file(harness, "2026-05-06T10:00:00+08:00", key="intake-42")
    retry = file(harness, "2026-05-06T10:00:05+08:00", key="intake-42")
    assert (first.status, retry.status) == (201, 201)
    assert retry.json()["complaint_no"] == first.json()["complaint_no"] == "TS-2605-0001"
    reused = file(harness, "2026-05-06T10:01:00+08:00", key="intake-42", content="另一件事")
    assert reused.status == 422
    assert reused.json()["error"]["field"] == "Idempotency-Key"
    # another user's identical key is another request
    assert (
        file(harness, "2026-05-06T10:02:00+08:00", key="intake-42", as_=MANAGER).json()["complaint_no"]
        == "TS-2605-0002"
    )
    assert number(harness, "2026-05-06T10:03:00+08:00") == "TS-2605-0003"


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"category": "rudeness"}, 422, "category"),
        ({"channel": "pigeon"}, 422, "channel"),
        ({"content": ""}, 422, "content"),
        ({"client_id": "NOPE"}, 404, "client_id"),
        ({"received_at": "2026-05-07T10:00:00+08:00"}, 422, "received_at"),
        ({"received_at": "1900-01-01T10:00:00+08:00"}, 422, "received_at"),
        ({"received_at": "2020-05-17T23:59:00+08:00"}, 422, "received_at"),  # the day before C001 opened
        ({"received_at": "2026-04-06T09:59:00+08:00"}, 422, "received_at"),  # 30 days and a minute back
        ({"about_staff": ["ctr-1"]}, 403, "about_staff"),  # the recorder is the one complained about
    ],
    ids=[
        "category",
        "channel",
        "content",
        "unknown-client",
        "future",
        "year-1900",
        "before-opening",
        "too-long-ago",
        "recorder-complained-about",
    ],
)
def test_refused_complaints_consume_no_number(
    harness: Harness, changes: dict[str, Any], status: int, field: str
) -> None:
    refused = file(harness, "2026-05-06T10:00:00+08:00", **changes)
    assert refused.status == status, refused.body
    assert refused.json()["error"]["field"] == field
    assert number(harness, "2026-05-06T10:05:00+08:00") == "TS-2605-0001"


@pytest.mark.usefixtures("client")
def test_a_receipt_up_to_thirty_days_back_and_on_the_opening_day_is_taken(harness: Harness) -> None:
    days = rules.requests().limits.complaint_received_max_days_back
    assert days == 30  # DEFAULT (rules/requests.toml)
    now = parse_iso("2026-05-06T10:00:00+08:00")
    back = (now - timedelta(days=days)).isoformat()
    assert number(harness, now.isoformat(), received_at=back) == "TS-2604-0001"
    opened = "2026-05-01T00:00:00+08:00"  # a client opened that day complains at once
    assert harness.call("POST", "/clients", new_client("C900", opened_on="2026-05-01")).status == 201
    assert number(harness, now.isoformat(), client_id="C900", received_at=opened) == "TS-2605-0001"
    early = file(harness, now.isoformat(), client_id="C900", received_at="2026-04-30T23:59:59+08:00")
    assert (early.status, early.json()["error"]["field"]) == (422, "received_at")
    assert "opened" in early.json()["error"]["message"]


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("received_at", "investigate_due", "reply_due"),
    [
        ("2026-04-30T10:00:00+08:00", "2026-05-06T23:59:59+08:00", "2026-05-07T23:59:59+08:00"),
        ("2026-05-08T16:00:00+08:00", "2026-05-09T23:59:59+08:00", "2026-05-11T23:59:59+08:00"),
        ("2026-09-30T23:00:00+08:00", "2026-10-08T23:59:59+08:00", "2026-10-09T23:59:59+08:00"),
    ],
    ids=["labour-day", "make-up-saturday", "national-day"],
)
def test_deadlines_count_working_days_after_the_day_of_receipt(
    harness: Harness, received_at: str, investigate_due: str, reply_due: str
) -> None:
    logged = (parse_iso(received_at) + timedelta(days=1)).isoformat()  # a day late: deadlines still run from receipt
    got = file(harness, logged, received_at=received_at).json()
    assert (got["investigate_due_at"], got["reply_due_at"], got["deadline_provisional"]) == (
        investigate_due,
        reply_due,
        False,
    )


@pytest.mark.usefixtures("client")
def test_a_regulator_referral_is_flagged(harness: Harness) -> None:
    referred = file(harness, "2026-05-06T10:00:00+08:00", channel="regulator", referral_ref="12386-2026-0001").json()
    assert (referred["regulator_referral"], referred["referral_ref"]) == (True, "12386-2026-0001")
    flagged = file(harness, "2026-05-06T10:00:00+08:00", regulator_referral=True).json()
    assert flagged["regulator_referral"] is True
    assert file(harness, "2026-05-06T10:00:00+08:00").json()["regulator_referral"] is False


def move(harness: Harness, no: str, to: str, *, as_: Any = ("supervisor", "sup-b1", "B1"), **extra: Any) -> Any:
    return harness.call(
        "POST",
        f"/complaints/{no}/transitions",
        {"to": to, "note": f"to {to}", **extra},
        as_=as_,
        at="2026-05-06T12:00:00+08:00",
    )


@pytest.mark.usefixtures("client")
def test_the_whole_life_of_a_complaint_is_kept(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    assert move(harness, no, "accepted").json()["validity"] == "valid"
    assert move(harness, no, "investigating", as_=MANAGER).status == 200
    assert move(harness, no, "replied", as_=MANAGER).status == 200
    assert move(harness, no, "callback_done").status == 409  # the callback task makes that move
    harness.drain()
    harness.trigger("callbacks", "2026-05-07T06:00:00+08:00")
    reached = {"reached": True, "attitude": "satisfied", "score": 9}
    assert harness.call("POST", f"/callbacks/PC-{no}/attempts", reached, as_=COUNTER).status == 200
    assert harness.call("GET", f"/complaints/{no}").json()["satisfaction"] == "satisfied"
    closed = move(harness, no, "closed").json()
    assert closed["status"] == "closed"
    history = harness.call("GET", f"/complaints/{no}", as_=("compliance", "c", None)).json()["history"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        (None, "received", "ctr-1"),  # the receipt: no state before it
        ("received", "accepted", "sup-b1"),
        ("accepted", "investigating", "mgr-1"),
        ("investigating", "replied", "mgr-1"),
        ("replied", "callback_done", "ctr-1"),
        ("callback_done", "closed", "sup-b1"),
    ]
    assert history[4]["callback"] == {"reached": True, "satisfaction": "satisfied", "score": 9, "note": None}
    assert all(h["note"] for h in history)


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("path", "to", "status"),
    [
        ([], "replied", 409),
        ([], "closed", 409),
        ([], "callback_done", 409),
        (["accepted"], "accepted", 409),
        (["accepted"], "closed", 409),
        (["rejected", "closed"], "accepted", 409),
        ([], "reopened", 422),
    ],
    ids=[
        "received-replied",
        "received-closed",
        "received-callback",
        "accepted-twice",
        "accepted-closed",
        "closed-final",
        "unknown",
    ],
)
def test_illegal_moves_are_refused(harness: Harness, path: list[str], to: str, status: int) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    for step in path:
        assert move(harness, no, step).status == 200
    response = move(harness, no, to)
    assert response.status == status, response.body
    assert harness.call("GET", f"/complaints/{no}").json()["status"] == (path[-1] if path else "received")


@pytest.mark.usefixtures("client")
def test_moves_by_roles_that_may_not_make_them_are_403(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    assert move(harness, no, "accepted", as_=COUNTER).status == 403
    assert move(harness, no, "accepted", as_=MANAGER).status == 403
    assert move(harness, no, "accepted", as_=("hq", "h", None)).status == 403
    assert move(harness, no, "accepted", as_=("supervisor", "s2", "B2")).status == 403
    assert harness.call("GET", f"/complaints/{no}").json()["status"] == "received"


@pytest.mark.usefixtures("client")
def test_the_person_complained_about_may_not_handle_it(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00", category="attitude", about_staff=["mgr-1", "sup-b1"])
    refused = move(harness, no, "accepted")
    assert refused.status == 403
    assert "回避" in refused.json()["error"]["message"]
    assert move(harness, no, "accepted", as_=("supervisor", "sup-b1-deputy", "B1")).status == 200
    assert move(harness, no, "investigating", as_=MANAGER).status == 403


@pytest.mark.usefixtures("client")
def test_two_concurrent_moves_one_wins_one_conflicts(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    stale, _ = complaint_data.get(no) or (None, None)
    assert stale is not None
    supervisor = Identity(user_id="sup-b1", role=Role.SUPERVISOR, branch_id="B1")
    at = parse_iso("2026-05-06T11:00:00+08:00")
    accept = plan_transition(stale, Status.ACCEPTED, supervisor, "first", at, rules.complaints())
    reject = plan_transition(stale, Status.REJECTED, supervisor, "second", at, rules.complaints())
    complaint_data.apply_transition(stale, accept, [])
    with pytest.raises(Conflict):
        complaint_data.apply_transition(stale, reject, [])
    got = harness.call("GET", f"/complaints/{no}").json()
    assert got["status"] == "accepted"
    assert [h["to"] for h in got["history"]] == ["received", "accepted"]


@pytest.mark.usefixtures("client")
def test_listing_by_branch_and_status(harness: Harness) -> None:
    first = number(harness, "2026-05-06T10:00:00+08:00")
    number(harness, "2026-05-06T11:00:00+08:00")
    move(harness, first, "accepted")
    listed = harness.call("GET", "/complaints", query="status=accepted").json()["items"]
    assert [c["complaint_no"] for c in listed] == [first]
    assert harness.call("GET", "/complaints", as_=("supervisor", "s2", "B2")).json()["items"] == []
    assert len(harness.call("GET", "/complaints", as_=("hq", "h", None), query="branch_id=B1").json()["items"]) == 2


@pytest.mark.usefixtures("client")
def test_listing_by_several_statuses_and_by_client(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("C002", manager_id="mgr-2")).status == 201
    received = number(harness, "2026-05-06T09:00:00+08:00")
    accepted = number(harness, "2026-05-06T10:00:00+08:00")
    rejected = number(harness, "2026-05-06T11:00:00+08:00", client_id="C002")
    move(harness, accepted, "accepted")
    move(harness, rejected, "rejected")

    def listed(query: str) -> list[str]:
        return [c["complaint_no"] for c in whole(harness, "/complaints", query=query)]

    assert listed("status=accepted,rejected") == [rejected, accepted]
    assert listed("status=received,accepted") == [accepted, received]
    assert listed("status=accepted") == [accepted]
    assert listed("client_id=C001") == [accepted, received]
    assert listed("client_id=C002") == [rejected]
    assert listed("client_id=C002&status=received,accepted") == []
    refused = harness.call("GET", "/complaints", query="status=accepted,nosuch")
    assert (refused.status, refused.json()["error"]["field"]) == (422, "status")
    assert "nosuch" in refused.json()["error"]["message"]


@pytest.mark.usefixtures("client")
def test_a_listed_complaint_has_no_history_the_complaint_itself_does(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    (listed,) = harness.call("GET", "/complaints").json()["items"]
    assert listed["complaint_no"] == no
    assert "history" not in listed
    history = harness.call("GET", f"/complaints/{no}").json()["history"]
    assert [(h["from"], h["to"], h["note"]) for h in history] == [(None, "received", "received")]


@pytest.mark.usefixtures("client")
def test_a_replayed_move_returns_the_first_answer_and_moves_nothing(harness: Harness) -> None:
    no = number(harness, "2026-05-06T10:00:00+08:00")
    key = {"Idempotency-Key": "move-7"}
    accept = {"to": "accepted", "note": "受理"}
    first = harness.call("POST", f"/complaints/{no}/transitions", accept, headers=key, at="2026-05-06T11:00:00+08:00")
    assert first.status == 200, first.body
    replay = harness.call("POST", f"/complaints/{no}/transitions", accept, headers=key, at="2026-05-06T11:00:09+08:00")
    assert (replay.status, replay.json()) == (200, first.json())  # not a 409: accepted → accepted
    other = {"to": "investigating", "note": "调查"}
    reused = harness.call("POST", f"/complaints/{no}/transitions", other, headers=key, at="2026-05-06T11:01:00+08:00")
    assert reused.status == 422, reused.body
    assert reused.json()["error"]["field"] == "Idempotency-Key"
    history = harness.call("GET", f"/complaints/{no}").json()["history"]
    assert [h["to"] for h in history] == ["received", "accepted"]
    # without the key, the same move again is the illegal move it is
    again = harness.call("POST", f"/complaints/{no}/transitions", accept, at="2026-05-06T11:02:00+08:00")
    assert again.status == 409
