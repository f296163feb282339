"""Managers' service records through the API and the streams (第52–55条; DOMAIN §8): work logs,
weekly summaries, visits, spot checks and the activity the counters keep; prospects with their
follow-up clock; investor education and each client's history."""

from __future__ import annotations

from typing import Any

import pytest

from crm.data import counters
from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

MANAGER = ("manager", "mgr-1", "B1")
OTHER_MANAGER = ("manager", "mgr-2", "B1")
SUPERVISOR = ("supervisor", "sup-b1", "B1")
OTHER_SUPERVISOR = ("supervisor", "sup-b2", "B2")
COUNTER = ("counter", "ctr-1", "B1")
HQ = ("hq", "hq-1", None)
MONDAY = "2026-06-01"
EVENING = f"{MONDAY}T18:00:00+08:00"


def register(harness: Harness, client_id: str = "C001", **changes: Any) -> None:
    in_b2 = changes.get("branch_id") == "B2"
    as_ = ("supervisor", "sup-b2", "B2") if in_b2 else SUPERVISOR
    body = new_client(client_id, **({"manager_id": "mgr-9"} if in_b2 else {}) | changes)
    assert harness.call("POST", "/clients", body, as_=as_, at="2026-05-01T10:00:00+08:00").status == 201


def log(harness: Harness, day: str, entries: list[dict[str, Any]], *, as_: Any = MANAGER, at: str, **extra: Any):
    return harness.call("PUT", f"/work-logs/mgr-1/{day}", {"entries": entries, **extra}, as_=as_, at=at)


CALL = {"kind": "call", "minutes": 45, "client_id": "C001", "note": "回访开户体验"}


def test_a_manager_writes_todays_log_and_no_one_else_may(harness: Harness) -> None:
    register(harness)
    written = log(harness, MONDAY, [CALL, {"kind": "research", "minutes": 120}], at=f"{MONDAY}T18:00:00+08:00")
    assert written.status == 200, written.body
    assert (written.json()["minutes"], written.json()["branch_id"]) == (165, "B1")
    refused = harness.call("PUT", f"/work-logs/mgr-1/{MONDAY}", {"entries": [CALL]}, as_=OTHER_MANAGER)
    assert refused.status == 403
    assert log(harness, MONDAY, [CALL], as_=COUNTER, at=f"{MONDAY}T18:00:00+08:00").status == 403
    listed = harness.call("GET", "/work-logs", query=f"manager_id=mgr-1&from={MONDAY}&to=2026-06-07", as_=MANAGER)
    assert [entry["kind"] for entry in listed.json()["items"][0]["entries"]] == ["call", "research"]
    assert (
        harness.call(
            "GET", "/work-logs", query=f"manager_id=mgr-1&from={MONDAY}&to={MONDAY}", as_=OTHER_SUPERVISOR
        ).status
        == 403
    )


def test_a_periods_logs_read_in_pages_lose_and_repeat_nothing(harness: Harness) -> None:
    register(harness)
    for day in ("2026-06-01", "2026-06-02", "2026-06-03"):
        assert log(harness, day, [CALL], at=f"{day}T18:00:00+08:00").status == 200
    query = "manager_id=mgr-1&from=2026-06-01&to=2026-06-07"
    logs = whole(harness, "/work-logs", query=query, as_=MANAGER)
    assert [entry["date"] for entry in logs] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    pages = every_page(harness, "/work-logs", limit=2, query=query, as_=MANAGER)
    assert [[entry["date"] for entry in page] for page in pages] == [["2026-06-01", "2026-06-02"], ["2026-06-03"]]
    cursor = harness.call("GET", "/work-logs", query=f"{query}&limit=1", as_=MANAGER).json()["next_cursor"]
    other_period = "manager_id=mgr-1&from=2026-06-02&to=2026-06-07"  # DynamoDB would refuse its start key
    refused = harness.call("GET", "/work-logs", query=f"{other_period}&cursor={cursor}", as_=MANAGER)
    assert (refused.status, refused.json()["error"]["field"]) == (400, "cursor")


