"""The quarterly report to headquarters through the streams, the job and the API (第55条; DOMAIN §9):
a quarter of service in two branches, reported from the counters the streams kept, checked against
what the test did; the files on moto's S3 through their presigned URLs; the same figures whatever
the order and repetition of the stream records; re-assignment moving a client's state; versions;
a run cut short publishing nothing; who reads what."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import requests

from crm import topology
from crm.data import reports as report_data
from crm.domain.report import Quarter
from crm.services.quarterly_report import figures_of
from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

SUP_B1 = ("supervisor", "sup-b1", "B1")
SUP_B2 = ("supervisor", "sup-b2", "B2")
COUNTER_B1 = ("counter", "ctr-1", "B1")
COUNTER_B2 = ("counter", "ctr-9", "B2")
MANAGER = ("manager", "mgr-1", "B1")
HQ = ("hq", "hq-1", None)
COMPLIANCE = ("compliance", "cmp-1", None)
Q2 = "2026Q2"
AFTER_Q2 = "2026-07-01T01:00:00+08:00"

A_PLUS = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
CLASS_E = {"assets": 50_000, "avg_assets": 10_000, "trade_volume": 20_000}
CLASS_G = {"assets": 5_000, "avg_assets": 1_000, "trade_volume": 0}
# 36 points: medium (test_suitability)
ANSWERS: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"1": "E", "2": "D", "3": "E", "4": "D"}
ANSWERS |= {"5": "C", "6": "C", "9": ["A"]}


def ok(harness: Harness, method: str, path: str, body: Any = None, *, as_: Any = SUP_B1, at: str) -> Any:
    response = harness.call(method, path, body, as_=as_, at=at)
    assert 200 <= response.status < 300, (method, path, response.status, response.body)
    return response.json() if response.body else None


def complaint(harness: Harness, client_id: str, channel: str, *, as_: Any, moves: list[tuple[str, str]]) -> str:
    body = {"client_id": client_id, "channel": channel, "category": "attitude", "content": "服务态度差"}
    if channel == "regulator":
        body["referral_ref"] = "12386-2026-0601"
    number = str(ok(harness, "POST", "/complaints", body, as_=as_, at="2026-06-01T10:00:00+08:00")["complaint_no"])
    for to, at in moves:
        ok(harness, "POST", f"/complaints/{number}/transitions", {"to": to, "note": to}, as_=as_, at=at)
    return number


def register(harness: Harness, client_id: str, figures: dict[str, int], *, as_: Any = SUP_B1, **changes: Any) -> None:
    ok(harness, "POST", "/clients", new_client(client_id, **changes), as_=as_, at="2026-04-01T10:00:00+08:00")
    ok(harness, "PUT", f"/clients/{client_id}/metrics/2026", figures, as_=as_, at="2026-04-02T10:00:00+08:00")


def quarter_of_service(harness: Harness) -> dict[str, str]:
    """Q2 2026 in two branches: B1 (C001 of mgr-1, an A+ client; C003 of mgr-2) serves well, B2
    (C002 of mgr-9) late. Returns the complaint numbers."""
    register(harness, "C001", A_PLUS)
    register(harness, "C003", CLASS_E, manager_id="mgr-2")
    register(harness, "C002", CLASS_G, as_=SUP_B2, branch_id="B2", manager_id="mgr-9")
    ok(harness, "POST", "/clients/C001/questionnaires", {"answers": ANSWERS}, at="2026-04-02T11:00:00+08:00")
    harness.drain()

    # inquiries: a call and an e-mail answered the same day in B1; an e-mail answered late in B2
    monday = "2026-06-01T10:00:00+08:00"
    call = {"client_id": "C001", "channel": "phone", "subject": "两融", "first_responder": "ctr-1"}
    ok(harness, "POST", "/contacts", call, as_=COUNTER_B1, at=monday)
    mail = call | {"channel": "email", "subject": "对账单"}
    b1_mail = ok(harness, "POST", "/contacts", mail, as_=COUNTER_B1, at=monday)["contact_id"]
    ok(harness, "POST", f"/contacts/{b1_mail}/reply", {"answer": "已寄"}, at="2026-06-01T15:00:00+08:00")
    b2_mail = ok(
        harness,
        "POST",
        "/contacts",
        mail | {"client_id": "C002", "first_responder": "ctr-9"},
        as_=COUNTER_B2,
        at=monday,
    )["contact_id"]
    ok(harness, "POST", f"/contacts/{b2_mail}/reply", {"answer": "迟复"}, as_=SUP_B2, at="2026-06-05T10:00:00+08:00")

    # complaints: B1's handled in time; B2's, from the regulator, late at each step
    b1 = complaint(
        harness,
        "C001",
        "phone",
        as_=SUP_B1,
        moves=[
            ("accepted", "2026-06-01T11:00:00+08:00"),
            ("investigating", "2026-06-01T14:00:00+08:00"),
            ("replied", "2026-06-02T10:00:00+08:00"),
        ],
    )
    b2 = complaint(
        harness,
        "C002",
        "regulator",
        as_=SUP_B2,
        moves=[
            ("accepted", "2026-06-03T10:00:00+08:00"),
            ("investigating", "2026-06-03T11:00:00+08:00"),
            ("replied", "2026-06-04T10:00:00+08:00"),
        ],
    )
    harness.drain()

    # their callbacks: B1's done in time and satisfied (9); B2's late and dissatisfied (4)
    harness.trigger("callbacks", "2026-06-03T06:00:00+08:00")
    reached = {"reached": True, "solved": True, "risk_reminder": True}
    ok(
        harness,
        "POST",
        f"/callbacks/PC-{b1}/attempts",
        reached | {"attitude": "satisfied", "score": 9},
        as_=COUNTER_B1,
        at="2026-06-03T10:00:00+08:00",
    )
    harness.trigger("callbacks", "2026-06-05T06:00:00+08:00")
    ok(
        harness,
        "POST",
        f"/callbacks/PC-{b2}/attempts",
        reached | {"attitude": "dissatisfied", "score": 4},
        as_=COUNTER_B2,
        at="2026-06-10T10:00:00+08:00",
    )

    # mgr-2's client asked to leave and stayed; mgr-1's day, visit and spot check; a lecture
    case = ok(
        harness,
        "POST",
        "/retention-cases",
        {"client_id": "C003", "kind": "closure", "reason": "fees"},
        at="2026-06-08T10:00:00+08:00",
    )
    ok(
        harness,
        "POST",
        f"/retention-cases/{case['case_id']}/outcome",
        {"outcome": "retained"},
        at="2026-06-09T10:00:00+08:00",
    )
    day = {"entries": [{"kind": "call", "minutes": 30}]}
    ok(harness, "PUT", "/work-logs/mgr-1/2026-06-01", day, as_=MANAGER, at="2026-06-01T18:00:00+08:00")
    visit = {"client_id": "C001", "at": monday, "channel": "onsite", "purpose": "配置", "outcome": "ok"}
    ok(harness, "POST", "/visits", visit | {"self_assessment": 4}, as_=MANAGER, at="2026-06-01T18:00:00+08:00")
    check = {"manager_id": "mgr-1", "from": "2026-06-01", "to": "2026-06-05", "finding": "日志完整"}
    ok(harness, "POST", "/spot-checks", check, at="2026-06-08T10:00:00+08:00")
    lecture = {"title": "理财大讲堂", "kind": "lecture", "held_on": "2026-06-10", "topic": "债券", "speaker": "王老师"}
    activity = ok(
        harness, "POST", "/education/activities", lecture | {"branch_id": "B1"}, at="2026-06-10T18:00:00+08:00"
    )
    attendance = {"client_ids": ["C001", "C003"]}
    ok(
        harness,
        "PUT",
        f"/education/activities/{activity['activity_id']}/attendance",
        attendance,
        at="2026-06-10T18:00:00+08:00",
    )
    harness.drain()
    return {"B1": b1, "B2": b2}


def in_q2(moment: str | None) -> bool:
    return moment is not None and Quarter.of(datetime.fromisoformat(moment)) == Quarter(2026, 2)


def expected(harness: Harness) -> dict[tuple[str, str, str], dict[str, Any]]:
    """What the report must say, from what the test did and what the API shows (never the counters):
    (scope, branch, manager) → metric → value."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(key: tuple[str, str, str], figures: dict[str, Any]) -> None:
        into = rows.setdefault(key, {})
        for metric, value in figures.items():
            into[metric] = into.get(metric, 0) + value

    def everywhere(branch: str, manager: str | None, figures: dict[str, Any]) -> None:
        add(("company", "", ""), figures)
        add(("branch", branch, ""), figures)
        if manager:
            add(("manager", branch, manager), figures)

    for branch, sup in (("B1", SUP_B1), ("B2", SUP_B2)):
        for client in harness.call("GET", "/clients", query=f"branch_id={branch}", as_=sup).json()["items"]:
            full = harness.call("GET", f"/clients/{client['client_id']}", as_=sup).json()
            state = {"clients": 1, f"clients_class_{full['client_class']}": 1, "vip": int(full["vip"])}
            if full.get("risk_level"):
                state[f"clients_risk_{full['risk_level']}"] = 1
            everywhere(branch, full["manager_id"], state)
        for task in harness.call("GET", "/callbacks", query=f"branch_id={branch}", as_=sup).json()["items"]:
            task = harness.call("GET", f"/callbacks/{task['callback_id']}", as_=sup).json()
            if in_q2(task["due_at"]) and task["status"] != "cancelled":
                everywhere(branch, task["manager_id"], {"callbacks_due": 1})
        for breach in harness.call("GET", "/sla/breaches", query=f"branch_id={branch}", as_=sup).json()["items"]:
            if in_q2(breach["due_at"]):
                everywhere(branch, breach.get("manager_id"), {"sla_breaches": 1})
    # B1 served well
    everywhere("B1", "mgr-1", {"contacts_phone": 1, "contacts_email": 1})
    everywhere("B1", "mgr-1", {"email_replied_same_day": 1, "email_replied_within_2wd": 1})
    complaint_b1 = {"complaints": 1, "complaints_attitude": 1, "complaints_valid": 1}
    everywhere("B1", "mgr-1", complaint_b1 | {"complaints_investigated_on_time": 1, "complaints_replied_on_time": 1})
    everywhere("B1", "mgr-1", {"callbacks_done": 1, "callbacks_done_on_time": 1, "work_logs": 1, "visits": 1})
    everywhere("B1", "mgr-1", {"spot_checks": 1})
    everywhere("B1", "mgr-2", {"retention_retained": 1})
    everywhere("B1", None, {"education_activities": 1, "education_attendances": 2})
    # B2 late
    everywhere("B2", "mgr-9", {"contacts_email": 1})
    everywhere("B2", "mgr-9", {"complaints": 1, "complaints_attitude": 1, "complaints_valid": 1})
    everywhere("B2", "mgr-9", {"complaints_regulator": 1, "callbacks_done": 1})
    # the shares
    rows[("company", "", "")] |= {
        "complaints_per_100_clients": "66.6667",  # 2 complaints, 3 clients
        "satisfaction_mean_score": "6.5000",  # (9 + 4) / 2
        "satisfaction_share_satisfied": "0.5000",
    }
    rows[("branch", "B1", "")] |= {
        "complaints_per_100_clients": "50.0000",
        "satisfaction_mean_score": "9.0000",
        "satisfaction_share_satisfied": "1.0000",
    }
    rows[("branch", "B2", "")] |= {
        "complaints_per_100_clients": "100.0000",
        "satisfaction_mean_score": "4.0000",
        "satisfaction_share_satisfied": "0.0000",
    }
    return rows


