"""Acceptance of the suitability and recalibration issue over HTTP against `crm local`: three
years of metrics, the year-end recalibration triggered for the new year, T the three-year mean,
clients between old and new T moved with cause `recalibration` and the others untouched;
suitability under both rule sets; the disclosure gate; profile and VIP histories."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop

SUPERVISOR = ("supervisor", "sup-r", "B5")
MANAGER = ("manager", "mgr-r", "B5")
HQ = ("hq", "hq-r", None)


@pytest.fixture(scope="module")
def fresh() -> Iterator[LocalSystem]:
    """A system of its own: the company's yearly sums must hold only this module's figures."""
    system = start(free_port())
    yield system
    stop(system)


def register(local: LocalSystem, client_id: str) -> None:
    body = {
        "client_id": client_id,
        "name": "孙八",
        "id_number": "440306198505052344",  # a person of this module alone
        "phone": "13600136000",
        "branch_id": "B5",
        "manager_id": "mgr-r",
        "opened_on": "2018-03-01",
    }
    local.token("manager", "mgr-r", "B5")  # on the staff register (crm token)
    assert local.request("POST", "/clients", body, as_=SUPERVISOR).status == 201


def put(local: LocalSystem, client_id: str, year: int, assets: int, avg: int, volume: int) -> None:
    body = {"assets": assets, "avg_assets": avg, "trade_volume": volume}
    reply = local.request("PUT", f"/clients/{client_id}/metrics/{year}", body, as_=SUPERVISOR)
    assert reply.status == 200, reply.body


def class_of(local: LocalSystem, client_id: str) -> Any:
    return local.request("GET", f"/clients/{client_id}", as_=SUPERVISOR).body["client_class"]


def test_year_end_recalibration_moves_only_the_clients_between_old_and_new_t(fresh: LocalSystem) -> None:
    local = fresh
    # 2024: turnover 2.0, 2025: 2.5, 2026: 3.0 for the company -> T(2027) = 2.5
    for client_id, volume_2026 in (("RM", 280_000), ("RH", 400_000), ("RL", 220_000)):
        register(local, client_id)
        put(local, client_id, 2024, 600_000, 100_000, 200_000)
        put(local, client_id, 2025, 600_000, 100_000, 250_000)
        put(local, client_id, 2026, 600_000, 100_000, volume_2026)
    assert local.wait_for(lambda: [class_of(local, c) for c in ("RM", "RH", "RL")] == ["D", "C", "D"]) is True
    untouched = [local.request("GET", f"/clients/{c}/class-history", as_=SUPERVISOR).body for c in ("RH", "RL")]

    run = crm("trigger", "turnover-recalibration", "--at", "2027-01-01T00:05:00+08:00", "--port", str(local.port))
    result = json.loads(run.stdout)["result"]
    assert (result["new"], result["status"], result["moved"]) == ("2.5000", "done", 1)

    threshold = local.request("GET", "/settings/turnover-threshold", as_=HQ).body
    assert (threshold["value"], threshold["version"]) == (2.5, "2027-recalibration")
    assert [f["turnover"] for f in threshold["history"][0]["figures"]] == [2, 2.5, 3]

    assert [class_of(local, c) for c in ("RM", "RH", "RL")] == ["C", "C", "D"]
    moved = local.request("GET", "/clients/RM/class-history", as_=SUPERVISOR).body["items"][0]
    assert (moved["previous_class"], moved["client_class"], moved["cause"]) == ("D", "C", "recalibration")
    assert [local.request("GET", f"/clients/{c}/class-history", as_=SUPERVISOR).body for c in ("RH", "RL")] == untouched

    again = crm("trigger", "turnover-recalibration", "--at", "2027-01-01T06:00:00+08:00", "--port", str(local.port))
    assert json.loads(again.stdout)["result"]["status"] == "already_done"


def test_the_rule_tables_in_force_are_applied_once_and_move_no_one(fresh: LocalSystem) -> None:
    local = fresh
    register(local, "RT")
    put(local, "RT", 2026, 2_000_000, 100_000, 400_000)
    assert local.wait_for(lambda: class_of(local, "RT") == "A") is True
    histories = local.request("GET", "/clients/RT/class-history", as_=SUPERVISOR).body

    run = crm("trigger", "rules-reclassification", "--at", "2027-03-01T02:00:00+08:00", "--port", str(local.port))
    result = json.loads(run.stdout)["result"]
    assert (result["status"], result["updated"]) == ("done", 0)
    assert result["examined"] >= 1
    assert local.request("GET", "/clients/RT/class-history", as_=SUPERVISOR).body == histories

    again = crm("trigger", "rules-reclassification", "--at", "2027-03-01T02:30:00+08:00", "--port", str(local.port))
    assert json.loads(again.stdout)["result"]["status"] == "up_to_date"


def test_suitability_both_rule_sets_the_gate_and_histories(local: LocalSystem) -> None:
    register(local, "SU1")
    medium = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}
    medium |= {"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "C"}  # 36: medium, C3
    assert local.request("POST", "/clients/SU1/questionnaires", {"answers": medium}, as_=MANAGER).status == 201

    def allowed(product: str, rule_set: str) -> bool:
        query = f"/clients/SU1/suitability?product_id={product}&rule_set={rule_set}"
        return bool(local.request("GET", query, as_=MANAGER).body["allowed"])

    assert [allowed(p, "seed") for p in ("money_market", "standard_bond", "balanced")] == [True, True, False]
    assert [allowed(p, "c_r") for p in ("money_market", "standard_bond", "balanced", "standard_equity")] == [
        True,
        True,
        True,
        False,
    ]

    gate = local.request("POST", "/clients/SU1/businesses", {"business": "warrants"}, as_=SUPERVISOR)
    assert gate.status == 409
    disclosure = {"business": "warrants", "document_ref": "RD-W-1", "signed_on": "2026-01-05"}
    assert local.request("POST", "/clients/SU1/risk-disclosures", disclosure, as_=MANAGER).status == 201
    assert local.request("POST", "/clients/SU1/businesses", {"business": "warrants"}, as_=SUPERVISOR).status == 201

    profile = {"value_segment": "rising_star", "trading_habit": "value"}
    assert local.request("PUT", "/clients/SU1/profile", profile, as_=MANAGER).status == 200
    history = local.request("GET", "/clients/SU1/profile-history", as_=MANAGER).body["items"]
    assert history[0]["after"]["value_segment"] == "rising_star"

    put(local, "SU1", 2026, 2_000_000, 1_000_000, 100_000)  # B: a VIP
    assert local.wait_for(lambda: local.request("GET", "/clients/SU1", as_=MANAGER).body["vip"]) is True
    vip = local.request("GET", "/clients/SU1/vip-history", as_=MANAGER).body["items"]
    assert [(v["vip"], v["client_class"]) for v in vip] == [(True, "B")]