@pytest.mark.parametrize(
    ("day", "entries", "at", "status", "field"),
    [
        (MONDAY, [{"kind": "call", "minutes": -5}], EVENING, 422, "entries.0.minutes"),
        (MONDAY, [{"kind": "call", "minutes": 0}], EVENING, 422, "entries.0.minutes"),
        (MONDAY, [{"kind": "call", "minutes": 1000}, {"kind": "visit", "minutes": 500}], EVENING, 422, "entries"),
        (MONDAY, [{"kind": "nap", "minutes": 30}], EVENING, 422, "entries.0.kind"),
        (MONDAY, [{"kind": "call", "minutes": 30, "client_id": "NOPE"}], EVENING, 422, "entries.0.client_id"),
        (MONDAY, [{"kind": "call", "minutes": 30, "client_id": "C002"}], EVENING, 422, "entries.0.client_id"),
        ("2026-06-06", [{"kind": "call", "minutes": 30}], "2026-06-06T18:00:00+08:00", 422, "date"),
        ("2026-06-02", [{"kind": "call", "minutes": 30}], f"{MONDAY}T18:00:00+08:00", 422, "date"),
        (MONDAY, [{"kind": "call", "minutes": 30}], "2026-06-03T09:00:00+08:00", 403, "date"),
        ("2026-02-30", [{"kind": "call", "minutes": 30}], f"{MONDAY}T18:00:00+08:00", 422, "date"),
    ],
    ids=["negative", "zero", "over-a-day", "kind", "unknown-client", "others-client", "saturday", "future",
         "two-working-days-late", "impossible-date"],
)  # fmt: skip
def test_bad_logs_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, day: str, entries: list[dict[str, Any]], at: str, status: int, field: str
) -> None:
    register(harness)
    register(harness, "C002", manager_id="mgr-2")
    refused = log(harness, day, entries, at=at)
    assert (refused.status, refused.json()["error"]["field"]) == (status, field), refused.body
    stored = harness.call("GET", "/work-logs", query="manager_id=mgr-1&from=2026-05-25&to=2026-06-07", as_=MANAGER)
    assert stored.json()["items"] == []


def test_after_its_window_only_a_supervisor_amends_a_log_with_a_reason(harness: Harness) -> None:
    register(harness)
    log(harness, MONDAY, [CALL], at=f"{MONDAY}T18:00:00+08:00")
    assert log(harness, MONDAY, [CALL], at="2026-06-02T10:00:00+08:00").status == 200  # the working day after
    assert log(harness, MONDAY, [CALL], at="2026-06-03T10:00:00+08:00").status == 403
    unexplained = log(harness, MONDAY, [CALL], as_=SUPERVISOR, at="2026-06-03T10:00:00+08:00")
    assert (unexplained.status, unexplained.json()["error"]["field"]) == (422, "reason")
    amended = log(
        harness,
        MONDAY,
        [{"kind": "meeting", "minutes": 60}],
        as_=SUPERVISOR,
        at="2026-06-03T10:00:00+08:00",
        reason="补录晨会",
    )
    assert (amended.json()["amended_by"], amended.json()["amend_reason"], amended.json()["minutes"]) == (
        "sup-b1",
        "补录晨会",
        60,
    )
    assert log(harness, MONDAY, [CALL], as_=OTHER_SUPERVISOR, at="2026-06-03T10:00:00+08:00", reason="x").status == 403


def test_visits_of_own_clients_and_spot_checks_of_what_was_done(harness: Harness) -> None:
    register(harness)
    register(harness, "C002", manager_id="mgr-2")
    body = {
        "client_id": "C001",
        "at": f"{MONDAY}T10:00:00+08:00",
        "channel": "onsite",
        "purpose": "资产配置",
        "outcome": "认购货币基金",
        "self_assessment": 4,
    }
    visit = harness.call("POST", "/visits", body, as_=MANAGER, at=f"{MONDAY}T18:00:00+08:00")
    assert visit.status == 201, visit.body
    others = harness.call("POST", "/visits", body | {"client_id": "C002"}, as_=MANAGER, at=f"{MONDAY}T18:00:00+08:00")
    assert (others.status, others.json()["error"]["field"]) == (403, "client_id")
    for bad, field in (({"self_assessment": 6}, "self_assessment"), ({"channel": "pigeon"}, "channel"),
                       ({"at": "2026-06-09T10:00:00+08:00"}, "at")):  # fmt: skip
        refused = harness.call("POST", "/visits", body | bad, as_=MANAGER, at=f"{MONDAY}T18:00:00+08:00")
        assert (refused.status, refused.json()["error"]["field"]) == (422, field), refused.body
    listed = harness.call("GET", "/visits", query="manager_id=mgr-1", as_=SUPERVISOR).json()["items"]
    assert [v["visit_id"] for v in listed] == [visit.json()["visit_id"]]
    assert harness.call("GET", "/visits", query="manager_id=mgr-1", as_=OTHER_MANAGER).status == 403

    log(harness, MONDAY, [CALL], at=f"{MONDAY}T18:00:00+08:00")
    check = {
        "manager_id": "mgr-1",
        "from": MONDAY,
        "to": "2026-06-05",
        "finding": "日志完整，拜访记录属实",
        "logs": [MONDAY],
        "visits": [visit.json()["visit_id"]],
    }
    assert harness.call("POST", "/spot-checks", check, as_=MANAGER, at="2026-06-08T10:00:00+08:00").status == 403
    done = harness.call("POST", "/spot-checks", check, as_=SUPERVISOR, at="2026-06-08T10:00:00+08:00")
    assert (done.status, done.json()["from"], done.json()["logs"]) == (201, MONDAY, [MONDAY]), done.body
    missing = harness.call(
        "POST", "/spot-checks", check | {"logs": ["2026-06-02"]}, as_=SUPERVISOR, at="2026-06-08T10:00:00+08:00"
    )
    assert (missing.status, missing.json()["error"]["field"]) == (422, "logs.0")


