"""The sample events under events/ are real: replayed against the handlers on moto, each
yields what its file name promises. Every function has at least one sample: API Gateway proxy
events, DynamoDB stream batches and EventBridge scheduled events."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from crm import topology
from crm.data import counters
from crm.domain.imports import upload_key
from crm.local import provision
from crm.local.invoke import LambdaContext
from crm.topology import IMPORT_FILES

EVENTS = Path(__file__).resolve().parents[2] / "events"

# Replayed in this order: each step relies on the ones before (the client must exist first).
API_SCENARIO = [
    ("api/staff/put_member.json", 200),
    ("api/staff/put_second_manager.json", 200),
    ("api/staff/put_counter.json", 200),
    ("api/staff/list_branch.json", 200),
    ("api/staff/read_member.json", 200),
    ("api/clients/register_client.json", 201),
    ("api/clients/get_client.json", 200),
    ("api/clients/list_clients.json", 200),
    ("api/lookup/by_id_number.json", 200),
    ("api/overview/client_overview.json", 200),
    ("api/personal_information/client_export.json", 200),
    ("api/client_metrics/put_metrics.json", 200),
    ("api/questionnaires/submit.json", 201),
    ("api/questionnaires/history.json", 200),
    ("api/client_metrics/class_history.json", 200),
    ("api/clients/reassign_manager.json", 200),
    ("api/contacts/log_email.json", 201),
    ("api/contacts/list_open.json", 200),
    ("api/complaints/file_with_key.json", 201),
    ("api/complaints/accept.json", 200),
    ("api/complaints/read.json", 200),
    ("api/calendar/read_year.json", 200),
    ("api/calendar/load_year.json", 200),
    ("api/escalations/list_breaches.json", 200),
    ("api/suitability/check_product.json", 200),
    ("api/suitability/record_disclosure.json", 201),
    ("api/suitability/enable_business.json", 201),
    ("api/suitability/record_sale.json", 201),
    ("api/profiles/update_profile.json", 200),
    ("api/profiles/vip_targets.json", 200),
    ("api/settings/turnover_threshold.json", 200),
    ("api/audit_trail/client_trail.json", 200),
    ("api/retention/open_case.json", 201),
    ("api/retention/record_action.json", 200),
    ("api/clients/at_risk.json", 200),
    ("api/retention/record_outcome.json", 200),
    ("api/retention/read_case.json", 200),
    ("api/work_records/write_log.json", 200),
    ("api/work/my_day.json", 200),
    ("api/prospects/record.json", 201),
    ("api/education/create_activity.json", 201),
]
# After the case's outcome reached the callback schedule and the daily job ran.
CALLBACK_SCENARIO = [
    ("api/callbacks/list_pool.json", 200),
    ("api/callbacks/take.json", 200),
    ("api/callbacks/record_attempt.json", 200),
    ("api/callbacks/read.json", 200),
    ("api/callbacks/read_sample.json", 200),
]

# A year-end file of the trading system: the import created, its file uploaded (by the test, as the
# trading system would PUT it), started; the queue samples read it and apply its chunk; then read.
IMPORT_SCENARIO = [
    ("api/imports/create_import.json", 201),
    ("api/imports/start_import.json", 202),
    ("api/imports/read_import.json", 200),
    ("api/imports/list_imports.json", 200),
]
UPLOAD = "client_id,year,assets,avg_assets,trade_volume\r\nC001,2024,4800000,900000,2500000\r\nC404,2024,100,100,0\r\n"

# After the quarter's report was written from the counters the stream samples kept.
REPORT_SCENARIO = [
    ("api/reports/quarterly_files.json", 200),
    ("api/reports/branch_manager_figures.json", 200),
]


def load(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))


def invoke(function_name: str, event: dict[str, Any]) -> Any:
    function = topology.function(function_name)
    handler = importlib.import_module(function.module).lambda_handler
    context = LambdaContext(function.name, memory_limit_in_mb=function.memory_mb, timeout_s=function.timeout_s)
    return handler(event, context)


def test_every_function_has_a_sample_and_every_sample_a_function() -> None:
    samples = {path.parent.name for path in EVENTS.glob("*/*/*.json")}
    assert samples == {fn.name for fn in topology.FUNCTIONS}


def test_every_api_sample_is_replayed() -> None:
    replayed = {p for p, _ in API_SCENARIO + CALLBACK_SCENARIO + REPORT_SCENARIO + IMPORT_SCENARIO}
    assert replayed == {str(p.relative_to(EVENTS)) for p in EVENTS.glob("api/*/*.json")}


def test_api_stream_and_schedule_samples_replay_on_moto(aws: dict[str, Any]) -> None:
    provision.create_bus(aws["events"], aws["sqs"])
    provision.create_buckets(aws["s3"])
    for relative, status in API_SCENARIO:
        response = invoke(Path(relative).parent.name, load(relative))
        assert response["statusCode"] == status, (relative, response["body"])

    member = json.loads(invoke("staff", load("api/staff/read_member.json"))["body"])
    assert (member["branch_id"], member["active"], member["history"][0]["reason"]) == ("B1", True, "入职")

    questionnaire = json.loads(invoke("questionnaires", load("api/questionnaires/history.json"))["body"])
    assert (questionnaire["items"][0]["score"], questionnaire["items"][0]["risk_level"]) == (38, "medium")

    result = invoke("reclassify", load("streams/reclassify/metrics_insert.json"))
    assert result == {"batchItemFailures": []}
    client = json.loads(invoke("clients", load("api/clients/get_client.json"))["body"])
    assert (client["client_class"], client["vip"], client["manager_id"]) == ("A", True, "mgr-2")

    for stream in ("streams/sla/provisional_clock_insert.json", "streams/deadlines/calendar_loaded.json"):
        assert invoke(Path(stream).parent.name, load(stream)) == {"batchItemFailures": []}, stream

    # 2026-05-08 09:00 Beijing: the e-mail (due 05-07) and both complaint deadlines are overdue
    sweep = invoke("sla_sweep", load("schedules/sla_sweep/every_15_minutes.json"))
    assert sweep == {"at": "2026-05-08T09:00:00+08:00", "examined": 3, "escalated": 3}

    # a phone change leaves its trace: who, why, on what evidence, before and after
    assert invoke("audit", load("streams/audit/profile_phone_changed.json")) == {"batchItemFailures": []}
    trail = json.loads(invoke("audit_trail", load("api/audit_trail/client_trail.json"))["body"])["items"]
    change = next(e for e in trail if e["after"].get("phone"))
    assert (change["by"], change["reason"], change["evidence_ref"]) == ("mgr-1", "换号", "REC-20260506-0042")
    assert (change["before"]["phone"], change["after"]["phone"]) == ("138****8000", "139****2222")

    # the 2025 figures of the stream sample (turnover 3.5) are the only year on record: T = 3.5
    recalibrated = invoke("recalibration", load("schedules/recalibration/year_end.json"))
    assert (recalibrated["year"], recalibrated["new"], recalibrated["status"]) == (2027, "3.5000", "done")

    # the rule tables in force decided every class so far: the walk rewrites no one
    rules_run = invoke("rules_reclassification", load("schedules/rules_reclassification/every_30_minutes.json"))
    assert (rules_run["status"], rules_run["examined"], rules_run["updated"]) == ("done", 1, 0)

    # the closure decided on 5 June: the client is closed, and its follow-up callback is due
    assert json.loads(invoke("clients", load("api/clients/at_risk.json"))["body"])["items"] == []  # it left
    assert json.loads(invoke("clients", load("api/clients/get_client.json"))["body"])["status"] == "closed"
    assert invoke("callback_schedule", load("streams/callback_schedule/case_closed.json")) == {"batchItemFailures": []}
    run = invoke("callback_generation", load("schedules/callback_generation/daily_0600.json"))
    assert (run["day"], run["created"]) == ("2026-06-06", {"post_closure": 1})
    for relative, status in CALLBACK_SCENARIO:
        response = invoke(Path(relative).parent.name, load(relative))
        assert response["statusCode"] == status, (relative, response["body"])
    task = json.loads(invoke("callbacks", load("api/callbacks/read.json"))["body"])
    assert (task["kind"], task["status"], task["due_at"], task["attitude"]) == (
        "post_closure",
        "done",
        "2026-07-05T23:59:59+08:00",
        "neutral",
    )

    # the registration's stream record: the opening SMS, once however often it comes
    for _ in range(2):
        assert invoke("sms", load("streams/sms/client_registered.json")) == {"batchItemFailures": []}
    (message,) = json.loads(invoke("clients", load("api/clients/get_client.json") | MESSAGES)["body"])["items"]
    assert (message["template"], message["status"], message["phone"]) == ("account_opened", "sent", "138****8000")
    # the log's stream record: mgr-2's counters of 3 June
    for _ in range(2):
        assert invoke("aggregates", load("streams/aggregates/work_log_written.json")) == {"batchItemFailures": []}
    (day,) = counters.between("activity#mgr-2")
    assert (day.period, day.figures) == (
        "D#2026-06-03",
        {"work_logs": 1, "minutes": 130, "minutes_call": 40, "minutes_research": 90},
    )

    # 01:00 Beijing on 1 July: the report on 2026Q2, from those counters; once, however often it runs
    for status in ("published", "unchanged"):
        report = invoke("quarterly_report", load("schedules/quarterly_report/after_q2.json"))
        assert (report["period"], report["status"], report["version"]) == ("2026Q2", status, 1)
    files, figures = (
        json.loads(invoke(Path(relative).parent.name, load(relative))["body"]) for relative, _ in REPORT_SCENARIO
    )
    assert {"metrics.csv", "report.xlsx", "branches/B1/metrics.csv"} <= {f["name"] for f in files["files"]}
    (manager,) = figures["items"]  # a supervisor of B1: its branch's managers
    assert (manager["branch_id"], manager["manager_id"], manager["figures"]["work_logs"]) == ("B1", "mgr-2", 1)

    # the trading system's file: one row for C001 applied, one for an unknown client reported
    provision.create_work_queues(aws["sqs"])
    (created, _), (started, _), (read, _), (listed, _) = IMPORT_SCENARIO
    response = invoke("imports", load(created))
    assert response["statusCode"] == 201, response["body"]
    import_id = json.loads(response["body"])["import_id"]
    aws["s3"].put_object(Bucket=IMPORT_FILES.local_name, Key=upload_key(import_id), Body=UPLOAD.encode("gbk"))
    assert invoke("imports", load(started))["statusCode"] == 202
    for step in ("queues/import_files/read_file.json", "queues/import_rows/apply_chunk.json"):
        assert invoke(Path(step).parent.name, load(step)) == {"batchItemFailures": []}, step
    assert invoke("import_files", load("queues/import_files/finish_import.json")) == {"batchItemFailures": []}
    job = json.loads(invoke("imports", load(read))["body"])
    assert (job["status"], job["rows"], job["succeeded"], job["failed"]) == ("complete", 2, 1, 1)
    assert job["failed_rows_url"] is not None
    assert [j["import_id"] for j in json.loads(invoke("imports", load(listed))["body"])["items"]] == [import_id]
    on_record = json.loads(
        invoke("client_metrics", load("api/client_metrics/class_history.json") | METRICS_OF_C001)["body"]
    )
    assert [m["assets"] for m in on_record["items"] if m["year"] == 2024] == [4800000]


MESSAGES = {"resource": "/clients/{client_id}/messages", "path": "/clients/C001/messages"}
METRICS_OF_C001 = {"resource": "/clients/{client_id}/metrics", "path": "/clients/C001/metrics"}
