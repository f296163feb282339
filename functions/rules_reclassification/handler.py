"""Scheduled job `rules-reclassification` (EventBridge, every 30 minutes): after a new class band
table or VIP rule is deployed, every client is decided again under it, with the cause `rules`
(DOMAIN.md §1; 第4–6条, Part 4). The business time is the event's `time`.

A run that finds the tables in force already applied reads one item and ends. A walk over the
clients that does not fit in one invocation records where it stopped; the next run goes on.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from dataclasses import asdict
from typing import Any

from crm.domain.time import parse_iso
from crm.observability import logger, observed
from crm.services.reclassification import apply_rule_tables


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = apply_rule_tables(
        parse_iso(event["time"]), seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    logger.info("rule tables", extra=asdict(report))
    return asdict(report)
