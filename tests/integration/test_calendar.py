"""Working-day calendars through the API (DOMAIN §10): HQ loads a year, validated; a loaded
year overrides the library; bad calendars are refused naming the field and store nothing."""

from __future__ import annotations

import pytest

from tests.integration.harness import Harness

HQ = ("hq", "hq-1", None)
CALENDAR_2027 = {
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"],
    "workdays": ["2027-02-06"],
}


def test_hq_loads_a_year_and_everyone_reads_it(harness: Harness) -> None:
    assert harness.call("GET", "/calendar/2027").json()["source"] == "unknown"
    loaded = harness.call("PUT", "/calendar/2027", CALENDAR_2027, as_=HQ)
    assert loaded.status == 200, loaded.body
    for caller in (HQ, ("manager", "m", "B1"), ("compliance", "c", None)):
        got = harness.call("GET", "/calendar/2027", as_=caller).json()
        assert got["source"] == "loaded"
        assert got["holidays"] == CALENDAR_2027["holidays"]
        assert got["workdays"] == ["2027-02-06"]
        assert got["loaded_by"] == "hq-1"


def test_the_library_covers_2026_with_its_make_up_days(harness: Harness) -> None:
    got = harness.call("GET", "/calendar/2026").json()
    assert got["source"] == "library"
    assert {"2026-05-09", "2026-09-20", "2026-10-10"} <= set(got["workdays"])
    assert {"2026-05-01", "2026-05-05", "2026-10-07"} <= set(got["holidays"])


def test_a_loaded_year_overrides_the_library(harness: Harness) -> None:
    body = {"holidays": ["2026-05-01"], "workdays": []}
    assert harness.call("PUT", "/calendar/2026", body, as_=HQ).status == 200
    got = harness.call("GET", "/calendar/2026").json()
    assert (got["source"], got["holidays"], got["workdays"]) == ("loaded", ["2026-05-01"], [])


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        ("2027", {"holidays": ["2026-12-31"], "workdays": []}, "holidays"),
        ("2027", {"holidays": ["2027-01-01", "2027-01-01"], "workdays": []}, "holidays"),
        ("2027", {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}, "workdays"),
        ("2027", {"holidays": [], "workdays": ["2027-02-08"]}, "workdays"),  # a Monday
        ("2027", {"holidays": ["2027-02-30"], "workdays": []}, "holidays.0"),
        ("2027", {"holidays": [], "workdays": [], "extra": []}, "extra"),
        ("2027", {"workdays": []}, "holidays"),
        ("1999", {"holidays": [], "workdays": []}, "year"),
        ("2101", {"holidays": [], "workdays": []}, "year"),
    ],
    ids=[
        "outside-year",
        "twice",
        "both",
        "weekday-workday",
        "impossible-date",
        "unknown-field",
        "missing",
        "1999",
        "2101",
    ],
)
def test_bad_calendars_are_refused_and_nothing_is_stored(harness: Harness, year: str, body: dict, field: str) -> None:
    response = harness.call("PUT", f"/calendar/{year}", body, as_=HQ)
    assert response.status == 422, response.body
    assert response.json()["error"]["field"] == field
    if year == "2027":
        assert harness.call("GET", "/calendar/2027").json()["source"] == "unknown"


def test_only_hq_loads_calendars(harness: Harness) -> None:
    for caller in (("supervisor", "s", "B1"), ("compliance", "c", None), ("counter", "x", "B1")):
        assert harness.call("PUT", "/calendar/2027", CALENDAR_2027, as_=caller).status == 403
    assert harness.call("GET", "/calendar/2027").json()["source"] == "unknown"