def test_the_activity_of_a_period_comes_from_counters_and_counts_what_was_written(harness: Harness) -> None:
    register(harness)
    log(harness, MONDAY, [CALL, {"kind": "visit", "minutes": 90}], at=f"{MONDAY}T18:00:00+08:00")
    log(harness, "2026-06-02", [{"kind": "call", "minutes": 30}], at="2026-06-02T18:00:00+08:00")
    log(harness, "2026-06-02", [{"kind": "call", "minutes": 20}], at="2026-06-02T19:00:00+08:00")  # rewritten
    body = {"client_id": "C001", "at": f"{MONDAY}T10:00:00+08:00", "channel": "phone", "purpose": "p",
            "outcome": "o", "self_assessment": 3}  # fmt: skip
    harness.call("POST", "/visits", body, as_=MANAGER, at=f"{MONDAY}T18:00:00+08:00")
    summary = {"achieved": "新开户 3 户", "problems": "无", "plan": "回访 VIP"}
    assert (
        harness.call(
            "PUT", "/weekly-summaries/mgr-1/2026-W23", summary, as_=MANAGER, at="2026-06-05T17:00:00+08:00"
        ).status
        == 200
    )
    harness.call("POST", "/spot-checks", {"manager_id": "mgr-1", "from": MONDAY, "to": "2026-06-05", "finding": "ok"},
                 as_=SUPERVISOR, at="2026-06-08T10:00:00+08:00")  # fmt: skip
    harness.drain()
    for pump in harness.pumps.values():  # every record delivered again: counted once all the same
        pump.rewind()
    harness.drain()
    activity = harness.call("GET", "/managers/mgr-1/activity", query=f"from={MONDAY}&to=2026-06-14", as_=SUPERVISOR)
    assert activity.status == 200, activity.body
    assert activity.json() | {"minutes": None} == {
        "manager_id": "mgr-1",
        "from": MONDAY,
        "to": "2026-06-14",
        "work_logs": 2,
        "minutes": None,
        "visits": 1,
        "spot_checks": 1,
        "weekly_summaries": [
            {"week": "2026-W23", "summary_written": True},
            {"week": "2026-W24", "summary_written": False},
        ],
        "weekly_summaries_missing": 1,
    }
    assert activity.json()["minutes"] == {
        "call": 65,
        "visit": 90,
        "meeting": 0,
        "research": 0,
        "education": 0,
        "other": 0,
    }
    assert (
        harness.call("GET", "/managers/mgr-1/activity", query=f"from={MONDAY}&to=2026-06-14", as_=OTHER_MANAGER).status
        == 403
    )
    assert (
        harness.call(
            "GET", "/managers/mgr-1/activity", query=f"from={MONDAY}&to=2026-06-14", as_=OTHER_SUPERVISOR
        ).status
        == 403
    )
    assert harness.call("GET", "/managers/mgr-1/activity", query=f"from={MONDAY}&to=2026-06-14", as_=HQ).status == 200
    assert harness.call("GET", "/managers/mgr-1/activity", query=f"from=2026-06-14&to={MONDAY}", as_=HQ).status == 422
    # a handful of counters, not the records
    assert len(counters.between("activity#mgr-1")) == 4  # two days of logs, the spot check's day, one week


