"""The rows of an import read by the API's own request models (crm.api.imports; DOMAIN §13): the
same rules as `PUT /clients/{id}/metrics/{year}` and `POST /clients`, every invalid field named;
and the rule that keeps a migrated book from being greeted as new accounts (DOMAIN §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm.api.imports import client_row, metrics_row, parse_row
from crm.domain.classification import YearMetrics
from crm.domain.client import Client, is_migrated
from crm.domain.imports import ChunkRow, ImportJob, ImportKind, ImportStatus
from crm.services.import_rows import MetricsRow

NOW = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
JOB = ImportJob(
    import_id="IMP-20260115-1",
    kind=ImportKind.METRICS,
    encoding="utf-8",
    file_name="metrics.csv",
    status=ImportStatus.IN_PROGRESS,
    created_at=NOW,
    created_by="hq-1",
    rules_version="2026.1",
)
CLIENTS_JOB = ImportJob(**{**JOB.__dict__, "kind": ImportKind.CLIENTS})
FIGURES = {"client_id": "C001", "year": "2025", "assets": "5000000", "avg_assets": "1000000.50", "trade_volume": "0"}
ACCOUNT = {
    "client_id": "C001",
    "name": "张三",
    "id_number": "110101199003074514",
    "phone": "13800138000",
    "email": "",
    "birthday": "",
    "branch_id": "B1",
    "manager_id": "mgr-1",
    "opened_on": "2020-05-18",
}


def fields(parsed) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(failure.field, failure.code) for failure in parsed.failures]


def test_a_metrics_row_is_the_figures_of_a_year() -> None:
    parsed = metrics_row(ChunkRow(2, FIGURES), JOB, NOW)
    assert parsed.failures == ()
    assert parsed.value == MetricsRow(
        "C001",
        YearMetrics(year=2025, assets=Decimal(5000000), avg_assets=Decimal("1000000.50"), trade_volume=Decimal(0)),
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"year": "25"}, [("year", "invalid")]),
        ({"year": "1999"}, [("year", "invalid")]),
        ({"assets": ""}, [("assets", "required")]),
        ({"assets": "1,000"}, [("assets", "invalid")]),
        ({"assets": "-5"}, [("assets", "invalid")]),  # the API's Money: not negative
        ({"assets": "1.005"}, [("assets", "invalid")]),  # … and to the fen
        (
            {"assets": "=1+1", "avg_assets": "x", "year": ""},
            [("year", "invalid"), ("assets", "invalid"), ("avg_assets", "invalid")],
        ),
        ({"client_id": ""}, [("client_id", "required")]),
    ],
)
def test_a_bad_metrics_row_names_every_invalid_field(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    parsed = metrics_row(ChunkRow(7, FIGURES | changes), JOB, NOW)
    assert parsed.value is None
    assert fields(parsed) == expected
    assert all(
        failure.line == 7 and failure.values["client_id"] == (FIGURES | changes)["client_id"]
        for failure in parsed.failures
    )


def test_a_row_of_the_wrong_shape_is_reported_before_its_values_are_read() -> None:
    parsed = parse_row(ChunkRow(4, {"client_id": "C001"}, "the row has 1 fields; the header has 5"), JOB, NOW)
    assert fields(parsed) == [("", "field_count")]


def test_a_clients_row_is_the_body_of_a_registration() -> None:
    parsed = client_row(ChunkRow(2, ACCOUNT), CLIENTS_JOB, NOW)
    assert parsed.failures == ()
    assert isinstance(parsed.value, Client)
    assert (parsed.value.email, parsed.value.birthday, parsed.value.opened_on) == (None, None, date(2020, 5, 18))
    assert (parsed.value.created_by, parsed.value.created_at) == ("hq-1", NOW)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id_number": "110101199003074515"}, [("id_number", "invalid")]),  # a bad check digit
        ({"phone": "12345"}, [("phone", "invalid")]),
        ({"name": "张三\u200b"}, [("name", "invalid")]),  # an invisible character
        ({"opened_on": "2020-13-01", "email": "not-an-email"}, [("email", "invalid"), ("opened_on", "invalid")]),
        ({"manager_id": ""}, [("manager_id", "invalid")]),
    ],
)
def test_a_bad_clients_row_names_every_invalid_field(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    parsed = client_row(ChunkRow(3, ACCOUNT | changes), CLIENTS_JOB, NOW)
    assert parsed.value is None
    assert sorted(fields(parsed)) == sorted(expected)


@pytest.mark.parametrize(("days_before", "migrated"), [(0, False), (1, False), (31, False), (32, True), (400, True)])
def test_an_account_registered_more_than_31_days_after_it_opened_is_migrated(days_before: int, migrated: bool) -> None:
    registered = date(2026, 3, 1)
    assert is_migrated(registered - timedelta(days=days_before), registered, 31) is migrated
