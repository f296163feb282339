"""Scheduled job `sla-sweep` (EventBridge, every 15 minutes): time passes without any write, so
open deadlines are checked on a clock. The business time is the scheduled event's `time`."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from crm.domain.time import parse_iso
from crm.observability import logger, metrics, observed
from crm.services.sla import sweep


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = parse_iso(event["time"])
    report = sweep(now)
    metrics.add_metric(name="SlaEscalations", unit="Count", value=report.escalated)
    logger.info("sla sweep", at=now.isoformat(), examined=report.examined, escalated=report.escalated)
    return {"at": now.isoformat(), "examined": report.examined, "escalated": report.escalated}
