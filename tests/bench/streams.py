"""P6 stream throughput (issue 13): each stream consumer of the topology, on the records that
reach it, counted in DynamoDB requests and items per record, and timed on its logic alone.

    python -m tests.bench --only P6 [--smoke]      # 160 records a consumer (smoke: 4), ~1.5 min

For every function with `streams` in `crm.topology` there is one scenario here: its source
records written through the real services and data layer (what the API or a job writes) on
in-process moto with `moto_speedups`, then the consumer's stream records delivered to its real
handler by `crm.local.pump.StreamPump` (Lambda-shaped batches of the mapping's `batch_size`, its
event filters, partial failures, retries, bisection; each invocation run by
`crm.local.invoke.Invoker` with the function's declared settings), counted by
`tests.bench.counting.ItemCounter`, and checked afterwards (the classes, breaches, entries,
messages the records are for are there). Figures per consumer:

- DynamoDB requests, items read and items written per record (for `deadlines`, per deadline
  recomputed: one calendar record recomputes every provisional deadline of its year): counts,
  never seconds, each against the limit its design implies (at each scenario below); for
  `reclassify` the issue's target, at most 3 requests per metrics record. Items read are the
  items returned or evaluated (`counting.py`): a GetItem that finds nothing reads none;
- records per second on moto (the invocations' wall time, not the stream reads): informative
  only, moto's speed is not DynamoDB's (limit 0);
- records per second through the consumer's logic alone, against a baseline measured in the same
  run on the same records: decoding them. Every handler gets each record as JSON and has to turn
  its images into Python values before it can decide anything, so `json.loads` of the record and
  `TypeDeserializer` of its images is the least any consumer does per record. The logic figure
  runs the same `json.loads`, then what the handler does without I/O: its parsing of the images
  (as the handler parses them) and the domain decisions it takes, with the state it would have
  read given beforehand, parsed. The ratio logic ÷ decode (records/s) must be at least 0.1: the
  logic costs at most ten decodes of its record, a fraction of a millisecond, against the
  milliseconds each of the record's DynamoDB requests takes in AWS. CPU time of the thread, best
  of several interleaved repetitions each (the spread: how far the repetitions' ratios lay
  apart).

Each scenario starts from empty tables (`tests.integration.harness.empty_backends`); what its
records find (clients, their earlier figures, schedule entries) is made first and delivered to
the consumers that keep it, uncounted, and the measured pumps start after it (`from_latest`):
only the scenario's own records are delivered and counted. Two more speed-ups for the harness,
neither changing a request or an answer: every PynamoDB connection on one botocore session
(each loads the endpoint rules and the DynamoDB model again otherwise), and GetRecords answered
as plain JSON (moto's serializer takes a third of a second for 50 records; compared with moto's
own encoding before the first delivery).
"""

from __future__ import annotations

import calendar
import json
import statistics
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from time import perf_counter, thread_time
from typing import Any
from unittest import mock

import botocore.session
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from crm import observability, rules, topology
from crm.data import callbacks as callback_data
from crm.data import clocks as clock_data
from crm.data.audit import as_json_line
from crm.data.clients import records as client_records
from crm.data.clients import yearly_sums
from crm.data.clients.items import client_from_image
from crm.data.complaints import complaint_from_image
from crm.domain.access import Grant, Identity, Role, Scope
from crm.domain.aggregates import state_change
from crm.domain.audit import entry_for
from crm.domain.callbacks import (
    Kind,
    ScheduleEntry,
    care_entry,
    new_account_entry,
    periodic_entry,
    post_complaint_entry,
)
from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.client import Client
from crm.domain.complaints import Category, Channel, Status
from crm.domain.contacts import ContactChannel
from crm.domain.messages import MessageRecord, MessageStatus, compose
from crm.domain.pii import mask_phone
from crm.domain.reclassification import reclassify
from crm.domain.sla import recomputed
from crm.domain.time import BEIJING, beijing, from_epoch_ms, parse_iso
from crm.local import provision
from crm.local.invoke import Invoker
from crm.local.pump import StreamPump
from crm.services import aggregates as aggregates_service
from crm.services import calendar as calendar_service
from crm.services import callback_schedule as schedule_service
from crm.services import client_metrics as metrics_service
from crm.services import clients as client_service
from crm.services import complaints as complaint_service
from crm.services import contacts as contact_service
from crm.services import messages as message_service
from crm.services import sla as sla_service
from crm.services.reclassification import initial_threshold
from tests.bench import moto_speedups, roster
from tests.bench.counting import ItemCounter, Tally
from tests.bench.results import Figure
from tests.integration.harness import CLASS_FIGURES, empty_backends, person_of, provisioned_clients, stream_arn

SECTION = "P6 streams"
RECLASSIFY_TARGET = 3  # DynamoDB requests per metrics record (issue 13)
LOGIC_LIMIT = 0.1  # logic ÷ decode, in records/s: the logic costs at most ten decodes

HQ = Grant(Identity("hq-bench", Role.HQ, None), Scope.ALL)
SUPERVISOR = Grant(Identity("sup-bench", Role.SUPERVISOR, "B00"), Scope.ALL)
_deserialize = TypeDeserializer().deserialize


