"""Running a scheduled function with the event its EventBridge Scheduler schedule would send.

The business clock of a job is the event's `time`, so `crm trigger JOB --at TIME` runs the job
as though the schedule fired at TIME.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
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
    """The event Scheduler sends for this schedule's run at `at`."""
    return schedule.event(
        run_id=str(uuid.uuid4()),
        time=at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        schedule_arn=f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/crm/{schedule.job}",
        attempt="1",
    )


def parse_at(text: str | None) -> datetime:
    """`--at` as an ISO time; without an offset it is Beijing time. Default: now."""
    if not text:
        return datetime.now(UTC)
    from crm.domain.time import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        raise errors.InvalidInput(f"--at {text!r} is not an ISO 8601 time", field="at") from None


DeadLetters = Callable[[str, dict[str, Any]], None]  # (job, what failed) → kept for an operator


def trigger(
    invoker: Invoker, job: str, at_text: str | None, *, dead_letters: DeadLetters | None = None
) -> dict[str, Any]:
    """Run the job once for the time `at_text`. With `dead_letters`, as in AWS: a failed run is
    tried again `retry_attempts` times (same scheduled time), then handed to `dead_letters` and
    reported as failed; without, the first failure is raised (tests)."""
    schedule, function = find_job(job)
    at = parse_at(at_text)
    event = scheduled_event(schedule, at)
    done = {"job": job, "function": function.name, "time": event["time"]}
    if dead_letters is None:
        return done | {"result": invoker.invoke(function, event)}
    attempts = 1 + schedule.retry_attempts
    for attempt in range(1, attempts + 1):
        event["detail"]["attempt"] = str(attempt)
        try:
            return done | {"result": invoker.invoke(function, event), "attempts": attempt}
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    failure = done | {"failed": True, "attempts": attempts, "error": error, "event": event}
    dead_letters(job, failure)
    return failure
