"""The quarterly report's rules (第55条; DOMAIN §9; API.md `metrics.csv`): quarters on the Beijing
clock, the metrics in their contract order, what each record counts for and in which quarter, the
quarter-end snapshot as a sum of changes, the derived shares, and the files' shapes (CSV read back
with the stdlib, the workbook opened with openpyxl)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from crm.domain.aggregates import (
    Contribution,
    callback_counts,
    case_counts,
    clock_counts,
    complaint_counts,
    contact_counts,
    education_counts,
    merged,
    state_change,
)
from crm.domain.attitude import Attitude
from crm.domain.callbacks import CallbackTask, Kind, TaskStatus
from crm.domain.client import Client, ClientStatus
from crm.domain.complaints import Category, Channel, Complaint, Status, Validity
from crm.domain.contacts import Contact, ContactChannel, ContactStatus
from crm.domain.education import EducationActivity, EducationKind
from crm.domain.report import (
    COMPANY_MEMBER,
    Figures,
    MetricNames,
    Quarter,
    Scope,
    assemble,
    event_counter,
    reported_quarter,
    state_counter,
)
from crm.domain.retention import CaseKind, CaseStatus, Reason, RetentionCase
from crm.domain.risk_level import RiskLevel
from crm.domain.sla import Clock, ClockKind
from crm.errors import InvalidInput
from crm.exports import CSV_COLUMNS, figures_document, metrics_csv, workbook
from crm.services.quarterly_report import metric_names


def at(text: str) -> datetime:
    return datetime.fromisoformat(text if "+" in text else f"{text}+08:00")


NAMES = metric_names()
Q2 = Quarter(2026, 2)

# API.md «metrics.csv», in its order, for the class and risk tables in force.
CONTRACT = [
    "clients",
    *(f"clients_class_{c}" for c in ("A+", "B+", "A", "B", "C", "D", "C-", "D-", "E", "F", "G")),
    *(f"clients_risk_{r}" for r in ("very_low", "low", "medium", "high")),
    "vip",
    *(f"contacts_{c}" for c in ("phone", "email", "web", "onsite", "visit", "sms")),
    "email_replied_same_day",
    "email_replied_within_2wd",
    "sla_breaches",
    "complaints",
    *(f"complaints_{c}" for c in ("attitude", "competence", "efficiency", "product", "other")),
    "complaints_valid",
    "complaints_invalid",
    "complaints_regulator",
    "complaints_investigated_on_time",
    "complaints_replied_on_time",
    "complaints_per_100_clients",
    "callbacks_due",
    "callbacks_done",
    "callbacks_done_on_time",
    "callbacks_unreachable",
    "satisfaction_mean_score",
    "satisfaction_share_satisfied",
    "retention_retained",
    "retention_transferred",
    "retention_closed",
    "education_activities",
    "education_attendances",
    "work_logs",
    "visits",
    "spot_checks",
]


# --- quarters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026Q5", "26Q1", "2026Q0", "2026q1", " 2026Q1", "2026-Q1", "1999Q4", "2026Q1x"])
def test_an_impossible_period_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Quarter.parse(text)
    assert caught.value.field == "period"


def test_a_period_reads_back_as_written_with_its_days() -> None:
    quarter = Quarter.parse("2026Q1")
    assert (str(quarter), quarter.first_day, quarter.last_day) == ("2026Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert Quarter(2024, 1).last_day == date(2024, 3, 31)
    assert Quarter(2026, 4).ends_at == at("2026-12-31T23:59:59")


def test_a_quarter_is_on_the_beijing_clock() -> None:
    assert Quarter.of(at("2026-03-31T16:30:00+00:00")) == Quarter(2026, 2)  # 00:30 on 1 April in Beijing
    assert Quarter.of(at("2026-03-31T15:59:59+00:00")) == Quarter(2026, 1)
    assert Quarter.of(date(2026, 12, 31)) == Quarter(2026, 4)


def test_a_run_reports_on_the_quarter_that_ended_before_it() -> None:
    assert reported_quarter(at("2027-01-01T01:00")) == Quarter(2026, 4)  # 1 January: Q4 of the year before
    assert reported_quarter(at("2026-07-01T01:00")) == Q2
    assert reported_quarter(datetime.fromisoformat("2026-06-30T17:00:00Z")) == Q2  # Scheduler sends UTC


# --- the metrics --------------------------------------------------------------------------------------


def test_the_rows_carry_api_md_metrics_in_its_order_then_the_class_and_vip_changes() -> None:
    branch = NAMES.ordered(Scope.BRANCH)
    assert branch[: len(CONTRACT)] == CONTRACT
    assert branch[len(CONTRACT) :] == ["class_changes", "vip_gained", "vip_lost"]
    assert NAMES.ordered(Scope.COMPANY) == branch
    # education is a branch's: its managers' rows do not carry it
    manager = NAMES.ordered(Scope.MANAGER)
    assert manager == [m for m in branch if not m.startswith("education_")]


def test_derived_figures_are_four_place_decimals_and_empty_with_nothing_to_average() -> None:
    events = {"complaints": 2, "satisfaction_score_sum": 25, "satisfaction_scored": 3, "satisfaction_satisfied": 2}
    figures = assemble(
        Q2,
        events={Scope.COMPANY: {COMPANY_MEMBER: events}, Scope.BRANCH: {"B1": {"complaints": 1}}},
        state={Scope.COMPANY: {COMPANY_MEMBER: {"clients": 300}}, Scope.BRANCH: {"B1": {"clients": 0}}},
        names=NAMES,
    )
    assert figures.value(Scope.COMPANY, "complaints_per_100_clients") == Decimal("0.6667")
    assert figures.value(Scope.COMPANY, "satisfaction_mean_score") == Decimal("8.3333")
    assert figures.value(Scope.COMPANY, "satisfaction_share_satisfied") == Decimal("0.6667")
    for metric in ("complaints_per_100_clients", "satisfaction_mean_score", "satisfaction_share_satisfied"):
        assert figures.value(Scope.BRANCH, metric, "B1") is None
    assert figures.value(Scope.BRANCH, "visits", "B1") == 0  # counts are zero, never missing


def test_rows_are_company_then_branches_then_managers_in_order() -> None:
    figures = assemble(
        Q2,
        events={Scope.MANAGER: {"B2#m9": {"visits": 1}, "B1#m1": {"visits": 2}}, Scope.BRANCH: {"B2": {"visits": 1}}},
        state={Scope.BRANCH: {"B1": {"clients": 1}}},
        names=NAMES,
    )
    members = list(dict.fromkeys((r.scope, r.branch_id, r.manager_id) for r in figures.rows))
    assert members == [
        (Scope.COMPANY, None, None),
        (Scope.BRANCH, "B1", None),
        (Scope.BRANCH, "B2", None),
        (Scope.MANAGER, "B1", "m1"),
        (Scope.MANAGER, "B2", "m9"),
    ]
    assert figures.branches() == ["B1", "B2"]
    assert {(r.scope, r.branch_id) for r in figures.for_branch("B2").rows} == {
        (Scope.BRANCH, "B2"),
        (Scope.MANAGER, "B2"),
    }


# --- what each record counts for ----------------------------------------------------------------------


def counted(contribution: Contribution, quarter: Quarter, scope: Scope, member: str) -> dict[str, int]:
    return contribution.get((event_counter(quarter, scope), member), {})


EMAIL = Contact(
    contact_id="c-1",
    client_id="C1",
    branch_id="B1",
    channel=ContactChannel.EMAIL,
    subject="对账单",
    received_at=at("2026-06-30T23:30"),
    recorded_by="ctr-1",
    first_responder="ctr-1",
    manager_id="m1",
    status=ContactStatus.OPEN,
    outside_working_hours=True,
    reply_due_at=at("2026-07-02T23:59:59"),
    follow_up_due_at=None,
    deadline_provisional=False,
)


def test_an_inquiry_counts_in_the_quarter_it_came_in_with_its_reply_when_known() -> None:
    received = contact_counts(EMAIL)
    for scope, member in ((Scope.COMPANY, COMPANY_MEMBER), (Scope.BRANCH, "B1"), (Scope.MANAGER, "B1#m1")):
        assert counted(received, Q2, scope, member) == {"contacts_email": 1}
    replied = replace(EMAIL, replied_at=at("2026-07-02T10:00"), replied_same_day=False)
    # answered in Q3, within two working days: still counted in Q2, the quarter of the inquiry
    assert counted(contact_counts(replied), Q2, Scope.BRANCH, "B1") == {
        "contacts_email": 1,
        "email_replied_within_2wd": 1,
    }
    late = replace(EMAIL, replied_at=at("2026-07-03T09:00"), replied_same_day=False)
    assert counted(contact_counts(late), Q2, Scope.BRANCH, "B1") == {"contacts_email": 1}
    same_day = replace(
        EMAIL, received_at=at("2026-06-01T10:00"), replied_at=at("2026-06-01T16:00"), replied_same_day=True
    )
    assert counted(contact_counts(same_day), Q2, Scope.BRANCH, "B1") == {
        "contacts_email": 1,
        "email_replied_same_day": 1,
        "email_replied_within_2wd": 1,
    }


COMPLAINT = Complaint(
    complaint_no="TS-2606-0001",
    client_id="C1",
    branch_id="B1",
    channel=Channel.REGULATOR,
    category=Category.ATTITUDE,
    content="态度",
    received_at=at("2026-06-10T10:00"),
    recorded_by="sup-1",
    manager_id="m1",
    status=Status.RECEIVED,
    investigate_due_at=at("2026-06-11T23:59:59"),
    reply_due_at=at("2026-06-12T23:59:59"),
    deadline_provisional=False,
    regulator_referral=True,
)


def test_a_complaint_counts_by_category_validity_and_referral() -> None:
    assert counted(complaint_counts(COMPLAINT), Q2, Scope.MANAGER, "B1#m1") == {
        "complaints": 1,
        "complaints_attitude": 1,
        "complaints_regulator": 1,
    }
    invalid = replace(COMPLAINT, validity=Validity.INVALID, regulator_referral=False)
    assert counted(complaint_counts(invalid), Q2, Scope.COMPANY, COMPANY_MEMBER) == {
        "complaints": 1,
        "complaints_attitude": 1,
        "complaints_invalid": 1,
    }


def test_a_deadline_met_in_time_counts_in_the_quarter_of_its_complaint() -> None:
    clock = Clock(
        owner_type="complaint",
        owner_id=COMPLAINT.complaint_no,
        kind=ClockKind.COMPLAINT_REPLY,
        branch_id="B1",
        started_at=at("2026-06-30T15:00"),
        due_at=at("2026-07-02T23:59:59"),
        provisional=False,
        unknown_years=frozenset(),
        manager_id="m1",
    )
    assert clock_counts(clock) == {}  # open: not yet on time
    on_time = clock_counts(replace(clock, met_at=at("2026-07-02T23:59:59")))
    assert counted(on_time, Q2, Scope.BRANCH, "B1") == {"complaints_replied_on_time": 1}
    assert clock_counts(replace(clock, met_at=at("2026-07-03T00:00"))) == {}  # late
    follow_up = replace(clock, kind=ClockKind.CONTACT_FOLLOW_UP, met_at=at("2026-07-01T09:00"))
    assert clock_counts(follow_up) == {}  # not a metric of the report


TASK = CallbackTask(
    callback_id="PD-C1-20260630",
    kind=Kind.PERIODIC,
    client_id="C1",
    branch_id="B1",
    manager_id="m1",
    owner="m1",
    due_at=at("2026-06-30T23:59:59"),
    status=TaskStatus.OPEN,
    source=None,
    rules_version="1",
    created_at=at("2026-06-23T06:00"),
)


def test_a_callback_is_due_in_its_quarter_and_done_in_the_quarter_it_ended() -> None:
    assert counted(callback_counts(TASK), Q2, Scope.BRANCH, "B1") == {"callbacks_due": 1}
    done = replace(
        TASK, status=TaskStatus.DONE, finished_at=at("2026-07-01T10:00"), attitude=Attitude.SATISFIED, score=9
    )
    contribution = callback_counts(done)
    assert counted(contribution, Q2, Scope.BRANCH, "B1") == {"callbacks_due": 1}
    assert counted(contribution, Quarter(2026, 3), Scope.BRANCH, "B1") == {
        "callbacks_done": 1,  # late: not on time
        "satisfaction_score_sum": 9,
        "satisfaction_scored": 1,
        "satisfaction_satisfied": 1,
    }
    in_time = replace(done, finished_at=at("2026-06-30T20:00"), attitude=Attitude.NEUTRAL, score=6)
    assert counted(callback_counts(in_time), Q2, Scope.MANAGER, "B1#m1") == {
        "callbacks_due": 1,
        "callbacks_done": 1,
        "callbacks_done_on_time": 1,
        "satisfaction_score_sum": 6,
        "satisfaction_scored": 1,
    }
    unreachable = replace(TASK, status=TaskStatus.UNREACHABLE, finished_at=at("2026-06-29T10:00"))
    assert counted(callback_counts(unreachable), Q2, Scope.BRANCH, "B1") == {
        "callbacks_due": 1,
        "callbacks_unreachable": 1,
    }
    assert callback_counts(replace(TASK, status=TaskStatus.CANCELLED)) == {}  # the client left


def test_a_retention_case_counts_by_outcome_when_decided_and_education_for_the_branch() -> None:
    case = RetentionCase(
        case_id="RC-1",
        client_id="C1",
        branch_id="B1",
        manager_id="m1",
        kind=CaseKind.TRANSFER,
        reason=Reason.FEES,
        note=None,
        status=CaseStatus.OPEN,
        opened_at=at("2026-05-01T10:00"),
        opened_by="sup-1",
    )
    assert case_counts(case) == {}
    decided = replace(case, status=CaseStatus.RETAINED, decided_at=at("2026-06-01T10:00"))
    assert counted(case_counts(decided), Q2, Scope.MANAGER, "B1#m1") == {"retention_retained": 1}
    lecture = EducationActivity(
        activity_id="a-1",
        title="理财大讲堂",
        kind=EducationKind.LECTURE,
        branch_id="B1",
        held_on=date(2026, 4, 1),
        topic="债券",
        speaker="王老师",
        recorded_by="sup-1",
        recorded_at=at("2026-04-01T18:00"),
    )
    contribution = education_counts(lecture)
    assert counted(contribution, Q2, Scope.BRANCH, "B1") == {"education_activities": 1}
    assert not any(name.endswith("#manager") for name, _ in contribution)


# --- the snapshot, from the changes ---------------------------------------------------------------------

CLIENT = Client(
    client_id="C1",
    name="张三",
    id_number="110101199003074514",
    phone="13800138000",
    branch_id="B1",
    manager_id="m1",
    opened_on=date(2026, 1, 5),
    created_at=at("2026-01-05T10:00"),
    created_by="sup-1",
)


def snapshot(changes: list[Contribution], quarter: Quarter, scope: Scope, member: str) -> dict[str, int]:
    """What the report sums: every quarter's changes up to `quarter`, for one member."""
    total: dict[str, int] = {}
    for (name, key), figures in merged(*changes).items():
        changed_in, _, who = key.partition("#")
        if name == state_counter(scope) and who == member and Quarter.parse(changed_in) <= quarter:
            for metric, value in figures.items():
                total[metric] = total.get(metric, 0) + value
    return {metric: value for metric, value in total.items() if value}