# --- the machinery: a world on moto, pumps, a timed invoker ----------------------------------


class QuietInvoker(Invoker):
    """Powertools' metrics are off here, so no invocation flushes them: they would pile up across
    thousands of invocations and be printed a hundred values at a time. Cleared after each."""

    def invoke(self, function: topology.Function, event: dict[str, Any]) -> Any:
        try:
            return super().invoke(function, event)
        finally:
            observability.metrics.clear_metrics()


class TimedInvoker(QuietInvoker):
    """An invoker that adds up the wall time of its invocations and keeps the records it got."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self.records: list[dict[str, Any]] = []

    def invoke(self, function: topology.Function, event: dict[str, Any]) -> Any:
        self.records += [json.loads(json.dumps(record)) for record in event["Records"]]
        started = perf_counter()
        try:
            return super().invoke(function, event)
        finally:
            self.seconds += perf_counter() - started


@dataclass
class World:
    """moto's resources for every scenario, made once; each scenario empties them first."""

    aws: dict[str, Any]
    queues: dict[str, str]
    counter: ItemCounter
    warm: Invoker = field(default_factory=QuietInvoker)
    checked: bool = False  # the fast stream reads, against moto's own

    def pumps(self, function: topology.Function, invoker: Invoker, *, from_latest: bool) -> list[StreamPump]:
        return [
            StreamPump(
                function,
                source,
                streams=self.aws["dynamodbstreams"],
                sqs=self.aws["sqs"],
                stream_arn=stream_arn(self.aws["dynamodb"], source.table),
                failure_queue_url=self.queues[function.name],
                invoker=invoker,
                from_latest=from_latest,
            )
            for source in function.streams
        ]

    def deliver(self, *names: str) -> None:
        """Every pending record of the named consumers' streams delivered to them, uncounted (what
        the scenario's records find was kept by them), round after round until quiet."""
        pumps = [pump for name in names for pump in self.pumps(topology.function(name), self.warm, from_latest=False)]
        for _ in range(20):
            busy = False
            for pump in pumps:
                while pump.poll_once():
                    busy = True
            if not busy:
                failed = [pump.name for pump in pumps if pump.stats.dead_lettered]
                if failed:
                    raise AssertionError(f"warm-up records dead-lettered: {failed}")
                return
        raise AssertionError(f"the streams of {names} did not settle")


@dataclass(frozen=True)
class Limits:
    requests: float
    read: float
    written: float


@dataclass
class Scenario:
    """One consumer: what its records find, the records, its pure part, the limits of its design."""

    function: str
    records: str  # what the records are, in words
    prepare: Callable[[World, int], Any]  # uncounted; returns what `logic` needs to know
    write: Callable[[World, int, Any], None]  # the scenario's source records
    logic: Callable[[Any], Callable[[dict[str, Any]], Any]]  # given the prepared state
    limits: Limits
    per: str = "record"
    units: Callable[[World, Any, list[dict[str, Any]]], int] | None = None  # what a figure is per
    timed: Callable[[Any, list[dict[str, Any]]], list[dict[str, Any]]] | None = None  # logic's input
    verify: Callable[[World, Any, int], None] | None = None  # the records did what they are for


@dataclass
class Measured:
    scenario: Scenario
    records: list[dict[str, Any]]
    units: int
    tally: Tally
    seconds: float
    logic_rate: float
    decode_rate: float
    ratios: list[float]
    stats: dict[str, Any]


