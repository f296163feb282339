"""The EventBridge buses functions publish business events on (`SlaBreached`, …).

Derived from the topology's `Function.publishes`: a bus exists because a function publishes on it,
and only those functions may put events on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_events as events
from constructs import Construct

from crm import topology
from infra.constructs.data import pascal_case


class EventBuses(Construct):
    """One `events.EventBus` per topology bus; `buses` maps topology name → bus."""

    def __init__(self, scope: Construct, construct_id: str, buses: Iterable[topology.EventBus]) -> None:
        super().__init__(scope, construct_id)
        self.buses: dict[str, events.EventBus] = {
            bus.name: events.EventBus(self, pascal_case(bus.name), description=f"crm business events: {bus.name}")
            for bus in buses
        }