# --- prospects -------------------------------------------------------------------------------------


PROSPECT = {"name": "王五", "phone": "13912345678", "source": "appointment", "branch_id": "B1", "manager_id": "mgr-1"}


def test_a_prospect_is_followed_up_by_the_end_of_the_next_working_day_or_escalates(harness: Harness) -> None:
    recorded = harness.call("POST", "/prospects", PROSPECT, as_=COUNTER, at="2026-04-30T15:00:00+08:00")
    assert recorded.status == 201, recorded.body
    prospect = recorded.json()
    assert (prospect["follow_up_due_at"], prospect["status"], prospect["phone"]) == (
        "2026-05-06T23:59:59+08:00",  # Labour Day 1–5 May
        "open",
        "139****5678",
    )
    harness.trigger("sla-sweep", "2026-05-07T09:00:00+08:00")
    breaches = harness.call("GET", "/sla/breaches").json()["items"]
    assert [(b["owner_type"], b["owner_id"], b["clock"]) for b in breaches] == [
        ("prospect", prospect["prospect_id"], "prospect_follow_up")
    ]
    assert [e["detail"]["owner_type"] for e in harness.bus_log.events("SlaBreached")] == ["prospect"]


def test_a_prospect_converted_or_dropped_stops_its_clock(harness: Harness) -> None:
    register(harness)
    first = harness.call("POST", "/prospects", PROSPECT, as_=MANAGER, at="2026-06-01T10:00:00+08:00").json()
    second = harness.call("POST", "/prospects", PROSPECT, as_=MANAGER, at="2026-06-01T10:00:00+08:00").json()
    outcome = f"/prospects/{first['prospect_id']}/outcome"
    assert harness.call("POST", outcome, {"outcome": "converted"}, as_=MANAGER).json()["error"]["field"] == "client_id"
    assert harness.call("POST", outcome, {"outcome": "converted", "client_id": "NOPE"}, as_=MANAGER).status == 404
    converted = harness.call(
        "POST", outcome, {"outcome": "converted", "client_id": "C001"}, as_=MANAGER, at="2026-06-02T10:00:00+08:00"
    )
    assert (converted.json()["status"], converted.json()["client_id"]) == ("converted", "C001")
    assert harness.call("POST", outcome, {"outcome": "dropped", "reason": "x"}, as_=MANAGER).status == 409
    dropped = harness.call("POST", f"/prospects/{second['prospect_id']}/outcome", {"outcome": "dropped"}, as_=MANAGER)
    assert (dropped.status, dropped.json()["error"]["field"]) == (422, "reason")
    harness.call("POST", f"/prospects/{second['prospect_id']}/outcome", {"outcome": "dropped", "reason": "无意向"},
                 as_=MANAGER, at="2026-06-02T11:00:00+08:00")  # fmt: skip
    harness.trigger("sla-sweep", "2026-06-09T09:00:00+08:00")
    assert harness.call("GET", "/sla/breaches").json()["items"] == []
    listed = harness.call("GET", "/prospects", query="status=converted", as_=MANAGER).json()["items"]
    assert [p["prospect_id"] for p in listed] == [first["prospect_id"]]
    assert (
        harness.call("POST", "/prospects", PROSPECT | {"source": "tv"}, as_=MANAGER).json()["error"]["field"]
        == "source"
    )
    assert (
        harness.call("POST", "/prospects", PROSPECT | {"phone": "123"}, as_=MANAGER).json()["error"]["field"] == "phone"
    )
    assert harness.call("POST", "/prospects", PROSPECT | {"manager_id": "mgr-2"}, as_=MANAGER).status == 403
    assert harness.call("POST", "/prospects", PROSPECT | {"branch_id": "B2"}, as_=COUNTER).status == 403


# --- investor education ----------------------------------------------------------------------------


LECTURE = {
    "title": "理财大讲堂：基金定投",
    "kind": "lecture",
    "branch_id": "B1",
    "held_on": "2026-06-02",
    "topic": "基金",
    "speaker": "李老师",
}


