"""Keeping the clocks honest (第29条, 第36条; complaint appendix; DOMAIN §3, §4, §10).

- `sweep`: the scheduled job. Reads only open clocks due before now plus the warning lead,
  from the sparse `open_clocks` index, and raises each to the level it has reached.
- `on_clock_written`: the stream's view of a clock. Stopped after its deadline → the breach
  is recorded; started provisional → an alert.
- `on_escalation_written`: publishes an escalation as an event on the application's bus,
  once (the stream is the outbox: retried until EventBridge takes it, then marked sent).
- `reschedule_year`: when HQ loads a year, every deadline computed provisionally for it is
  computed again and the flag cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm import rules
from crm.data import clocks as clock_data
from crm.data.events import Event, publish
from crm.domain.access import Grant
from crm.domain.sla import Breach, Clock, Escalation, Level, escalation_due, recomputed
from crm.domain.time import iso
from crm.observability import logger
from crm.services.calendar import calendar_for, working_calendar


@dataclass
class SweepReport:
    examined: int = 0
    escalated: int = 0


class SweepIncomplete(Exception):
    """Some clocks could not be escalated (e.g. throttled); the rest were. The invocation fails
    so that it is retried, and the retry finds only what is left."""


def sweep(now: datetime) -> SweepReport:
    sla = rules.sla()
    calendar = calendar_for(now)
    report = SweepReport()
    failures: list[str] = []
    for clock in clock_data.open_clocks_due_before(now + sla.warn_before):
        report.examined += 1
        level = escalation_due(clock, now, calendar, sla)
        if level is None:
            continue
        try:
            if clock_data.escalate(clock, level, now):
                report.escalated += 1
        except Exception as exc:  # one clock's failure must not hold back the others
            logger.warning("escalation failed", owner=clock.owner_id, clock=clock.kind.value, error=repr(exc))
            failures.append(f"{clock.owner_id}/{clock.kind.value}")
    if failures:
        raise SweepIncomplete(f"{len(failures)} escalations failed ({', '.join(failures[:5])}); {report}")
    return report


def on_clock_written(old: Clock | None, new: Clock, at: datetime) -> list[str]:
    """What a clock's change means: a late stop is a breach; a provisional start an alert.
    Returns the detail-types of the events it published."""
    if new.met_late and (old is None or old.met_at is None):
        clock_data.record_late_breach(new, at)
    if new.provisional and old is None and not clock_data.alert_announced(new):
        publish([provisional_alert(new)])
        clock_data.mark_alert_announced(new, at)
        return ["DeadlineProvisional"]
    return []


def on_escalation_written(escalation: Escalation, at: datetime) -> list[str]:
    """Announce an escalation on the bus, once (a redelivered record finds it announced)."""
    if clock_data.escalation_announced(escalation):
        return []
    event = escalation_event(escalation)
    publish([event])
    clock_data.mark_escalation_announced(escalation, at)
    return [event.detail_type]


def provisional_alert(clock: Clock) -> Event:
    return Event(
        detail_type="DeadlineProvisional",
        detail={
            **_describe(clock),
            "unknown_years": sorted(clock.unknown_years),
            "message": "computed on weekends alone: load the calendar of "
            + ", ".join(str(y) for y in sorted(clock.unknown_years)),
        },
    )


def escalation_event(escalation: Escalation) -> Event:
    """SlaWarning before a deadline; SlaBreached after it, to the supervisor and then to HQ."""
    return Event(
        detail_type="SlaWarning" if escalation.level is Level.WARNING else "SlaBreached",
        detail={
            "owner_type": escalation.owner_type,
            "owner_id": escalation.owner_id,
            "clock": escalation.kind.value,
            "branch_id": escalation.branch_id,
            "due_at": iso(escalation.due_at),
            "level": escalation.level.value,
            "escalate_to": dict(escalation.escalate_to),
            "at": iso(escalation.at),
        },
    )


def _describe(clock: Clock) -> dict[str, object]:
    return {
        "owner_type": clock.owner_type,
        "owner_id": clock.owner_id,
        "clock": clock.kind.value,
        "branch_id": clock.branch_id,
        "due_at": iso(clock.due_at),
        "provisional": clock.provisional,
    }


class RescheduleRaced(Exception):
    """A clock changed while its deadline was recomputed; the stream retries the record."""


def reschedule_year(year: int, at: datetime) -> int:
    """Recompute every deadline that waited for `year`'s calendar; returns how many moved.

    `at`: when the calendar was loaded. Safe to repeat: a recomputed clock leaves the provisional index
    (or moves to the next unknown year), so a retried record only finishes what is left.
    """
    sla = rules.sla()
    moved = 0
    for clock in list(clock_data.provisional_clocks(year)):
        calendar = working_calendar(range(clock.started_at.year, clock.due_at.year + 2))
        rescheduled = recomputed(clock, calendar, sla)
        siblings = clock_data.clocks_of(clock.owner_type, clock.owner_id)
        still_provisional = rescheduled.provisional or any(c.provisional for c in siblings if c.kind is not clock.kind)
        if not clock_data.reschedule(clock, rescheduled, parent_provisional=still_provisional, at=at):
            raise RescheduleRaced(f"{clock.owner_id} {clock.kind} changed while rescheduled")
        moved += 1
        logger.info("deadline recomputed", owner=clock.owner_id, clock=clock.kind.value, due_at=iso(rescheduled.due_at))
    return moved


def breaches(
    grant: Grant, *, branch_id: str | None, client_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Breach], str | None]:
    return clock_data.breaches(grant.listing_branch(branch_id), client_id=client_id, limit=limit, cursor=cursor)
