"""Metrics → DynamoDB → stream → reclassify handler (DOMAIN §1, §7; 第4–6条): the class of
every band edge, history with its cause, VIP following the class, idempotent redelivery."""

from __future__ import annotations

from typing import Any

import pytest

from crm import topology
from crm.local.pump import StreamPump
from tests.integration.harness import Harness, new_client, stream_arn
from tests.integration.pages import every_page, whole

# (assets, avg_assets, trade_volume) → class, with the initial threshold T = 3.
BAND_EDGES = [
    ((5_000_000, 1_000_000, 3_000_000), "A+"),  # turnover exactly T counts as high
    ((5_000_000, 1_000_000, "2999999.99"), "B+"),
    (("4999999.99", 1_000_000, 3_000_000), "A"),
    ((1_000_000, 1_000_000, 2_999_999), "B"),
    (("999999.99", 100_000, 300_000), "C"),
    ((500_000, 100_000, 299_999), "D"),
    (("499999.99", 100_000, 300_000), "C-"),
    ((100_000, 100_000, 0), "D-"),
    (("99999.99", 1_000, 3_000), "E"),
    ((10_000, 10_000, 0), "E"),
    (("9999.99", 5_000, 1), "F"),
    (("9999.99", 5_000, 0), "G"),
    ((0, 0, 0), "G"),
    ((600_000, 0, 50_000), "D"),  # no average assets: turnover 0
]


def figures(assets: Any, avg: Any, volume: Any) -> bytes:
    # Raw JSON so that values like 2999999.99 travel as JSON numbers, never through float.
    return f'{{"assets": {assets}, "avg_assets": {avg}, "trade_volume": {volume}}}'.encode()


def put_metrics(harness: Harness, client_id: str, year: int, values: tuple[Any, Any, Any]) -> None:
    response = harness.call("PUT", f"/clients/{client_id}/metrics/{year}", raw=figures(*values))
    assert response.status == 200, response.body


def test_every_band_edge_classifies_through_the_stream(harness: Harness) -> None:
    for n, (values, _) in enumerate(BAND_EDGES):
        assert harness.call("POST", "/clients", new_client(f"E{n:02d}")).status == 201
        put_metrics(harness, f"E{n:02d}", 2025, values)
    assert all(harness.call("GET", f"/clients/E{n:02d}").json()["client_class"] is None for n in range(3))

    harness.drain()

    got = [harness.call("GET", f"/clients/E{n:02d}").json()["client_class"] for n in range(len(BAND_EDGES))]
    assert got == [expected for _, expected in BAND_EDGES]


def test_history_keeps_each_change_with_its_cause_and_vip_follows(harness: Harness, client: dict[str, Any]) -> None:
    put_metrics(harness, "C001", 2024, (800_000, 700_000, 100_000))  # D, not VIP
    harness.drain()
    put_metrics(harness, "C001", 2025, (2_000_000, 1_500_000, 6_000_000))  # A, VIP
    harness.drain()

    history = harness.call("GET", "/clients/C001/class-history").json()["items"]
    assert [(h["client_class"], h["previous_class"], h["cause"]) for h in history] == [
        ("A", "D", "metrics"),
        ("D", None, "metrics"),
    ]
    assert history[0]["basis"] == {
        "metrics_year": 2025,
        "turnover": 4,
        "threshold": 3,
        "threshold_version": "initial",
        "rules_version": "2026.1",
    }
    assert history[0]["at"] > history[1]["at"]
    assert harness.call("GET", "/clients/C001/class-history").json()["next_cursor"] is None

    got = harness.call("GET", "/clients/C001").json()
    assert (got["client_class"], got["vip"]) == ("A", True)
    vip = harness.call("GET", "/clients/C001/vip-history").json()["items"]
    assert [(v["vip"], v["previous_vip"], v["client_class"]) for v in vip] == [(True, False, "A")]

    put_metrics(harness, "C001", 2026, (900_000, 900_000, 100))  # D again: VIP lost
    harness.drain()
    assert harness.call("GET", "/clients/C001").json()["vip"] is False
    vip = harness.call("GET", "/clients/C001/vip-history").json()["items"]
    assert [(v["vip"], v["client_class"]) for v in vip] == [(False, "D"), (True, "A")]


def test_the_latest_year_decides_even_when_an_older_year_is_written_later(
    harness: Harness, client: dict[str, Any]
) -> None:
    put_metrics(harness, "C001", 2025, (6_000_000, 1_000_000, 5_000_000))  # A+
    put_metrics(harness, "C001", 2023, (20_000, 20_000, 0))  # an old year, E
    harness.drain()
    assert harness.call("GET", "/clients/C001").json()["client_class"] == "A+"
    assert len(harness.call("GET", "/clients/C001/class-history").json()["items"]) == 1


def test_same_class_new_figures_add_no_history(harness: Harness, client: dict[str, Any]) -> None:
    put_metrics(harness, "C001", 2025, (600_000, 500_000, 100_000))  # D
    harness.drain()
    put_metrics(harness, "C001", 2025, (700_000, 600_000, 200_000))  # still D
    harness.drain()
    assert len(harness.call("GET", "/clients/C001/class-history").json()["items"]) == 1