def test_the_quarter_end_snapshot_is_the_sum_of_the_changes_up_to_its_end() -> None:
    classified = replace(CLIENT, client_class="A", vip=True, risk_level=RiskLevel.MEDIUM)
    moved = replace(classified, branch_id="B2", manager_id="m9")  # re-assigned in Q2
    left = replace(moved, status=ClientStatus.CLOSED)  # closed in Q3
    changes = [
        state_change(None, CLIENT, at("2026-01-05T10:00")),
        state_change(CLIENT, classified, at("2026-01-05T10:01")),
        state_change(classified, moved, at("2026-05-01T10:00")),
        state_change(moved, left, at("2026-08-01T10:00")),
    ]
    q1, q3 = Quarter(2026, 1), Quarter(2026, 3)
    whole = {"clients": 1, "vip": 1, "clients_class_A": 1, "clients_risk_medium": 1}
    assert snapshot(changes, q1, Scope.BRANCH, "B1") == whole
    assert snapshot(changes, q1, Scope.MANAGER, "B1#m1") == whole
    assert snapshot(changes, Q2, Scope.BRANCH, "B1") == {}  # moved out: its old branch counts it no more
    assert snapshot(changes, Q2, Scope.BRANCH, "B2") == whole
    assert snapshot(changes, Q2, Scope.COMPANY, COMPANY_MEMBER) == whole  # the company's count never moved
    assert snapshot(changes, q3, Scope.COMPANY, COMPANY_MEMBER) == {}  # gone once it left


