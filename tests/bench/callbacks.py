"""Items the daily `callbacks` job reads and writes, at 10,000 and 100,000 clients with the same
work due (issue 9): the job reads the schedule entries whose day has come, so what it reads grows
with the tasks it creates, not with the clients. Beside it, what a job that found its work by
scanning the clients table would read (the Scan alone, before it decided anything).

    python -m tests.bench.callbacks [--small 10000] [--large 100000] [--due 400]

Targets: items read at the large size ≤ 1.2× those at the small; the scan ≥ 20× the job's items
read at the large size. Counted with `tests.bench.counting` (DynamoDB items and requests, never
moto's seconds). The data are written through the data layer's own models (the entries exactly
as the schedule consumer writes them) straight into moto's backend; the year's sample is already
drawn (the one run a year that reads every client record is not the daily figure).
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from time import perf_counter

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from crm import rules, topology
from crm.data.callbacks import entry_item
from crm.data.clients.items import profile_item
from crm.data.samples import RECORD, _SampleItem
from crm.domain.callbacks import (
    ScheduleEntry,
    care_entry,
    new_account_entry,
    periodic_entry,
    post_complaint_entry,
    scheduled_periodic,
)
from crm.domain.client import Client
from crm.domain.time import BEIJING
from crm.local import provision
from crm.services.callback_generation import run
from crm.services.callback_schedule import view_of
from tests.bench import moto_speedups
from tests.bench.counting import ItemCounter, Tally

RUN_AT = datetime(2026, 6, 15, 6, 0, tzinfo=BEIJING)
RUN_DAY = RUN_AT.date()
CLASSES = ("A+", "B", "D", "C-", "E", "F")
TARGET_GROWTH = 1.2
TARGET_RATIO = 20


@dataclass(frozen=True)
class Outcome:
    clients: int
    items: int  # in the tables before the run
    tally: Tally
    created: int
    scan: Tally | None


def _backend() -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]]


def _client(n: int, rng: random.Random, *, opened_on: date, birthday_due: bool, periodic_due: bool) -> Client:
    birthday = date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
    if birthday_due:  # created by this run: three days to go
        birthday = birthday.replace(month=RUN_DAY.month, day=RUN_DAY.day + 3)
    elif birthday.month == RUN_DAY.month:
        birthday = birthday.replace(month=1 + RUN_DAY.month % 12)  # out of this run's reach
    client_class = "A" if periodic_due else CLASSES[n % len(CLASSES)]
    return Client(
        client_id=f"C{n:07d}",
        name="基准客户",
        id_number="110101199003074514",
        phone="13800138000",
        branch_id=f"B{n % 50:02d}",
        manager_id=f"mgr-{n % 1000:03d}",
        opened_on=opened_on,
        created_at=datetime.combine(opened_on, time(9), tzinfo=BEIJING),
        created_by="bench",
        birthday=birthday,
        client_class=client_class,
        vip=client_class in ("A+", "B") or birthday_due,
        first_classified_at=datetime(2020, 1, 1, 10, tzinfo=BEIJING) + timedelta(days=rng.randrange(2300)),
        changed_at=datetime(2026, 6, 1, 10, tzinfo=BEIJING),
    )


def _entries(client: Client, *, periodic_due: bool, new: bool) -> list[ScheduleEntry]:
    """What the schedule consumer keeps for the client. `periodic_due`: the period ends within the
    lead time; otherwise it is moved past this run's reach if it happens to fall in it."""
    callback_rules = rules.callbacks()
    view = view_of(client)
    entries = [entry for entry in (care_entry(None, view, callback_rules),) if entry is not None]
    periodic = periodic_entry(None, view, callback_rules)
    if periodic is not None:
        if periodic_due:
            periodic = scheduled_periodic(replace(periodic, anchor_on=RUN_DAY - timedelta(days=85)), callback_rules)
        elif periodic.create_on is not None and periodic.create_on <= RUN_DAY:
            periodic = scheduled_periodic(replace(periodic, anchor_on=RUN_DAY), callback_rules)
        entries.append(periodic)
    if new:
        account = new_account_entry(view, client.opened_on, callback_rules)
        if account is not None:
            entries.append(account)
    return entries


