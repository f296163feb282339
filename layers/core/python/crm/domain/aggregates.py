"""What each record counts for (DOMAIN §8, §9): the counters the streams keep, by name and period,
and each record's contribution to them — pure, so that the counting rules are tested apart from
the fold that applies them (crm.data.counters).

Counter names: `activity#<manager>` with periods `D#<day>` (work logs, minutes by kind, visits,
spot checks) and `W#<ISO week>` (weekly summaries).
"""

from __future__ import annotations

from datetime import date

from crm.domain.activity import SpotCheck, Visit, WeeklySummary, WorkLog
from crm.domain.time import beijing

CounterKey = tuple[str, str]
Contribution = dict[CounterKey, dict[str, int]]


def activity_counter(manager_id: str) -> str:
    return f"activity#{manager_id}"


def day_period(day: date) -> str:
    return f"D#{day.isoformat()}"


def week_period(week: str) -> str:
    return f"W#{week}"


def log_counts(log: WorkLog) -> Contribution:
    figures = {"work_logs": 1, "minutes": log.minutes}
    figures |= {f"minutes_{kind.value}": minutes for kind, minutes in log.minutes_by_kind().items()}
    return {(activity_counter(log.manager_id), day_period(log.day)): figures}


def summary_counts(summary: WeeklySummary) -> Contribution:
    return {(activity_counter(summary.manager_id), week_period(summary.week)): {"weekly_summaries": 1}}


def visit_counts(visit: Visit) -> Contribution:
    return {(activity_counter(visit.manager_id), day_period(beijing(visit.at).date())): {"visits": 1}}


def spot_check_counts(check: SpotCheck) -> Contribution:
    return {(activity_counter(check.manager_id), day_period(beijing(check.at).date())): {"spot_checks": 1}}
