"""The integration harness: the real handlers on in-process moto, through the same gateway
emulation, stream pumps and queue pumps the local system uses, driven synchronously."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import boto3

from crm import topology
from crm.local import provision, staff_register
from crm.local.buslog import BusLog
from crm.local.front import Gateway, GatewayResponse
from crm.local.invoke import Invoker
from crm.local.jobs import trigger
from crm.local.pump import StreamPump
from crm.local.queues import QueuePump
from crm.local.tokens import TokenIssuer
from tests.bench import roster

# Figures and the class they give under T = 3, worked out by hand from classification.toml
# (bands on assets; high turnover when trade_volume >= 3 × avg_assets; below the bands F when
# traded, G when not). Each is far from every edge, so the small per-client offsets the
# tests and benchmarks add change no class.
CLASS_FIGURES: dict[str, tuple[int, int, int]] = {
    "A+": (6_000_000, 1_000_000, 4_000_000),
    "B+": (6_000_000, 1_000_000, 1_000_000),
    "A": (2_000_000, 500_000, 2_000_000),
    "B": (2_000_000, 500_000, 500_000),
    "C": (700_000, 100_000, 400_000),
    "D": (700_000, 100_000, 100_000),
    "C-": (200_000, 50_000, 200_000),
    "D-": (200_000, 50_000, 50_000),
    "E": (50_000, 10_000, 20_000),
    "F": (5_000, 1_000, 100),
    "G": (5_000, 1_000, 0),
}

SUPERVISOR = ("supervisor", "sup-b1", "B1")

# Who works where, for the tests that name staff on records without acting as them (DOMAIN §11):
# on the register before each test, as a branch's roster would be (seed_staff).
ROSTER: tuple[tuple[str, str, str | None], ...] = (
    ("mgr-0", "manager", "B1"),
    ("mgr-1", "manager", "B1"),
    ("mgr-2", "manager", "B1"),
    ("mgr-3", "manager", "B1"),
    ("ctr-1", "counter", "B1"),
    ("ctr-5", "counter", "B1"),
    ("sup-b1", "supervisor", "B1"),
    ("mgr-9", "manager", "B2"),
    ("ctr-9", "counter", "B2"),
    ("sup-b2", "supervisor", "B2"),
)


def seed_staff(members: tuple[tuple[str, str, str | None], ...] = ROSTER) -> None:
    """Put `members` (id, role, branch) on the staff register directly (not on the user pool)."""
    roster.seed(members)


@dataclass
class Harness:
    gateway: Gateway
    issuer: TokenIssuer
    pumps: dict[str, StreamPump]
    clients: dict[str, Any]
    queues: dict[str, str]
    bus_log: BusLog
    tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    # one per queue source, "function:queue"; a failed message is received again by the next poll
    queue_pumps: dict[str, QueuePump] = field(default_factory=dict)
    work_queues: dict[str, provision.WorkQueue] = field(default_factory=dict)  # queue name → its URLs

    def token(self, role: str, user: str, branch: str | None) -> str:
        """A token for the identity, which also goes on the staff register, as `crm token` does."""
        key = (role, user, branch)
        if key not in self.tokens:
            self.tokens[key] = self.issuer.mint(role=role, user=user, branch=branch)
            staff_register.register(self.gateway, role=role, user=user, branch=branch)
        return self.tokens[key]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        as_: tuple[str, str, str | None] = SUPERVISOR,
        query: str = "",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        at: str | None = None,
    ) -> GatewayResponse:
        """One request through the gateway; `at` (ISO 8601) sets its request time."""
        sent = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token(*as_)}"}
        sent.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        now_ms = int(datetime.fromisoformat(at).timestamp() * 1000) if at else None
        return self.gateway.handle(method, path, query=query, headers=sent, body=payload, now_ms=now_ms)

    def drain(self, max_rounds: int = 20) -> None:
        """Deliver every pending stream record and queue message, as Lambda would, before returning:
        round after round, since what one consumer writes (an SMS log, a callback schedule, an import
        chunk's clients, the message finishing an import) feeds the others.

        The queue pumps retry a failed message at once (`backoff_s=0`: made visible again, where AWS
        waits out the visibility timeout), each receive counting towards its queue's redrive, so a
        message that keeps failing ends on the dead-letter queue within `max_receive_count` polls
        rather than holding drain(). A message whose worker was killed (the invoker raised past the
        pump) stays in flight until `time_out_in_flight()`, as it would until its timeout in AWS."""
        pumps: list[StreamPump | QueuePump] = [*self.pumps.values(), *self.queue_pumps.values()]
        for _ in range(max_rounds):
            busy = False
            for pump in pumps:
                while pump.poll_once():
                    busy = True
            if not busy:
                return
        raise AssertionError(f"the streams and queues did not settle in {max_rounds} rounds")

    def time_out_in_flight(self) -> int:
        """Make every message in flight on the work queues visible again, as its visibility timeout
        running out would (after a worker was killed holding it); how many."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sqs.models import sqs_backends

        backend, released = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"], 0
        for work in self.work_queues.values():
            queue = backend.get_queue(work.queue.local_name)
            for message in queue._messages:
                if not message.visible:
                    message.visible_at = 0.0
                    queue.pending_messages.discard(message)
                    released += 1
        return released

    def send(self, queue: topology.Queue, body: str) -> None:
        """A message on one of the work queues, as a function of the system would send it."""
        self.clients["sqs"].send_message(QueueUrl=self.work_queues[queue.name].url, MessageBody=body)

    def dead_letters(self, queue: topology.Queue) -> list[dict[str, Any]]:
        """The messages on a work queue's dead-letter queue (ReceiveMessage's shape), left there."""
        response = self.clients["sqs"].receive_message(
            QueueUrl=self.work_queues[queue.name].dead_letter_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def trigger(self, job: str, at: str) -> dict[str, Any]:
        """Run a scheduled job as its schedule would at `at`, then let the streams settle."""
        result = trigger(self.gateway.invoker, job, at)
        self.drain()
        return result

    def failure_messages(self, function: str) -> list[dict[str, Any]]:
        sqs = self.clients["sqs"]
        response = sqs.receive_message(QueueUrl=self.queues[function], MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def stream_arn(dynamodb: Any, table: topology.Table) -> str:
    return dynamodb.describe_table(TableName=table.local_name)["Table"]["LatestStreamArn"]


def person_of(client_id: str) -> dict[str, str]:
    """The ID number, phone and birthday of a person of its own for each client (one person holds at
    most five accounts, DOMAIN §12); C001's are the examples of API.md."""
    if client_id == "C001":
        return {"id_number": "110101199003074514", "phone": "13800138000", "birthday": "1990-03-07"}
    digest = int(hashlib.sha256(client_id.encode()).hexdigest(), 16)
    born = date(1960, 1, 1) + timedelta(days=digest % 15000)
    prefix = f"110101{born:%Y%m%d}{digest % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(prefix, weights, strict=True)) % 11]
    return {"id_number": prefix + check, "phone": f"139{digest % 10**8:08d}", "birthday": born.isoformat()}


def new_client(client_id: str = "C001", **overrides: Any) -> dict[str, Any]:
    body = {
        "client_id": client_id,
        "name": "张三",
        **person_of(client_id),
        "email": "zhang.san@example.com",
        "branch_id": "B1",
        "manager_id": "mgr-1",
        "opened_on": "2020-05-18",
    }
    body.update(overrides)
    return body


SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "events", "s3", "cognito-idp", "secretsmanager")
KEYS = {secret.name: f"integration-tests-{secret.name}" for secret in topology.SECRETS}


def provisioned_clients() -> dict[str, Any]:
    """Clients of every AWS service the system uses, with the topology's tables, buckets, user
    pool and secrets made (call inside `mock_aws`)."""
    clients = {name: boto3.client(name) for name in SERVICES}
    provision.create_tables(clients["dynamodb"])
    provision.create_buckets(clients["s3"])
    provision.create_user_pool(clients["cognito-idp"])
    provision.create_secrets(clients["secretsmanager"], KEYS)
    return clients


def empty_backends() -> None:
    """Every item, stream record, queued message, object and SMS of moto gone, the resources kept:
    what a fresh `mock_aws` would give, without making the tables again."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    from tests.bench.moto_speedups import invalidate

    region = "us-east-1"
    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.values():
        table.items.clear()
        invalidate(table)
        if table.stream_shard is not None:
            table.stream_shard.items.clear()
    for queue in sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.values():
        queue._messages.clear()
        queue.pending_messages.clear()
    for bucket in s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.values():
        bucket.keys.clear()
    sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.clear()
    for pool in cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools.values():
        pool.users.clear()


def build_harness(aws: dict[str, Any]) -> Harness:
    """The gateway, a pump per stream source and per queue source, the failure queues, the work
    queues and the bus log, on `aws`, with the ROSTER on the staff register."""
    seed_staff()
    issuer = TokenIssuer(secret=b"integration-tests-secret-32bytes", issuer="https://crm.test")
    invoker = Invoker()
    queues = provision.create_queues(aws["sqs"])
    pumps = {
        f"{fn.name}:{source.table.name}": StreamPump(
            fn,
            source,
            streams=aws["dynamodbstreams"],
            sqs=aws["sqs"],
            stream_arn=stream_arn(aws["dynamodb"], source.table),
            failure_queue_url=queues[fn.name],
            invoker=invoker,
        )
        for fn in topology.FUNCTIONS
        for source in fn.streams
    }
    work_queues = provision.create_work_queues(aws["sqs"])
    queue_pumps = {
        f"{fn.name}:{source.queue.name}": QueuePump(
            fn, source, sqs=aws["sqs"], queue=work_queues[source.queue.name], invoker=invoker, backoff_s=0
        )
        for fn in topology.FUNCTIONS
        for source in fn.queues
    }
    bus_log = BusLog(aws["sqs"], provision.create_bus(aws["events"], aws["sqs"]))
    return Harness(
        gateway=Gateway(invoker, issuer),
        issuer=issuer,
        pumps=pumps,
        clients=aws,
        queues=queues,
        bus_log=bus_log,
        queue_pumps=queue_pumps,
        work_queues=work_queues,
    )
