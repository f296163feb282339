"""Scheduled job `quarterly-report` (just after each quarter begins, Beijing time; 第55条): the
report on the quarter that ended, from the counters, to S3. The business time is the scheduled
event's `time`; a re-run with the same figures writes nothing."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from dataclasses import asdict
from typing import Any

from crm.domain.time import parse_iso
from crm.observability import logger, observed
from crm.services.quarterly_report import run


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = run(parse_iso(event["time"]))
    logger.info("quarterly report", report=asdict(report))
    return asdict(report)
