"""A new class band table or VIP rule reaches every client (DOMAIN.md §1: a rule-table change is
a cause of its own): the `rules-reclassification` job decides each client again under the tables
in force, records cause `rules`, leaves unmoved clients' history alone, applies each version of
the tables once, and resumes a walk that ran out of time where it stopped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from crm import rules, topology
from crm.domain.classification import ClassificationRules
from crm.domain.time import BEIJING
from crm.domain.vip import VipRules
from crm.services.reclassification import apply_rule_tables
from tests.integration.harness import Harness, new_client

AT = "2027-03-01T02:00:00+08:00"


def put(harness: Harness, client_id: str, assets: int, avg: int, volume: int) -> None:
    body = {"assets": assets, "avg_assets": avg, "trade_volume": volume}
    assert harness.call("PUT", f"/clients/{client_id}/metrics/2026", body).status == 200


def versions(harness: Harness, *client_ids: str) -> list[int]:
    dynamodb = harness.clients["dynamodb"]
    key = {"pk": {"S": ""}, "sk": {"S": "PROFILE"}}
    items = [
        dynamodb.get_item(TableName=topology.CLIENTS.local_name, Key={**key, "pk": {"S": f"CLIENT#{c}"}})["Item"]
        for c in client_ids
    ]
    return [int(item["version"]["N"]) for item in items]


def client(harness: Harness, client_id: str) -> dict[str, Any]:
    return harness.call("GET", f"/clients/{client_id}").json()


def history(harness: Harness, client_id: str, kind: str) -> list[dict[str, Any]]:
    return harness.call("GET", f"/clients/{client_id}/{kind}-history").json()["items"]


@pytest.fixture
def book(harness: Harness) -> None:
    """MID: 1.5M assets, turnover 4 (A, VIP); BIG: 3M, turnover 1 (B, VIP); NEW: no figures."""
    for client_id in ("MID", "BIG", "NEW"):
        assert harness.call("POST", "/clients", new_client(client_id)).status == 201
    put(harness, "MID", 1_500_000, 100_000, 400_000)
    put(harness, "BIG", 3_000_000, 100_000, 100_000)
    harness.drain()
    assert [(client(harness, c)["client_class"], client(harness, c)["vip"]) for c in ("MID", "BIG")] == [
        ("A", True),
        ("B", True),
    ]


def new_bands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deploy a band table whose A/B band starts at 2,000,000 instead of 1,000,000."""
    table = rules.load_table("classification")
    table["version"] = "2027.1"
    next(band for band in table["bands"] if band["min_assets"] == 1_000_000)["min_assets"] = 2_000_000
    bands = ClassificationRules.from_table(table)
    vip = VipRules.from_table(rules.load_table("vip"), bands)
    monkeypatch.setattr(rules, "classification", lambda: bands)
    monkeypatch.setattr(rules, "vip", lambda: vip)


def new_vip_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deploy a VIP rule that admits A+, B+ and A only."""
    table = rules.load_table("vip")
    table["version"] = "2027.1"
    table["vip_classes"] = ["A+", "B+", "A"]
    vip = VipRules.from_table(table, rules.classification())
    monkeypatch.setattr(rules, "vip", lambda: vip)


@pytest.mark.usefixtures("book")
def test_the_tables_in_force_move_no_one_and_are_applied_once(harness: Harness) -> None:
    before = versions(harness, "MID", "BIG", "NEW")
    first = harness.trigger("rules-reclassification", AT)["result"]
    assert (first["status"], first["examined"], first["updated"]) == ("done", 3, 0)
    assert first["version"] == "classification-2026.1+vip-2026.1"
    again = harness.trigger("rules-reclassification", "2027-03-01T02:30:00+08:00")["result"]
    assert (again["status"], again["examined"], again["updated"]) == ("up_to_date", 3, 0)
    assert versions(harness, "MID", "BIG", "NEW") == before


@pytest.mark.usefixtures("book")
def test_new_bands_move_the_clients_they_concern_with_cause_rules(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.trigger("rules-reclassification", AT)
    new_bands(monkeypatch)
    result = harness.trigger("rules-reclassification", "2027-03-02T02:00:00+08:00")["result"]
    # MID moves; BIG keeps its class on a basis that names the new table; NEW has no figures
    assert (result["version"], result["status"], result["examined"], result["updated"]) == (
        "classification-2027.1+vip-2026.1",
        "done",
        3,
        2,
    )
    assert (client(harness, "MID")["client_class"], client(harness, "MID")["vip"]) == ("C", False)
    moved = history(harness, "MID", "class")[0]
    assert (moved["previous_class"], moved["client_class"], moved["cause"]) == ("A", "C", "rules")
    assert moved["at"] == "2027-03-02T02:00:00+08:00"
    assert moved["basis"]["rules_version"] == "2027.1"
    lost = history(harness, "MID", "vip")[0]
    assert (lost["vip"], lost["cause"]) == (False, "rules")

    assert client(harness, "BIG")["client_class"] == "B"
    assert [h["cause"] for h in history(harness, "BIG", "class")] == ["metrics"]
    assert client(harness, "NEW")["client_class"] is None

    settled = versions(harness, "MID", "BIG", "NEW")
    again = harness.trigger("rules-reclassification", "2027-03-02T02:30:00+08:00")["result"]
    assert again["status"] == "up_to_date"
    assert versions(harness, "MID", "BIG", "NEW") == settled


@pytest.mark.usefixtures("book")
def test_a_new_vip_rule_alone_changes_vip_status_not_class(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.trigger("rules-reclassification", AT)
    new_vip_rule(monkeypatch)
    result = harness.trigger("rules-reclassification", "2027-03-02T02:00:00+08:00")["result"]
    assert (result["version"], result["updated"]) == ("classification-2026.1+vip-2027.1", 1)
    assert (client(harness, "BIG")["client_class"], client(harness, "BIG")["vip"]) == ("B", False)
    assert (client(harness, "MID")["client_class"], client(harness, "MID")["vip"]) == ("A", True)
    latest_vip = history(harness, "BIG", "vip")[0]
    assert (latest_vip["vip"], latest_vip["cause"]) == (False, "rules")
    assert [h["cause"] for h in history(harness, "BIG", "class")] == ["metrics"]


@pytest.mark.usefixtures("book")
def test_a_walk_that_runs_out_of_time_goes_on_where_it_stopped(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_bands(monkeypatch)
    now = datetime(2027, 3, 2, 2, 0, tzinfo=BEIJING)
    budget = iter([900.0, 0.0])  # time for one client, then the invocation is about to end

    first = apply_rule_tables(now, seconds_left=lambda: next(budget, 0.0))
    assert (first.status, first.examined) == ("in_progress", 1)

    rest = apply_rule_tables(now, seconds_left=lambda: 900.0)
    assert (rest.status, rest.examined, rest.updated) == ("done", 3, 2)  # each client once
    harness.drain()
    assert client(harness, "MID")["client_class"] == "C"
    assert [h["cause"] for h in history(harness, "MID", "class")].count("rules") == 1
