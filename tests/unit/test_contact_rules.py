"""Client inquiries: e-mail replies within two working days (第36条), next-working-day follow-ups
of inquiries taken outside working hours (第29条 1), 首问负责制 (DOMAIN.md §3, §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.calendar import WorkingCalendar, library_schedule
from crm.domain.contacts import (
    Contact,
    ContactChannel,
    ContactStatus,
    check_reply,
    open_clocks,
    outside_working_hours,
    same_day,
)
from crm.domain.sla import ClockKind
from crm.domain.time import BEIJING, CLOCK_SKEW, receipt_time
from crm.errors import Conflict, Forbidden, InvalidInput

SLA = rules.sla()
CALENDAR = WorkingCalendar({year: schedule for year in (2026,) if (schedule := library_schedule(year))})
REPLY, FOLLOW_UP = ClockKind.CONTACT_REPLY, ClockKind.CONTACT_FOLLOW_UP
PHONE, EMAIL = ContactChannel.PHONE, ContactChannel.EMAIL


def at(day: str, clock: str = "10:00:00", tz: tzinfo = BEIJING) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)


def inquiry(channel: ContactChannel, received_at: datetime, status: ContactStatus = ContactStatus.OPEN) -> Contact:
    """An inquiry as it is logged: taken by manager-1, flagged when outside working hours."""
    return Contact(
        contact_id="K1",
        client_id="C1",
        branch_id="B1",
        channel=channel,
        subject="fees",
        received_at=received_at,
        recorded_by="manager-1",
        manager_id="manager-1",
        first_responder="manager-1",
        status=status,
        outside_working_hours=outside_working_hours(received_at, CALENDAR, SLA),
        reply_due_at=None,
        follow_up_due_at=None,
        deadline_provisional=False,
    )


# --- the clocks an inquiry starts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "received_at", "due"),
    [
        pytest.param(PHONE, at("2026-05-06"), {}, id="phone-in-hours"),
        pytest.param(PHONE, at("2026-05-06", "09:00:00"), {}, id="phone-at-nine"),
        pytest.param(PHONE, at("2026-05-06", "08:59:59"), {FOLLOW_UP: "2026-05-07"}, id="phone-before-nine"),
        pytest.param(PHONE, at("2026-05-06", "17:00:00"), {FOLLOW_UP: "2026-05-07"}, id="phone-at-five"),
        pytest.param(PHONE, at("2026-05-08", "20:00:00"), {FOLLOW_UP: "2026-05-09"}, id="friday-evening"),
        pytest.param(PHONE, at("2026-05-09"), {}, id="make-up-saturday-in-hours"),
        pytest.param(PHONE, at("2026-05-09", "18:00:00"), {FOLLOW_UP: "2026-05-11"}, id="make-up-saturday-evening"),
        pytest.param(ContactChannel.WEB, at("2026-05-10"), {FOLLOW_UP: "2026-05-11"}, id="web-on-sunday"),
        pytest.param(ContactChannel.ONSITE, at("2026-05-04"), {FOLLOW_UP: "2026-05-06"}, id="onsite-on-a-holiday"),
        pytest.param(ContactChannel.VISIT, at("2026-10-10"), {}, id="visit-on-national-day-make-up"),
        pytest.param(PHONE, at("2026-05-06", "01:00:00", UTC), {}, id="utc-is-beijing-nine"),
        pytest.param(PHONE, at("2026-05-06", "09:00:00", UTC), {FOLLOW_UP: "2026-05-07"}, id="utc-is-beijing-five"),
        pytest.param(EMAIL, at("2026-05-06"), {REPLY: "2026-05-08"}, id="email-in-hours"),
        pytest.param(EMAIL, at("2026-04-30"), {REPLY: "2026-05-07"}, id="email-before-labour-day"),
        pytest.param(EMAIL, at("2026-05-07"), {REPLY: "2026-05-09"}, id="email-to-make-up-saturday"),
        pytest.param(
            EMAIL, at("2026-05-15", "20:00:00"), {REPLY: "2026-05-19", FOLLOW_UP: "2026-05-18"}, id="email-evening"
        ),
        pytest.param(EMAIL, at("2026-09-30"), {REPLY: "2026-10-09"}, id="email-before-national-day"),
    ],
)
def test_an_inquiry_starts_its_reply_and_follow_up_clocks(
    channel: ContactChannel, received_at: datetime, due: dict[ClockKind, str]
) -> None:
    contact = inquiry(channel, received_at)
    clocks = open_clocks(contact, CALENDAR, SLA)
    assert {clock.kind: clock.due_at for clock in clocks} == {kind: at(day, "23:59:59") for kind, day in due.items()}
    assert contact.outside_working_hours is (FOLLOW_UP in due)
    for clock in clocks:
        assert (clock.owner_type, clock.owner_id, clock.branch_id) == ("contact", "K1", "B1")
        assert (clock.assignee, clock.started_at, clock.provisional) == ("manager-1", received_at, False)


def test_an_e_mail_into_an_unknown_year_has_a_provisional_reply_clock() -> None:
    (clock,) = open_clocks(inquiry(EMAIL, at("2026-12-31")), CALENDAR, SLA)
    assert clock.due_at == at("2027-01-04", "23:59:59")
    assert clock.provisional
    assert clock.unknown_years == frozenset({2027})


@given(
    st.sampled_from(ContactChannel),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(BEIJING)),
)
def test_a_reply_clock_for_e_mail_only_and_a_follow_up_outside_hours_only(
    channel: ContactChannel, received_at: datetime
) -> None:
    contact = inquiry(channel, received_at)
    due = {clock.kind: clock.due_at for clock in open_clocks(contact, CALENDAR, SLA)}
    in_hours = CALENDAR.within_working_hours(received_at, *SLA.working_hours)
    assert set(due) == {kind for kind, opens in ((REPLY, channel is EMAIL), (FOLLOW_UP, not in_hours)) if opens}
    if len(due) == 2:
        assert due[FOLLOW_UP] < due[REPLY]


# --- 首问负责制: who answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(Identity("manager-1", Role.MANAGER, "B1"), id="the-first-responder"),
        pytest.param(Identity("supervisor-1", Role.SUPERVISOR, "B1"), id="the-branch-supervisor"),
    ],
)
def test_the_first_responder_or_a_supervisor_answers(actor: Identity) -> None:
    check_reply(inquiry(PHONE, at("2026-05-06")), actor)


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(Identity("manager-2", Role.MANAGER, "B1"), id="another-manager"),
        pytest.param(Identity("counter-1", Role.COUNTER, "B1"), id="counter-staff"),
        pytest.param(Identity("hq-1", Role.HQ, None), id="hq"),
        pytest.param(Identity("compliance-1", Role.COMPLIANCE, None), id="compliance"),
    ],
)
def test_nobody_else_answers_for_the_first_responder(actor: Identity) -> None:
    with pytest.raises(Forbidden) as caught:
        check_reply(inquiry(PHONE, at("2026-05-06")), actor)
    assert caught.value.field == "contact_id"


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(Identity("manager-1", Role.MANAGER, "B1"), id="the-first-responder"),
        pytest.param(Identity("supervisor-1", Role.SUPERVISOR, "B1"), id="the-branch-supervisor"),
        pytest.param(Identity("manager-2", Role.MANAGER, "B1"), id="another-manager"),
    ],
)
def test_an_answered_inquiry_is_not_answered_twice(actor: Identity) -> None:
    with pytest.raises(Conflict) as caught:
        check_reply(inquiry(EMAIL, at("2026-05-06"), ContactStatus.ANSWERED), actor)
    assert caught.value.field == "contact_id"


@pytest.mark.parametrize(
    ("received_at", "replied_at", "same"),
    [
        pytest.param(at("2026-05-06", "09:00:00"), at("2026-05-06", "23:59:59"), True, id="by-midnight"),
        pytest.param(at("2026-05-06", "09:00:00"), at("2026-05-07", "00:00:00"), False, id="next-day"),
        pytest.param(at("2026-05-06", "09:00:00"), at("2026-05-06", "16:00:00", UTC), False, id="utc-past-midnight"),
        pytest.param(at("2026-05-05", "16:30:00", UTC), at("2026-05-06", "10:00:00"), True, id="utc-received-same-day"),
        pytest.param(at("2026-05-06", "15:00:00", UTC), at("2026-05-06", "17:00:00", UTC), False, id="utc-same-date"),
    ],
)
def test_same_day_replies_are_counted_on_the_beijing_date(
    received_at: datetime, replied_at: datetime, same: bool
) -> None:
    assert same_day(received_at, replied_at) is same


def test_a_receipt_time_defaults_to_now_and_is_never_in_the_future() -> None:
    now = datetime(2026, 6, 1, 10, 0, tzinfo=BEIJING)
    assert receipt_time(None, now) == now
    assert receipt_time(now - timedelta(days=2), now) == now - timedelta(days=2)
    assert receipt_time(now + CLOCK_SKEW, now) == now  # a caller's clock a little ahead
    with pytest.raises(InvalidInput) as refused:
        receipt_time(now + CLOCK_SKEW + timedelta(seconds=1), now)
    assert refused.value.field == "received_at"
