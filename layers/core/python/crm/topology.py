"""The single source of truth for what the system is made of.

Tables, keys, indexes, streams, functions, routes, stream sources and schedules are declared
here once. `infra/` builds the CDK stack from it and `crm.local` provisions moto and wires the
local front, stream pump and triggers from it, so local and deployed cannot drift
(tests/infra/test_topology_parity.py proves it against the synthesised template).
Pure data: no AWS imports. Its kinds are `NamedTuple`s, immutable values like frozen dataclasses,
because every function loads this module at its cold start and a NamedTuple is a quarter of a
frozen dataclass's cost to define on Python 3.11 (P1, tests/bench/cold_start.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

KeyType = Literal["S", "N"]


class Key(NamedTuple):
    name: str
    type: KeyType = "S"


class Index(NamedTuple):
    name: str
    partition_key: Key
    sort_key: Key | None = None


class Table(NamedTuple):
    name: str  # logical name; the physical name is generated in AWS and `crm-<name>` locally
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    stream: bool = False  # NEW_AND_OLD_IMAGES when on
    ttl_attribute: str | None = None

    @property
    def env_var(self) -> str:
        return f"TABLE_{self.name.upper()}"

    @property
    def local_name(self) -> str:
        return f"crm-{self.name}"


class Route(NamedTuple):
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # API Gateway style: /clients/{client_id}

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


class StreamSource(NamedTuple):
    """A DynamoDB stream → Lambda mapping; the local pump honours the same settings."""

    table: Table
    # Lambda event filter patterns (any must match), e.g. on the sort-key prefix.
    filters: tuple[dict, ...] = ()
    batch_size: int = 50
    max_batching_window_s: int = 1
    retry_attempts: int = 3
    max_record_age_s: int = 6 * 3600
    bisect_batch_on_error: bool = True
    parallelization_factor: int = 1

    @property
    def env_var(self) -> str:
        """Names the source table's physical name for the consumer (e.g. to label its records)."""
        return f"STREAM_TABLE_{self.table.name.upper()}"


SCHEDULE_TIMEZONE = "Asia/Shanghai"  # the regulation's clock: every cron below reads in Beijing time


class Schedule(NamedTuple):
    """A job run by EventBridge Scheduler: `retry_attempts` more tries of a failed run (each with
    the same scheduled time), then its dead-letter queue."""

    job: str  # the name `crm trigger JOB` uses
    expression: str  # EventBridge Scheduler: cron(...) in SCHEDULE_TIMEZONE, or rate(...)
    retry_attempts: int = 2
    max_event_age_s: int = 3600

    def event(self, *, run_id: str, time: str, schedule_arn: str, attempt: str) -> dict:
        """The event the job's handler gets: `time` is the run's scheduled time (UTC, ISO 8601), the
        same on each retry, so a job is idempotent for it. Built by the stack (with Scheduler's
        context attributes as values) and by `crm trigger`."""
        return {
            "version": "0",
            "id": run_id,
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": time,
            "resources": [schedule_arn],
            "detail": {"job": self.job, "attempt": attempt},
        }


class EventBus(NamedTuple):
    """The application's EventBridge bus, for business events (SlaBreached, …)."""

    name: str

    @property
    def env_var(self) -> str:
        return "EVENT_BUS_NAME"

    @property
    def local_name(self) -> str:
        return f"crm-{self.name}"


class Bucket(NamedTuple):
    """An S3 bucket; `object_lock` makes what is written there undeletable for `retention_days`.

    Functions get objects only under `prefix`; objects move to infrequent access after
    `infrequent_after_days` (0: never), and versions that are no longer current are kept
    `noncurrent_days` (0: forever); with `expire_after_days`, objects go that long after they
    were written."""

    name: str
    object_lock: bool = False
    retention_days: int = 0
    prefix: str = ""
    infrequent_after_days: int = 0
    noncurrent_days: int = 0
    expire_after_days: int = 0  # objects deleted so long after they were written (0: never)

    @property
    def env_var(self) -> str:
        return f"BUCKET_{self.name.upper().replace('-', '_')}"

    @property
    def local_name(self) -> str:
        return f"crm-{self.name}"


class Secret(NamedTuple):
    """A key kept in Secrets Manager (generated there, encrypted with the stack's key), read once
    per execution environment by the functions that declare it: never in code or in a table."""

    name: str
    purpose: str

    @property
    def env_var(self) -> str:
        return f"SECRET_{self.name.upper().replace('-', '_')}"

    @property
    def local_name(self) -> str:
        return f"crm-{self.name}"


class Queue(NamedTuple):
    """An SQS queue of work (encrypted with the stack's key, TLS only), with a dead-letter queue
    that takes a message received `max_receive_count` times without success (and is alarmed on).
    `visibility_timeout_s` covers its consumer's timeout six times over (AWS's advice for Lambda)."""

    name: str
    purpose: str
    visibility_timeout_s: int
    max_receive_count: int = 5
    retention_s: int = 4 * 86400

    @property
    def env_var(self) -> str:
        return f"QUEUE_{self.name.upper().replace('-', '_')}"

    @property
    def local_name(self) -> str:
        return f"crm-{self.name}"

    @property
    def dead_letter_name(self) -> str:
        return f"crm-{self.name}-dead-letters"


