"""Contacts through the API (DOMAIN §3; 第29条, 第31条, 第35–36条): e-mail reply deadlines,
next-working-day follow-ups, 首问负责制, same-day replies, traced phone/e-mail changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

OWNER = ("manager", "mgr-1", "B1")
OTHER_MANAGER = ("manager", "mgr-2", "B1")


def inquiry(harness: Harness, channel: str, received_at: str, *, as_: Any = OWNER) -> dict[str, Any]:
    body = {
        "client_id": "C001",
        "channel": channel,
        "subject": "如何开通创业板",
        "received_at": received_at,
        "first_responder": "mgr-1",
    }
    response = harness.call("POST", "/contacts", body, as_=as_, at=received_at)
    assert response.status == 201, response.body
    return response.json()


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("channel", "received_at", "reply_due", "follow_up_due"),
    [
        ("email", "2026-04-30T10:00:00+08:00", "2026-05-07T23:59:59+08:00", None),  # Labour Day 5/1–5/5
        ("email", "2026-05-08T11:00:00+08:00", "2026-05-11T23:59:59+08:00", None),  # make-up Saturday counts
        ("phone", "2026-05-08T20:00:00+08:00", None, "2026-05-09T23:59:59+08:00"),  # after hours → Sat 5/9
        ("web", "2026-05-02T10:00:00+08:00", None, "2026-05-06T23:59:59+08:00"),  # on a holiday
        ("email", "2026-04-30T18:30:00+08:00", "2026-05-07T23:59:59+08:00", "2026-05-06T23:59:59+08:00"),
        ("phone", "2026-05-08T09:00:00+08:00", None, None),  # within working hours
        ("visit", "2026-05-09T10:00:00+08:00", None, None),  # a make-up Saturday is a working day
    ],
    ids=["email", "email-over-make-up-day", "after-hours", "holiday", "email-after-hours", "in-hours", "make-up-day"],
)
def test_deadlines_follow_the_working_day_calendar(
    harness: Harness, channel: str, received_at: str, reply_due: str | None, follow_up_due: str | None
) -> None:
    contact = inquiry(harness, channel, received_at)
    assert (contact["reply_due_at"], contact["follow_up_due_at"]) == (reply_due, follow_up_due)
    assert contact["outside_working_hours"] is (follow_up_due is not None)
    assert contact["deadline_provisional"] is False
    assert harness.call("GET", f"/contacts/{contact['contact_id']}").json() == contact


@pytest.mark.usefixtures("client")
def test_the_first_responder_owns_the_inquiry_until_it_is_answered(harness: Harness) -> None:
    contact = inquiry(harness, "email", "2026-05-06T10:00:00+08:00")
    path = f"/contacts/{contact['contact_id']}/reply"
    assert harness.call("POST", path, {"answer": "x"}, as_=OTHER_MANAGER, at="2026-05-06T11:00:00+08:00").status == 403
    assert (
        harness.call("POST", path, {"answer": "x"}, as_=("counter", "c", "B1"), at="2026-05-06T11:00:00+08:00").status
        == 403
    )
    replied = harness.call("POST", path, {"answer": "已开通指引已发送"}, as_=OWNER, at="2026-05-06T16:00:00+08:00")
    assert replied.status == 200
    got = replied.json()
    assert (got["status"], got["replied_by"], got["replied_same_day"]) == ("answered", "mgr-1", True)
    again = harness.call("POST", path, {"answer": "again"}, as_=OWNER, at="2026-05-06T17:00:00+08:00")
    assert again.status == 409


@pytest.mark.usefixtures("client")
def test_a_supervisor_may_step_in_and_a_next_day_reply_is_not_same_day(harness: Harness) -> None:
    contact = inquiry(harness, "email", "2026-05-06T10:00:00+08:00")
    replied = harness.call(
        "POST", f"/contacts/{contact['contact_id']}/reply", {"answer": "ok"}, at="2026-05-07T09:30:00+08:00"
    )
    assert replied.status == 200
    assert (replied.json()["replied_by"], replied.json()["replied_same_day"]) == ("sup-b1", False)


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"channel": "fax"}, "channel", 422),
        ({"subject": ""}, "subject", 422),
        ({"received_at": "2026-05-06T10:00:00"}, "received_at", 422),  # no offset
        ({"received_at": "2026-05-07T10:00:00+08:00"}, "received_at", 422),  # after the request
        ({"client_id": "NOPE"}, "client_id", 404),
    ],
    ids=["channel", "subject", "naive-time", "future", "unknown-client"],
)
def test_bad_contacts_are_refused_and_nothing_is_stored(
    harness: Harness, changes: dict[str, Any], field: str, status: int
) -> None:
    body = {"client_id": "C001", "channel": "email", "subject": "s", "first_responder": "mgr-1"} | changes
    response = harness.call("POST", "/contacts", body, at="2026-05-06T10:00:00+08:00")
    assert response.status == status, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", "/contacts").json()["items"] == []


@pytest.mark.usefixtures("client")
def test_listings_follow_ownership_and_branch(harness: Harness) -> None:
    inquiry(harness, "email", "2026-05-06T10:00:00+08:00")
    body = {"client_id": "C001", "channel": "phone", "subject": "s", "first_responder": "ctr-1"}
    assert (
        harness.call("POST", "/contacts", body, as_=("counter", "ctr-1", "B1"), at="2026-05-06T11:00:00+08:00").status
        == 201
    )
    assert len(harness.call("GET", "/contacts").json()["items"]) == 2
    # mgr-1 manages C001: it sees both inquiries about its client, whoever took them
    mine = harness.call("GET", "/contacts", as_=OWNER).json()["items"]
    assert sorted(c["first_responder"] for c in mine) == ["ctr-1", "mgr-1"]
    assert harness.call("GET", "/contacts", as_=OTHER_MANAGER).json()["items"] == []
    assert harness.call("GET", "/contacts", as_=("supervisor", "s", "B2")).json()["items"] == []
    open_ones = harness.call("GET", "/contacts", query="status=open&owner=ctr-1").json()["items"]
    assert [c["channel"] for c in open_ones] == ["phone"]


@pytest.mark.usefixtures("client")
def test_the_listing_takes_several_statuses_and_one_client(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("C002", manager_id="mgr-2")).status == 201
    answered = inquiry(harness, "email", "2026-05-06T10:00:00+08:00")
    reply = {"answer": "已回复"}
    assert harness.call("POST", f"/contacts/{answered['contact_id']}/reply", reply, as_=OWNER).status == 200
    inquiry(harness, "phone", "2026-05-06T11:00:00+08:00")
    other = {"client_id": "C002", "channel": "web", "subject": "密码", "first_responder": "mgr-2"}
    assert harness.call("POST", "/contacts", other, at="2026-05-06T12:00:00+08:00").status == 201

    def listed(query: str) -> list[tuple[str, str]]:
        return [(c["client_id"], c["status"]) for c in whole(harness, "/contacts", query=query)]

    assert listed("status=open") == [("C002", "open"), ("C001", "open")]
    assert listed("status=open,answered") == [("C002", "open"), ("C001", "open"), ("C001", "answered")]
    assert listed("status=answered") == [("C001", "answered")]
    assert listed("client_id=C001") == [("C001", "open"), ("C001", "answered")]
    assert listed("client_id=C002&status=open,answered") == [("C002", "open")]
    assert listed("client_id=C003") == []
    for bad in ("nosuch", "open,nosuch", "open,"):
        refused = harness.call("GET", "/contacts", query=f"status={bad}")
        assert (refused.status, refused.json()["error"]["field"]) == (422, "status"), bad


@pytest.mark.usefixtures("client")
def test_phone_and_email_changes_need_evidence_and_are_traced(harness: Harness) -> None:
    missing = harness.call("PUT", "/clients/C001/contact-details", {"phone": "13911112222"}, as_=OWNER)
    assert missing.status == 422
    assert missing.json()["error"]["field"] == "evidence_ref"
    bad = harness.call("PUT", "/clients/C001/contact-details", {"phone": "139", "evidence_ref": "REC-1"}, as_=OWNER)
    assert bad.status == 422
    assert harness.call("GET", "/clients/C001").json()["phone"] == "13800138000"

    body = {"phone": "13911112222", "email": "new@example.com", "evidence_ref": "REC-20260506-0042", "reason": "换号"}
    changed = harness.call("PUT", "/clients/C001/contact-details", body, as_=OWNER)
    assert changed.status == 200
    assert changed.json()["phone"] == "139****2222"  # a manager sees it masked
    assert harness.call("GET", "/clients/C001").json()["phone"] == "13911112222"

    full = harness.call("GET", "/clients/C001/contact-details-history").json()["items"]
    assert [(c["phone_before"], c["phone_after"], c["email_before"], c["email_after"]) for c in full] == [
        ("13800138000", "13911112222", "zhang.san@example.com", "new@example.com")
    ]
    assert (full[0]["evidence_ref"], full[0]["by"], full[0]["reason"]) == ("REC-20260506-0042", "mgr-1", "换号")
    masked = harness.call("GET", "/clients/C001/contact-details-history", as_=OWNER).json()["items"]
    assert (masked[0]["phone_before"], masked[0]["phone_after"]) == ("138****8000", "139****2222")
    for n, phone in enumerate(("13933334444", "13955556666")):
        again = {"phone": phone, "evidence_ref": f"REC-{n}"}
        at = f"2026-05-0{n + 7}T10:00:00+08:00"
        assert harness.call("PUT", "/clients/C001/contact-details", again, as_=OWNER, at=at).status == 200
    history = whole(harness, "/clients/C001/contact-details-history")
    pages = every_page(harness, "/clients/C001/contact-details-history", limit=2)
    assert [len(page) for page in pages] == [2, 1]
    assert [item for page in pages for item in page] == history
    assert {c["phone_after"] for c in history} == {"13911112222", "13933334444", "13955556666"}
    assert harness.call("PUT", "/clients/C001/contact-details", body, as_=OTHER_MANAGER).status == 403
