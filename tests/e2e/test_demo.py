"""Acceptance of `crm local --demo` (issue 23 item 1), as a new user would try it: the system started
with its demo brokerage, loaded through the system's own doors, then the guide's roles at work on the
demo's day, and the same state directory started again.

Within a minute of starting, a manager of B001 sees work due today, a counter of B001 finds a
person of several accounts by ID number, the supervisor downloads the last quarter's report and hq
reads its figures; a second start on the same `--state DIR` loads nothing again (it is fast, and
every count is what it was).

One demo system for the session (tests/e2e/conftest.py `demo`: it takes most of a minute to load),
with a state directory of its own: the restart test stops it and leaves its second start running in
its place. How long loading takes is reported, not asserted (a timed test on a busy machine proves
nothing): the guide says it, and the closing notes record what was measured."""

from __future__ import annotations

import io
import time
import urllib.request
import zipfile
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import openpyxl

from tests.e2e.conftest import Demo, LocalSystem, crm, free_port, guide_of, start, stop

DEMO_DAY = "2026-12-07"
LAST_QUARTER = "2026Q3"
WANG_JIANGUO = "110105198203154413"  # D0001 and D0002 in B001, D0003 in B002
MANAGER = ("manager", "mgr-001a", "B001")
COUNTER = ("counter", "ctr-001", "B001")
SUPERVISOR = ("supervisor", "sup-001", "B001")
HQ = ("hq", "hq-demo", None)
BRANCHES = ("B001", "B002", "B003")
ROLES = ("counter", "manager", "supervisor", "hq", "compliance")
CLASSES = {"A+", "B+", "A", "B", "C", "D", "C-", "D-", "E", "F", "G"}
COMPLAINT_STATES = {"received", "accepted", "investigating", "replied", "callback_done", "closed", "rejected"}
CALLBACK_KINDS = {"new_account", "post_complaint", "post_closure", "periodic", "care", "sample"}


def ok(system: LocalSystem, method: str, path: str, body: Any = None, *, as_: Any) -> Any:
    reply = system.request(method, path, body, as_=as_)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
    return reply.body


def every(system: LocalSystem, path: str, *, as_: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        separator = "&" if "?" in path else "?"
        page = ok(system, "GET", f"{path}{separator}limit=100{cursor}", as_=as_)
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        cursor = f"&cursor={page['next_cursor']}"


def listed(system: LocalSystem, path: str) -> list[dict[str, Any]]:
    """A list of every branch, as hq reads it (a branch at a time)."""
    separator = "&" if "?" in path else "?"
    return [item for branch in BRANCHES for item in every(system, f"{path}{separator}branch_id={branch}", as_=HQ)]


def counts(system: LocalSystem) -> dict[str, Any]:
    """What a second load would double: accounts, staff, complaints, callbacks, contacts, imports."""
    clients = listed(system, "/clients")
    return {
        "clients": len(clients),
        "classes": Counter(c["client_class"] for c in clients),
        "staff": len(every(system, "/staff", as_=HQ)),
        "complaints": sorted(c["complaint_no"] for c in listed(system, "/complaints")),
        "callbacks": sorted(c["callback_id"] for c in listed(system, "/callbacks")),
        "contacts": len(listed(system, "/contacts")),
        "imports": len(every(system, "/imports", as_=HQ)),
    }


def test_the_demo_loads_and_prints_what_to_try(demo: Demo) -> None:
    assert demo.guide[0].startswith("crm local: demo brokerage loaded in "), demo.guide[0]  # its time, said
    text = "\n".join(demo.guide)
    assert "2026-12-07 09:30" in text
    assert "clock" in text
    assert "with no time" in text
    for role in ROLES:
        (header,) = [n for n, line in enumerate(demo.guide) if line.startswith(f"  {role}: ")]
        token, *tries = demo.guide[header + 1 : header + 5]
        assert f"token --role {role} --user " in token, token
        assert token.endswith(f"--port {demo.system.port})"), token
        assert [line.split()[0] for line in tries] == ["curl"] * 3, tries
    assert WANG_JIANGUO not in text  # the output holds no ID or phone number (stop() checks them all)


def test_a_manager_of_b001_sees_work_due_today(demo: Demo) -> None:
    work = ok(demo.system, "GET", "/work", as_=MANAGER)
    assert work["date"] == DEMO_DAY
    due_today = [item for item in work["items"] if item["due_at"].startswith(DEMO_DAY)]
    kinds = {item["kind"] for item in due_today}
    assert {"callback", "contact_reply", "prospect_follow_up", "work_log_missing"} <= kinds, work


def test_a_counter_of_b001_finds_a_person_of_several_accounts_by_id_number(demo: Demo) -> None:
    found = ok(demo.system, "POST", "/clients/lookup", {"id_number": WANG_JIANGUO}, as_=COUNTER)["items"]
    assert {c["client_id"] for c in found} == {"D0001", "D0002"}  # the third, D0003, is B002's
    assert {c["name"] for c in found} == {"王建国"}
    assert all("*" in c["id_number"] for c in found)
    everywhere = ok(demo.system, "GET", "/clients/D0001", as_=HQ)  # hq sees every branch
    assert {"D0002", "D0003"} <= {a if isinstance(a, str) else a["client_id"] for a in everywhere["same_person"]}


def test_the_supervisor_downloads_the_last_quarter_report(demo: Demo) -> None:
    report = ok(demo.system, "GET", f"/reports/quarterly/{LAST_QUARTER}", as_=SUPERVISOR)
    files = {f["name"].rsplit("/", 1)[-1]: f["url"] for f in report["files"]}
    assert {"report.xlsx", "metrics.csv", "figures.json"} <= set(files), report
    with urllib.request.urlopen(files["report.xlsx"], timeout=30) as answer:  # moto's S3 on loopback
        workbook = answer.read()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())
    assert "客户分类" in openpyxl.load_workbook(io.BytesIO(workbook)).sheetnames


