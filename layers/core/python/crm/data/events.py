"""Publishing business events on the application's EventBridge bus (`EVENT_BUS_NAME`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from crm import config
from crm.topology import BUS

SOURCE = "brokerage.crm"


@dataclass(frozen=True)
class Event:
    detail_type: str  # e.g. SlaBreached
    detail: dict[str, Any]
    resources: tuple[str, ...] = ()


@cache
def _client() -> Any:
    import boto3

    return boto3.client("events")


class PublishFailed(Exception):
    """EventBridge refused an entry; the stream record is retried, so nothing is lost."""


def publish(events: list[Event]) -> None:
    for start in range(0, len(events), 10):  # PutEvents takes ten entries at a time
        chunk = events[start : start + 10]
        response = _client().put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.detail, ensure_ascii=False, default=str),
                    "Resources": list(event.resources),
                    "EventBusName": config.active().bus(BUS),
                }
                for event in chunk
            ]
        )
        if response.get("FailedEntryCount"):
            raise PublishFailed(json.dumps(response.get("Entries"), default=str))
