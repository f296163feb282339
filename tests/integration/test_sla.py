"""SLA clocks end to end (DOMAIN §3, §4, §10): the scheduled sweep escalates exactly once through
the sparse index, late work is recorded as a breach by the stream handler, provisional
deadlines are recomputed when HQ loads the missing year, and every escalation is an event."""

from __future__ import annotations

from typing import Any

import pytest

from crm import topology
from tests.integration.harness import Harness, new_client
from tests.integration.pages import whole

HQ = ("hq", "hq-1", None)


def email(harness: Harness, received_at: str) -> str:
    body = {"client_id": "C001", "channel": "email", "subject": "对账单", "first_responder": "mgr-1"}
    response = harness.call("POST", "/contacts", body | {"received_at": received_at}, at=received_at)
    assert response.status == 201, response.body
    return response.json()["contact_id"]


def complaint(harness: Harness, received_at: str) -> str:
    body = {"client_id": "C001", "channel": "letter", "category": "efficiency", "content": "迟迟无人处理"}
    response = harness.call("POST", "/complaints", body | {"received_at": received_at}, at=received_at)
    assert response.status == 201, response.body
    return response.json()["complaint_no"]


def breached(harness: Harness, level: str | None = None) -> list[tuple[str, str, str | None]]:
    return [
        (e["detail"]["owner_id"], e["detail"]["clock"], e["detail"]["escalate_to"]["role"])
        for e in harness.bus_log.events("SlaBreached")
        if level in (None, e["detail"]["level"])
    ]


@pytest.mark.usefixtures("client")
def test_the_sweep_escalates_an_unanswered_email_and_an_uninvestigated_complaint_exactly_once(
    harness: Harness,
) -> None:
    contact_id = email(harness, "2026-04-30T10:00:00+08:00")  # reply due 2026-05-07 23:59:59
    complaint_no = complaint(harness, "2026-04-30T10:00:00+08:00")  # investigate due 05-06, reply due 05-07
    harness.drain()

    before = harness.trigger("sla-sweep", "2026-05-06T12:00:00+08:00")["result"]
    assert before["escalated"] == 0
    assert breached(harness) == []

    harness.trigger("sla-sweep", "2026-05-08T09:00:00+08:00")
    assert sorted(breached(harness, "supervisor")) == sorted(
        [
            (contact_id, "contact_reply", "supervisor"),
            (complaint_no, "complaint_investigate", "supervisor"),
            (complaint_no, "complaint_reply", "supervisor"),
        ]
    )
    # the investigation was due 05-06: a whole working day later it has gone up to HQ as well
    assert breached(harness, "hq") == [(complaint_no, "complaint_investigate", "hq")]
    again = harness.trigger("sla-sweep", "2026-05-08T09:15:00+08:00")["result"]
    assert again["escalated"] == 0
    assert len(breached(harness)) == 4

    event = next(e for e in harness.bus_log.events("SlaBreached") if e["detail"]["owner_id"] == contact_id)
    assert event["source"] == "brokerage.crm"
    assert event["detail"]["escalate_to"] == {"role": "supervisor", "user": None, "branch_id": "B1"}
    assert event["detail"]["due_at"] == "2026-05-07T23:59:59.000+08:00"

    records = harness.call("GET", "/sla/breaches").json()["items"]
    assert sorted((b["owner_id"], b["clock"]) for b in records) == sorted(
        [(contact_id, "contact_reply"), (complaint_no, "complaint_investigate"), (complaint_no, "complaint_reply")]
    )
    assert all(b["met_at"] is None for b in records)


@pytest.mark.usefixtures("client")
def test_still_open_a_working_day_later_it_escalates_to_hq(harness: Harness) -> None:
    contact_id = email(harness, "2026-04-30T10:00:00+08:00")  # due Thu 05-07
    harness.trigger("sla-sweep", "2026-05-08T09:00:00+08:00")  # supervisor
    harness.trigger("sla-sweep", "2026-05-08T23:00:00+08:00")  # Fri 05-08 not over yet: nothing more
    assert breached(harness, "hq") == []
    harness.trigger("sla-sweep", "2026-05-09T00:05:00+08:00")  # after the end of Fri 05-08
    assert breached(harness, "hq") == [(contact_id, "contact_reply", "hq")]
    harness.trigger("sla-sweep", "2026-05-12T09:00:00+08:00")
    assert len(breached(harness)) == 2


