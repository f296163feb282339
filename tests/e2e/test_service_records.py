"""Acceptance of the service-records issue over HTTP against `crm local`: work logs (the manager's
own, minutes bounded), an education activity in its attendee's history, the opening SMS (masked,
sent once even when the stream is replayed: `crm replay sms`, `crm messages`) and the activity the
counters keep."""

from __future__ import annotations

import json

from tests.e2e.conftest import LocalSystem, crm

SUPERVISOR = ("supervisor", "sup-sr", "B8")
MANAGER = ("manager", "mgr-sr", "B8")
OTHER_MANAGER = ("manager", "mgr-sr2", "B8")
COUNTER = ("counter", "ctr-sr", "B8")


def test_logs_education_the_opening_sms_and_the_activity(local: LocalSystem) -> None:
    port = str(local.port)
    crm("clock", "2026-06-03T18:00:00+08:00", "--port", port)  # a Wednesday
    try:
        client = {
            "client_id": "SR1",
            "name": "孙八",
            "id_number": "110101198001010053",
            "phone": "13611112222",
            "branch_id": "B8",
            "manager_id": "mgr-sr",
            "opened_on": "2026-06-03",
        }
        local.token("manager", "mgr-sr", "B8")  # on the staff register (crm token)
        assert local.request("POST", "/clients", client, as_=SUPERVISOR).status == 201

        entries = [
            {"kind": "call", "minutes": 45, "client_id": "SR1", "note": "开户回访"},
            {"kind": "research", "minutes": 60},
        ]
        written = local.request("PUT", "/work-logs/mgr-sr/2026-06-03", {"entries": entries}, as_=MANAGER)
        assert (written.status, written.body["minutes"]) == (200, 105), written.body
        assert (
            local.request("PUT", "/work-logs/mgr-sr/2026-06-03", {"entries": entries}, as_=OTHER_MANAGER).status == 403
        )
        negative = local.request(
            "PUT", "/work-logs/mgr-sr/2026-06-03", {"entries": [{"kind": "call", "minutes": -10}]}, as_=MANAGER
        )
        assert (negative.status, negative.body["error"]["field"]) == (422, "entries.0.minutes")

        lecture = {"title": "理财大讲堂", "kind": "lecture", "branch_id": "B8", "held_on": "2026-06-03", "topic": "ETF",
                   "speaker": "周老师"}  # fmt: skip
        activity_id = local.request("POST", "/education/activities", lecture, as_=COUNTER).body["activity_id"]
        attended = local.request(
            "PUT", f"/education/activities/{activity_id}/attendance", {"client_ids": ["SR1"]}, as_=COUNTER
        )
        assert attended.body["attendees"] == 1, attended.body
        (history,) = local.request("GET", "/clients/SR1/education", as_=MANAGER).body["items"]
        assert (history["activity_id"], history["title"]) == (activity_id, "理财大讲堂")

        def messages() -> list[dict[str, str]]:
            return local.request("GET", "/clients/SR1/messages", as_=MANAGER).body["items"]

        (message,) = local.wait_for(lambda: [m for m in messages() if m["status"] == "sent"])
        assert (message["template"], message["phone"]) == ("account_opened", "136****2222")
        crm("replay", "sms", "--port", port)
        local.wait_for(lambda: False, timeout_s=3)  # the replayed records reach the consumer again
        sent = json.loads(crm("messages", "--port", port).stdout)
        assert [m["to"] for m in sent].count("136****2222") == 1
        assert len(messages()) == 1

        visit = {"client_id": "SR1", "at": "2026-06-03T15:00:00+08:00", "channel": "onsite", "purpose": "面谈",
                 "outcome": "认购", "self_assessment": 5}  # fmt: skip
        assert local.request("POST", "/visits", visit, as_=MANAGER).status == 201

        def activity() -> dict[str, object]:
            reply = local.request("GET", "/managers/mgr-sr/activity?from=2026-06-01&to=2026-06-07", as_=SUPERVISOR)
            return reply.body

        counted = local.wait_for(lambda: (a := activity())["work_logs"] == 1 and a["visits"] == 1 and a)
        assert counted["minutes"]["call"] == 45
        assert counted["weekly_summaries"] == [{"week": "2026-W23", "summary_written": False}]
    finally:
        crm("clock", "--port", port)