def test_class_migrations_and_vip_changes_count_in_the_quarter_they_happened() -> None:
    d = replace(CLIENT, client_class="D")
    a_vip = replace(d, client_class="A", vip=True)
    change = state_change(d, a_vip, at("2026-06-01T10:00"))
    assert counted(change, Q2, Scope.BRANCH, "B1") == {"class_changes": 1, "vip_gained": 1}
    first = state_change(CLIENT, d, at("2026-01-05T10:00"))  # a first class is no migration
    assert counted(first, Quarter(2026, 1), Scope.BRANCH, "B1") == {}
    lost = state_change(a_vip, replace(a_vip, vip=False), at("2026-06-02T10:00"))
    assert counted(lost, Q2, Scope.MANAGER, "B1#m1") == {"vip_lost": 1}


# --- the files -------------------------------------------------------------------------------------------


def sample_figures() -> Figures:
    events = {
        "contacts_email": 4,
        "email_replied_within_2wd": 3,
        "complaints": 2,
        "complaints_replied_on_time": 1,
        "complaints_investigated_on_time": 2,
        "satisfaction_score_sum": 17,
        "satisfaction_scored": 2,
        "satisfaction_satisfied": 1,
        "class_changes": 1,
    }
    state = {"clients": 40, "clients_class_A": 30, "clients_class_G": 10, "vip": 3}
    return assemble(
        Q2,
        events={
            Scope.COMPANY: {COMPANY_MEMBER: events},
            Scope.BRANCH: {"B1": events, "B2": {}},
            Scope.MANAGER: {"B1#m1": {"visits": 2}},
        },
        state={Scope.COMPANY: {COMPANY_MEMBER: state}, Scope.BRANCH: {"B1": state}},
        names=NAMES,
    )