class QueueSource(NamedTuple):
    """An SQS → Lambda mapping that reports each failed message (`batchItemFailures`): a failed
    message comes back after its visibility timeout, the others are deleted. `max_concurrency`
    bounds the function's instances the queue keeps busy (the mapping's scaling limit, 2–1000)."""

    queue: Queue
    batch_size: int = 1
    max_concurrency: int = 2


class UserPool(NamedTuple):
    """The Cognito user pool whose users are the staff (custom:role, custom:branch)."""

    name: str

    @property
    def env_var(self) -> str:
        return "USER_POOL_ID"

    @property
    def local_name(self) -> str:
        """Locally the pool's name: moto makes up its id, so the data layer finds it by name."""
        return f"crm-{self.name}"


FUNCTION_VARIABLE = "CRM_FUNCTION"  # which topology entry a Lambda function runs (crm.config)
# The origins browsers may call the API from (crm.domain.cors): deployment configuration in AWS
# (infra.settings), every port of this machine locally unless `crm local --allow-origin` says otherwise.
ALLOWED_ORIGINS_VARIABLE = "CORS_ALLOWED_ORIGINS"
LOCAL_ALLOWED_ORIGINS = '["http://localhost:*", "http://127.0.0.1:*"]'

# Memory: each function's size follows from its peak RSS, measured by `python -m tests.bench --only
# memory` (tests/bench/memory.py, which fails when a function outgrows its size) and recorded on its
# entry below as `peak_rss_mb`; `memory_size` is the one rule.
HEADROOM = 1.5  # memory size ≥ peak RSS × HEADROOM
MEMORY_STEP_MB = 64
MIN_MEMORY_MB = 128  # Lambda's minimum
API_MEMORY_FLOOR_MB = 512  # someone waits for the answer
LONG_RUN_MEMORY_FLOOR_MB = 1024  # a walk that must end within Lambda's longest timeout
LONGEST_TIMEOUT_S = 900
PEAK_RSS_MEASURED = "2026-12-07"  # when the `peak_rss_mb` figures below were measured


def memory_size(peak_rss_mb: float, *, floor_mb: int = MIN_MEMORY_MB) -> int:
    """The memory size for a measured peak RSS: the peak × `HEADROOM`, rounded up to a whole
    `MEMORY_STEP_MB`, and never below `floor_mb` (nor Lambda's 128 MB).

    The headroom covers what the measurement leaves out: Lambda's runtime client in the same
    process, Python 3.14 on arm64 (measured with 3.11 on x86-64), batches and pages bigger than the
    sample events', a warm container's fragmentation over many requests. Whole steps rather than
    Lambda's 1 MB granularity: a few MB of drift between two measurements then leaves the template
    as it was, where a new size publishes a new version of the function (and, for an API function,
    takes a new SnapStart snapshot).

    The floors are for CPU, not memory: Lambda gives CPU in proportion to memory (one vCPU at
    1,769 MB), so below that a CPU-bound stretch costs the same GB-seconds at any size and only
    takes longer at a smaller one; what a smaller size saves is the time spent waiting on DynamoDB
    and S3. So an API function keeps `API_MEMORY_FLOOR_MB` for the person waiting on it, and a job
    that may run to Lambda's longest timeout keeps `LONG_RUN_MEMORY_FLOOR_MB` for its walk over the
    clients to end within it (both the sizes they ran at before sizes were measured). Where nobody
    waits (the stream consumers, the short jobs), memory alone decides."""
    steps = math.ceil(peak_rss_mb * HEADROOM / MEMORY_STEP_MB)
    return max(floor_mb, MIN_MEMORY_MB, steps * MEMORY_STEP_MB)


