"""Scheduled job `turnover-recalibration` (EventBridge, just after the year turns in Beijing):
the year-end reset of the turnover threshold T (第6条). The business time is the event's `time`.

Reads the company's yearly sums (a handful of items), puts the new T in force with the figures
it came from, and reclassifies only the clients between the old and new T. Rerunning it for the
same year changes nothing; after a crash half-way it finishes what is left.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from dataclasses import asdict
from typing import Any

from crm.domain.time import parse_iso
from crm.observability import logger, metrics, observed
from crm.services.reclassification import recalibrate_turnover_threshold


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = parse_iso(event["time"])
    report = recalibrate_turnover_threshold(now)
    metrics.add_metric(name="ClientsRecalibrated", unit="Count", value=report.moved)
    summary = {key: value if isinstance(value, int | str) else str(value) for key, value in asdict(report).items()}
    logger.info("turnover recalibration", extra=summary)
    return summary
