"""Running a scheduled function with the EventBridge event its schedule would send.

The business clock of a job is the event's `time`, so `crm trigger JOB --at TIME` runs the job
as though the schedule fired at TIME.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from crm import errors, topology
from crm.local.invoke import ACCOUNT, REGION, Invoker
from crm.topology import Function, Schedule


def find_job(job: str) -> tuple[Schedule, Function]:
    for schedule, function in topology.schedules():
        if schedule.job == job:
            return schedule, function
    known = ", ".join(s.job for s, _ in topology.schedules()) or "none yet"
    raise errors.NotFound(f"no scheduled job {job!r} (jobs: {known})", field="job")


def scheduled_event(schedule: Schedule, at: datetime) -> dict[str, Any]:
    """EventBridge's 'Scheduled Event' for the rule of this schedule, fired at `at`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/crm-{schedule.job}"],
        "detail": {},
    }


def parse_at(text: str | None) -> datetime:
    """`--at` as an ISO time; without an offset it is Beijing time. Default: now."""
    if not text:
        return datetime.now(UTC)
    from crm.domain.time import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        raise errors.InvalidInput(f"--at {text!r} is not an ISO 8601 time", field="at") from None


def trigger(invoker: Invoker, job: str, at_text: str | None) -> dict[str, Any]:
    schedule, function = find_job(job)
    at = parse_at(at_text)
    event = scheduled_event(schedule, at)
    result = invoker.invoke(function, event)
    return {"job": job, "function": function.name, "time": event["time"], "result": result}
