"""The local stream pump's event-filter matcher (the subset of Lambda filter patterns in use)."""

from __future__ import annotations

from typing import Any

import pytest

from crm.local.pump import matches, passes_filters
from crm.topology import CLIENTS, StreamSource

METRICS_ONLY = {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "METRICS#"}]}}}}


def record(sk: str, event: str = "INSERT", **dynamodb: Any) -> dict[str, Any]:
    return {"eventName": event, "dynamodb": {"Keys": {"pk": {"S": "CLIENT#c-1"}, "sk": {"S": sk}}, **dynamodb}}


@pytest.mark.parametrize(
    ("pattern", "value", "matched"),
    [
        pytest.param(METRICS_ONLY, record("METRICS#2026"), True, id="nested-prefix"),
        pytest.param(METRICS_ONLY, record("PROFILE"), False, id="nested-prefix-other-item"),
        pytest.param(METRICS_ONLY, record("CLASS#METRICS#2026"), False, id="prefix-not-infix"),
        pytest.param(METRICS_ONLY, {"eventName": "REMOVE"}, False, id="nested-key-absent"),
        pytest.param(METRICS_ONLY, {"dynamodb": "not a map"}, False, id="nested-not-a-map"),
        pytest.param({"n": [{"prefix": "1"}]}, {"n": 12}, False, id="prefix-needs-a-string"),
        pytest.param({"eventName": ["INSERT", "MODIFY"]}, record("X", "MODIFY"), True, id="exact-any-of"),
        pytest.param({"eventName": ["INSERT", "MODIFY"]}, record("X", "REMOVE"), False, id="exact-none-of"),
        pytest.param({"eventName": ["INSERT"]}, {"eventName": "insert"}, False, id="exact-is-case-sensitive"),
        pytest.param({"dynamodb": {"NewImage": [{"exists": True}]}}, record("X", NewImage={}), True, id="exists"),
        pytest.param({"dynamodb": {"NewImage": [{"exists": True}]}}, record("X"), False, id="exists-absent"),
        pytest.param({"dynamodb": {"OldImage": [{"exists": False}]}}, record("X"), True, id="not-exists"),
        pytest.param(
            {"dynamodb": {"OldImage": [{"exists": False}]}},
            record("X", OldImage={}),
            False,
            id="not-exists-present",
        ),
        pytest.param(
            {"eventName": ["MODIFY"], **METRICS_ONLY}, record("METRICS#2026", "INSERT"), False, id="all-keys-must-match"
        ),
    ],
)
def test_filter_patterns(pattern: dict[str, Any], value: dict[str, Any], matched: bool) -> None:
    assert matches(pattern, value) is matched


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param({"n": [{"numeric": [">", 0]}]}, id="numeric-rule"),
        pytest.param({"n": [{"prefix": "a", "exists": True}]}, id="two-operators-in-one-rule"),
        pytest.param({"n": "scalar"}, id="scalar-instead-of-list"),
    ],
)
def test_an_unsupported_pattern_raises(pattern: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        matches(pattern, {"n": 1})


def test_a_source_without_filters_passes_everything() -> None:
    assert passes_filters(StreamSource(table=CLIENTS), record("PROFILE"))


def test_a_source_passes_a_record_when_any_filter_matches() -> None:
    source = StreamSource(table=CLIENTS, filters=(METRICS_ONLY, {"eventName": ["REMOVE"]}))
    assert passes_filters(source, record("METRICS#2026"))
    assert passes_filters(source, record("PROFILE", "REMOVE"))
    assert not passes_filters(source, record("PROFILE", "MODIFY"))