def test_metrics_csv_is_utf8_with_bom_long_format_and_only_api_md_metrics() -> None:
    figures = sample_figures()
    body = metrics_csv(figures)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    company = {r["metric"]: r["value"] for r in rows if r["scope"] == "company"}
    assert list(company) == CONTRACT
    assert (company["clients_class_A"], company["complaints_per_100_clients"]) == ("30", "5.0000")
    assert (company["satisfaction_mean_score"], company["satisfaction_share_satisfied"]) == ("8.5000", "0.5000")
    b2 = {r["metric"]: r["value"] for r in rows if r["scope"] == "branch" and r["branch_id"] == "B2"}
    assert (b2["clients"], b2["satisfaction_mean_score"]) == ("0", "")  # nothing to average: empty
    manager = [r for r in rows if r["scope"] == "manager"]
    assert {(r["branch_id"], r["manager_id"]) for r in manager} == {("B1", "m1")}
    assert all(r["manager_id"] == "" for r in rows if r["scope"] != "manager")
    assert all(r["branch_id"] == "" for r in rows if r["scope"] == "company")


def test_the_json_document_holds_every_figure_by_member_with_numbers() -> None:
    document = figures_document(sample_figures(), version=2, generated_at=at("2026-07-01T01:00"))
    (company,) = [i for i in document["items"] if i["scope"] == "company"]
    assert company["figures"]["satisfaction_mean_score"] == 8.5
    assert company["figures"]["class_changes"] == 1
    assert (document["period"], document["version"]) == ("2026Q2", 2)