def test_redelivered_records_change_nothing(harness: Harness, client: dict[str, Any]) -> None:
    put_metrics(harness, "C001", 2024, (800_000, 700_000, 100_000))
    put_metrics(harness, "C001", 2025, (2_000_000, 1_500_000, 6_000_000))
    harness.drain()
    before = harness.call("GET", "/clients/C001/class-history").json()
    profile = harness.call("GET", "/clients/C001").json()

    # A second mapping reading the stream from its start redelivers every record.
    function = topology.function("reclassify")
    replay = StreamPump(
        function,
        function.streams[0],
        streams=harness.clients["dynamodbstreams"],
        sqs=harness.clients["sqs"],
        stream_arn=stream_arn(harness.clients["dynamodb"], topology.CLIENTS),
        failure_queue_url=harness.queues["reclassify"],
        invoker=harness.gateway.invoker,
    )
    while replay.poll_once():
        pass
    assert replay.stats.delivered >= 2
    assert harness.call("GET", "/clients/C001/class-history").json() == before
    assert harness.call("GET", "/clients/C001").json() == profile


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"assets": -1, "avg_assets": 0, "trade_volume": 0}', "assets"),
        (b'{"assets": 1, "avg_assets": "100", "trade_volume": 0}', "avg_assets"),
        (b'{"assets": 1, "avg_assets": 1, "trade_volume": "lots"}', "trade_volume"),
        (b'{"assets": true, "avg_assets": 1, "trade_volume": 1}', "assets"),
        (b'{"assets": NaN, "avg_assets": 1, "trade_volume": 1}', "assets"),
        (b'{"assets": 1, "avg_assets": 1}', "trade_volume"),
        (b'{"assets": 1, "avg_assets": 1, "trade_volume": 1, "cash": 5}', "cash"),
    ],
    ids=["negative", "string-number", "text", "bool", "nan", "missing", "unknown-field"],
)
def test_bad_money_is_422_naming_the_field_and_stores_nothing(
    harness: Harness, client: dict[str, Any], body: bytes, field: str
) -> None:
    response = harness.call("PUT", "/clients/C001/metrics/2025", raw=body)
    assert response.status == 422, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", "/clients/C001/metrics").json()["items"] == []


def test_years_out_of_range_or_not_begun_are_refused(harness: Harness, client: dict[str, Any]) -> None:
    for year in ("1999", "2101", "20x5", "2099"):
        response = harness.call("PUT", f"/clients/C001/metrics/{year}", raw=figures(1, 1, 1))
        assert response.status == 422, year
        assert response.json()["error"]["field"] == "year"
    assert harness.call("GET", "/clients/C001/metrics").json()["items"] == []


def test_metrics_scope(harness: Harness, client: dict[str, Any]) -> None:
    body = figures(1, 1, 1)
    for caller in (("manager", "mgr-1", "B1"), ("supervisor", "s", "B2"), ("hq", "h", None), ("compliance", "c", None)):
        assert harness.call("PUT", "/clients/C001/metrics/2025", raw=body, as_=caller).status == 403, caller
    assert harness.call("PUT", "/clients/C001/metrics/2025", raw=body, as_=("counter", "c", "B1")).status == 200
    assert harness.call("PUT", "/clients/NOPE/metrics/2025", raw=body).status == 404
    listed = harness.call("GET", "/clients/C001/metrics", as_=("manager", "mgr-1", "B1")).json()["items"]
    assert [(m["year"], m["updated_by"]) for m in listed] == [(2025, "c")]


def test_the_histories_and_the_years_read_in_pages_lose_and_repeat_nothing(
    harness: Harness, client: dict[str, Any]
) -> None:
    for year, values in ((2024, (800_000, 700_000, 100_000)), (2025, (2_000_000, 1_500_000, 6_000_000))):
        put_metrics(harness, "C001", year, values)  # D, then A (VIP)
        harness.drain()
    put_metrics(harness, "C001", 2026, (900_000, 900_000, 100))  # D again: VIP lost
    harness.drain()

    classes = whole(harness, "/clients/C001/class-history")
    assert [h["client_class"] for h in classes] == ["D", "A", "D"]
    pages = every_page(harness, "/clients/C001/class-history", limit=2)
    assert [len(page) for page in pages] == [2, 1]
    assert [item for page in pages for item in page] == classes

    years = whole(harness, "/clients/C001/metrics")
    assert [m["year"] for m in years] == [2026, 2025, 2024]
    pages = every_page(harness, "/clients/C001/metrics", limit=1)
    assert [item for page in pages for item in page] == years
    assert len(pages) == 3  # the last full page says it is the last

    vip = whole(harness, "/clients/C001/vip-history")
    pages = every_page(harness, "/clients/C001/vip-history", limit=1)
    assert [[v["vip"] for v in page] for page in pages] == [[False], [True]]
    assert [item for page in pages for item in page] == vip


def test_a_cursor_of_one_clients_history_is_refused_for_anothers(harness: Harness, client: dict[str, Any]) -> None:
    assert harness.call("POST", "/clients", new_client("C002")).status == 201
    for year in (2025, 2026):
        put_metrics(harness, "C001", year, (1_000 * year, 1_000, 0))
        put_metrics(harness, "C002", year, (1_000 * year, 1_000, 0))
    cursor = harness.call("GET", "/clients/C001/metrics", query="limit=1").json()["next_cursor"]
    assert cursor is not None
    refused = harness.call("GET", "/clients/C002/metrics", query=f"limit=1&cursor={cursor}")
    assert (refused.status, refused.json()["error"]["field"]) == (400, "cursor")
    refused = harness.call("GET", "/clients/C001/class-history", query=f"limit=1&cursor={cursor}")
    assert (refused.status, refused.json()["error"]["field"]) == (400, "cursor")