def seed(clients: int, due: int) -> int:
    """`clients` client records with their schedule; `due` of them have a periodic call coming up,
    and `due // 4` each were opened this month, had a complaint replied yesterday, or have their
    birthday in three days: the same work at every size."""
    rng = random.Random(20260615)
    backend = _backend()
    table_clients = backend.get_table(topology.CLIENTS.local_name)
    table_callbacks = backend.get_table(topology.CALLBACKS.local_name)
    spread = max(4, clients // due)
    written = 0
    for n in range(clients):
        slot, position = divmod(n, spread)
        chosen = slot < due
        new = chosen and position == 1 and slot % 4 == 0
        opened = RUN_DAY - timedelta(days=5) if new else date(2015, 1, 1) + timedelta(days=n % 3000)
        periodic_due = chosen and position == 0
        client = _client(
            n,
            rng,
            opened_on=opened,
            birthday_due=chosen and position == 3 and slot % 4 == 0,
            periodic_due=periodic_due,
        )
        moto_speedups.put_raw(table_clients, {**profile_item(client).serialize(), "version": {"N": "2"}})
        written += 1
        entries = _entries(client, periodic_due=periodic_due, new=new)
        if chosen and position == 2 and slot % 4 == 0:
            entries.append(
                post_complaint_entry(
                    f"TS-2606-{n:07d}",
                    client_id=client.client_id,
                    branch_id=client.branch_id,
                    manager_id=client.manager_id,
                    replied_at=RUN_AT - timedelta(hours=16),
                    about_staff=(),
                )
            )
        for entry in entries:
            item = entry_item(replace(entry, version=None))
            item.version = 1
            moto_speedups.put_raw(table_callbacks, item.serialize())
            written += 1
    done = _SampleItem(pk="SAMPLE#2026", sk=RECORD, year=2026, status="drawn", seed="0" * 32)
    done.drawn_count, done.tasks_created = 0, 0
    moto_speedups.put_raw(table_callbacks, done.serialize())
    return written + 1


def scan_clients(counter: ItemCounter) -> Tally:
    """What a job that found its work by scanning the clients table reads, before deciding."""
    dynamodb = boto3.client("dynamodb")
    with counter.measuring() as tally:
        start = None
        while True:
            kwargs = {"TableName": topology.CLIENTS.local_name}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = dynamodb.scan(**kwargs)
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return tally


def measure(clients: int, due: int, counter: ItemCounter, *, with_scan: bool) -> Outcome:
    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        started = perf_counter()
        items = seed(clients, due)
        print(f"  {clients:,} clients: seeded {items:,} items in {perf_counter() - started:.1f} s", flush=True)
        with counter.measuring() as tally:
            report = run(RUN_AT, seconds_left=lambda: 900.0)
        created = sum(report.created.values())
        print(f"  {clients:,} clients: created {report.created}; {tally.items_read:,} items read", flush=True)
        again = run(RUN_AT, seconds_left=lambda: 900.0)
        if again.created:
            raise AssertionError(f"a second run created {again.created}")
        scan = scan_clients(counter) if with_scan else None
        return Outcome(clients, items, tally, created, scan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=400, help="periodic calls coming up (the same at both sizes)")
    args = parser.parse_args(argv)
    counter = ItemCounter()
    with moto_speedups.installed(), counter.installed():
        small = measure(args.small, args.due, counter, with_scan=False)
        large = measure(args.large, args.due, counter, with_scan=True)
    assert large.scan is not None
    growth = large.tally.items_read / small.tally.items_read
    ratio = large.scan.items_read / large.tally.items_read
    print()
    print(f"Callbacks job, {args.due} periodic calls due (and new accounts, complaints, birthdays)")
    print(f"  {'':<34}{args.small:>12,}{args.large:>12,} clients")
    print(f"  {'tasks created':<34}{small.created:>12,}{large.created:>12,}")
    print(f"  {'items read':<34}{small.tally.items_read:>12,}{large.tally.items_read:>12,}")
    print(f"  {'items written':<34}{small.tally.items_written:>12,}{large.tally.items_written:>12,}")
    print(f"  {'requests':<34}{sum(small.tally.requests.values()):>12,}{sum(large.tally.requests.values()):>12,}")
    print(f"  {'a scan of the clients table reads':<34}{'':>12}{large.scan.items_read:>12,}")
    print(f"  items read, {args.large:,} ÷ {args.small:,} clients: {growth:.2f}× (target ≤ {TARGET_GROWTH}×)")
    print(f"  scan ÷ job at {args.large:,} clients: {ratio:.1f}× fewer items (target ≥ {TARGET_RATIO}×)")
    checks = {
        "growth": growth <= TARGET_GROWTH,
        "ratio": ratio >= TARGET_RATIO,
        "same tasks": small.created == large.created,
        "no failure": small.tally.failed + large.tally.failed == 0,
    }
    for check, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
