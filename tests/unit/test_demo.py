"""The demo brokerage of `crm local --demo` (crm.local.demo_data) and the guide it prints
(crm.local.demo), without a running system: the promises the story relies on, checked against the
system's own rules."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import date

import pytest

from crm import cli, rules
from crm.domain.classification import classify
from crm.domain.pii import id_number_problem, phone_problem
from crm.domain.questionnaire import assess
from crm.local import demo, demo_data
from crm.local.demo_data import BOOK_SIZE, LI_XIUYING, WANG_JIANGUO, answers_for, brokerage, id_number

PII = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9])")
CONTRACT_STAFF = {
    "sup-001": ("supervisor", "B001"), "sup-002": ("supervisor", "B002"), "sup-003": ("supervisor", "B003"),
    "mgr-001a": ("manager", "B001"), "mgr-001b": ("manager", "B001"), "mgr-002a": ("manager", "B002"),
    "mgr-002b": ("manager", "B002"), "mgr-003a": ("manager", "B003"), "mgr-003b": ("manager", "B003"),
    "ctr-001": ("counter", "B001"), "ctr-002": ("counter", "B002"), "ctr-003": ("counter", "B003"),
    "hq-demo": ("hq", None), "cmp-demo": ("compliance", None),
}  # fmt: skip


def test_the_same_brokerage_every_time() -> None:
    made = brokerage()
    again = demo_data.brokerage.__wrapped__()  # not the cached one: made afresh from the seed
    assert made.clients_csv() == again.clients_csv()
    assert made.metrics_csv() == again.metrics_csv()
    assert made.threshold == again.threshold


def test_the_staff_of_the_contract() -> None:
    assert {m.staff_id: (m.role, m.branch_id) for m in demo_data.STAFF} == CONTRACT_STAFF
    assert all(m.name for m in demo_data.STAFF)


def test_the_people_of_the_contract() -> None:
    made = brokerage()
    wang = [a for a in made.accounts if a.id_number == WANG_JIANGUO]
    assert [(a.client_id, a.branch_id) for a in wang] == [("D0001", "B001"), ("D0002", "B001"), ("D0003", "B002")]
    assert {a.name for a in wang} == {"王建国"}
    li = [a for a in made.accounts if a.id_number == LI_XIUYING]
    assert [(a.client_id, a.branch_id, a.name) for a in li] == [
        ("D0004", "B001", "李秀英"),
        ("D0005", "B003", "李秀英"),
    ]
    assert id_number_problem(WANG_JIANGUO) is None
    assert id_number_problem(LI_XIUYING) is None


def test_a_book_of_every_class_with_people_of_several_accounts() -> None:
    made = brokerage()
    assert len(made.book) == BOOK_SIZE
    assert len(made.accounts) == BOOK_SIZE + 6
    assert [a.client_id for a in made.accounts] == [f"D{n:04d}" for n in range(1, len(made.accounts) + 1)]
    assert {a.target_class for a in made.book} >= set(rules.classification().class_order)
    assert {a.branch_id for a in made.book} == {"B001", "B002", "B003"}
    holders = Counter(a.id_number for a in made.accounts)
    several = [n for n, count in holders.items() if count > 1]
    branches = {n: {a.branch_id for a in made.accounts if a.id_number == n} for n in several}
    assert any(len(b) == 1 for b in branches.values())  # several accounts in one branch
    assert any(len(b) > 1 for b in branches.values())  # and across branches
    assert len({a.name for a in made.accounts if holders[a.id_number] == 1}) == sum(
        1 for c in holders.values() if c == 1
    )


def test_every_person_is_valid_and_born_on_their_id_number() -> None:
    for account in brokerage().accounts:
        assert id_number_problem(account.id_number) is None, account.client_id
        assert phone_problem(account.phone) is None, account.client_id
        assert account.id_number[6:14] == f"{account.birthday:%Y%m%d}", account.client_id
        assert account.opened_on.year - account.birthday.year >= 18, account.client_id
        assert account.opened_on <= date(2026, 11, 23)


def test_three_years_of_figures_whose_class_is_the_one_meant() -> None:
    made, table = brokerage(), rules.classification()
    assert {year for a in made.book for year in a.metrics} == {2023, 2024, 2025}
    for account in made.book:
        assert all(year >= account.opened_on.year for year in account.metrics), account.client_id
        if account.metrics:
            latest = account.metrics[max(account.metrics)]
            assert classify(latest, table.initial_turnover_threshold, table) == account.target_class


def test_the_recalibration_moves_only_the_accounts_registered_for_it() -> None:
    made, table = brokerage(), rules.classification()
    assert 1 < made.threshold < table.initial_turnover_threshold
    moved = [
        a.client_id
        for a in made.accounts
        if a.metrics and classify(a.metrics[max(a.metrics)], made.threshold, table) != a.target_class
    ]
    assert moved == [a.client_id for a in made.movers]
    assert {classify(a.metrics[2025], made.threshold, table) for a in made.movers} == {"C-"}


def test_no_vip_of_the_book_has_a_birthday_near_the_demo_s_day() -> None:
    for account in brokerage().book:
        if account.target_class in demo_data.VIP_CLASSES:
            assert not (account.birthday.month == 12 and account.birthday.day <= 15), account.client_id


def test_a_broken_promise_is_named() -> None:
    made = brokerage()
    broken = demo_data.Brokerage(
        (*made.book, *made.movers), (), made.newcomers, made.threshold
    )  # book accounts that move
    with pytest.raises(demo_data.DemoDataError, match="recalibration"):
        demo_data.check(broken)


@pytest.mark.parametrize("level", ["very_low", "low", "medium", "high"])
def test_answers_at_every_risk_level(level: str) -> None:
    for variant in range(12):
        assert assess(answers_for(level, variant), rules.questionnaire()).risk_level.value == level


def test_the_id_number_check_digit() -> None:
    assert id_number("110101", date(1990, 3, 7), 451) == "110101199003074514"  # API.md's example


def test_the_import_files() -> None:
    made = brokerage()
    clients = made.clients_csv().splitlines()
    assert clients[0] == "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"
    assert len(clients) == 1 + BOOK_SIZE
    metrics = made.metrics_csv().splitlines()
    assert metrics[0] == "client_id,year,assets,avg_assets,trade_volume"
    years = [int(row.split(",")[1]) for row in metrics[1:]]
    assert years == sorted(years, reverse=True)  # the latest year first: one class change an account


def test_beijing_times_and_complaints_as_written() -> None:
    assert demo.beijing("2026-09-07 10:12") == "2026-09-07T10:12:00+08:00"
    written = demo.complaint("B001", "2026-09-07 10:12", "phone", "attitude", "x", "accepted@2026-09-07 11:00")
    assert written.moves == (("accepted", "2026-09-07 11:00"),)
    assert demo.attempt(False) == {"reached": False}
    assert demo.attempt(True, 4)["attitude"] == "dissatisfied"


def test_the_guide_names_every_role_and_no_number() -> None:
    made = brokerage()
    lines = demo.guide(made, 3100, demo.Outcome(loaded=True, seconds=41.2, requests=400))
    text = "\n".join(lines)
    assert lines[0] == "crm local: demo brokerage loaded in 41 s (400 requests)"
    for role in ("counter", "manager", "supervisor", "hq", "compliance"):
        header = next(n for n, line in enumerate(lines) if line.startswith(f"  {role}: "))
        token, *tries = lines[header + 1 : header + 5]
        assert f"token --role {role} --user" in token
        assert token.endswith("--port 3100)")
        assert all(t.lstrip().startswith("curl -s ") and "localhost:3100/" in t for t in tries)
    assert "2026-12-07 09:30" in text
    assert PII.findall(text) == []
    found = demo.guide(made, 3100, demo.Outcome(loaded=False, seconds=1.0, requests=9))
    assert "found in the state directory" in found[0]


class _StandIn:
    """The local system as `demo.found` reads it: whether D0001 is on record, today's complaints."""

    def __init__(self, *, book: bool, complaints: list[dict[str, str]], others: bool = False) -> None:
        self.book, self.complaints, self.others = book, complaints, others

    def call(self, who: str, method: str, path: str, body: object = None, *, allow: object = ()) -> dict[str, object]:
        return {"client_id": "D0001"} if self.book else {"error": {"code": "not_found"}}

    def every(self, who: str, path: str, **query: str) -> list[dict[str, str]]:
        if path == "/staff":
            return [{"staff_id": "hq-demo"}] + ([{"staff_id": "mgr1"}] if self.others else [])
        assert (path, query) == ("/complaints", {"branch_id": "B001", "status": "received"})
        return self.complaints


def test_the_demo_is_found_whole_absent_or_cut_short() -> None:
    assert demo.found(_StandIn(book=False, complaints=[])) is False  # type: ignore[arg-type]
    whole = _StandIn(book=True, complaints=[{"content": "其他投诉"}, {"content": demo.MARKER}])
    assert demo.found(whole) is True  # type: ignore[arg-type]
    assert demo.found(_StandIn(book=True, complaints=[{"content": "其他投诉"}])) is None  # type: ignore[arg-type]
    with pytest.raises(demo.DemoError, match="mgr1 is on the staff register"):
        demo.found(_StandIn(book=False, complaints=[], others=True))  # type: ignore[arg-type]


def test_a_refusal_stops_crm_local_with_the_request_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(port: int, out: object) -> demo.Outcome:
        raise demo.DemoError(demo.refusal("POST", "/clients", 422, {"error": {"code": "invalid", "field": "phone"}}))

    monkeypatch.setattr(demo, "run", refused)
    stopping = threading.Event()
    failed = cli._load_demo(3000, stopping)
    assert stopping.wait(10)
    assert failed.is_set()
    assert "the demo could not be loaded: POST /clients answered 422 invalid" in capsys.readouterr().err