def test_the_workbook_has_its_sheets_chinese_headers_numbers_and_charts() -> None:
    body = workbook(sample_figures(), title="报告", generated_at=at("2026-07-01T01:00"), version=1)
    assert zipfile.is_zipfile(io.BytesIO(body))
    charts = [n for n in zipfile.ZipFile(io.BytesIO(body)).namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3  # the class distribution, the SLA on-time shares, the satisfaction by branch
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == [
        "概览",
        "客户分类",
        "客户",
        "服务与投诉",
        "回访与满意度",
        "挽留与教育",
        "客户经理工作",
        "客户经理",
    ]
    overview = book["概览"]
    assert [c.value for c in overview[3]] == ["指标", "数值", "分类"]
    assert overview.freeze_panes == "A4"
    cells = {row[0].value: row[1] for row in overview.iter_rows(min_row=4)}
    assert cells["客户数"].value == 40
    assert cells["客户数"].data_type == "n"
    assert cells["满意度平均分"].value == 8.5
    assert cells["满意度平均分"].number_format == "0.0000"
    assert cells["满意占比"].number_format == "0.0%"
    classes = book["客户分类"]
    assert [c.value for c in classes[1]] == ["客户类别", "客户数"]
    assert ("A", 30) in [(row[0].value, row[1].value) for row in classes.iter_rows(min_row=2)]
    assert len(classes._charts) == 1
    service = book["服务与投诉"]
    header = [c.value for c in service[1]]
    assert header[0] == "营业部"
    assert "按时答复率" in header
    b1 = next(row for row in service.iter_rows(min_row=2) if row[0].value == "B1")
    assert b1[header.index("按时答复率")].value == 0.5
    assert b1[header.index("按时答复率")].number_format == "0.0%"
    assert len(service._charts) == 1
    assert len(book["回访与满意度"]._charts) == 1
    managers = book["客户经理"]
    assert [c.value for c in managers[1]][:3] == ["营业部", "客户经理", "客户数"]
    assert [(r[0].value, r[1].value) for r in managers.iter_rows(min_row=2)] == [("B1", "m1")]


def test_a_branch_workbook_is_its_own_rows_alone() -> None:
    figures = sample_figures().for_branch("B1")
    book = openpyxl.load_workbook(
        io.BytesIO(workbook(figures, title="B1", generated_at=at("2026-07-01T01:00"), version=1))
    )
    assert [row[0].value for row in book["服务与投诉"].iter_rows(min_row=2) if row[0].value] == ["B1"]
    assert list(csv.reader(io.StringIO(metrics_csv(figures).decode("utf-8-sig"))))[1][:2] == ["branch", "B1"]


def test_metric_names_are_built_from_the_rule_tables() -> None:
    names = MetricNames.build(["X", "Y"], ["low"], ["phone"], ["other"])
    assert names.ordered(Scope.COMPANY)[:5] == [
        "clients",
        "clients_class_X",
        "clients_class_Y",
        "clients_risk_low",
        "vip",
    ]


def test_the_same_figures_at_the_same_scheduled_time_give_the_same_bytes() -> None:
    """A schedule delivered twice runs twice at the same time: the second run's files are the first's."""
    moment = at("2026-07-01T01:00")
    first, second = (workbook(sample_figures(), title="报告", generated_at=moment, version=1) for _ in range(2))
    assert first == second
    assert metrics_csv(sample_figures()) == metrics_csv(sample_figures())