def read_csv(body: bytes) -> dict[tuple[str, str, str], dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    found: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
        found.setdefault((row["scope"], row["branch_id"], row["manager_id"]), {})[row["metric"]] = row["value"]
    return found


def report(harness: Harness, as_: Any = HQ, query: str = "") -> dict[str, Any]:
    response = harness.call("GET", f"/reports/quarterly/{Q2}", as_=as_, query=query)
    assert response.status == 200, response.body
    return response.json()


def download(files: dict[str, Any], name: str) -> bytes:
    (found,) = [f for f in files["files"] if f["name"] == name]
    response = requests.get(found["url"], timeout=10)  # moto answers the presigned GET
    assert response.status_code == 200, response.text
    return response.content


def test_the_report_says_what_happened_in_the_quarter(harness: Harness) -> None:
    quarter_of_service(harness)
    run = harness.trigger("quarterly-report", AFTER_Q2)["result"]
    assert (run["period"], run["status"], run["version"]) == (Q2, "published", 1)

    files = report(harness)
    assert (files["period"], files["version"]) == (Q2, 1)
    assert {f["format"] for f in files["files"]} == {"xlsx", "csv", "json"}
    names = {f["name"] for f in files["files"]}
    assert {"metrics.csv", "report.xlsx", "figures.json", "manifest.json"} <= names
    assert {"branches/B1/metrics.csv", "branches/B2/report.xlsx"} <= names

    found = read_csv(download(files, "metrics.csv"))
    for member, figures in expected(harness).items():
        for metric, value in figures.items():
            assert found[member][metric] == str(value), (member, metric)
    # every other count is zero, every member has every metric of its scope
    assert found[("company", "", "")]["retention_closed"] == "0"
    assert set(found) == {
        ("company", "", ""),
        ("branch", "B1", ""),
        ("branch", "B2", ""),
        ("manager", "B1", "mgr-1"),
        ("manager", "B1", "mgr-2"),
        ("manager", "B2", "mgr-9"),
    }
    assert "education_activities" not in found[("manager", "B1", "mgr-1")]

    book = openpyxl.load_workbook(io.BytesIO(download(files, "report.xlsx")))
    assert "客户分类" in book.sheetnames
    service = book["服务与投诉"]
    assert [row[0].value for row in service.iter_rows(min_row=2) if row[0].value] == ["B1", "B2"]

    manifest = json.loads(download(files, "manifest.json"))
    assert (manifest["period"], manifest["version"]) == (Q2, 1)
    assert manifest["generated_at"].startswith("2026-07-01T01:00")
    assert set(manifest["rule_versions"]) >= {"classification", "callbacks", "sla", "complaints"}
    listed = {f["name"]: f for f in manifest["files"]}
    for name in ("metrics.csv", "report.xlsx", "branches/B2/figures.json"):
        assert hashlib.sha256(download(files, name)).hexdigest() == listed[name]["sha256"], name


def test_the_figures_endpoint_answers_the_same_figures_for_dashboards(harness: Harness) -> None:
    quarter_of_service(harness)
    harness.trigger("quarterly-report", AFTER_Q2)
    company = harness.call("GET", f"/reports/quarterly/{Q2}/figures", as_=COMPLIANCE).json()
    (item,) = company["items"]
    assert (company["scope"], item["figures"]["clients"], item["figures"]["satisfaction_mean_score"]) == (
        "company",
        3,
        6.5,
    )
    managers = harness.call("GET", f"/reports/quarterly/{Q2}/figures", query="scope=manager&branch_id=B1", as_=HQ)
    assert sorted(i["manager_id"] for i in managers.json()["items"]) == ["mgr-1", "mgr-2"]
    branches = harness.call("GET", f"/reports/quarterly/{Q2}/figures", query="scope=branch", as_=HQ).json()
    assert [(i["branch_id"], i["figures"]["complaints_regulator"]) for i in branches["items"]] == [("B1", 0), ("B2", 1)]
    assert set(branches["labels"]) == set(branches["items"][0]["figures"])  # each metric in Chinese
    assert branches["labels"]["complaints_regulator"] == "监管转办投诉"
    assert branches["next_cursor"] is None


def test_the_figures_read_in_pages_lose_and_repeat_nothing(harness: Harness) -> None:
    quarter_of_service(harness)
    harness.trigger("quarterly-report", AFTER_Q2)
    path = f"/reports/quarterly/{Q2}/figures"
    managers = whole(harness, path, query="scope=manager", as_=HQ)
    assert sorted(i["manager_id"] for i in managers) == ["mgr-1", "mgr-2", "mgr-9"]
    pages = every_page(harness, path, limit=2, query="scope=manager", as_=HQ)
    assert [len(page) for page in pages] == [2, 1]
    assert [item for page in pages for item in page] == managers
    first = harness.call("GET", path, query="scope=manager&limit=2", as_=HQ).json()
    assert set(first["labels"]) == {metric for item in first["items"] for metric in item["figures"]}
    elsewhere = harness.call("GET", path, query=f"scope=branch&cursor={first['next_cursor']}", as_=HQ)
    assert (elsewhere.status, elsewhere.json()["error"]["field"]) == (400, "cursor")


def test_a_supervisor_reads_its_own_branch_alone_a_manager_nothing(harness: Harness) -> None:
    quarter_of_service(harness)
    harness.trigger("quarterly-report", AFTER_Q2)
    own = report(harness, as_=SUP_B2)
    assert {f["name"] for f in own["files"]} == {"metrics.csv", "report.xlsx", "figures.json"}
    assert all("/branches/B2/" in f["url"] for f in own["files"])
    rows = read_csv(download(own, "metrics.csv"))
    assert set(rows) == {("branch", "B2", ""), ("manager", "B2", "mgr-9")}
    assert rows[("branch", "B2", "")]["clients"] == "1"
    for query, field in (("branch_id=B1", "branch_id"),):
        refused = harness.call("GET", f"/reports/quarterly/{Q2}", query=query, as_=SUP_B2)
        assert (refused.status, refused.json()["error"]["field"]) == (403, field)
    company = harness.call("GET", f"/reports/quarterly/{Q2}/figures", query="scope=company", as_=SUP_B2)
    assert (company.status, company.json()["error"]["field"]) == (403, "scope")
    figures = harness.call("GET", f"/reports/quarterly/{Q2}/figures", as_=SUP_B2).json()
    assert [(i["scope"], i["branch_id"]) for i in figures["items"]] == [("branch", "B2")]
    for caller in (MANAGER, COUNTER_B1):
        assert harness.call("GET", f"/reports/quarterly/{Q2}", as_=caller).status == 403
        assert harness.call("GET", f"/reports/quarterly/{Q2}/figures", as_=caller).status == 403
    # hq may ask for one branch's files
    b1 = report(harness, query="branch_id=B1")
    assert {f["name"] for f in b1["files"]} == {"metrics.csv", "report.xlsx", "figures.json"}


@pytest.mark.parametrize("period", ["2026Q5", "26Q1", "2026Q0", "2026-Q2", "Q22026"])
def test_an_impossible_period_is_refused_naming_it(harness: Harness, period: str) -> None:
    for path in (f"/reports/quarterly/{period}", f"/reports/quarterly/{period}/figures"):
        refused = harness.call("GET", path, as_=HQ)
        assert (refused.status, refused.json()["error"]["field"]) == (422, "period"), refused.body


def test_before_the_job_ran_there_is_no_report(harness: Harness) -> None:
    for path in (f"/reports/quarterly/{Q2}", f"/reports/quarterly/{Q2}/figures"):
        missing = harness.call("GET", path, as_=HQ)
        assert (missing.status, missing.json()["error"]["field"]) == (404, "period")
    bad_scope = harness.call("GET", f"/reports/quarterly/{Q2}/figures", query="scope=planet", as_=HQ)
    assert (bad_scope.status, bad_scope.json()["error"]["field"]) == (422, "scope")


def stream_records(harness: Harness) -> list[dict[str, Any]]:
    """Every record the tables' streams hold, from the start, as Lambda would get them."""
    streams = harness.clients["dynamodbstreams"]
    records: list[dict[str, Any]] = []
    for table in (topology.CLIENTS, topology.SERVICE, topology.CALLBACKS, topology.ACTIVITY):
        arn = harness.clients["dynamodb"].describe_table(TableName=table.local_name)["Table"]["LatestStreamArn"]
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator, Limit=1000)
                for record in page["Records"]:
                    records.append(json.loads(json.dumps(record, default=str)) | {"eventSourceARN": arn})
                iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def forget_the_counters(harness: Harness) -> None:
    dynamodb = harness.clients["dynamodb"]
    table = topology.AGGREGATES.local_name
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def test_redelivered_and_reordered_stream_records_give_the_same_figures(harness: Harness) -> None:
    from crm.local.invoke import LambdaContext
    from functions.aggregates.handler import lambda_handler

    quarter_of_service(harness)
    in_order = figures_of(Quarter(2026, 2))
    records = stream_records(harness)
    assert len(records) > 50
    forget_the_counters(harness)
    # each record twice, the whole lot shuffled, in batches as a stream's retries would bring them
    shuffled = records * 2
    random.Random(55).shuffle(shuffled)
    context = LambdaContext("aggregates", memory_limit_in_mb=512, timeout_s=60)
    for start in range(0, len(shuffled), 25):
        assert lambda_handler({"Records": shuffled[start : start + 25]}, context) == {"batchItemFailures": []}
    assert figures_of(Quarter(2026, 2)) == in_order
    assert in_order.value(in_order.rows[0].scope, "clients") == 3