class Function(NamedTuple):
    name: str  # also its folder under functions/
    description: str
    reads: tuple[Table, ...] = ()
    writes: tuple[Table, ...] = ()
    appends: tuple[Table, ...] = ()  # PutItem only: never update or delete (append-only stores)
    archives: tuple[Bucket, ...] = ()  # PutObject only, under the bucket's prefix
    reads_objects: tuple[Bucket, ...] = ()  # GetObject only, under the bucket's prefix
    routes: tuple[Route, ...] = ()
    streams: tuple[StreamSource, ...] = ()
    schedule: Schedule | None = None
    publishes: tuple[EventBus, ...] = ()
    sends_sms: bool = False  # SNS Publish to phone numbers (and to no topic)
    secrets: tuple[Secret, ...] = ()  # GetSecretValue on each
    queues: tuple[QueueSource, ...] = ()  # the queues whose messages it is given
    sends_to: tuple[Queue, ...] = ()  # SendMessage (and SendMessageBatch) on each
    manages_users: tuple[UserPool, ...] = ()  # create, change, enable and disable the pool's users
    peak_rss_mb: float | None = None  # MB after its sample requests, measured on PEAK_RSS_MEASURED
    timeout_s: int = 15
    environment: Mapping[str, str] = MappingProxyType({})

    @property
    def memory_floor_mb(self) -> int:
        """The size it keeps for CPU whatever its memory needs (`memory_size`)."""
        if self.routes:
            return API_MEMORY_FLOOR_MB
        if self.timeout_s >= LONGEST_TIMEOUT_S:
            return LONG_RUN_MEMORY_FLOOR_MB
        return MIN_MEMORY_MB

    @property
    def memory_mb(self) -> int:
        """Its memory size: from its measured peak RSS, above its floor (`memory_size`); its floor
        until measured (tests/infra/test_memory.py wants every function measured)."""
        return memory_size(self.peak_rss_mb or 0.0, floor_mb=self.memory_floor_mb)

    @property
    def module(self) -> str:
        """Import path of the handler module in this repository (locally and in tests)."""
        return f"functions.{self.name}.handler"

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(dict.fromkeys(self.reads + self.writes + self.appends))

    @property
    def buckets(self) -> tuple[Bucket, ...]:
        return tuple(dict.fromkeys(self.archives + self.reads_objects))

    @property
    def variables(self) -> dict[str, str]:
        """Every environment variable the function is given, and what it names: the physical name
        of each table, stream source, bucket and bus it uses, and its own topology name."""
        return {
            FUNCTION_VARIABLE: "its name in the topology",
            **{table.env_var: f"the {table.name} table" for table in self.tables},
            **{source.env_var: f"the {source.table.name} stream's table" for source in self.streams},
            **{bucket.env_var: f"the {bucket.name} bucket" for bucket in self.buckets},
            **{bus.env_var: f"the {bus.name} event bus" for bus in self.publishes},
            **{secret.env_var: f"the {secret.name} secret" for secret in self.secrets},
            **{pool.env_var: f"the {pool.name} user pool" for pool in self.manages_users},
            **{queue.env_var: f"the {queue.name} queue's URL" for queue in self.sends_to},
            **({ALLOWED_ORIGINS_VARIABLE: "the origins browsers may call from"} if self.routes else {}),
        }

    @property
    def local_environment(self) -> dict[str, str]:
        """The function's variables with the local names (moto's tables, buckets, bus)."""
        return {
            FUNCTION_VARIABLE: self.name,
            **{table.env_var: table.local_name for table in self.tables},
            **{source.env_var: source.table.local_name for source in self.streams},
            **{bucket.env_var: bucket.local_name for bucket in self.buckets},
            **{bus.env_var: bus.local_name for bus in self.publishes},
            **{secret.env_var: secret.local_name for secret in self.secrets},
            **{pool.env_var: pool.local_name for pool in self.manages_users},
            **{queue.env_var: queue.local_name for queue in self.sends_to},
            **({ALLOWED_ORIGINS_VARIABLE: LOCAL_ALLOWED_ORIGINS} if self.routes else {}),
        }


