"""The year-end recalibration of T through the API and the schedule (第6条; DOMAIN §1): the
company's yearly sums kept by the stream, T(new) the mean of the last three years with the
figures kept, only clients between old and new T reclassified (cause `recalibration`), the
others not even written, and reruns changing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from crm import topology
from tests.integration.harness import Harness, new_client

HQ = ("hq", "hq-1", None)
YEAR_END = "2027-01-01T00:05:00+08:00"


def put(harness: Harness, client_id: str, year: int, assets: Any, avg: Any, volume: Any) -> None:
    raw = f'{{"assets": {assets}, "avg_assets": {avg}, "trade_volume": {volume}}}'.encode()
    response = harness.call("PUT", f"/clients/{client_id}/metrics/{year}", raw=raw, at="2026-12-20T10:00:00+08:00")
    assert response.status == 200, response.body


def classes(harness: Harness, *client_ids: str) -> list[str | None]:
    return [harness.call("GET", f"/clients/{c}").json()["client_class"] for c in client_ids]


def versions(harness: Harness, *client_ids: str) -> list[int]:
    dynamodb = harness.clients["dynamodb"]
    return [
        int(
            dynamodb.get_item(
                TableName=topology.CLIENTS.local_name, Key={"pk": {"S": f"CLIENT#{c}"}, "sk": {"S": "PROFILE"}}
            )["Item"]["version"]["N"]
        )
        for c in client_ids
    ]


@pytest.fixture
def three_years(harness: Harness) -> None:
    """Company turnover 2.0 (2024), 2.5 (2025), 3.0 (2026): T(new) = 2.5.

    M moves (2026 turnover 2.8: D under 3, C under 2.5); H stays C (4.0); L stays D (2.2);
    S is small (E: turnover does not decide its class) with turnover 2.8 all the same.
    """
    for client_id in ("M", "H", "L", "S"):
        assert harness.call("POST", "/clients", new_client(client_id)).status == 201
    for client_id, volume_2026 in (("M", 280_000), ("H", 400_000), ("L", 220_000)):
        put(harness, client_id, 2024, 600_000, 100_000, 200_000)
        put(harness, client_id, 2025, 600_000, 100_000, 250_000)
        put(harness, client_id, 2026, 600_000, 100_000, volume_2026)
    harness.drain()
    assert classes(harness, "M", "H", "L") == ["D", "C", "D"]
    put(harness, "S", 2026, 50_000, 10_000, 28_000)  # 2026 sums now 938k / 310k
    harness.drain()


@pytest.mark.usefixtures("three_years")
def test_t_becomes_the_three_year_mean_and_only_clients_between_old_and_new_t_move(harness: Harness) -> None:
    before = versions(harness, "H", "L", "S")
    result = harness.trigger("turnover-recalibration", YEAR_END)["result"]
    assert (result["status"], result["candidates"], result["moved"]) == ("done", 1, 1)

    threshold = harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()
    # 2024: 600k/300k = 2; 2025: 750k/300k = 2.5; 2026: 928k/310k = 2.99354…; mean 2.49784…
    assert (threshold["value"], threshold["version"]) == (2.4978, "2027-recalibration")
    history = threshold["history"]
    assert [(h["year"], h["previous"], h["value"], h["status"], h["moved"]) for h in history] == [
        (2027, 3, 2.4978, "done", 1)
    ]
    assert [(f["year"], f["trade_volume"], f["avg_assets"], f["clients"]) for f in history[0]["figures"]] == [
        (2024, 600_000, 300_000, 3),
        (2025, 750_000, 300_000, 3),
        (2026, 928_000, 310_000, 4),
    ]

    assert classes(harness, "M", "H", "L", "S") == ["C", "C", "D", "E"]
    latest = harness.call("GET", "/clients/M/class-history").json()["items"][0]
    assert (latest["client_class"], latest["previous_class"], latest["cause"]) == ("C", "D", "recalibration")
    assert latest["at"] == "2027-01-01T00:05:00+08:00"
    assert (latest["basis"]["threshold"], latest["basis"]["threshold_version"]) == (2.4978, "2027-recalibration")
    assert versions(harness, "H", "L", "S") == before  # the others were not even written


@pytest.mark.usefixtures("three_years")
def test_rerunning_the_year_changes_nothing(harness: Harness) -> None:
    harness.trigger("turnover-recalibration", YEAR_END)
    after_first = (versions(harness, "M", "H", "L", "S"), harness.call("GET", "/clients/M/class-history").json())
    again = harness.trigger("turnover-recalibration", "2027-01-01T08:00:00+08:00")["result"]
    assert (again["status"], again["moved"]) == ("already_done", 0)
    assert (
        versions(harness, "M", "H", "L", "S"),
        harness.call("GET", "/clients/M/class-history").json(),
    ) == after_first
    assert len(harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()["history"]) == 1


@pytest.mark.usefixtures("three_years")
def test_a_run_that_crashed_half_way_finishes_on_retry(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.data import settings as settings_data

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(settings_data, "finish_recalibration", crash)
    with pytest.raises(RuntimeError):
        harness.trigger("turnover-recalibration", YEAR_END)
    monkeypatch.undo()
    assert harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()["history"][0]["status"] == "started"

    retry = harness.trigger("turnover-recalibration", "2027-01-01T00:20:00+08:00")["result"]
    assert retry["status"] == "done"
    assert classes(harness, "M", "H", "L", "S") == ["C", "C", "D", "E"]
    history = harness.call("GET", "/clients/M/class-history").json()["items"]
    assert [h["cause"] for h in history].count("recalibration") == 1


def test_with_no_figures_t_stays(harness: Harness) -> None:
    result = harness.trigger("turnover-recalibration", YEAR_END)["result"]
    assert (result["previous"], result["new"], result["moved"]) == ("3", "3", 0)
    threshold = harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()
    assert (threshold["value"], threshold["version"]) == (3, "initial")


def test_with_one_year_of_figures_t_is_that_year(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("Y")).status == 201
    put(harness, "Y", 2026, 600_000, 100_000, 350_000)
    harness.drain()
    harness.trigger("turnover-recalibration", YEAR_END)
    assert harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()["value"] == 3.5


def test_new_metrics_after_the_recalibration_use_the_new_t(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("Y")).status == 201
    put(harness, "Y", 2026, 600_000, 100_000, 250_000)  # 2.5
    harness.drain()
    harness.trigger("turnover-recalibration", YEAR_END)  # T = 2.5
    assert harness.call("POST", "/clients", new_client("Z")).status == 201
    put(harness, "Z", 2026, 600_000, 100_000, 260_000)  # 2.6 ≥ 2.5: C, not D
    harness.drain()
    assert classes(harness, "Z") == ["C"]


def test_the_yearly_sums_follow_corrections_and_redeliveries(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("Y")).status == 201
    put(harness, "Y", 2026, 600_000, 100_000, 300_000)
    harness.drain()
    put(harness, "Y", 2026, 600_000, 200_000, 300_000)  # a correction replaces, never adds
    harness.drain()
    replay = harness.pumps["reclassify:clients"]
    replay.rewind()  # read the stream again from its start: every record redelivered
    while replay.poll_once():
        pass
    harness.trigger("turnover-recalibration", YEAR_END)
    figures = harness.call("GET", "/settings/turnover-threshold", as_=HQ).json()["history"][0]["figures"]
    assert [(f["trade_volume"], f["avg_assets"], f["clients"]) for f in figures] == [(300_000, 200_000, 1)]


def test_only_hq_reads_the_threshold(harness: Harness) -> None:
    for caller in (("supervisor", "s", "B1"), ("compliance", "c", None), ("manager", "m", "B1")):
        assert harness.call("GET", "/settings/turnover-threshold", as_=caller).status == 403