def scan(world: World, table: topology.Table) -> list[dict[str, Any]]:
    """Every item of a table (uncounted: outside `measuring`), to check what the records did."""
    pages = world.aws["dynamodb"].get_paginator("scan").paginate(TableName=table.local_name, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


# --- shared writes -----------------------------------------------------------------------------

OPENED = datetime(2025, 3, 3, 10, tzinfo=BEIJING)


def client_record(n: int, *, prefix: str = "C", at: datetime = OPENED, birthday: date | None = None) -> Client:
    client_id = f"{prefix}{n:05d}"
    return Client(
        client_id=client_id,
        name="基准客户",
        id_number=person_of(client_id)["id_number"],  # a person of its own: one holds five accounts at most
        phone=person_of(client_id)["phone"],
        email="bench@example.com",
        birthday=birthday or date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
        branch_id=f"B{n % 10:02d}",
        manager_id=f"mgr-{n % 50:03d}",
        opened_on=at.date(),
        created_at=at,
        created_by="bench",
    )


def register(n: int, *, prefix: str = "C", at: datetime = OPENED) -> list[Client]:
    roster.managers((f"B{m % 10:02d}", f"mgr-{m:03d}") for m in range(min(n, 50)))  # as client_record names them
    return [client_service.register(HQ, client_record(i, prefix=prefix, at=at)) for i in range(n)]


# --- reclassify ----------------------------------------------------------------------------------

# 2024 → 2025 by client: same class (the basis alone moves), another class, another class and VIP
# status, and assets falling by more than the at-risk share (VIP lost, at risk of leaving).
MOVES = (("C", "C"), ("D", "C"), ("D", "A"), ("A", "E"))
METRICS_AT = datetime(2026, 3, 2, 9, tzinfo=BEIJING)


def _metrics(n: int, year: int, client_class: str) -> YearMetrics:
    assets, avg_assets, volume = CLASS_FIGURES[client_class]
    return YearMetrics(
        year=year,
        assets=Decimal(assets + 7 * n + year % 10),
        avg_assets=Decimal(avg_assets + 3 * n),
        trade_volume=Decimal(volume + 11 * n),
    )


@dataclass(frozen=True)
class ReclassifyState:
    clients: dict[str, Client]
    previous: dict[str, YearMetrics]


def reclassify_prepare(world: World, n: int) -> ReclassifyState:
    """N clients with their 2024 figures, classified from them."""
    clients = register(n)
    for i, client in enumerate(clients):
        metrics = _metrics(i, 2024, MOVES[i % len(MOVES)][0])
        metrics_service.put_metrics(HQ, client.client_id, metrics, now=METRICS_AT - timedelta(days=365))
    world.deliver("reclassify")
    state = ReclassifyState({}, {})
    for i, client in enumerate(clients):
        found = client_records.get(client.client_id, consistent=True)
        if found is None or found.client_class != MOVES[i % len(MOVES)][0]:
            raise AssertionError(f"not classified from its 2024 figures: {found}")
        state.clients[client.client_id] = found
        state.previous[client.client_id] = _metrics(i, 2024, MOVES[i % len(MOVES)][0])
    return state


def reclassify_write(world: World, n: int, state: ReclassifyState) -> None:
    """Each client's 2025 figures, as `PUT /clients/{id}/metrics/2025` writes them."""
    for i, client_id in enumerate(state.clients):
        metrics = _metrics(i, 2025, MOVES[i % len(MOVES)][1])
        metrics_service.put_metrics(HQ, client_id, metrics, now=METRICS_AT + timedelta(seconds=i))


def reclassify_verify(world: World, state: ReclassifyState, n: int) -> None:
    """Every client in its 2025 class, at risk of leaving where its assets fell, and the 2025 sums
    count every client once."""
    for i, client_id in enumerate(state.clients):
        found = client_records.get(client_id, consistent=True)
        fell = 2025 if MOVES[i % len(MOVES)] == ("A", "E") else None
        if found is None or (found.client_class, found.assets_fell_in) != (MOVES[i % len(MOVES)][1], fell):
            raise AssertionError(f"{client_id} not reclassified from its 2025 figures: {found}")
    (sums,) = yearly_sums.year_figures([2025])
    if sums.clients != len(state.clients):
        raise AssertionError(f"the 2025 sums count {sums.clients} clients, not {len(state.clients)}")


def reclassify_logic(state: ReclassifyState) -> Callable[[dict[str, Any]], Any]:
    """The record's image decoded (as the handler's Powertools record does, for its time) and its
    figures decided by `crm.domain.reclassification.reclassify` for the client's record against
    the year before (given parsed: parsing the record's item with PynamoDB, which the handler
    also does after its query, costs ~0.2 ms alone, about twice a decode of that item)."""
    threshold = initial_threshold()
    classification, vip, callbacks = rules.classification(), rules.vip(), rules.callbacks()

    def logic(record: dict[str, Any]) -> Any:
        change = DynamoDBRecord(record).dynamodb
        image = change.new_image if change is not None else None
        if change is None or not image:
            raise ValueError("a metrics record without its image")
        client_id = str(image["client_id"])
        client = state.clients[client_id]
        metrics = YearMetrics(
            year=int(image["year"]),
            assets=image["assets"],
            avg_assets=image["avg_assets"],
            trade_volume=image["trade_volume"],
        )
        return parse_iso(str(image["updated_at"])), reclassify(
            client,
            metrics,
            threshold,
            classification,
            vip,
            cause=ClassCause.METRICS,
            at=METRICS_AT,
            change_id=str(change.sequence_number),
            previous=state.previous[client_id],
            asset_drop=callbacks.at_risk_asset_drop,
        )

    return logic


# --- audit -----------------------------------------------------------------------------------------

SERVICE_AT = datetime(2026, 5, 11, 10, tzinfo=BEIJING)  # a Monday morning: working hours


def log_emails(n: int, clients: list[Client], *, at: datetime, prefix: str = "e") -> list[str]:
    """`n` e-mail inquiries (each starts its reply clock), spread over `clients`."""
    contacts = []
    for i in range(n):
        client = clients[i % len(clients)]
        received = at + timedelta(minutes=i % 240)
        contact = contact_service.log_inquiry(
            SUPERVISOR,
            client_id=client.client_id,
            channel=ContactChannel.EMAIL,
            subject="对账单",
            first_responder=client.manager_id,
            received_at=received,
            now=received,
            contact_id=f"{prefix}-{i:06d}",
        )
        contacts.append(contact.contact_id)
    return contacts


def file_complaints(n: int, clients: list[Client], *, at: datetime) -> list[str]:
    numbers = []
    for i in range(n):
        client = clients[i % len(clients)]
        intake = complaint_service.Intake(
            client_id=client.client_id,
            channel=Channel.PHONE,
            category=list(Category)[i % len(Category)],
            content="基准投诉",
            received_at=at + timedelta(minutes=i),
            regulator_referral=False,
            referral_ref=None,
            about_staff=(),
        )
        numbers.append(complaint_service.file(SUPERVISOR, intake, now=at + timedelta(minutes=i)).complaint_no)
    return numbers


def audit_prepare(world: World, n: int) -> None:
    return None


def audit_write(world: World, n: int, state: None) -> None:
    """A third each: clients registered, their figures put, e-mail inquiries logged (the inquiry
    and its reply clock): every change of every record reaches the audit trail."""
    clients = register(max(1, n // 3))
    for i, client in enumerate(clients):
        metrics_service.put_metrics(HQ, client.client_id, _metrics(i, 2025, "C"), now=METRICS_AT)
    log_emails(max(1, n // 6), clients, at=SERVICE_AT)


def audit_verify(world: World, state: None, n: int) -> None:
    """An entry in the trail for every change of a client record, its figures and the inquiries."""
    if len(scan(world, topology.AUDIT)) < n // 3 + n // 3 + n // 6:
        raise AssertionError("changes missing from the audit trail")


def audit_logic(state: None) -> Callable[[dict[str, Any]], Any]:
    """The record's images decoded as the handler's Powertools record does, its entry made by
    `crm.domain.audit.entry_for`, and the entry's line of the archive (`as_json_line`)."""
    tables = {table.local_name: table.name for table in topology.TABLES}

    def logic(raw: dict[str, Any]) -> Any:
        record = DynamoDBRecord(raw)
        change = record.dynamodb
        if change is None or record.event_name is None:
            raise ValueError("a stream record without its change")
        entry = entry_for(
            tables[str(record.event_source_arn).split(":table/", 1)[1].split("/", 1)[0]],
            record.event_name.name,
            {k: str(v) for k, v in (change.keys or {}).items()},
            change.old_image or None,
            change.new_image or None,
            sequence=str(change.sequence_number),
            at=from_epoch_ms((change.approximate_creation_date_time or 0) * 1000),
        )
        return as_json_line(entry) if entry is not None else None

    return logic


# --- sla -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceState:
    clients: list[Client]


def service_prepare(world: World, n: int) -> ServiceState:
    """A few clients for the inquiries to be about (the records themselves are the scenario's)."""
    return ServiceState(register(min(n, 10)))


def sla_write(world: World, n: int, state: ServiceState) -> None:
    """E-mail inquiries logged on a Monday (their reply clocks start); half replied to a week
    late (the clock stops late: a breach and the supervisor's escalation), and the sweep a week
    on escalates the other half (past due: the supervisor's escalation and its breach)."""
    contacts = log_emails(max(2, n // 3), state.clients, at=SERVICE_AT)
    late = SERVICE_AT + timedelta(days=7)
    for contact_id in contacts[::2]:
        contact_service.reply(SUPERVISOR, contact_id, "抱歉迟复", now=late)
    sla_service.sweep(late + timedelta(hours=1))


def sla_verify(world: World, state: ServiceState, n: int) -> None:
    """Every inquiry breached its deadline once (replied late, or escalated past due), and every
    escalation was announced."""
    items = scan(world, topology.SERVICE)
    breaches = sum(1 for item in items if item["sk"]["S"].startswith("BREACH#"))
    escalations = [item for item in items if item["sk"]["S"].startswith("ESCALATION#")]
    if breaches != max(2, n // 3) or not escalations or any("published_at" not in e for e in escalations):
        raise AssertionError(f"{breaches} breaches, {len(escalations)} escalations (some unannounced?)")


def sla_logic(state: ServiceState) -> Callable[[dict[str, Any]], Any]:
    """The clock (before and after) or escalation of the record's images, the decision of
    `crm.services.sla.on_clock_written` (a late stop, a provisional start), and the event an
    escalation is announced with (`escalation_event`)."""

    def logic(record: dict[str, Any]) -> Any:
        change = record["dynamodb"]
        sort_key, new, old = change["Keys"]["sk"]["S"], change.get("NewImage"), change.get("OldImage")
        if new is None:
            return None
        if sort_key.startswith("CLOCK#"):
            before = clock_data.clock_from_image(old) if old else None
            clock = clock_data.clock_from_image(new)
            late = clock.met_late and (before is None or before.met_at is None)
            return late, sla_service.provisional_alert(clock) if clock.provisional and before is None else None
        if record["eventName"] == "INSERT":
            return sla_service.escalation_event(clock_data.escalation_from_image(new))
        return None

    return logic


# --- deadlines ---------------------------------------------------------------------------------------

YEAR_END = datetime(2026, 12, 31, 10, tzinfo=BEIJING)  # replies fall due in 2027, not yet known


@dataclass(frozen=True)
class DeadlinesState:
    clocks: list[dict[str, Any]]  # the provisional clocks, as the index gives them


def deadlines_prepare(world: World, n: int) -> DeadlinesState:
    """`n` e-mail inquiries (10 at least) on the last day of 2026: their reply deadlines lie in
    2027, whose calendar is not loaded yet, so each is provisional."""
    log_emails(max(n, 10), register(min(n, 10)), at=YEAR_END)
    clocks = [
        item
        for page in world.aws["dynamodb"].get_paginator("scan").paginate(TableName=topology.SERVICE.local_name)
        for item in page["Items"]
        if item.get("provisional_year", {}).get("S") == "2027"
    ]
    if len(clocks) != max(n, 10):
        raise AssertionError(f"{len(clocks)} provisional deadlines, not {max(n, 10)}")
    return DeadlinesState(clocks)


def deadlines_write(world: World, n: int, state: DeadlinesState) -> None:
    """HQ loads the 2027 calendar (one record: every provisional deadline of 2027 is recomputed)."""
    calendar_service.load_year(HQ, 2027, [date(2027, 1, 1)], [], now=YEAR_END + timedelta(hours=1))


def deadlines_recomputed(world: World, state: DeadlinesState, records: list[dict[str, Any]]) -> int:
    left = [
        item
        for page in world.aws["dynamodb"].get_paginator("scan").paginate(TableName=topology.SERVICE.local_name)
        for item in page["Items"]
        if "provisional_year" in item
    ]
    if left:
        raise AssertionError(f"{len(left)} deadlines still provisional")
    return len(state.clocks)


def deadlines_logic(state: DeadlinesState) -> Callable[[dict[str, Any]], Any]:
    """Per deadline (what the work grows with; there is one calendar record): the clock of the
    index's item, its deadline computed again by `crm.domain.sla.start_clock` on the calendar
    (built beforehand), and the clock it becomes. Timed on the clock items, not stream records."""
    calendar = calendar_service.working_calendar(range(2026, 2029))
    sla_rules = rules.sla()

    def logic(record: dict[str, Any]) -> Any:
        clock = clock_data.clock_from_image(record["dynamodb"]["NewImage"])
        return recomputed(clock, calendar, sla_rules)

    return logic


def deadlines_timed(state: DeadlinesState, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"dynamodb": {"NewImage": item}} for item in state.clocks]


# --- callback_schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleState:
    clients: list[Client]
    entries: dict[str, dict[Kind, ScheduleEntry]]  # what each known client has, before the records


def schedule_prepare(world: World, n: int) -> ScheduleState:
    """Half the clients registered beforehand, their entries kept by the schedule consumer."""
    clients = register(max(2, n // 2), at=SERVICE_AT - timedelta(days=60))
    world.deliver("callback_schedule")
    return ScheduleState(clients, {c.client_id: callback_data.client_entries(c.client_id) for c in clients})


def schedule_write(world: World, n: int, state: ScheduleState) -> None:
    """The known clients get their first class from their figures (the reclassification's profile
    writes: a periodic entry, a care entry for the VIPs), as many new clients are registered (a
    new-account entry), and a tenth of the known ones have a complaint replied to (a
    post-complaint entry)."""
    for i, client in enumerate(state.clients):
        metrics_service.put_metrics(HQ, client.client_id, _metrics(i, 2025, "AD"[i % 2]), now=SERVICE_AT)
    world.deliver("reclassify")
    register(len(state.clients), prefix="N", at=SERVICE_AT)
    for number in file_complaints(max(1, len(state.clients) // 5), state.clients, at=SERVICE_AT):
        for target in (Status.ACCEPTED, Status.INVESTIGATING, Status.REPLIED):
            complaint_service.move(SUPERVISOR, number, target, "处理", now=SERVICE_AT + timedelta(days=1))


def schedule_verify(world: World, state: ScheduleState, n: int) -> None:
    """The classified clients have their periodic entry, the new ones their new-account entry,
    and each replied complaint its post-complaint entry."""
    for client in state.clients:
        if Kind.PERIODIC not in callback_data.client_entries(client.client_id):
            raise AssertionError(f"{client.client_id} has no periodic entry")
    for i in range(len(state.clients)):
        if Kind.NEW_ACCOUNT not in callback_data.client_entries(f"N{i:05d}"):
            raise AssertionError(f"N{i:05d} has no new-account entry")
    replied = sum(1 for item in scan(world, topology.CALLBACKS) if item["sk"]["S"] == Kind.POST_COMPLAINT.value)
    if replied != max(1, len(state.clients) // 5):
        raise AssertionError(f"{replied} post-complaint entries")


def schedule_logic(state: ScheduleState) -> Callable[[dict[str, Any]], Any]:
    """The client (before and after) of the record's images and the entries
    `crm.domain.callbacks` derives for it from the ones it had (periodic, care, new account); a
    replied complaint's post-complaint entry."""
    callback_rules = rules.callbacks()

    def logic(record: dict[str, Any]) -> Any:
        change = record["dynamodb"]
        sort_key, new, old = change["Keys"]["sk"]["S"], change["NewImage"], change.get("OldImage")
        if sort_key == "PROFILE":
            before = client_from_image(old) if old else None
            client = client_from_image(new)
            view = schedule_service.view_of(client)
            had = state.entries.get(client.client_id, {})
            account = (
                new_account_entry(view, beijing(client.created_at).date(), callback_rules) if before is None else None
            )
            return (
                periodic_entry(had.get(Kind.PERIODIC), view, callback_rules),
                care_entry(had.get(Kind.CARE), view, callback_rules),
                account,
            )
        complaint, replied_at = complaint_from_image(new)
        return post_complaint_entry(
            complaint.complaint_no,
            client_id=complaint.client_id,
            branch_id=complaint.branch_id,
            manager_id=complaint.manager_id,
            replied_at=replied_at,
            about_staff=complaint.about_staff,
        )

    return logic


# --- sms -------------------------------------------------------------------------------------------


def sms_write(world: World, n: int, state: None) -> None:
    """New clients registered: each gets its account-opening SMS."""
    register(n, at=SERVICE_AT)


def sms_verify(world: World, state: None, n: int) -> None:
    """Every new client's account-opening SMS logged as sent."""
    sent = [item for item in scan(world, topology.CLIENTS) if item["sk"]["S"].startswith("MESSAGE#")]
    if len(sent) != n or any(item["status"]["S"] != MessageStatus.SENT.value for item in sent):
        raise AssertionError(f"{len(sent)} messages logged for {n} clients, not all sent")


def sms_logic(state: None) -> Callable[[dict[str, Any]], Any]:
    """The client of the record's image, its message composed from the SMS rules
    (`crm.domain.messages.compose`) and the log entry it is recorded under."""
    sms_rules = rules.sms()

    def logic(record: dict[str, Any]) -> Any:
        client = client_from_image(record["dynamodb"]["NewImage"])
        sms = compose(
            client, message_service.WELCOME, sms_rules, message_id=f"{message_service.WELCOME}-{client.client_id}"
        )
        return sms, MessageRecord(
            message_id=sms.message_id,
            client_id=client.client_id,
            template=message_service.WELCOME,
            rules_version=sms_rules.version,
            status=MessageStatus.NOT_SENT,
            phone_masked=mask_phone(client.phone),
            at=client.created_at,
        )

    return logic


# --- aggregates ------------------------------------------------------------------------------------


def aggregates_write(world: World, n: int, state: ServiceState) -> None:
    """A third each: clients registered (their snapshot counts), e-mail inquiries logged (the
    inquiry and its clock) and complaints filed (the complaint and its two clocks)."""
    register(max(1, n // 3), prefix="N", at=SERVICE_AT)
    log_emails(max(1, n // 6), state.clients, at=SERVICE_AT)
    file_complaints(max(1, n // 9), state.clients, at=SERVICE_AT)


def aggregates_verify(world: World, state: ServiceState, n: int) -> None:
    """Every record that counts for something has its contribution remembered."""
    contributions = sum(1 for item in scan(world, topology.AGGREGATES) if item["pk"]["S"].startswith("CONTRIB#"))
    if contributions < n // 3 + n // 6 + n // 9:
        raise AssertionError(f"{contributions} contributions counted")


def aggregates_logic(state: ServiceState) -> Callable[[dict[str, Any]], Any]:
    """What the record contributes to the counters (`crm.services.aggregates`' choice of the
    domain's counting function by key, on the record parsed from its image; for a client record
    `state_change` of its old and new image), before the fold."""
    tables = {table.local_name: table.name for table in topology.TABLES}

    def logic(record: dict[str, Any]) -> Any:
        change = record["dynamodb"]
        table = tables[record["eventSourceARN"].split(":table/", 1)[1].split("/", 1)[0]]
        pk, sk = change["Keys"]["pk"]["S"], change["Keys"]["sk"]["S"]
        new, old = change.get("NewImage"), change.get("OldImage")
        if table == topology.CLIENTS.name and sk == "PROFILE":
            client = client_from_image(new)
            return state_change(client_from_image(old) if old else None, client, client.changed_at or client.created_at)
        count = aggregates_service._by_key(pk, sk, table)  # the service's own dispatch, pure
        return count(new) if count is not None and new is not None else None

    return logic


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        function="reclassify",
        records="2025 figures PUT for clients classified from their 2024 figures",
        prepare=reclassify_prepare,
        write=reclassify_write,
        logic=reclassify_logic,
        verify=reclassify_verify,
        # The target. Items: read the client's record, its two latest years, T and the
        # client's part of the year's sums (5); write the sums' shard, the client's part, the
        # record and at most a class and a VIP history entry (5).
        limits=Limits(requests=RECLASSIFY_TARGET, read=5, written=5),
        per="metrics record",
    ),
    Scenario(
        function="audit",
        records="clients registered, their figures put, e-mail inquiries logged",
        prepare=audit_prepare,
        write=audit_write,
        logic=audit_logic,
        verify=audit_verify,
        # One conditional PutItem of the record's entry (append-only: nothing read); the archive's
        # one S3 object per batch is not DynamoDB.
        limits=Limits(requests=1, read=0, written=1),
    ),
    Scenario(
        function="sla",
        records="reply clocks started, stopped late, escalated by the sweep; escalations",
        prepare=service_prepare,
        write=sla_write,
        logic=sla_logic,
        verify=sla_verify,
        # The most one record needs: an escalation inserted is read (announced yet?) and marked
        # announced (2 requests, 1 item read, 1 written); a clock stopped late writes its breach
        # and escalation in one transaction (1 request, 2 written); other clock changes nothing.
        limits=Limits(requests=2, read=1, written=2),
    ),
    Scenario(
        function="deadlines",
        records="the 2027 calendar loaded over provisional reply deadlines",
        prepare=deadlines_prepare,
        write=deadlines_write,
        logic=deadlines_logic,
        # Per deadline recomputed: the loaded calendars of its years (one batch read), its
        # owner's clocks (one query) and the clock and its contact in one transaction: 3 requests,
        # reading the clock from the index, the calendar and the owner's clocks (3 items) and
        # writing 2; the index query's pages (one per 1 MB of clocks) and the record come on top,
        # a tenth of a request per deadline at most at the smoke size.
        limits=Limits(requests=3.1, read=3.1, written=2),
        per="deadline",
        units=deadlines_recomputed,
        timed=deadlines_timed,
    ),
    Scenario(
        function="callback_schedule",
        records="clients classified, clients registered, complaints replied",
        prepare=schedule_prepare,
        write=schedule_write,
        logic=schedule_logic,
        verify=schedule_verify,
        # A client record: its entries in one query (at most new-account, periodic and care: 3
        # items), each one that changes written under its version (3); a replied complaint: its
        # one entry put. Tasks move only when a client leaves or changes manager (not here).
        limits=Limits(requests=4, read=3, written=3),
    ),
    Scenario(
        function="sms",
        records="clients registered",
        prepare=audit_prepare,
        write=sms_write,
        logic=sms_logic,
        verify=sms_verify,
        # The outbox: the message logged pending (conditional put), then its outcome (conditional
        # update) around the SNS publish, which is not DynamoDB: 2 requests, nothing read.
        limits=Limits(requests=2, read=0, written=2),
    ),
    Scenario(
        function="aggregates",
        records="clients registered, e-mail inquiries logged, complaints filed",
        prepare=service_prepare,
        write=aggregates_write,
        logic=aggregates_logic,
        verify=aggregates_verify,
        # What the record counted before (one consistent read of its contribution), then the
        # counters it moves and its new contribution in one transaction: 2 requests, 1 item read;
        # written: the contribution and each counter it moves (a client record: its state in
        # the branch's and the manager's counters, and a class migration or VIP change at most).
        limits=Limits(requests=2, read=1, written=8),
    ),
)


# --- measuring -----------------------------------------------------------------------------------


def decode(record_text: str) -> Any:
    """The least any consumer does with a record: JSON to a dict, its images to Python values."""
    record = json.loads(record_text)
    change = record["dynamodb"]
    return [
        {name: _deserialize(value) for name, value in change[image].items()}
        for image in ("NewImage", "OldImage")
        if image in change
    ]


def time_logic(
    records: list[dict[str, Any]], logic: Callable[[dict[str, Any]], Any], *, at_least: int, repeats: int
) -> tuple[float, float, list[float]]:
    """Records per CPU second of this thread through `logic` and through `decode` (both are pure
    computation: on this shared machine wall time also counts whoever else runs), best of
    `repeats` interleaved repetitions, each over the records as many times as it takes to handle
    `at_least`; and each repetition's ratio."""
    texts = [json.dumps(record) for record in records] * max(1, -(-at_least // max(1, len(records))))

    def run_logic() -> float:
        started = thread_time()
        for text in texts:
            logic(json.loads(text))
        return thread_time() - started

    def run_decode() -> float:
        started = thread_time()
        for text in texts:
            decode(text)
        return thread_time() - started

    run_logic(), run_decode()  # warm: imports, caches, rule tables
    logic_times, decode_times = [], []
    for _ in range(repeats):
        logic_times.append(run_logic())
        decode_times.append(run_decode())
    ratios = [d / t for t, d in zip(logic_times, decode_times, strict=True)]
    return len(texts) / min(logic_times), len(texts) / min(decode_times), ratios


def measure(world: World, scenario: Scenario, n: int, *, timed_records: int, repeats: int) -> Measured:
    empty_backends()
    function = topology.function(scenario.function)
    state = scenario.prepare(world, n)
    invoker = TimedInvoker()
    invoker.handler(function)  # imported before the clock starts: a warm container
    pumps = world.pumps(function, invoker, from_latest=True)
    for pump in pumps:  # starts after what the scenario's records find
        if pump.poll_once() or pump.stats.delivered:
            raise AssertionError(f"{pump.name} delivered before the scenario's records")
    scenario.write(world, n, state)
    if not world.checked:
        check_fast_stream_reads(world.aws["dynamodbstreams"], pumps[0]._stream_arn)
        world.checked = True
    with world.counter.measuring() as tally:
        for _ in range(20):
            busy = False
            for pump in pumps:
                while pump.poll_once():
                    busy = True
            if not busy:
                break
        else:
            raise AssertionError(f"the streams of {function.name} did not settle")
    stats = {
        "delivered": sum(p.stats.delivered for p in pumps),
        "filtered_out": sum(p.stats.filtered_out for p in pumps),
        "invocations": sum(p.stats.invocations for p in pumps),
        "retries": sum(p.stats.retries for p in pumps),
        "dead_lettered": sum(p.stats.dead_lettered for p in pumps),
    }
    if stats["dead_lettered"] or stats["retries"] or len(invoker.records) != stats["delivered"]:
        errors = [e for p in pumps for e in p.stats.errors]
        raise AssertionError(f"{function.name}: records failed: {stats} {errors[-3:]}")
    if scenario.verify is not None:
        scenario.verify(world, state, n)
    units = scenario.units(world, state, invoker.records) if scenario.units else len(invoker.records)
    timed = scenario.timed(state, invoker.records) if scenario.timed else invoker.records
    logic_rate, decode_rate, ratios = time_logic(timed, scenario.logic(state), at_least=timed_records, repeats=repeats)
    return Measured(scenario, invoker.records, units, tally, invoker.seconds, logic_rate, decode_rate, ratios, stats)


def _spread(values: list[float]) -> str:
    return f"ratio {min(values):.2f}–{max(values):.2f} over {len(values)} runs"


def figures_of(measured: Measured) -> list[Figure]:
    scenario, tally, units = measured.scenario, measured.tally, max(measured.units, 1)
    name = scenario.function
    detail = {
        "records": scenario.records,
        "units": measured.units,
        "per": scenario.per,
        **measured.stats,
        "requests": dict(tally.requests),
        "items_read": dict(tally.read),
        "items_written": dict(tally.written),
        "failed_requests": tally.failed,
    }
    requests = sum(tally.requests.values())
    per = scenario.per
    return [
        Figure(
            SECTION,
            f"{name}: requests / {per}",
            requests / units,
            f"requests/{per}",
            scenario.limits.requests,
            detail=detail,
        ),
        Figure(SECTION, f"{name}: items read / {per}", tally.items_read / units, f"items/{per}", scenario.limits.read),
        Figure(
            SECTION,
            f"{name}: items written / {per}",
            tally.items_written / units,
            f"items/{per}",
            scenario.limits.written,
        ),
        Figure(
            SECTION,
            f"{name}: on moto (informative)",
            units / measured.seconds if measured.seconds else 0.0,
            f"{per}s/s",
            0,
            at_most=False,
            detail={per + "s": units, "seconds": round(measured.seconds, 3)},
        ),
        Figure(
            SECTION,
            f"{name}: logic ÷ decode",
            measured.logic_rate,
            f"{per if scenario.timed else 'record'}s/s",
            LOGIC_LIMIT,
            baseline=measured.decode_rate,
            at_most=False,
            spread=_spread(measured.ratios),
            detail={"median_ratio": round(statistics.median(measured.ratios), 4)},
        ),
    ]


_original_get_records = DynamoDBStreamsHandler.get_records


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):  # moto's are naive UTC
        return calendar.timegm(value.utctimetuple()) + value.microsecond // 1000 / 1000  # as moto: ms
    raise TypeError(f"{type(value).__name__} in a stream record")


def _fast_get_records(self: DynamoDBStreamsHandler) -> str:
    """GetRecords as plain JSON: moto's serializer walks every attribute of every image against
    the output shape (a third of a second for 50 records), the pump's reading, not the handler's."""
    result = _original_get_records(self)
    return json.dumps(result.result, default=_epoch, separators=(",", ":"))


@contextmanager
def fast_stream_reads() -> Iterator[None]:
    with mock.patch.object(DynamoDBStreamsHandler, "get_records", _fast_get_records):
        yield


def check_fast_stream_reads(streams: Any, arn: str) -> None:
    """The first records of the stream read with each encoding: they must parse alike."""
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def read() -> Any:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=20)["Records"]

    fast = read()
    with mock.patch.object(DynamoDBStreamsHandler, "get_records", _original_get_records):
        slow = read()
    if not fast or fast != slow:
        raise AssertionError(f"fast and moto stream reads differ:\n{fast[:1]}\n{slow[:1]}")


@contextmanager
def one_botocore_session() -> Iterator[None]:
    """Every PynamoDB connection made meanwhile on one botocore session: each makes a session of
    its own, which loads the endpoint rules and the DynamoDB model again (a third of the smoke
    run's time, once per model class and process). Changes no request and no answer."""
    shared = botocore.session.get_session()
    with mock.patch("pynamodb.connection.base.get_session", return_value=shared):
        yield


@contextmanager
def world() -> Iterator[World]:
    counter = ItemCounter()
    with (
        warnings.catch_warnings(),
        one_botocore_session(),
        moto_speedups.installed(),
        fast_stream_reads(),
        counter.installed(),
        mock_aws(),
    ):
        # Powertools warns on every invocation that emits no business metric (pyproject.toml)
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        aws = provisioned_clients()
        queues = provision.create_queues(aws["sqs"])
        provision.create_bus(aws["events"], aws["sqs"])
        yield World(aws=aws, queues=queues, counter=counter)


def figures(*, smoke: bool) -> list[Figure]:
    n = 4 if smoke else 160
    found: list[Figure] = []
    with world() as w:
        for scenario in SCENARIOS:
            started = perf_counter()
            measured = measure(w, scenario, n, timed_records=100 if smoke else 2000, repeats=3 if smoke else 7)
            if not smoke:
                print(f"  {scenario.function}: {len(measured.records)} records in {perf_counter() - started:.1f} s")
            found += figures_of(measured)
    return found