def test_a_reassigned_client_leaves_its_old_managers_figures_from_that_quarter_on(harness: Harness) -> None:
    register(harness, "C001", A_PLUS)  # Q2 for mgr-1
    harness.drain()
    handover = {"manager_id": "mgr-2", "reason": "mgr-1 调岗"}
    ok(harness, "PUT", "/clients/C001/manager", handover, at="2026-07-15T10:00:00+08:00")  # Q3
    harness.drain()
    for run_at in (AFTER_Q2, "2026-10-01T01:00:00+08:00"):
        harness.trigger("quarterly-report", run_at)
    q2 = read_csv(download(report(harness), "metrics.csv"))
    assert (q2[("manager", "B1", "mgr-1")]["clients"], ("manager", "B1", "mgr-2") in q2) == ("1", False)
    q3_files = harness.call("GET", "/reports/quarterly/2026Q3", as_=HQ).json()
    q3 = read_csv(download(q3_files, "metrics.csv"))
    assert q3[("manager", "B1", "mgr-1")]["clients"] == "0"
    assert q3[("manager", "B1", "mgr-2")]["clients"] == "1"
    assert q3[("branch", "B1", "")]["clients"] == "1"  # the branch never lost it


def test_a_rerun_changes_nothing_unless_the_figures_did_and_keeps_the_old_version(harness: Harness) -> None:
    register(harness, "C001", A_PLUS)
    mail = {"client_id": "C001", "channel": "email", "subject": "对账单", "first_responder": "ctr-1"}
    contact = ok(harness, "POST", "/contacts", mail, as_=COUNTER_B1, at="2026-06-30T10:00:00+08:00")["contact_id"]
    harness.drain()
    first = harness.trigger("quarterly-report", AFTER_Q2)["result"]
    again = harness.trigger("quarterly-report", "2026-07-01T02:00:00+08:00")["result"]
    assert (first["status"], again["status"], again["version"]) == ("published", "unchanged", 1)
    v1 = report(harness)
    assert read_csv(download(v1, "metrics.csv"))[("company", "", "")]["email_replied_within_2wd"] == "0"

    # answered on 1 July, within two working days: a Q2 figure known since the first run
    ok(harness, "POST", f"/contacts/{contact}/reply", {"answer": "已寄"}, at="2026-07-01T10:00:00+08:00")
    harness.drain()
    later = harness.trigger("quarterly-report", "2026-07-02T01:00:00+08:00")["result"]
    assert (later["status"], later["version"]) == ("published", 2)
    v2 = report(harness)
    assert v2["version"] == 2
    assert read_csv(download(v2, "metrics.csv"))[("company", "", "")]["email_replied_within_2wd"] == "1"
    # version 1 is kept as it was
    kept = report_data.read_file(report_data.key_of(Quarter(2026, 2), 1, "metrics.csv"))
    assert read_csv(kept)[("company", "", "")]["email_replied_within_2wd"] == "0"


