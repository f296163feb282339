"""Scheduled job `callbacks` (daily at 06:00 Beijing; DOMAIN §5): creates the day's callback
tasks from the schedule of what can fall due, and the first run of a year draws that year's
sample. The business time is the scheduled event's `time`; a rerun the same day creates nothing,
and a run cut short is finished by the next."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from dataclasses import asdict
from typing import Any

from crm.domain.time import parse_iso
from crm.observability import logger, metrics, observed
from crm.services.callback_generation import run


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = parse_iso(event["time"])
    report = run(now, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="CallbacksCreated", unit="Count", value=sum(report.created.values()))
    summary = {**asdict(report), "day": report.day.isoformat()}
    logger.info("callbacks job", report=summary)
    return summary
