"""Items the `sla-sweep` job reads and writes with a service table of N and of 10×N contacts and
complaints and the same clocks due (issue 13, P5): the sweep reads the open clocks due before now
plus the warning lead from the sparse `open_clocks` index, so what it reads grows with the clocks
due, not with the records kept.

    python -m tests.bench.sla_sweep [--small 2000] [--large 20000] [--due 100]

Made through the services, once for both sizes (`make_common`): one client per manager, `--due`
records open around the sweep (inquiries received 06-03 to 06-09 with their reply and follow-up
clocks, complaints filed with their numbers and investigation and reply clocks), four templates
of each kind that is not due, and the sweep of 2026-06-09 22:30 Beijing (not counted: it warns or
escalates some of the due clocks, and takes the templates open since May up to HQ). The kinds not
due: answered or rejected in April–June (6 in 10: clocks stopped, out of the index), logged on the
day of the sweep (3 in 10: due after the warning lead) and open since May (1 in 10: escalated to
HQ, out of the index). Each size then starts from those items in fresh tables (`restore`), and
the templates' collections are copied under other contact ids and complaint numbers (the month's
counter moved on) until the service table holds N or 10×N records: the difference between the
sizes is records not due, each item as the services wrote it.

The job then runs as its schedule would (`crm.local.jobs.trigger`, the real handler) at
2026-06-10 22:30, counted (`tests.bench.counting`), and once more at the same time (it must
escalate nothing). Both sizes must escalate the same clocks to the same levels.

Target: items read at 10×N ≤ 1.2× those at N. Beside it, what a Scan of the service table (the
sweep without its index) would read.
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from crm import topology
from crm.data.complaints import counter_pk
from crm.data.service import complaint_pk, contact_pk
from crm.domain.access import Grant, Identity, Role, Scope
from crm.domain.client import Client
from crm.domain.complaints import Category, Channel, Status
from crm.domain.contacts import ContactChannel
from crm.domain.time import BEIJING, iso
from crm.local import jobs, provision, state
from crm.local.invoke import Invoker
from crm.services import clients, complaints, contacts
from tests.bench import moto_speedups, roster
from tests.bench.counting import ItemCounter, Tally
from tests.integration.harness import person_of

EARLIER = datetime(2026, 6, 9, 22, 30, tzinfo=BEIJING)  # the sweep before: not counted
SWEEP_AT = datetime(2026, 6, 10, 22, 30, tzinfo=BEIJING)
BRANCHES, MANAGERS_PER_BRANCH = 5, 4
TARGET = 1.2

HQ = Grant(Identity("hq-bench", Role.HQ, None), Scope.ALL)


@dataclass(frozen=True)
class Outcome:
    records: int  # contacts and complaints in the service table
    items: int  # items in the service table before the sweep
    tally: Tally
    examined: int
    escalated: int
    escalations: frozenset[tuple[str, str, str]]  # (owner, clock, level) the counted sweep wrote
    scan: int  # what a Scan of the service table reads


def _supervisor(branch: str) -> Grant:
    return Grant(Identity(f"sup-{branch}", Role.SUPERVISOR, branch), Scope.BRANCH)


def _managers() -> list[tuple[str, str]]:
    return [(f"B{b:02d}", f"mgr-{b:02d}-{m:02d}") for b in range(BRANCHES) for m in range(MANAGERS_PER_BRANCH)]


def _register() -> None:
    opened = datetime(2025, 1, 6, 9, tzinfo=BEIJING)
    roster.managers(_managers())
    for n, (branch, manager) in enumerate(_managers()):
        clients.register(
            HQ,
            Client(
                client_id=f"C{n:05d}",
                name="基准客户",
                id_number=person_of(f"C{n:05d}")["id_number"],  # a person of its own: five accounts at most
                phone=person_of(f"C{n:05d}")["phone"],
                branch_id=branch,
                manager_id=manager,
                opened_on=opened.date(),
                created_at=opened,
                created_by="hq-bench",
            ),
        )


class _Maker:
    """Inquiries and complaints through the services, numbered in the order they are made."""

    def __init__(self) -> None:
        self.made = 0
        self.managers = _managers()
        self.channels = [c for c in ContactChannel if c is not ContactChannel.EMAIL]
        self.categories = list(Category)

    def inquiry(self, received: datetime, *, email: bool, tag: str) -> tuple[str, str]:
        n, self.made = self.made, self.made + 1
        index = n % len(self.managers)
        branch, manager = self.managers[index]
        contact = contacts.log_inquiry(
            HQ,
            client_id=f"C{index:05d}",
            channel=ContactChannel.EMAIL if email else self.channels[n % len(self.channels)],
            subject="咨询",
            first_responder=manager,
            received_at=received,
            now=received,
            contact_id=f"c-{tag}-{n:06d}",
        )
        return contact.contact_id, branch

    def complaint(self, received: datetime) -> tuple[str, str]:
        n, self.made = self.made, self.made + 1
        index = n % len(self.managers)
        intake = complaints.Intake(
            client_id=f"C{index:05d}",
            channel=Channel.LETTER,
            category=self.categories[n % len(self.categories)],
            content="基准投诉",
            received_at=received,
            regulator_referral=False,
            referral_ref=None,
            about_staff=(),
        )
        filed = complaints.file(HQ, intake, now=received)
        return filed.complaint_no, filed.branch_id


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(8), tzinfo=BEIJING) + timedelta(minutes=minutes)


# The records that are not due, by kind: what each template is, and its share of the clones.
NOT_DUE = (
    ("done", 6),  # answered or rejected in April–June: clocks stopped, out of the index
    ("new", 3),  # logged on the day of the sweep: due after the warning lead
    ("old", 1),  # open since May: the sweeps since took it up to HQ, out of the index
)


@dataclass(frozen=True)
class Template:
    kind: str  # of NOT_DUE
    pk: str  # its collection in the service table
    owner: str  # the contact id or complaint number, in its items' keys and values


@dataclass(frozen=True)
class Common:
    """What both sizes share, made once through the services: the tables' items and the templates."""

    tables: dict[str, list[dict[str, Any]]]
    templates: list[Template]
    due: int
    made: int


