"""Acceptance of the calendar, contacts and complaints issue over HTTP against `crm local`:
deadline examples across holidays, make-up days and into a year without a calendar; loading
that year clears the flag; gap-free complaint numbers; 409 on illegal moves; `crm trigger
sla-sweep --at …` escalates exactly once and the events show on the local bus log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import LocalSystem, crm

SUPERVISOR = ("supervisor", "sup-sla", "B7")
HQ = ("hq", "hq-sla", None)


@pytest.fixture
def at(local: LocalSystem) -> Iterator[Any]:
    """Sets the local API's request time (crm clock); back to the wall clock afterwards."""

    def set_clock(moment: str) -> None:
        crm("clock", moment, "--port", str(local.port))

    yield set_clock
    crm("clock", "--port", str(local.port))


@pytest.fixture
def client_b7(local: LocalSystem) -> str:
    body = {
        "client_id": "SLA1",
        "name": "钱七",
        "id_number": "11010519491231002X",
        "phone": "13700137000",
        "branch_id": "B7",
        "manager_id": "mgr-sla",
        "opened_on": "2019-01-02",
    }
    local.token("manager", "mgr-sla", "B7")  # on the staff register (crm token)
    reply = local.request("POST", "/clients", body, as_=SUPERVISOR)
    assert reply.status in (201, 409), reply.body
    return "SLA1"


def complaint(local: LocalSystem, client_id: str, key: str | None = None, **changes: Any) -> Any:
    body = {"client_id": client_id, "channel": "letter", "category": "efficiency", "content": "处理太慢"} | changes
    headers = {"Idempotency-Key": key} if key else None
    return local.request("POST", "/complaints", body, as_=SUPERVISOR, headers=headers)


def test_deadlines_numbers_moves_and_the_sweep(local: LocalSystem, at: Any, client_b7: str) -> None:
    at("2026-04-30T10:00:00+08:00")  # a Thursday; Labour Day holiday 5/1–5/5, make-up Saturday 5/9
    contact = local.request(
        "POST",
        "/contacts",
        {"client_id": client_b7, "channel": "email", "subject": "对账单", "first_responder": "mgr-sla"},
        as_=SUPERVISOR,
    ).body
    assert contact["reply_due_at"] == "2026-05-07T23:59:59+08:00"

    first = complaint(local, client_b7, key="letter-0001")
    retry = complaint(local, client_b7, key="letter-0001")
    assert (first.status, retry.status) == (201, 201)
    assert first.body["complaint_no"] == retry.body["complaint_no"] == "TS-2604-0001"
    assert (first.body["investigate_due_at"], first.body["reply_due_at"]) == (
        "2026-05-06T23:59:59+08:00",
        "2026-05-07T23:59:59+08:00",
    )
    assert complaint(local, client_b7, category="rudeness").status == 422
    assert complaint(local, client_b7).body["complaint_no"] == "TS-2604-0002"

    illegal = local.request(
        "POST", "/complaints/TS-2604-0001/transitions", {"to": "replied", "note": "跳步"}, as_=SUPERVISOR
    )
    assert illegal.status == 409

    at("2026-05-08T11:00:00+08:00")  # Fri 05-08: a 1-working-day deadline from it ends on Sat 05-09
    friday = complaint(local, client_b7).body
    assert friday["investigate_due_at"] == "2026-05-09T23:59:59+08:00"

    swept = json.loads(
        crm("trigger", "sla-sweep", "--at", "2026-05-08T09:00:00+08:00", "--port", str(local.port)).stdout
    )
    assert swept["result"]["escalated"] == 5  # the e-mail and both clocks of each April complaint
    again = json.loads(
        crm("trigger", "sla-sweep", "--at", "2026-05-08T09:15:00+08:00", "--port", str(local.port)).stdout
    )
    assert again["result"]["escalated"] == 0

    def escalated() -> list[tuple[str, str, str]]:
        listed = json.loads(crm("events", "--type", "SlaBreached", "--port", str(local.port)).stdout)
        return sorted(
            (e["detail"]["owner_id"], e["detail"]["clock"], e["detail"]["level"])
            for e in listed
            if e["detail"]["branch_id"] == "B7"
        )

    expected = sorted(
        [(contact["contact_id"], "contact_reply", "supervisor")]
        + [
            (no, "complaint_investigate", level)
            for no in ("TS-2604-0001", "TS-2604-0002")
            for level in ("supervisor", "hq")
        ]
        + [(no, "complaint_reply", "supervisor") for no in ("TS-2604-0001", "TS-2604-0002")]
    )
    assert local.wait_for(lambda: escalated() == expected) is True
    breaches = local.request("GET", "/sla/breaches", as_=SUPERVISOR).body["items"]
    assert len(breaches) == 5


def test_a_year_without_calendar_is_provisional_until_hq_loads_it(local: LocalSystem, at: Any, client_b7: str) -> None:
    at("2026-12-30T10:00:00+08:00")  # Wednesday; 2027 has no library data
    filed = complaint(local, client_b7).body
    assert filed["complaint_no"] == "TS-2612-0001"
    assert (filed["reply_due_at"], filed["deadline_provisional"]) == ("2027-01-01T23:59:59+08:00", True)

    def alerted() -> bool:
        listed = json.loads(crm("events", "--type", "DeadlineProvisional", "--port", str(local.port)).stdout)
        return any(e["detail"]["owner_id"] == "TS-2612-0001" for e in listed)

    assert local.wait_for(alerted) is True

    calendar = {"holidays": ["2027-01-01"], "workdays": []}
    assert local.request("PUT", "/calendar/2027", calendar, as_=HQ).status == 200

    def recomputed() -> Any:
        got = local.request("GET", "/complaints/TS-2612-0001", as_=SUPERVISOR).body
        return (got["reply_due_at"], got["deadline_provisional"]) == ("2027-01-04T23:59:59+08:00", False)

    assert local.wait_for(recomputed) is True
