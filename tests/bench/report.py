"""Items the `quarterly-report` job reads, and its peak memory, for a quarter with N and with 10×N
contacts, complaints and callbacks over 50 branches × 20 managers (issue 11): the job reads the
counters the streams keep, so what it reads grows with the branches and managers, not with the
records; and it writes the 51 workbooks (the company's, each branch's) in constant memory.

    python -m tests.bench.report [--small 400] [--large 4000]

`--small`/`--large`: contacts, complaints and callbacks of each kind in the quarter (so N = 1,200 and
10×N = 12,000 records by default; from 400 of each every manager has records, so that the sizes
differ in records only, not in who has figures). The records are made by the services (contacts logged,
complaints filed with their numbers and clocks) and the data layer (callback tasks, half done with
a score), their stream records delivered to the real `aggregates` handler; then the job runs in a
process of its own against moto's server (running in this process), so that its peak RSS is the
job's alone and every DynamoDB request it makes is counted here (`tests.bench.counting`).

Targets: items read at 10×N ≤ 1.2× those at N; the job's peak RSS at 10×N ≤ 1.2× that at N. Beside
them, what reading the records themselves would take (a Scan of the service and callbacks tables).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parents[2]
BRANCHES, MANAGERS_PER_BRANCH = 50, 20
RUN_AT = "2026-07-01T01:00:00+08:00"
TARGET = 1.2


@dataclass(frozen=True)
class Outcome:
    per_kind: int
    records: int
    items_read: int
    requests: int
    peak_rss_mb: float
    files: int
    scan_items: int


def _environment(endpoint: str) -> dict[str, str]:
    """The job's process as Lambda starts it: its function's variables (`CRM_FUNCTION`, its tables'
    local names), every service at the counted server."""
    from crm.local.jobs import find_job
    from crm.local.system import handler_environment

    _, function = find_job("quarterly-report")
    return handler_environment(endpoint) | function.local_environment | {"AWS_ENDPOINT_URL": endpoint}


def seed(per_kind: int, branches: int = BRANCHES, managers_per_branch: int = MANAGERS_PER_BRANCH) -> int:
    """One client per manager, then `per_kind` inquiries, complaints and callbacks spread over them
    in Q2 2026. Returns how many records were made."""
    from crm.data import callbacks as callback_data
    from crm.domain.access import Grant, Identity, Role, Scope
    from crm.domain.attitude import Attitude
    from crm.domain.callbacks import CallbackTask, Kind, TaskStatus
    from crm.domain.client import Client
    from crm.domain.complaints import Category, Channel
    from crm.domain.contacts import ContactChannel
    from crm.domain.time import BEIJING
    from crm.services import clients, complaints, contacts
    from tests.bench import roster
    from tests.integration.harness import person_of

    grant = Grant(Identity("hq-bench", Role.HQ, None), Scope.ALL)
    start = datetime(2026, 4, 1, 9, tzinfo=BEIJING)
    managers = [(f"B{b:02d}", f"mgr-{b:02d}-{m:02d}") for b in range(branches) for m in range(managers_per_branch)]
    roster.managers(managers)
    for n, (branch, manager) in enumerate(managers):
        client = Client(
            client_id=f"C{n:05d}",
            name="基准客户",
            id_number=person_of(f"C{n:05d}")["id_number"],  # a person of its own: five accounts at most
            phone=person_of(f"C{n:05d}")["phone"],
            branch_id=branch,
            manager_id=manager,
            opened_on=start.date(),
            created_at=start,
            created_by="hq-bench",
        )
        clients.register(grant, client)
    channels, categories = list(ContactChannel), list(Category)

    def of(n: int, kind: int) -> tuple[str, str, str]:
        """The client (and its branch and manager) of the n-th record of a kind: the kinds start a
        third of the managers apart, so that at 400 of each every manager has a record."""
        index = (n + kind * len(managers) // 3) % len(managers)
        return f"C{index:05d}", *managers[index]

    for n in range(per_kind):
        at = start + timedelta(minutes=127 * n % (90 * 24 * 60))
        client_id, _, manager = of(n, 0)
        contacts.log_inquiry(
            grant,
            client_id=client_id,
            channel=channels[n % len(channels)],
            subject="咨询",
            first_responder=manager,
            received_at=at,
            now=at,
            contact_id=f"c-{n:06d}",
        )
        client_id, _, _ = of(n, 1)
        intake = complaints.Intake(
            client_id=client_id,
            channel=Channel.PHONE,
            category=categories[n % len(categories)],
            content="基准投诉",
            received_at=at,
            regulator_referral=n % 10 == 0,
            referral_ref=None,
            about_staff=(),
        )
        complaints.file(grant, intake, now=at)
        client_id, branch, manager = of(n, 2)
        done = n % 2 == 0
        task = CallbackTask(
            callback_id=f"PD-{client_id}-{n:06d}",
            kind=Kind.PERIODIC,
            client_id=client_id,
            branch_id=branch,
            manager_id=manager,
            owner=manager,
            due_at=at + timedelta(days=3),
            status=TaskStatus.DONE if done else TaskStatus.OPEN,
            source=None,
            rules_version="bench",
            created_at=at,
            finished_at=at + timedelta(days=1) if done else None,
            attitude=Attitude.SATISFIED if done else None,
            score=1 + n % 10 if done else None,
        )
        callback_data.task_item(task).save()
    return len(managers) + 3 * per_kind


def deliver_streams() -> int:
    """Every stream record of the tables the `aggregates` consumer reads, to its real handler, in
    batches of 100 as Lambda would bring them; returns how many."""
    import boto3

    from crm import topology
    from crm.local.invoke import LambdaContext
    from functions.aggregates.handler import lambda_handler

    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    context = LambdaContext("aggregates", memory_limit_in_mb=512, timeout_s=300)
    delivered = 0
    for source in topology.function("aggregates").streams:
        arn = dynamodb.describe_table(TableName=source.table.local_name)["Table"]["LatestStreamArn"]
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator, Limit=100)
                if not page["Records"]:
                    break
                batch = [json.loads(json.dumps(r, default=str)) | {"eventSourceARN": arn} for r in page["Records"]]
                failures = lambda_handler({"Records": batch}, context)["batchItemFailures"]
                if failures:
                    raise AssertionError(f"the aggregates consumer failed {len(failures)} records")
                delivered += len(batch)
                iterator = page.get("NextShardIterator")
    return delivered


def scan_items() -> int:
    """What a report read from the records would read: every item of the service and callbacks
    tables (a Scan's ScannedCount), before it counted anything."""
    import boto3

    from crm import topology

    dynamodb = boto3.client("dynamodb")
    scanned = 0
    for table in (topology.SERVICE, topology.CALLBACKS):
        for page in dynamodb.get_paginator("scan").paginate(TableName=table.local_name, Select="COUNT"):
            scanned += page["ScannedCount"]
    return scanned


# The job alone, in a process of its own (outside the `tests` package, whose import keeps every
# process away from any AWS endpoint): its real handler, given the event its schedule sends; its
# result and peak RSS as JSON.
JOB = """
import json, sys
from crm.domain.time import parse_iso
from crm.local.invoke import LambdaContext
from crm.local.jobs import find_job, scheduled_event
schedule, function = find_job("quarterly-report")
from functions.quarterly_report.handler import lambda_handler
context = LambdaContext(function.name, memory_limit_in_mb=function.memory_mb, timeout_s=function.timeout_s)
report = lambda_handler(scheduled_event(schedule, parse_iso(sys.argv[1])), context)
# VmHWM: this program's own peak (ru_maxrss would carry the forking parent's over the exec)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
peak_kb = int(status["VmHWM"].split()[0])
print(json.dumps({"status": report["status"], "files": report["files"], "peak_rss_kb": peak_kb}))
"""


def measure(
    per_kind: int, endpoint: str, *, branches: int = BRANCHES, managers_per_branch: int = MANAGERS_PER_BRANCH
) -> Outcome:
    """Seed and count in-process (moto's backends, which the server in this process answers from),
    then run the job in its own process against the server (`serving()`)."""
    import boto3
    from moto import mock_aws

    from crm.local import provision, state
    from tests.bench.counting import ItemCounter

    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        provision.create_secrets(boto3.client("secretsmanager"), state.keys(None))
        provision.create_buckets(boto3.client("s3"))
        started = perf_counter()
        records = seed(per_kind, branches, managers_per_branch)
        seeded = perf_counter()
        delivered = deliver_streams()
        print(f"  N={per_kind:,} of each kind: {records:,} records in {seeded - started:.0f} s, {delivered:,} "
              f"stream records counted in {perf_counter() - seeded:.0f} s", flush=True)  # fmt: skip
        counter = ItemCounter()
        with counter.installed(), counter.measuring() as tally:
            child = subprocess.run(
                [sys.executable, "-c", JOB, RUN_AT],
                env=os.environ | _environment(endpoint),
                cwd=ROOT,  # where `functions` is found
                capture_output=True,
                text=True,
                check=False,
            )
        if child.returncode != 0:
            raise RuntimeError(f"the job failed:\n{child.stderr}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
        if result["status"] != "published":
            raise AssertionError(f"the job did not publish: {result}")
        return Outcome(
            per_kind=per_kind,
            records=records,
            items_read=tally.items_read,
            requests=sum(tally.requests.values()),
            peak_rss_mb=result["peak_rss_kb"] / 1024,
            files=result["files"],
            scan_items=scan_items(),
        )


@contextmanager
def serving() -> Iterator[str]:
    """moto's server in this process (quiet), for the processes it runs (a job, a function): yields its endpoint."""
    import logging
    import warnings

    from moto.server import ThreadedMotoServer

    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", type=int, default=400, help="records of each kind at N")
    parser.add_argument("--large", type=int, default=4000, help="records of each kind at 10×N")
    args = parser.parse_args(argv)

    from tests.bench import moto_speedups

    print(f"quarterly report, {BRANCHES} branches × {MANAGERS_PER_BRANCH} managers", flush=True)
    with serving() as endpoint, moto_speedups.installed():
        small, large = (measure(size, endpoint) for size in (args.small, args.large))
    for outcome in (small, large):
        print(
            f"  N={outcome.per_kind:>6,}: {outcome.items_read:>6,} items read in {outcome.requests:,} requests, "
            f"peak RSS {outcome.peak_rss_mb:.0f} MB, {outcome.files} files; a Scan of the records "
            f"would read {outcome.scan_items:,}"
        )
    items_ratio = large.items_read / small.items_read
    rss_ratio = large.peak_rss_mb / small.peak_rss_mb
    print(f"  items read 10×N ÷ N = {items_ratio:.2f}× (target ≤ {TARGET}×)")
    print(f"  peak RSS 10×N ÷ N = {rss_ratio:.2f}× (target ≤ {TARGET}×)")
    print(f"  a Scan of the records ÷ the job at 10×N = {large.scan_items / large.items_read:.1f}×")
    return 0 if items_ratio <= TARGET and rss_ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