def test_a_run_cut_short_publishes_nothing_and_the_next_run_finishes(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(harness, "C001", A_PLUS)
    harness.drain()
    written: list[str] = []
    real_put = report_data.put_file

    def failing_put(key: str, body: bytes, content_type: str) -> None:
        if len(written) == 4:
            raise ConnectionError("S3 went away")
        written.append(key)
        real_put(key, body, content_type)

    monkeypatch.setattr(report_data, "put_file", failing_put)
    with pytest.raises(Exception, match="S3 went away"):
        harness.trigger("quarterly-report", AFTER_Q2)
    assert harness.call("GET", f"/reports/quarterly/{Q2}", as_=HQ).status == 404
    monkeypatch.setattr(report_data, "put_file", real_put)
    finished = harness.trigger("quarterly-report", AFTER_Q2)["result"]
    assert (finished["status"], finished["version"]) == ("published", 1)
    assert read_csv(download(report(harness), "metrics.csv"))[("company", "", "")]["clients"] == "1"


def test_the_shares_are_decimals_of_four_places(harness: Harness) -> None:
    quarter_of_service(harness)
    harness.trigger("quarterly-report", AFTER_Q2)
    rows = read_csv(download(report(harness), "metrics.csv"))
    for member, figures in rows.items():
        for metric in ("complaints_per_100_clients", "satisfaction_mean_score", "satisfaction_share_satisfied"):
            value = figures[metric]
            assert value == "" or Decimal(value).as_tuple().exponent == -4, (member, metric, value)