@pytest.mark.usefixtures("client")
def test_a_warning_goes_to_the_first_responder_shortly_before_the_deadline(harness: Harness) -> None:
    contact_id = email(harness, "2026-05-06T10:00:00+08:00")  # due 05-08 23:59:59
    harness.trigger("sla-sweep", "2026-05-08T21:00:00+08:00")
    assert harness.bus_log.events("SlaWarning") == []
    harness.trigger("sla-sweep", "2026-05-08T22:15:00+08:00")
    warnings = harness.bus_log.events("SlaWarning")
    assert [(w["detail"]["owner_id"], w["detail"]["escalate_to"]["user"]) for w in warnings] == [(contact_id, "mgr-1")]
    harness.trigger("sla-sweep", "2026-05-08T22:30:00+08:00")
    assert len(harness.bus_log.events("SlaWarning")) == 1


@pytest.mark.usefixtures("client")
def test_work_done_in_time_stops_the_clock(harness: Harness) -> None:
    contact_id = email(harness, "2026-04-30T10:00:00+08:00")
    reply = {"answer": "已寄出"}
    assert harness.call("POST", f"/contacts/{contact_id}/reply", reply, at="2026-05-07T18:00:00+08:00").status == 200
    harness.drain()
    result = harness.trigger("sla-sweep", "2026-05-20T09:00:00+08:00")["result"]
    assert result == {"at": "2026-05-20T09:00:00+08:00", "examined": 0, "escalated": 0}
    assert breached(harness) == []


@pytest.mark.usefixtures("client")
def test_work_done_late_is_recorded_as_a_breach_by_the_stream_once(harness: Harness) -> None:
    contact_id = email(harness, "2026-04-30T10:00:00+08:00")  # due 05-07
    late = harness.call("POST", f"/contacts/{contact_id}/reply", {"answer": "抱歉迟复"}, at="2026-05-08T10:00:00+08:00")
    assert late.status == 200
    harness.drain()
    records = harness.call("GET", "/sla/breaches").json()["items"]
    assert [(b["owner_id"], b["met_at"]) for b in records] == [(contact_id, "2026-05-08T10:00:00+08:00")]
    assert breached(harness) == [(contact_id, "contact_reply", "supervisor")]
    harness.trigger("sla-sweep", "2026-05-20T09:00:00+08:00")  # a stopped clock is not swept
    assert len(breached(harness)) == 1


@pytest.mark.usefixtures("client")
def test_the_sweep_reads_only_what_is_due(harness: Harness) -> None:
    for day in range(11, 16):
        email(harness, f"2026-05-{day}T10:00:00+08:00")  # due from 05-13 to 05-19
    complaint(harness, "2026-05-11T10:00:00+08:00")  # due 05-12 and 05-13
    result = harness.trigger("sla-sweep", "2026-05-14T09:00:00+08:00")["result"]
    # due before 11:00 on 05-14 (now + the warning lead): the complaint's two clocks and the
    # e-mail of 05-11; the other four e-mails are not even read
    assert result == {"at": "2026-05-14T09:00:00+08:00", "examined": 3, "escalated": 3}


@pytest.mark.usefixtures("client")
def test_a_deadline_in_a_year_without_calendar_is_provisional_until_the_year_is_loaded(harness: Harness) -> None:
    complaint_no = complaint(harness, "2026-12-30T10:00:00+08:00")
    contact_id = email(harness, "2026-12-31T10:00:00+08:00")
    filed = harness.call("GET", f"/complaints/{complaint_no}").json()
    # weekends alone: Thu 12-31 is the first working day, Fri 2027-01-01 the second
    assert (filed["investigate_due_at"], filed["reply_due_at"], filed["deadline_provisional"]) == (
        "2026-12-31T23:59:59+08:00",
        "2027-01-01T23:59:59+08:00",
        True,
    )
    harness.drain()
    alerts = harness.bus_log.events("DeadlineProvisional")
    assert sorted((a["detail"]["owner_id"], a["detail"]["unknown_years"][0]) for a in alerts) == sorted(
        [(complaint_no, 2027), (contact_id, 2027)]
    )

    calendar = {"holidays": ["2027-01-01"], "workdays": []}
    assert harness.call("PUT", "/calendar/2027", calendar, as_=HQ).status == 200
    harness.drain()

    recomputed = harness.call("GET", f"/complaints/{complaint_no}").json()
    assert (recomputed["investigate_due_at"], recomputed["reply_due_at"], recomputed["deadline_provisional"]) == (
        "2026-12-31T23:59:59+08:00",
        "2027-01-04T23:59:59+08:00",
        False,
    )
    contact = harness.call("GET", f"/contacts/{contact_id}").json()
    assert (contact["reply_due_at"], contact["deadline_provisional"]) == ("2027-01-05T23:59:59+08:00", False)

    # the sweep now measures against the recomputed deadline
    harness.trigger("sla-sweep", "2027-01-04T20:00:00+08:00")
    assert [b for b in breached(harness) if b[1] == "complaint_reply"] == []
    harness.trigger("sla-sweep", "2027-01-05T08:00:00+08:00")
    assert (complaint_no, "complaint_reply", "supervisor") in breached(harness)