def test_a_lecture_with_one_attendee_shows_in_its_history_and_attendance_is_all_or_nothing(harness: Harness) -> None:
    register(harness)
    register(harness, "C002")
    register(harness, "C003", branch_id="B2")
    created = harness.call("POST", "/education/activities", LECTURE, as_=COUNTER, at="2026-06-01T10:00:00+08:00")
    assert created.status == 201, created.body
    activity_id = created.json()["activity_id"]
    attendance = f"/education/activities/{activity_id}/attendance"
    early = harness.call("PUT", attendance, {"client_ids": ["C001"]}, at="2026-06-01T12:00:00+08:00")
    assert (early.status, early.json()["error"]["field"]) == (422, "client_ids")
    for ids, field in (
        (["C001", "NOPE"], "client_ids.1"),
        (["C001", "C003"], "client_ids.1"),
        (["C001", "C001"], "client_ids"),
    ):
        refused = harness.call("PUT", attendance, {"client_ids": ids}, at="2026-06-03T10:00:00+08:00")
        assert (refused.status, refused.json()["error"]["field"]) == (422, field), refused.body
    assert harness.call("GET", "/clients/C001/education").json()["items"] == []  # nothing was stored
    set_ = harness.call("PUT", attendance, {"client_ids": ["C001"]}, at="2026-06-03T10:00:00+08:00")
    assert (set_.json()["attendees"], set_.json()["client_ids"]) == (1, ["C001"])
    (attended,) = harness.call("GET", "/clients/C001/education", as_=MANAGER).json()["items"]
    assert (attended["activity_id"], attended["title"], attended["kind"]) == (activity_id, LECTURE["title"], "lecture")
    assert harness.call("GET", "/clients/C002/education").json()["items"] == []
    moved = harness.call("PUT", attendance, {"client_ids": ["C002"]}, at="2026-06-03T11:00:00+08:00")
    assert moved.json()["client_ids"] == ["C002"]
    assert harness.call("GET", "/clients/C001/education").json()["items"] == []
    listed = harness.call("GET", "/education/activities", query="from=2026-06-01&to=2026-06-30").json()
    assert (len(listed["items"]), listed["attendances"]) == (1, 1)
    assert harness.call("GET", "/education/activities", query="branch_id=B1", as_=OTHER_SUPERVISOR).status == 403
    assert harness.call("PUT", attendance, {"client_ids": []}, as_=OTHER_SUPERVISOR).status == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"held_on": "2028-01-01"}, "held_on"),
        ({"title": ""}, "title"),
        ({"branch_id": "B2"}, "branch_id"),
    ],
)
def test_bad_activities_are_refused_naming_the_field(harness: Harness, change: dict[str, Any], field: str) -> None:
    refused = harness.call(
        "POST", "/education/activities", LECTURE | change, as_=COUNTER, at="2026-06-01T10:00:00+08:00"
    )
    assert refused.json()["error"]["field"] == field, refused.body
    assert harness.call("GET", "/education/activities", as_=COUNTER).json()["items"] == []


def test_prospects_list_by_several_statuses_and_by_the_client_they_became(harness: Harness) -> None:
    register(harness)
    register(harness, "C002", manager_id="mgr-1", id_number="11010519491231002X", phone="13900139000")
    ids = [
        harness.call("POST", "/prospects", PROSPECT, as_=MANAGER, at=f"2026-06-0{n}T10:00:00+08:00").json()[
            "prospect_id"
        ]
        for n in (1, 2, 3, 4)
    ]
    for prospect_id, outcome in zip(
        ids,
        (
            {"outcome": "converted", "client_id": "C001"},
            {"outcome": "dropped", "reason": "无意向"},
            {"outcome": "converted", "client_id": "C002"},
        ),
        strict=False,
    ):
        assert harness.call("POST", f"/prospects/{prospect_id}/outcome", outcome, as_=MANAGER).status == 200

    def listed(query: str) -> list[str]:
        return sorted(p["prospect_id"] for p in whole(harness, "/prospects", query=query, as_=MANAGER))

    assert listed("status=converted,dropped") == sorted(ids[:3])
    assert listed("status=open,dropped") == sorted([ids[1], ids[3]])
    assert listed("status=open") == [ids[3]]
    assert listed("client_id=C001") == [ids[0]]
    assert listed("client_id=C002&status=converted") == [ids[2]]
    assert listed("client_id=C002&status=open,dropped") == []
    refused = harness.call("GET", "/prospects", query="status=converted,won", as_=MANAGER)
    assert (refused.status, refused.json()["error"]["field"]) == (422, "status")
