"""The manager's profile (第9–11条) and target VIPs (Part 4) through the API: entries kept as
history, a suggestion that never overwrites, the cultivation list following class and value."""

from __future__ import annotations

import pytest

from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

MANAGER = ("manager", "mgr-1", "B1")


def metrics(harness: Harness, client_id: str, assets: int, holding_days: int | None = None) -> None:
    body = {"assets": assets, "avg_assets": 100_000, "trade_volume": 100_000}
    if holding_days is not None:
        body["avg_holding_days"] = holding_days
    assert harness.call("PUT", f"/clients/{client_id}/metrics/2026", body).status == 200
    harness.drain()


@pytest.mark.usefixtures("client")
def test_every_profile_change_is_kept(harness: Harness) -> None:
    first = harness.call("PUT", "/clients/C001/profile", {"trading_habit": "swing", "note": "波段为主"}, as_=MANAGER)
    assert first.status == 200
    second = harness.call(
        "PUT", "/clients/C001/profile", {"value_segment": "gold", "decision_style": "dependent"}, as_=MANAGER
    )
    got = second.json()
    assert (got["trading_habit"], got["value_segment"], got["decision_style"], got["note"]) == (
        "swing",
        "gold",
        "dependent",
        "波段为主",
    )
    history = harness.call("GET", "/clients/C001/profile-history").json()["items"]
    assert [(h["before"]["value_segment"], h["after"]["value_segment"], h["by"]) for h in history] == [
        (None, "gold", "mgr-1"),
        (None, None, "mgr-1"),
    ]
    assert history[1]["after"]["trading_habit"] == "swing"


@pytest.mark.usefixtures("client")
def test_the_profile_history_read_in_pages_loses_and_repeats_nothing(harness: Harness) -> None:
    for n, note in enumerate(("一", "二", "三")):
        at = f"2026-06-0{n + 1}T10:00:00+08:00"
        assert harness.call("PUT", "/clients/C001/profile", {"note": note}, as_=MANAGER, at=at).status == 200
    history = whole(harness, "/clients/C001/profile-history")
    assert [h["after"]["note"] for h in history] == ["三", "二", "一"]
    pages = every_page(harness, "/clients/C001/profile-history", limit=2)
    assert [[h["after"]["note"] for h in page] for page in pages] == [["三", "二"], ["一"]]


@pytest.mark.usefixtures("client")
def test_a_suggested_habit_never_overwrites_the_managers_entry(harness: Harness) -> None:
    harness.call("PUT", "/clients/C001/profile", {"trading_habit": "short_term"}, as_=MANAGER)
    metrics(harness, "C001", 600_000, holding_days=120)
    profile = harness.call("GET", "/clients/C001/profile").json()
    assert (profile["trading_habit"], profile["suggested_trading_habit"]) == ("short_term", "value")
    metrics(harness, "C001", 600_000, holding_days=45)
    assert harness.call("GET", "/clients/C001/profile").json()["suggested_trading_habit"] == "swing"


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("body", "field"),
    [({"trading_habit": "gambler"}, "trading_habit"), ({"mood": "x"}, "mood"), ({}, "body")],
    ids=["unknown-habit", "unknown-field", "nothing"],
)
def test_bad_profile_entries_are_refused(harness: Harness, body: dict, field: str) -> None:
    response = harness.call("PUT", "/clients/C001/profile", body, as_=MANAGER)
    assert response.status == 422, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", "/clients/C001/profile-history").json()["items"] == []


@pytest.mark.usefixtures("client")
def test_only_the_clients_manager_or_a_supervisor_enters_the_profile(harness: Harness) -> None:
    body = {"value_segment": "free"}
    for caller in (("manager", "mgr-2", "B1"), ("counter", "c", "B1"), ("hq", "h", None), ("compliance", "x", None)):
        assert harness.call("PUT", "/clients/C001/profile", body, as_=caller).status == 403, caller
    assert harness.call("PUT", "/clients/C001/profile", body).status == 200


def test_the_target_vip_list_follows_class_and_value(harness: Harness) -> None:
    for client_id, manager in (("T1", "mgr-1"), ("T2", "mgr-2"), ("T3", "mgr-1")):
        assert harness.call("POST", "/clients", new_client(client_id, manager_id=manager)).status == 201
    metrics(harness, "T1", 700_000)  # D
    metrics(harness, "T2", 800_000)  # D
    metrics(harness, "T3", 50_000)  # E: never a target
    for client_id, caller in (("T1", MANAGER), ("T2", ("manager", "mgr-2", "B1")), ("T3", MANAGER)):
        assert (
            harness.call("PUT", f"/clients/{client_id}/profile", {"value_segment": "rising_star"}, as_=caller).status
            == 200
        )

    def targets(caller: tuple[str, str, str | None] = ("supervisor", "sup-b1", "B1"), query: str = "") -> list[str]:
        return [t["client_id"] for t in harness.call("GET", "/vip/targets", as_=caller, query=query).json()["items"]]

    assert targets() == ["T1", "T2"]
    assert every_page(harness, "/vip/targets", limit=1) == [[t] for t in whole(harness, "/vip/targets")]
    assert targets(MANAGER) == ["T1"]
    assert every_page(harness, "/vip/targets", limit=1, as_=MANAGER) == [whole(harness, "/vip/targets", as_=MANAGER)]
    assert targets(("hq", "h", None), "branch_id=B1") == ["T1", "T2"]
    metrics(harness, "T2", 1_500_000)  # B: a VIP now, no longer a target
    assert targets() == ["T1"]
    harness.call("PUT", "/clients/T1/profile", {"value_segment": "maintain"}, as_=MANAGER)
    assert targets() == []
