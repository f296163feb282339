"""The acceptance of the walking skeleton, over HTTP against `crm local`: questionnaire scores
on band edges, metrics → class via the stream for every band edge, history with its cause,
VIP following the rule, tokens, Swagger UI, state kept between runs, clean stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop
from tests.integration.harness import person_of

SUPERVISOR = ("supervisor", "sup-e2e", "B9")
MANAGER = ("manager", "mgr-e2e", "B9")
LOWEST: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}


def register(local: LocalSystem, client_id: str) -> None:
    person = person_of(client_id)  # a person of its own: one person holds five accounts at most
    body = {
        "client_id": client_id,
        "name": "赵六",
        "id_number": person["id_number"],
        "phone": person["phone"],
        "branch_id": "B9",
        "manager_id": "mgr-e2e",
        "opened_on": "2021-06-01",
    }
    local.token(*MANAGER)  # mgr-e2e on the staff register, as `crm token` puts it
    reply = local.request("POST", "/clients", body, as_=SUPERVISOR)
    assert reply.status == 201, reply.body


@pytest.mark.parametrize(
    ("changes", "score", "level"),
    [
        ({"1": "E"}, 18, "very_low"),
        ({"1": "E", "2": "B"}, 19, "low"),
        ({"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "B"}, 35, "low"),
        ({"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "C"}, 36, "medium"),
        ({"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "D", "7": "C", "8": "C"}, 45, "medium"),
        ({"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "D", "7": "C", "8": "C", "9": ["A", "B"]}, 46, "high"),
    ],
    ids=["18", "19", "35", "36", "45", "46"],
)
def test_questionnaire_band_edges(local: LocalSystem, changes: dict[str, Any], score: int, level: str) -> None:
    client_id = f"Q{score}"
    register(local, client_id)
    reply = local.request("POST", f"/clients/{client_id}/questionnaires", {"answers": LOWEST | changes}, as_=MANAGER)
    assert reply.status == 201, reply.body
    assert (reply.body["score"], reply.body["risk_level"]) == (score, level)
    assert local.request("GET", f"/clients/{client_id}", as_=MANAGER).body["risk_level"] == level


BAND_EDGES = [
    ("5000000", "1000000", "3000000", "A+"),
    ("5000000", "1000000", "2999999.99", "B+"),
    ("4999999.99", "1000000", "3000000", "A"),
    ("1000000", "1000000", "2999999", "B"),
    ("999999.99", "100000", "300000", "C"),
    ("500000", "100000", "299999", "D"),
    ("499999.99", "100000", "300000", "C-"),
    ("100000", "100000", "0", "D-"),
    ("99999.99", "1000", "3000", "E"),
    ("10000", "10000", "0", "E"),
    ("9999.99", "5000", "1", "F"),
    ("9999.99", "5000", "0", "G"),
]


def test_metrics_classify_every_band_edge_through_the_stream(local: LocalSystem) -> None:
    for n, (assets, avg, volume, _) in enumerate(BAND_EDGES):
        register(local, f"M{n:02d}")
        raw = f'{{"assets": {assets}, "avg_assets": {avg}, "trade_volume": {volume}}}'.encode()
        assert local.request("PUT", f"/clients/M{n:02d}/metrics/2025", raw=raw, as_=SUPERVISOR).status == 200

    def classes() -> list[str | None] | None:
        got = [
            local.request("GET", f"/clients/M{n:02d}", as_=SUPERVISOR).body["client_class"]
            for n in range(len(BAND_EDGES))
        ]
        return got if None not in got else None

    assert local.wait_for(classes) == [expected for *_, expected in BAND_EDGES]
    history = local.request("GET", "/clients/M00/class-history", as_=SUPERVISOR).body["items"]
    assert [(h["client_class"], h["previous_class"], h["cause"]) for h in history] == [("A+", None, "metrics")]


def test_vip_follows_the_class(local: LocalSystem) -> None:
    register(local, "V1")

    def put(assets: str) -> None:
        raw = f'{{"assets": {assets}, "avg_assets": 900000, "trade_volume": 100}}'.encode()
        assert local.request("PUT", "/clients/V1/metrics/2025", raw=raw, as_=SUPERVISOR).status == 200

    put("1000000")  # B: VIP
    assert local.wait_for(lambda: local.request("GET", "/clients/V1", as_=SUPERVISOR).body["vip"]) is True
    put("999999.99")  # D: no longer VIP
    assert local.wait_for(lambda: not local.request("GET", "/clients/V1", as_=SUPERVISOR).body["vip"]) is True
    vip = local.request("GET", "/clients/V1/vip-history", as_=SUPERVISOR).body["items"]
    assert [(v["vip"], v["client_class"], v["cause"]) for v in vip] == [(False, "D", "metrics"), (True, "B", "metrics")]


def test_tokens_are_required_and_verified(local: LocalSystem) -> None:
    assert local.request("GET", "/clients/V1", as_=None).status == 401
    assert local.request("GET", "/nowhere", as_=SUPERVISOR).status == 404
    refused = crm("token", "--role", "manager", "--user", "m", "--port", str(local.port), check=False)
    assert refused.returncode != 0
    assert "branch" in refused.stderr


def test_swagger_ui_and_the_openapi_document_are_served(local: LocalSystem) -> None:
    page = local.request("GET", "/swagger", as_=None)
    assert page.status == 200
    assert "swagger-ui" in page.body
    assert local.request("GET", "/swagger/swagger-ui-bundle.min.js", as_=None).status == 200
    document = local.request("GET", "/openapi.json", as_=None).body
    assert "/clients/{client_id}/questionnaires" in document["paths"]


def test_trigger_names_the_known_jobs_when_asked_for_an_unknown_one(local: LocalSystem) -> None:
    result = crm("trigger", "no-such-job", "--port", str(local.port), check=False)
    assert result.returncode != 0
    assert "no scheduled job 'no-such-job'" in result.stderr


def test_the_log_holds_what_was_sent_but_never_an_id_or_phone_number_in_clear(local: LocalSystem) -> None:
    register(local, "PII1")
    other = start(free_port())
    try:
        body = {
            "client_id": "PII2",
            "name": "周九",
            "id_number": "110101199003074514",
            "phone": "13512345678",
            "branch_id": "B9",
            "manager_id": "mgr-e2e",
            "opened_on": "2021-06-01",
        }
        other.token(*MANAGER)
        assert other.request("POST", "/clients", body, as_=SUPERVISOR).status == 201
        change = {"phone": "13687654321", "evidence_ref": "REC-PII-1"}
        assert other.request("PUT", "/clients/PII2/contact-details", change, as_=SUPERVISOR).status == 200
    finally:
        output = stop(other)  # fails on any ID or phone number in clear
    # not vacuous: the events were logged, masked
    assert "110101********4514" in output
    assert "135****5678" in output
    assert "136****4321" in output


def test_state_directory_keeps_data_between_runs(state_dir: Path) -> None:
    first = start(free_port(), "--state", str(state_dir))
    register(first, "S1")
    figures = {"assets": 2_000_000, "avg_assets": 100_000, "trade_volume": 400_000}
    assert first.request("PUT", "/clients/S1/metrics/2026", figures, as_=SUPERVISOR).status == 200
    token = first.token(*SUPERVISOR)
    assert "stopped" in stop(first)  # at once: the stream records of the metrics are still pending

    second = start(free_port(), "--state", str(state_dir))
    try:
        second.tokens[SUPERVISOR] = token  # the signing key is kept with the state too
        reply = second.request("GET", "/clients/S1", as_=SUPERVISOR)
        assert reply.status == 200
        assert reply.body["name"] == "赵六"
        assert reply.body["client_class"] == "A"  # delivered before the state was kept
        assert second.request("GET", "/clients/S1/class-history", as_=SUPERVISOR).body["items"][0]["cause"] == "metrics"
    finally:
        stop(second)


def test_without_state_a_run_starts_empty_with_its_own_signing_key(local: LocalSystem) -> None:
    other = start(free_port())
    try:
        assert other.request("GET", "/clients/Q18", as_=SUPERVISOR).status == 404
        foreign = other.token("hq", "intruder")
    finally:
        stop(other)
    local.tokens[("hq", "intruder", None)] = foreign
    assert local.request("GET", "/clients/Q18", as_=("hq", "intruder", None)).status == 401