def _prefix_filter(prefix: str) -> dict:
    return {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": prefix}]}}}}


PK = Key("pk")
SK = Key("sk")

# One item collection per client: PROFILE, METRICS#year, CLASS#…, VIP#…, QUESTIONNAIRE#…,
# MANAGER#…; listings by branch and by manager through sparse indexes on the PROFILE item. The
# person behind the accounts (PERSON#<keyed hash of the ID number>) and the owner of each securities
# account (SECURITIES#<exchange>:<account>) are items of their own. A client is found by its ID
# number or phone through keyed hashes (`by_id_hash`, `by_phone_hash`: no number in clear in an
# index), and by name through `by_name` (a branch's names, for a prefix query), newest account first.
# `by_turnover` holds only clients in bands where turnover decides the class, sharded and sorted
# by turnover: the year-end recalibration reads the clients between the old and new T from it.
# `at_risk` holds only clients at risk of leaving (第50条 10), per branch.
CLIENTS = Table(
    name="clients",
    partition_key=PK,
    sort_key=SK,
    indexes=(
        Index("by_branch", Key("branch_id"), Key("client_id")),
        Index("by_manager", Key("manager_id"), Key("client_id")),
        Index("by_turnover", Key("turnover_shard"), Key("turnover", "N")),
        Index("vip_targets", Key("vip_target_branch"), Key("client_id")),
        Index("at_risk", Key("at_risk_branch"), Key("client_id")),
        Index("by_id_hash", Key("id_hash"), Key("opened_key")),
        Index("by_phone_hash", Key("phone_hash"), Key("opened_key")),
        Index("by_name", Key("branch_id"), Key("name_key")),
    ),
    stream=True,
)

# Company-wide settings with their history: the turnover threshold T, working-day calendars.
SETTINGS = Table(name="settings", partition_key=PK, sort_key=SK, stream=True)

# Contacts and complaints with their deadlines (CLOCK#), breaches and escalations; a client's
# inquiries, complaints, cases and breaches through `by_client` (its overview, its data). The sweep
# reads open deadlines from `open_clocks`, and recalendaring reads `provisional_clocks`: both
# sparse (only items carrying the key attributes are in them), so neither ever scans.
SERVICE = Table(
    name="service",
    partition_key=PK,
    sort_key=SK,
    indexes=(
        Index("by_branch", Key("branch_id"), Key("listed_at")),
        Index("open_clocks", Key("open_clock"), Key("due_key")),
        Index("provisional_clocks", Key("provisional_year"), Key("due_key")),
        Index("by_client", Key("client_id"), Key("listed_at")),
        Index("work", Key("work_owner"), Key("work_due")),
    ),
    stream=True,
)

# Powertools Idempotency records (POST /complaints with an Idempotency-Key), expiring by TTL.
IDEMPOTENCY = Table(name="idempotency", partition_key=Key("id"), ttl_attribute="expiration")

# The audit trail (留痕): one entry per change of any record, appended by the audit stream
# consumer and never updated or deleted by anyone (no function is granted more than PutItem).
AUDIT = Table(name="audit", partition_key=Key("subject"), sort_key=Key("entry"))

# Callbacks (回访): TASK and its ATTEMPT#<n> per CALLBACK#<id>; the schedule of what can fall due
# (SCHEDULE#…), read by the daily job from the sparse `schedule` index (only entries whose
# creation day has come carry its keys); the yearly sample (SAMPLE#<year>). Open tasks are in
# the sparse `open_work` index under their owner, or their branch's pool.
CALLBACKS = Table(
    name="callbacks",
    partition_key=PK,
    sort_key=SK,
    indexes=(
        Index("by_branch", Key("branch_id"), Key("due_key")),
        Index("by_client", Key("client_id"), Key("due_key")),
        Index("open_work", Key("open_owner"), Key("due_key")),
        Index("schedule", Key("schedule_shard"), Key("create_on")),
    ),
    stream=True,
)

# Managers' service records and investor education (DOMAIN §8, §9a): work logs (LOG#<manager>,
# sk = day) and weekly summaries (WEEK#<manager>, sk = ISO week) read by key; visits, spot checks
# and education activities listed by manager, branch or client through sparse indexes
# (`listed_at` = <kind>#<time>#<id>); attendances (EDU#<activity>, sk = ATTENDEE#<client>) in their
# clients' histories through `by_client`.
ACTIVITY = Table(
    name="activity",
    partition_key=PK,
    sort_key=SK,
    indexes=(
        Index("by_manager", Key("manager_id"), Key("listed_at")),
        Index("by_branch", Key("branch_id"), Key("listed_at")),
        Index("by_client", Key("client_id"), Key("listed_at")),
    ),
    stream=True,
)

# Counters kept by the streams from the records that change (COUNT#<name>, sk = period or member),
# with what each record contributes (CONTRIB#<record>, sk = family): what activity views and
# reports read instead of the records.
AGGREGATES = Table(name="aggregates", partition_key=PK, sort_key=SK)

# The staff register (DOMAIN §11): MEMBER per staff member (its current role, branch and status,
# under `version`) and CHANGE#<at> for each change with who and why; listed by branch through the
# sparse `by_branch` index (hq and compliance have no branch) and all together through `register`.
STAFF = Table(
    name="staff",
    partition_key=PK,
    sort_key=SK,
    indexes=(
        Index("by_branch", Key("branch_id"), Key("staff_id")),
        Index("register", Key("register"), Key("staff_id")),
    ),
    stream=True,
)

# Bulk imports of the trading system's files (DOMAIN §13): JOB per import (its state and counts,
# under `version`), CHUNK#<n> for each batch of rows once settled (its counts, whether it left
# failed rows): a chunk delivered twice is counted once. Listed newest first through the sparse
# `listed` index (only JOB items carry its keys).
IMPORTS = Table(
    name="imports",
    partition_key=PK,
    sort_key=SK,
    indexes=(Index("listed", Key("listing"), Key("listed_at")),),
    stream=True,
)

TABLES: tuple[Table, ...] = (
    CLIENTS,
    SETTINGS,
    SERVICE,
    IDEMPOTENCY,
    AUDIT,
    CALLBACKS,
    ACTIVITY,
    AGGREGATES,
    STAFF,
    IMPORTS,
)

BUS = EventBus(name="events")


def _archive_retention_days() -> int:
    """The audit archive's lock, from the rule table crm/rules/records.toml (证券法（2019）第137条:
    account-opening records, orders, trades and the information of internal management and
    business operations kept at least 20 years; nobody may hide, forge, alter or destroy them),
    validated as every rule table is (a whole number of years, 20 at least). Its calendar years
    are counted in days never short of them (`crm.domain.records.retention_days`: 20 → 7,305).
    Cheap enough for every cold start: crm.rules and crm.domain.records import nothing of the
    topology (no cycle); reading and checking the one small table costs some 2 M instructions
    (0.4 % of `import boto3`), and tomllib's import 16 M more where nothing else loads it at init
    (the audit and aggregates functions: Valgrind's counts, as tests/bench/cold_start.py takes)."""
    from crm import rules

    return rules.records().archive_retention_days


# In AWS every audit batch is also archived to S3 under object lock (compliance mode): not even
# the account's administrators can delete or overwrite it before the retention ends, which the
# Securities Law sets at 20 years at least (rule data: above).
AUDIT_ARCHIVE = Bucket(name="audit-archive", object_lock=True, retention_days=_archive_retention_days())
# The quarterly reports for headquarters (第55条): every version kept; a few months on they are
# read rarely, so they move to infrequent access; earlier versions of a file are kept ten years.
REPORTS = Bucket(name="reports", prefix="quarterly/", infrequent_after_days=90, noncurrent_days=10 * 365)
# The uploaded import files, their failed rows and the chunks' parts of them: personal
# information (names, ID and phone numbers) kept no longer than the brokerage needs to check an
# import (the records themselves are in the tables and the audit archive): gone after 90 days.
IMPORT_FILES = Bucket(name="imports", prefix="imports/", expire_after_days=90, noncurrent_days=1)
BUCKETS: tuple[Bucket, ...] = (AUDIT_ARCHIVE, REPORTS, IMPORT_FILES)

# The imports' work: an import to read (`import_files`: the whole file checked, then cut into
# chunks), and the chunks of rows to apply (`import_rows`). Their consumers' timeouts: 900 s and 60 s.
IMPORT_JOBS = Queue(name="import-jobs", purpose="imports whose file is to be read", visibility_timeout_s=6 * 900)
IMPORT_ROWS = Queue(name="import-rows", purpose="chunks of an import's rows to apply", visibility_timeout_s=6 * 60)
QUEUES: tuple[Queue, ...] = (IMPORT_JOBS, IMPORT_ROWS)

# Signs the pagination cursors every list hands out, so an edited one is refused (400), never
# handed to DynamoDB (API.md «Rules»: opaque and tamper-evident).
CURSOR_KEY = Secret(name="cursor-key", purpose="signs pagination cursors")
# Keys the hashes that stand for ID and phone numbers in the lookup indexes (DOMAIN §12: never a
# number in clear in an index): whoever reads the table without it cannot find a person by number.
LOOKUP_KEY = Secret(name="lookup-key", purpose="keys the hashes ID and phone numbers are looked up by")
SECRETS: tuple[Secret, ...] = (CURSOR_KEY, LOOKUP_KEY)

STAFF_POOL = UserPool(name="staff")


def _routes(*pairs: str) -> tuple[Route, ...]:
    routes = []
    for pair in pairs:
        method, path = pair.split(" ", 1)
        routes.append(Route(method, path))  # type: ignore[arg-type]
    return tuple(routes)


FUNCTIONS: tuple[Function, ...] = (
    Function(
        name="clients",
        description="Client records, manager re-assignment, contact details, messages sent, at-risk list",
        reads=(CLIENTS, IDEMPOTENCY, STAFF),
        writes=(CLIENTS, IDEMPOTENCY),
        secrets=(CURSOR_KEY, LOOKUP_KEY),
        routes=_routes(
            "POST /clients",
            "GET /clients",
            "GET /clients/at-risk",
            "GET /clients/{client_id}",
            "PUT /clients/{client_id}/manager",
            "GET /clients/{client_id}/manager-history",
            "PUT /clients/{client_id}/contact-details",
            "GET /clients/{client_id}/contact-details-history",
            "GET /clients/{client_id}/messages",
            "PUT /clients/{client_id}/securities-accounts",
        ),
        peak_rss_mb=72.4,
    ),
    Function(
        name="client_metrics",
        description="A client's yearly metrics, and the class and VIP history they lead to",
        reads=(CLIENTS,),
        writes=(CLIENTS,),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "PUT /clients/{client_id}/metrics/{year}",
            "GET /clients/{client_id}/metrics",
            "GET /clients/{client_id}/class-history",
            "GET /clients/{client_id}/vip-history",
        ),
        peak_rss_mb=59.5,
    ),
    Function(
        name="lookup",
        description="Client lookup by fund account, securities account, ID number, phone or name (第29条4)",
        reads=(CLIENTS,),
        appends=(AUDIT,),  # who looked a person up by ID number or phone
        archives=(AUDIT_ARCHIVE,),  # and in the archive kept for the retention period
        secrets=(CURSOR_KEY, LOOKUP_KEY),
        routes=_routes("POST /clients/lookup"),
        peak_rss_mb=75.9,
    ),
    Function(
        name="overview",
        description="A client's overview (第29条3): record, figures, businesses, what is open, the person's accounts",
        reads=(CLIENTS, SERVICE, CALLBACKS),
        secrets=(LOOKUP_KEY,),
        routes=_routes("GET /clients/{client_id}/overview"),
        peak_rss_mb=72.6,
    ),
    Function(
        name="personal_information",
        description="A person's information on request (PIPL 第45条): every record of every account, one document",
        reads=(CLIENTS, SERVICE, CALLBACKS, ACTIVITY, AUDIT),
        appends=(AUDIT,),  # the export's own entry in each account's trail
        archives=(AUDIT_ARCHIVE,),  # and in the archive kept for the retention period
        secrets=(LOOKUP_KEY,),  # the person is found by the keyed hash of the ID number
        routes=_routes("GET /clients/{client_id}/personal-information"),
        timeout_s=30,  # every page of every record of up to a handful of accounts
        peak_rss_mb=82.8,
    ),
    Function(
        name="work",
        description="Each person's work for a day (第51–54条): callbacks, replies, deadlines, prospects, a missing log",
        reads=(CALLBACKS, SERVICE, ACTIVITY, SETTINGS),
        routes=_routes("GET /work"),
        peak_rss_mb=60.4,
    ),
    Function(
        name="staff",
        description="The staff register (DOMAIN §11): who works where, kept in step with the user pool",
        reads=(STAFF, CLIENTS),
        writes=(STAFF,),
        secrets=(CURSOR_KEY,),
        manages_users=(STAFF_POOL,),
        routes=_routes("PUT /staff/{staff_id}", "GET /staff", "GET /staff/{staff_id}"),
        peak_rss_mb=74.0,
    ),
    Function(
        name="questionnaires",
        description="Risk tolerance questionnaires (附件1): scoring, history, the client's risk level",
        reads=(CLIENTS, IDEMPOTENCY),
        writes=(CLIENTS, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "POST /clients/{client_id}/questionnaires",
            "GET /clients/{client_id}/questionnaires",
        ),
        peak_rss_mb=59.7,
    ),
    Function(
        name="reclassify",
        description="Stream: folds metrics into the company's yearly sums and reclassifies the client",
        reads=(CLIENTS, SETTINGS),
        writes=(CLIENTS, SETTINGS),
        # Eight batches of each shard at once (a client's records stay in order): a year-end file
        # of a million rows is reclassified within the hour (docs/capacity.md); one at a time, 6 h.
        streams=(StreamSource(table=CLIENTS, filters=(_prefix_filter("METRICS#"),), parallelization_factor=8),),
        peak_rss_mb=50.5,
    ),
    Function(
        name="audit",
        description="Stream: appends every change of every record to the audit trail (留痕) and its archive",
        reads=(),
        appends=(AUDIT,),
        archives=(AUDIT_ARCHIVE,),
        streams=(
            StreamSource(table=CLIENTS),
            StreamSource(table=SERVICE),
            StreamSource(table=SETTINGS),
            StreamSource(table=CALLBACKS),
            StreamSource(table=ACTIVITY),
            StreamSource(table=STAFF),
            StreamSource(table=IMPORTS, filters=(_prefix_filter("JOB"),)),  # the jobs, not their chunks
        ),
        peak_rss_mb=64.5,
        timeout_s=60,
    ),
    Function(
        name="audit_trail",
        description="The audit trail of a client, for compliance",
        reads=(AUDIT,),
        secrets=(CURSOR_KEY,),
        routes=_routes("GET /audit/clients/{client_id}"),
        peak_rss_mb=58.2,
    ),
    Function(
        name="recalibration",
        description="Schedule: the year-end reset of the turnover threshold T (第6条), moving only who crosses it",
        reads=(CLIENTS, SETTINGS),
        writes=(CLIENTS, SETTINGS),
        # Just after the year turns.
        schedule=Schedule(job="turnover-recalibration", expression="cron(5 0 1 1 ? *)"),
        peak_rss_mb=49.2,
        timeout_s=900,
    ),
    Function(
        name="rules_reclassification",
        description="Schedule: reclassifies every client after the class bands or the VIP rule change",
        reads=(CLIENTS, SETTINGS),
        writes=(CLIENTS, SETTINGS),
        # Usually one read: the tables in force were applied before. A walk over millions of
        # clients spans several runs; half an hour apart, two runs never overlap.
        schedule=Schedule(job="rules-reclassification", expression="rate(30 minutes)"),
        peak_rss_mb=48.7,
        timeout_s=900,
    ),
    Function(
        name="settings",
        description="The turnover threshold T in force and its history (hq)",
        reads=(SETTINGS,),
        routes=_routes("GET /settings/turnover-threshold"),
        peak_rss_mb=59.2,
    ),
    Function(
        name="suitability",
        description="Product suitability, sales with acknowledgement, risk disclosures and high-risk businesses",
        reads=(CLIENTS, IDEMPOTENCY),
        writes=(CLIENTS, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "GET /products",
            "GET /clients/{client_id}/suitability",
            "POST /clients/{client_id}/sales",
            "GET /clients/{client_id}/sales",
            "POST /clients/{client_id}/risk-disclosures",
            "GET /clients/{client_id}/risk-disclosures",
            "POST /clients/{client_id}/businesses",
            "GET /clients/{client_id}/businesses",
        ),
        peak_rss_mb=60.1,
    ),
    Function(
        name="profiles",
        description="The manager's profile of a client (habit, value, decision style) and target VIPs",
        reads=(CLIENTS,),
        writes=(CLIENTS,),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "GET /clients/{client_id}/profile",
            "PUT /clients/{client_id}/profile",
            "GET /clients/{client_id}/profile-history",
            "GET /vip/targets",
        ),
        peak_rss_mb=59.8,
    ),
    Function(
        name="calendar",
        description="Working-day calendars: HQ loads a year; everyone reads the one in force",
        reads=(SETTINGS,),
        writes=(SETTINGS,),
        routes=_routes("PUT /calendar/{year}", "GET /calendar/{year}"),
        peak_rss_mb=58.8,
    ),
    Function(
        name="contacts",
        description="Client contacts (inquiries, visits, SMS, e-mail) with reply and follow-up deadlines",
        reads=(CLIENTS, SETTINGS, SERVICE, IDEMPOTENCY, STAFF),
        writes=(SERVICE, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "POST /contacts",
            "GET /contacts",
            "GET /contacts/{contact_id}",
            "POST /contacts/{contact_id}/reply",
        ),
        peak_rss_mb=60.8,
    ),
    Function(
        name="complaints",
        description="Complaints: gap-free numbering, states, investigation and reply deadlines",
        reads=(CLIENTS, SETTINGS, SERVICE, IDEMPOTENCY),
        writes=(SERVICE, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "POST /complaints",
            "GET /complaints",
            "GET /complaints/{complaint_no}",
            "POST /complaints/{complaint_no}/transitions",
        ),
        peak_rss_mb=75.1,
    ),
    Function(
        name="escalations",
        description="Breach records of missed deadlines, per branch",
        reads=(SERVICE,),
        secrets=(CURSOR_KEY,),
        routes=_routes("GET /sla/breaches"),
        peak_rss_mb=58.6,
    ),
    Function(
        name="sla",
        description="Stream: records late breaches, alerts on provisional deadlines, publishes escalations",
        reads=(SERVICE,),
        writes=(SERVICE,),
        streams=(StreamSource(table=SERVICE, filters=(_prefix_filter("CLOCK#"), _prefix_filter("ESCALATION#"))),),
        publishes=(BUS,),
        peak_rss_mb=49.7,
    ),
    Function(
        name="deadlines",
        description="Stream: recomputes provisional deadlines when HQ loads a year's calendar",
        reads=(SETTINGS, SERVICE),
        writes=(SERVICE,),
        streams=(
            StreamSource(
                table=SETTINGS,
                filters=({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "CALENDAR#"}]}, "sk": {"S": ["CURRENT"]}}}},),
                batch_size=10,
            ),
        ),
        peak_rss_mb=49.6,
        timeout_s=300,
    ),
    Function(
        name="sla_sweep",
        description="Schedule: escalates open deadlines past due (and warns shortly before)",
        reads=(SETTINGS, SERVICE),
        writes=(SERVICE,),
        schedule=Schedule(job="sla-sweep", expression="rate(15 minutes)"),
        peak_rss_mb=48.7,
        timeout_s=300,
    ),
    Function(
        name="callbacks",
        description="Callback tasks (回访): lists, owners, attempts, and the yearly sample's record",
        reads=(CALLBACKS, SERVICE, IDEMPOTENCY, STAFF),
        writes=(CALLBACKS, SERVICE, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "GET /callbacks",
            "GET /callbacks/samples/{year}",
            "GET /callbacks/{callback_id}",
            "PUT /callbacks/{callback_id}/owner",
            "POST /callbacks/{callback_id}/attempts",
        ),
        peak_rss_mb=74.9,
    ),
    Function(
        name="callback_schedule",
        description="Stream: keeps the schedule of callbacks that can fall due, and cancels those of clients who left",
        reads=(CALLBACKS,),
        writes=(CALLBACKS,),
        streams=(
            StreamSource(table=CLIENTS, filters=({"dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}},)),
            StreamSource(
                table=SERVICE,
                filters=(
                    {"dynamodb": {"Keys": {"sk": {"S": ["COMPLAINT"]}}, "NewImage": {"status": {"S": ["replied"]}}}},
                    {
                        "dynamodb": {
                            "Keys": {"sk": {"S": ["CASE"]}},
                            "NewImage": {"status": {"S": ["transferred", "closed"]}},
                        }
                    },
                ),
            ),
        ),
        peak_rss_mb=50.8,
    ),
    Function(
        name="callback_generation",
        description="Schedule: creates the day's callback tasks and draws the yearly sample",
        reads=(CALLBACKS, CLIENTS, SETTINGS),
        writes=(CALLBACKS,),
        schedule=Schedule(job="callbacks", expression="cron(0 6 * * ? *)"),
        peak_rss_mb=49.8,
        timeout_s=900,
    ),
    Function(
        name="retention",
        description="Transfer and closure requests (转户/销户): retention cases, their actions and outcome",
        reads=(CLIENTS, SERVICE, IDEMPOTENCY),
        writes=(CLIENTS, SERVICE, IDEMPOTENCY),
        secrets=(CURSOR_KEY, LOOKUP_KEY),  # an outcome finds the person's accounts (PIPL 第47条)
        routes=_routes(
            "POST /retention-cases",
            "GET /retention-cases",
            "GET /retention-cases/{case_id}",
            "POST /retention-cases/{case_id}/actions",
            "POST /retention-cases/{case_id}/outcome",
        ),
        peak_rss_mb=82.6,
    ),
    Function(
        name="work_records",
        description="Managers' work logs, weekly summaries, visits, spot checks and their activity (第52–55条)",
        reads=(CLIENTS, SETTINGS, ACTIVITY, AGGREGATES, IDEMPOTENCY, STAFF),
        writes=(ACTIVITY, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "PUT /work-logs/{manager_id}/{date}",
            "GET /work-logs",
            "PUT /weekly-summaries/{manager_id}/{week}",
            "POST /visits",
            "GET /visits",
            "POST /spot-checks",
            "GET /managers/{manager_id}/activity",
        ),
        peak_rss_mb=60.7,
    ),
    Function(
        name="prospects",
        description="Prospective clients (第32条): follow-up on the next working day, converted or dropped",
        reads=(CLIENTS, SETTINGS, SERVICE, IDEMPOTENCY, STAFF),
        writes=(SERVICE, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "POST /prospects", "GET /prospects", "GET /prospects/{prospect_id}", "POST /prospects/{prospect_id}/outcome"
        ),
        peak_rss_mb=73.4,
    ),
    Function(
        name="education",
        description="Investor education (Part 9): activities, attendance, and each client's history",
        reads=(CLIENTS, ACTIVITY, IDEMPOTENCY),
        writes=(ACTIVITY, IDEMPOTENCY),
        secrets=(CURSOR_KEY,),
        routes=_routes(
            "POST /education/activities",
            "GET /education/activities",
            "PUT /education/activities/{activity_id}/attendance",
            "GET /clients/{client_id}/education",
        ),
        peak_rss_mb=59.3,
    ),
    Function(
        name="sms",
        description="Stream: sends the account-opening SMS through SNS, once, and logs it against the client",
        reads=(CLIENTS,),
        writes=(CLIENTS,),
        streams=(
            StreamSource(
                table=CLIENTS, filters=({"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}},)
            ),
        ),
        sends_sms=True,
        peak_rss_mb=62.0,
    ),
    Function(
        name="aggregates",
        description="Stream: keeps the counters activity views and reports read, from the records that change",
        reads=(AGGREGATES,),
        writes=(AGGREGATES,),
        streams=(
            StreamSource(table=CLIENTS, filters=({"dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}},)),
            StreamSource(
                table=SERVICE,
                filters=(
                    {"dynamodb": {"Keys": {"sk": {"S": ["CONTACT", "COMPLAINT", "CASE"]}}}},
                    _prefix_filter("CLOCK#"),
                    _prefix_filter("BREACH#"),
                ),
            ),
            StreamSource(table=CALLBACKS, filters=({"dynamodb": {"Keys": {"sk": {"S": ["TASK"]}}}},)),
            StreamSource(table=ACTIVITY),
        ),
        peak_rss_mb=51.6,
    ),
    Function(
        name="quarterly_report",
        description="Schedule: the quarterly report to headquarters (第55条) from the counters, to S3",
        reads=(AGGREGATES,),
        appends=(AGGREGATES,),  # a version's record, once; the counters are the aggregates consumer's
        archives=(REPORTS,),
        # 01:00 on a quarter's first day: an hour for the streams to count the last one's last minutes.
        schedule=Schedule(job="quarterly-report", expression="cron(0 1 1 1,4,7,10 ? *)"),
        peak_rss_mb=66.7,
        timeout_s=900,
    ),
    Function(
        name="reports",
        description="The quarterly reports: their files (presigned, 15 minutes) and their figures as JSON",
        reads=(AGGREGATES,),
        reads_objects=(REPORTS,),
        secrets=(CURSOR_KEY,),
        routes=_routes("GET /reports/quarterly/{period}", "GET /reports/quarterly/{period}/figures"),
        peak_rss_mb=74.5,
    ),
    Function(
        name="imports",
        description="Bulk imports of the trading system's files: the job, its upload URL, start, progress, abort",
        reads=(IMPORTS, IDEMPOTENCY),
        writes=(IMPORTS, IDEMPOTENCY),
        archives=(IMPORT_FILES,),  # the presigned PUT of the upload acts with this grant
        reads_objects=(IMPORT_FILES,),  # whether the file is there; the failed rows' presigned GET
        secrets=(CURSOR_KEY,),
        sends_to=(IMPORT_JOBS,),
        routes=_routes(
            "POST /imports",
            "GET /imports",
            "GET /imports/{import_id}",
            "POST /imports/{import_id}/start",
            "POST /imports/{import_id}/abort",
        ),
        peak_rss_mb=87.1,
    ),
    Function(
        name="import_files",
        description="Queue: reads an import's whole file, then sends its rows in chunks; finishes the import",
        reads=(IMPORTS,),
        writes=(IMPORTS,),
        archives=(IMPORT_FILES,),  # the failed-rows file
        reads_objects=(IMPORT_FILES,),
        queues=(QueueSource(IMPORT_JOBS, batch_size=1, max_concurrency=2),),
        sends_to=(IMPORT_ROWS,),
        timeout_s=900,
        peak_rss_mb=66.3,
    ),
    Function(
        name="import_rows",
        description="Queue: applies a chunk of an import's rows, each whole or reported, by the API's rules",
        reads=(CLIENTS, IMPORTS, STAFF),
        writes=(CLIENTS, IMPORTS),
        archives=(IMPORT_FILES,),  # the chunk's failed rows
        secrets=(LOOKUP_KEY,),
        queues=(QueueSource(IMPORT_ROWS, batch_size=1, max_concurrency=5),),
        sends_to=(IMPORT_JOBS,),  # the last chunk asks for the import to be finished
        timeout_s=60,
        peak_rss_mb=77.9,
    ),
)


def function(name: str) -> Function:
    for candidate in FUNCTIONS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def routes() -> tuple[tuple[Route, Function], ...]:
    return tuple((route, fn) for fn in FUNCTIONS for route in fn.routes)


def schedules() -> tuple[tuple[Schedule, Function], ...]:
    return tuple((fn.schedule, fn) for fn in FUNCTIONS if fn.schedule is not None)
