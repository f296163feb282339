"""The daily `callbacks` job (06:00 Beijing; DOMAIN §5): creates every task due to be created on
its business day, and the first run of a year draws that year's sample.

It reads only what can be due: the schedule entries whose creation day has come (a sparse index),
and once a year the client records for the sample's population. Each task is created in one
transaction with the entry moving on (and, for a client's callbacks, the client still active), so
a second run the same day finds nothing, a run cut short leaves the rest for the next, and a task
is never created twice: its id is derived from what it follows up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from crm import rules
from crm.data import callbacks as callback_data
from crm.data import samples as sample_data
from crm.data.clients import records as client_data
from crm.domain.calendar import WorkingCalendar, years_spanned
from crm.domain.callbacks import (
    CallbackRules,
    Kind,
    ScheduleEntry,
    create_from,
    end_of_day,
    new_task,
    task_id,
)
from crm.domain.client import ClientStatus
from crm.domain.sample import Candidate, draw, new_seed
from crm.domain.time import beijing
from crm.observability import logger
from crm.services.calendar import working_calendar

RESERVE_S = 30.0  # a run stops this long before its invocation times out; the next run goes on
SCHEDULED_KINDS = (Kind.NEW_ACCOUNT, Kind.POST_COMPLAINT, Kind.POST_CLOSURE, Kind.PERIODIC, Kind.CARE)
# Follow-ups that concern the client's relationship: none once it has left (DOMAIN §5). The
# post-closure callback follows the leaving itself; a complaint's callback finishes its handling.
FOR_ACTIVE_CLIENTS = frozenset({Kind.NEW_ACCOUNT, Kind.PERIODIC, Kind.CARE, Kind.SAMPLE})


@dataclass
class GenerationReport:
    day: date
    created: dict[str, int] = field(default_factory=dict)
    examined: int = 0
    skipped: int = 0  # entries with nothing to create (too old, a birthday gone by, a client who left)
    sample: str = "not_due"
    complete: bool = True


class GenerationIncomplete(Exception):
    """Some entries could not be handled (throttled, raced); the rest were. The invocation fails so
    that it is retried, and the retry finds only what is left."""


def run(now: datetime, *, seconds_left: Callable[[], float]) -> GenerationReport:
    callback_rules = rules.callbacks()
    day = beijing(now).date()
    report = GenerationReport(day=day)
    calendars = _Calendars()
    failures: list[str] = []
    for kind in SCHEDULED_KINDS:
        try:
            for entry in callback_data.due_entries(kind, day):
                if seconds_left() < RESERVE_S:
                    report.complete = False
                    return report
                report.examined += 1
                _create(entry, day, now, calendars, callback_rules, report, failures)
        except Exception as exc:  # a throttled read of one kind's schedule must not hold back the others
            logger.warning("callback schedule not read", kind=kind.value, error=repr(exc))
            failures.append(f"{kind.value} schedule")
    try:
        report.sample = _yearly_sample(day.year, now, callback_rules, report, seconds_left)
    except Exception as exc:
        logger.warning("yearly sample not finished", year=day.year, error=repr(exc))
        failures.append(f"{day.year} sample")
    if failures:
        raise GenerationIncomplete(f"{len(failures)} callbacks not created ({', '.join(failures[:5])}); {report}")
    return report


def _create(
    entry: ScheduleEntry,
    day: date,
    now: datetime,
    calendars: _Calendars,
    callback_rules: CallbackRules,
    report: GenerationReport,
    failures: list[str],
) -> None:
    kind = entry.kind
    try:
        creation = create_from(
            entry, day, calendar=calendars.around(entry.event_at or now), rules=callback_rules, now=now
        )
        outcome = callback_data.create_task(
            creation.task, entry, creation.entry_after, needs_active_client=kind in FOR_ACTIVE_CLIENTS, now=now
        )
    except Exception as exc:  # one entry's failure must not hold back the others
        logger.warning("callback not created", kind=kind.value, subject=entry.subject, error=repr(exc))
        failures.append(f"{kind.value}/{entry.subject}")
        return
    if outcome == callback_data.CreationResult.CREATED:
        report.created[kind.value] = report.created.get(kind.value, 0) + 1
    elif outcome == callback_data.CreationResult.RACED:
        failures.append(f"{kind.value}/{entry.subject}")
    else:
        report.skipped += 1


class _Calendars:
    """The working-day calendars a run needs, read once per set of years."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, ...], WorkingCalendar] = {}

    def around(self, moment: datetime) -> WorkingCalendar:
        years = tuple(years_spanned(moment))
        if years not in self._known:
            self._known[years] = working_calendar(years)
        return self._known[years]


def _yearly_sample(
    year: int, now: datetime, callback_rules: CallbackRules, report: GenerationReport, seconds_left: Callable[[], float]
) -> str:
    """Draw `year`'s sample on the first run of the year, then create its tasks (over as many runs
    as that takes); later runs read one item."""
    status = sample_data.status(year)
    if status == "complete":
        return "complete"
    if status is None or status == "drawing":
        seed, state = sample_data.seed_of(year, new_seed(), now)
        if state == "drawing":
            _draw(year, seed, now, callback_rules)
    drawn = sample_data.sample(year)
    if drawn is None:
        raise RuntimeError(f"the {year} sample was not recorded")
    sample, members, created = drawn
    (month, day) = callback_rules.sample_due
    due = end_of_day(max(date(year, month, day), beijing(now).date()))
    for position in range(created, len(members)):
        if seconds_left() < RESERVE_S:
            sample_data.tasks_created(year, position, now)
            report.complete = False
            return "tasks_in_progress"
        client_id, branch_id, manager_id = members[position]
        task = new_task(
            Kind.SAMPLE,
            task_id(Kind.SAMPLE, str(year), client_id),
            client_id=client_id,
            branch_id=branch_id,
            manager_id=manager_id,
            due_at=due,
            rules=callback_rules,
            now=now,
        )
        if callback_data.create_sample_task(task, now=now):
            report.created[Kind.SAMPLE.value] = report.created.get(Kind.SAMPLE.value, 0) + 1
    sample_data.tasks_created(year, len(members), now)
    return f"drawn {len(sample.drawn)} of {sample.population}"


def _draw(year: int, seed: str, now: datetime, callback_rules: CallbackRules) -> None:
    members: dict[str, tuple[str, str]] = {}

    def candidates() -> Iterator[Candidate]:
        for client, _ in client_data.client_records():
            members[client.client_id] = (client.branch_id, client.manager_id)
            yield Candidate(
                client_id=client.client_id,
                opened_on=client.opened_on,
                client_class=client.client_class,
                active=client.status is ClientStatus.ACTIVE,
            )

    sample = draw(
        year, seed, candidates(), rate=callback_rules.sample_rate, at=now, rules_version=callback_rules.version
    )
    drawn = [(client_id, *members[client_id]) for client_id in sample.drawn]
    if sample_data.record_draw(sample, drawn):
        logger.info("sample drawn", year=year, population=sample.population, drawn=len(drawn))