def test_breaches_are_visible_to_the_supervisor_and_hq_not_to_managers(harness: Harness, client: Any) -> None:
    email(harness, "2026-04-30T10:00:00+08:00")
    harness.trigger("sla-sweep", "2026-05-08T09:00:00+08:00")
    assert len(harness.call("GET", "/sla/breaches").json()["items"]) == 1
    assert len(harness.call("GET", "/sla/breaches", as_=HQ, query="branch_id=B1").json()["items"]) == 1
    assert harness.call("GET", "/sla/breaches", as_=("manager", "mgr-1", "B1")).status == 403
    assert harness.call("GET", "/sla/breaches", as_=("supervisor", "s", "B2")).json()["items"] == []


@pytest.mark.usefixtures("client")
def test_breaches_list_by_client_whether_swept_or_met_late(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("C002", manager_id="mgr-2")).status == 201
    mine = email(harness, "2026-04-30T10:00:00+08:00")
    theirs = {"client_id": "C002", "channel": "email", "subject": "对账单", "first_responder": "mgr-2"}
    late = harness.call("POST", "/contacts", theirs, at="2026-04-30T11:00:00+08:00").json()["contact_id"]
    body = {"client_id": "C002", "channel": "letter", "category": "efficiency", "content": "迟迟无人处理"}
    complaint_no = harness.call("POST", "/complaints", body, at="2026-04-30T12:00:00+08:00").json()["complaint_no"]
    prospect = {
        "name": "王五",
        "phone": "13912345678",
        "source": "appointment",
        "branch_id": "B1",
        "manager_id": "mgr-1",
    }
    assert harness.call("POST", "/prospects", prospect, at="2026-04-30T13:00:00+08:00").status == 201
    replied = harness.call("POST", f"/contacts/{late}/reply", {"answer": "抱歉"}, at="2026-05-08T08:00:00+08:00")
    assert replied.status == 200  # met late: its breach comes from the stream
    harness.drain()
    harness.trigger("sla-sweep", "2026-05-08T09:00:00+08:00")

    def listed(query: str) -> list[tuple[str, str]]:
        return sorted((b["owner_id"], b["clock"]) for b in whole(harness, "/sla/breaches", query=query))

    assert len(listed("")) == 5  # the prospect's follow-up is nobody's client's
    assert listed("client_id=C001") == [(mine, "contact_reply")]
    assert listed("client_id=C002") == sorted(
        [(late, "contact_reply"), (complaint_no, "complaint_investigate"), (complaint_no, "complaint_reply")]
    )
    assert listed("client_id=C003") == []


@pytest.mark.usefixtures("client")
def test_only_open_clocks_are_in_the_sweeps_index(harness: Harness) -> None:
    answered = email(harness, "2026-05-06T10:00:00+08:00")
    email(harness, "2026-05-06T11:00:00+08:00")
    complaint(harness, "2026-05-06T10:00:00+08:00")
    assert (
        harness.call("POST", f"/contacts/{answered}/reply", {"answer": "ok"}, at="2026-05-06T12:00:00+08:00").status
        == 200
    )

    def indexed() -> int:
        dynamodb = harness.clients["dynamodb"]
        return int(
            dynamodb.query(
                TableName=topology.SERVICE.local_name,
                IndexName="open_clocks",
                KeyConditionExpression="open_clock = :open",
                ExpressionAttributeValues={":open": {"S": "OPEN"}},
                Select="COUNT",
            )["Count"]
        )

    assert indexed() == 3  # one e-mail and the complaint's two clocks: the answered one left it
    items = harness.clients["dynamodb"].scan(TableName=topology.SERVICE.local_name, Select="COUNT")["Count"]
    assert items == 9  # 3 records, 4 clocks, the counter and a history entry: the index holds a third