def test_hq_reads_the_last_quarter_figures(demo: Demo) -> None:
    figures = ok(demo.system, "GET", f"/reports/quarterly/{LAST_QUARTER}/figures?scope=branch", as_=HQ)
    by_branch = {item["branch_id"]: item["figures"] for item in figures["items"]}
    assert set(by_branch) == {"B001", "B002", "B003"}, figures
    company = ok(demo.system, "GET", f"/reports/quarterly/{LAST_QUARTER}/figures?scope=company", as_=HQ)
    (totals,) = [item["figures"] for item in company["items"]]
    assert totals["complaints"] >= 6, totals
    assert totals["complaints_regulator"] >= 1, totals
    assert all(totals[f"contacts_{channel}"] for channel in ("phone", "email", "web", "onsite", "visit", "sms"))
    assert all(totals[figure] for figure in ("callbacks_done", "education_activities", "work_logs", "visits")), totals
    threshold = ok(demo.system, "GET", "/settings/turnover-threshold", as_=HQ)
    assert threshold["version"] == "2026-recalibration"
    assert len(threshold["history"][0]["figures"]) == 3


def test_the_brokerage_has_every_class_complaint_state_and_callback_kind(demo: Demo) -> None:
    clients = listed(demo.system, "/clients")
    assert len(clients) >= 195  # the restricted person's accounts are not listed (PIPL 第47条)
    assert {c["client_class"] for c in clients} >= CLASSES
    complaints = listed(demo.system, "/complaints")
    assert {c["status"] for c in complaints} == COMPLAINT_STATES
    callbacks = listed(demo.system, "/callbacks")
    assert {c["kind"] for c in callbacks} == CALLBACK_KINDS
    due_today = {c["kind"] for c in callbacks if c["status"] == "open" and c["due_at"].startswith(DEMO_DAY)}
    assert {"new_account", "post_complaint", "post_closure", "periodic", "care"} <= due_today, due_today
    supervisor = ok(demo.system, "GET", "/work", as_=SUPERVISOR)["items"]
    assert [i for i in supervisor if i["kind"] == "complaint_reply" and i["overdue"]], supervisor  # one overdue


def test_a_second_start_on_the_same_state_loads_nothing_again(demo: Demo) -> None:
    before = counts(demo.system)
    output = stop(demo.system)
    assert demo.system.process.returncode == 0, output[-2000:]
    began = time.monotonic()
    again = start(free_port(), "--demo", "--state", str(demo.state), log_events=False)
    try:
        _, guide = guide_of(again, since=began)
        assert "found in the state directory" in guide[0], guide[0]
        assert counts(again) == before
        assert ok(again, "GET", "/work", as_=MANAGER)["date"] == DEMO_DAY  # the clock is set again
        wall = datetime.fromisoformat(crm("clock", "--port", str(again.port)).stdout.strip())
        assert abs((wall - datetime.now(UTC)).total_seconds()) < 60  # `crm clock`: back to the wall clock
        crm("clock", DEMO_DAY + "T09:30:00+08:00", "--port", str(again.port))  # the demo's day again, for the walk
    except BaseException:
        stop(again)
        raise
    demo.system = again  # the session's demo from here on