def _backend() -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]]


def _not_due(maker: _Maker, kind: str, n: int, rng: random.Random) -> tuple[str, str]:
    """One record that is not due, through the services; its collection and its owner's id."""
    contact = n % 2 == 0
    if kind == "done":
        received = _at(date(2026, 4, 1) + timedelta(days=rng.randrange(70)), rng.randrange(10 * 60))
        if contact:
            contact_id, branch = maker.inquiry(received, email=n % 4 == 0, tag=kind)
            contacts.reply(_supervisor(branch), contact_id, "已答复", now=received + timedelta(hours=2))
            return contact_pk(contact_id), contact_id
        number, branch = maker.complaint(received)
        complaints.move(_supervisor(branch), number, Status.REJECTED, "无效", now=received + timedelta(hours=2))
        return complaint_pk(number), number
    if kind == "new":
        received = _at(SWEEP_AT.date(), rng.randrange(14 * 60))
    else:
        received = _at(date(2026, 5, 11) + timedelta(days=rng.randrange(14)), rng.randrange(10 * 60))
    if contact:
        contact_id, _ = maker.inquiry(received, email=kind == "old" or n % 4 == 0, tag=kind)
        return contact_pk(contact_id), contact_id
    number, _ = maker.complaint(received)
    return complaint_pk(number), number


def make_common(due: int, templates: int = 4) -> Common:
    """Through the services: the clients, `due` open records received 06-03 to 06-10 (the work
    due), `templates` records of each kind that is not due; then the sweep of 06-09 22:30."""
    rng = random.Random(20260610)
    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        provision.create_secrets(boto3.client("secretsmanager"), state.keys(None))
        _register()
        maker = _Maker()
        for n in range(due):  # open, received over the week before the sweep, at all hours
            received = _at(date(2026, 6, 3) + timedelta(days=n % 7), rng.randrange(14 * 60))
            if n % 2:
                maker.inquiry(received, email=n % 4 == 1, tag="due")
            else:
                maker.complaint(received)
        made = [Template(kind, *_not_due(maker, kind, n, rng)) for kind, _ in NOT_DUE for n in range(templates)]
        jobs.trigger(Invoker(), "sla-sweep", EARLIER.isoformat())
        tables = {
            name: [item.to_json()["Attributes"] for item in table.all_items()]
            for name, table in _backend().tables.items()
        }
    return Common(tables=tables, templates=made, due=due, made=maker.made)


