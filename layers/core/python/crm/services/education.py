"""Investor education (Part 9; DOMAIN §9a): activities of a branch, who attended (all or nothing:
a list naming any client that is not the branch's is refused whole), and each client's history."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from crm import rules
from crm.data import education as education_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.education import Attendance, EducationActivity, EducationKind, check_activity, check_attendance
from crm.errors import InvalidInput, NotFound
from crm.services.client_lookup import find as find_client


def create(
    grant: Grant,
    *,
    activity_id: str,
    title: str,
    kind: EducationKind,
    branch_id: str,
    held_on: date,
    topic: str,
    speaker: str,
    now: datetime,
) -> EducationActivity:
    grant.require_branch(branch_id)
    check_activity(held_on, now)
    activity = EducationActivity(
        activity_id=activity_id,
        title=title,
        kind=kind,
        branch_id=branch_id,
        held_on=held_on,
        topic=topic,
        speaker=speaker,
        recorded_by=grant.identity.user_id,
        recorded_at=now,
    )
    return replace(activity, version=education_data.create(activity))


def find(grant: Grant, activity_id: str) -> EducationActivity:
    activity = education_data.get(activity_id)
    if activity is None:
        raise NotFound(f"no education activity {activity_id}", field="activity_id")
    grant.require(branch_id=activity.branch_id, what=f"activity {activity_id}")
    return activity


def set_attendance(
    grant: Grant,
    activity_id: str,
    client_ids: list[str],
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> tuple[EducationActivity, list[str]]:
    """The clients who attended: every one of them a client of the activity's branch, or nothing."""
    activity = find(grant, activity_id)
    require_version(expected_version, activity.version, what=f"activity {activity_id}")
    wanted = check_attendance(activity, client_ids, now, rules.activity().max_attendees)
    for n, client_id in enumerate(wanted):
        client = client_data.get(client_id)
        if client is None:
            raise InvalidInput(f"no client {client_id}", field=f"client_ids.{n}")
        if client.branch_id != activity.branch_id:
            raise InvalidInput(f"{client_id} is not a client of {activity.branch_id}", field=f"client_ids.{n}")
    before = education_data.attendees(activity_id)
    education_data.set_attendance(activity, before, wanted, by=grant.identity.user_id, at=now)
    return find(grant, activity_id), education_data.attendees(activity_id)


def listing(
    grant: Grant, *, branch_id: str | None, start: date | None, end: date | None, limit: int, cursor: str | None
) -> tuple[list[EducationActivity], str | None]:
    return education_data.for_branch(grant.listing_branch(branch_id), start=start, end=end, limit=limit, cursor=cursor)


def history(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Attendance], str | None]:
    find_client(grant, client_id)
    return education_data.attended(client_id, limit=limit, cursor=cursor)