def _renamed(value: Any, old: str, new: str) -> Any:
    """DynamoDB JSON with every string's `old` replaced by `new`."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _renamed(member, old, new) for key, member in value.items()}
    if isinstance(value, list):
        return [_renamed(member, old, new) for member in value]
    return value


def restore(common: Common, records: int) -> int:
    """The shared items into fresh tables, then copies of the templates under other ids until the
    service table holds `records` contacts and complaints. Returns the service table's items."""
    if records < common.made:
        raise ValueError(f"at least {common.made} records: {common.due} due and the templates")
    backend = _backend()
    for name, items in common.tables.items():
        for attributes in items:
            moto_speedups.put_raw(backend.get_table(name), attributes)
    service = backend.get_table(topology.SERVICE.local_name)
    collections: dict[str, list[dict[str, Any]]] = {}
    for attributes in common.tables[topology.SERVICE.local_name]:
        collections.setdefault(attributes["pk"]["S"], []).append(attributes)
    counters = {pk: items[0] for pk, items in collections.items() if pk.startswith("COUNTER#complaints#")}
    serials = {pk: int(item["serial"]["N"]) for pk, item in counters.items()}
    by_kind = {kind: [t for t in common.templates if t.kind == kind] for kind, _ in NOT_DUE}
    shares = [kind for kind, share in NOT_DUE for _ in range(share)]
    for n in range(records - common.made):
        kinds = by_kind[shares[n % len(shares)]]
        template = kinds[n // len(shares) % len(kinds)]
        if template.owner.startswith("TS-"):  # a complaint: the next number of its month
            month = template.owner.split("-")[1]
            counter = counter_pk(month)
            serials[counter] += 1
            owner = f"TS-{month}-{serials[counter]:04d}"
        else:
            owner = f"{template.owner}-{n:06d}"
        for attributes in collections[template.pk]:
            moto_speedups.put_raw(service, _renamed(attributes, template.owner, owner))
    for pk, item in counters.items():  # the next intake takes the next number
        moto_speedups.put_raw(service, item | {"serial": {"N": str(serials[pk])}})
    return _count(service)


def _count(table: Table) -> int:
    return sum(len(by_range) for by_range in table.items.values())


def _escalations_at(at: datetime) -> frozenset[tuple[str, str, str]]:
    """(owner, clock, level) of every escalation recorded at `at`."""
    service = _backend().get_table(topology.SERVICE.local_name)
    stamp = iso(at)
    return frozenset(
        (item.attrs["owner_id"].value, item.attrs["kind"].value, item.attrs["level"].value)
        for by_range in service.items.values()
        for item in by_range.values()
        if item.range_key is not None
        and item.range_key.value.startswith("ESCALATION#")
        and item.attrs["at"].value == stamp
    )


def measure(records: int, common: Common, counter: ItemCounter) -> Outcome:
    """A fresh moto with the shared items and copies up to `records`; the sweep of 06-10 22:30
    counted, then run again at the same time (it must escalate nothing)."""
    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        provision.create_secrets(boto3.client("secretsmanager"), state.keys(None))
        started = perf_counter()
        items = restore(common, records)
        print(f"  {records:,} records: {items:,} service items in {perf_counter() - started:.1f} s", flush=True)
        invoker = Invoker()
        with counter.measuring() as tally:
            result = jobs.trigger(invoker, "sla-sweep", SWEEP_AT.isoformat())["result"]
        escalations = _escalations_at(SWEEP_AT)
        again = jobs.trigger(invoker, "sla-sweep", SWEEP_AT.isoformat())["result"]
        if again["escalated"]:
            raise AssertionError(f"a second sweep at the same time escalated {again['escalated']}")
        print(
            f"  {records:,} records: examined {result['examined']}, escalated {result['escalated']}; "
            f"{tally.items_read:,} items read, {tally.items_written:,} written",
            flush=True,
        )
        return Outcome(
            records=records,
            items=items,
            tally=tally,
            examined=result["examined"],
            escalated=result["escalated"],
            escalations=escalations,
            scan=items,
        )


def compare(small: Outcome, large: Outcome) -> dict[str, bool]:
    """The checks beside the ratio: the same work done at both sizes, some of it, no failure."""
    return {
        "same escalations": small.escalations == large.escalations and small.escalated == large.escalated,
        "something escalated": small.escalated > 0,
        "no failure": small.tally.failed + large.tally.failed == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2_000, help="contacts and complaints at N")
    parser.add_argument("--large", type=int, default=20_000, help="contacts and complaints at 10×N")
    parser.add_argument("--due", type=int, default=100, help="of them open and due (the same at both sizes)")
    args = parser.parse_args(argv)
    counter = ItemCounter()
    print(f"SLA sweep at {SWEEP_AT.isoformat()}, {args.due} records due", flush=True)
    with moto_speedups.installed(), counter.installed():
        started = perf_counter()
        common = make_common(args.due)
        print(f"  made {common.made} records through the services in {perf_counter() - started:.1f} s", flush=True)
        small = measure(args.small, common, counter)
        large = measure(args.large, common, counter)
    growth = large.tally.items_read / small.tally.items_read
    print()
    print(f"  {'':<34}{args.small:>12,}{args.large:>12,} records")
    print(f"  {'service table items':<34}{small.items:>12,}{large.items:>12,}")
    print(f"  {'clocks examined':<34}{small.examined:>12,}{large.examined:>12,}")
    print(f"  {'clocks escalated':<34}{small.escalated:>12,}{large.escalated:>12,}")
    print(f"  {'items read':<34}{small.tally.items_read:>12,}{large.tally.items_read:>12,}")
    print(f"  {'items written':<34}{small.tally.items_written:>12,}{large.tally.items_written:>12,}")
    print(f"  {'requests':<34}{sum(small.tally.requests.values()):>12,}{sum(large.tally.requests.values()):>12,}")
    print(f"  {'a Scan of the service table reads':<34}{'':>12}{large.scan:>12,}")
    print(f"  items read, 10×N ÷ N: {growth:.2f}× (target ≤ {TARGET}×)")
    checks = {"growth": growth <= TARGET, **compare(small, large)}
    for check, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
