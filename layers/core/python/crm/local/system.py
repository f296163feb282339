"""Starting and stopping the whole local system: moto, resources, stream and queue pumps, HTTP front."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from crm import errors, topology
from crm.domain.cors import OriginPolicy, origin_problem
from crm.domain.time import BEIJING
from crm.local import jobs, moto_speedups, provision, staff_register, state
from crm.local.buslog import BusLog
from crm.local.front import Gateway, LocalFront
from crm.local.invoke import REGION, Invoker
from crm.local.pump import StreamPump
from crm.local.queues import QueuePump
from crm.local.sms import sent_sms
from crm.local.tokens import TokenIssuer
from crm.observability import SERVICE, RedactingFormatter, logger
from crm.topology import ALLOWED_ORIGINS_VARIABLE, LOCAL_ALLOWED_ORIGINS

ISSUER = "https://crm.local/user-pool"
AWS_SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "events", "s3", "cognito-idp", "secretsmanager")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
SNAPSHOT_EVERY_S = 10.0
TRIGGER_SETTLE_S = 15.0  # at most this long for the streams and queues to catch up before a triggered job


def handler_environment(s3_endpoint: str) -> dict[str, str]:
    """What the local process sees: moto as AWS, in-process, except S3 at moto's server (a report's
    presigned URL must be one a browser on this machine can open). Each function's own variables
    (its tables' local names) are given per invocation by the invoker (`crm.config`)."""
    return {
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        # botocore's account-based DynamoDB endpoints are not the ones in-process moto answers
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "brokerage-crm-local",
    }


class LocalSystem:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        state_dir: Path | None = None,
        allow_remote: bool = False,
        allow_origins: tuple[str, ...] = (),
    ) -> None:
        if host not in LOOPBACK and not allow_remote:
            # Its token endpoint mints any role: on another interface, anyone who reaches it is hq.
            raise errors.InvalidInput(
                f"crm local listens on loopback only (its tokens are anyone's for the asking): {host} "
                "needs --allow-remote",
                field="host",
            )
        for origin in allow_origins:
            problem = origin_problem(origin, any_port=True)
            if problem:
                raise errors.InvalidInput(f"--allow-origin {origin} {problem}", field="allow_origin")
        self.origins = OriginPolicy(allow_origins) if allow_origins else OriginPolicy.parse(LOCAL_ALLOWED_ORIGINS)
        self.host, self.port, self.state_dir = host, port, state_dir
        self.invoker = Invoker({ALLOWED_ORIGINS_VARIABLE: self.origins.serialise()})
        self.pumps: list[StreamPump] = []
        self.queue_pumps: list[QueuePump] = []
        self._work_queues: dict[str, provision.WorkQueue] = {}
        self._moto: Any = None
        self._moto_in_process: Any = None
        self._speedups = ExitStack()
        self._front: LocalFront | None = None
        self._front_thread: threading.Thread | None = None
        self._stop_snapshots = threading.Event()
        self._snapshot_thread: threading.Thread | None = None
        self._clients: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        if self._front is None:
            raise RuntimeError("not started")
        return self._front.base_url

    def start(self) -> None:
        from moto import mock_aws
        from moto.server import ThreadedMotoServer

        for noisy in ("werkzeug", "moto"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        # whatever else logs in this process (libraries) goes through the same PII redaction
        root = logging.getLogger()
        if not root.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(RedactingFormatter())
            handler.addFilter(lambda record: not record.name.startswith(SERVICE))  # printed by its own
            root.addHandler(handler)
            root.setLevel(logging.WARNING)
        # Handlers and pumps call moto in-process (no HTTP, no per-request server dispatch: three
        # quarters of the local system's time went there); the server answers from the same
        # backends, for S3 only.
        self._moto_in_process = mock_aws()
        self._moto_in_process.start()
        # moto's habits that cost what a local book of accounts cannot pay (a transaction copying
        # whole tables), replaced by equivalents that change no answer
        self._speedups.enter_context(moto_speedups.installed(keep_order=False))
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        moto_host, moto_port = self._moto.get_host_and_port()
        os.environ.update(handler_environment(f"http://{moto_host}:{moto_port}"))

        import boto3

        session = boto3.session.Session()
        self._clients = {name: session.client(name) for name in AWS_SERVICES}
        if self.state_dir is not None:
            state.private_directory(self.state_dir)
        provision.create_tables(self._clients["dynamodb"])
        provision.create_buckets(self._clients["s3"])
        provision.create_user_pool(self._clients["cognito-idp"])
        provision.create_secrets(self._clients["secretsmanager"], state.keys(self.state_dir))
        queues = provision.create_queues(self._clients["sqs"])
        self._dead_letter_queues = provision.create_dead_letter_queues(self._clients["sqs"])
        self._work_queues = provision.create_work_queues(self._clients["sqs"])
        self.bus_log = BusLog(self._clients["sqs"], provision.create_bus(self._clients["events"], self._clients["sqs"]))
        restored = 0
        if self.state_dir is not None:
            restored = state.load(self._clients["dynamodb"], self.state_dir)
            state.load_objects(self._clients["s3"], self.state_dir)
        self._start_pumps(queues, from_latest=restored > 0)
        self._start_queue_pumps()

        issuer = self._issuer = TokenIssuer.for_state(self.state_dir, ISSUER)
        self._gateway = Gateway(self.invoker, issuer, origins=self.origins)
        if restored:
            staff_register.restore_users()
        self._front = LocalFront(
            (self.host, self.port),
            gateway=self._gateway,
            local_endpoints={
                "health": lambda _: {"status": "ok"},
                "token": self._token,
                "trigger": self._trigger,
                "status": lambda _: self.status(),
                "events": lambda body: {"items": self.bus_log.events(body.get("detail_type"))},
                "clock": lambda body: self.set_clock(body.get("at")),
                "messages": lambda _: {"items": sent_sms()},
                "replay": lambda body: self.replay(body.get("function")),
                "dead-letters": lambda body: {"items": self.dead_letters(body.get("job"))},
            },
        )
        self.port = self._front.server_address[1]
        self._front_thread = threading.Thread(target=self._front.serve_forever, name="front", daemon=True)
        self._front_thread.start()
        if self.state_dir is not None:
            self._snapshot_thread = threading.Thread(target=self._snapshots, name="snapshots", daemon=True)
            self._snapshot_thread.start()

    def _token(self, body: dict[str, Any]) -> dict[str, Any]:
        """A token for any identity (`crm token`), whose valid identity goes on the staff register."""
        role, user, branch = str(body.get("role", "")), str(body.get("user", "")), body.get("branch")
        token = self._issuer.mint(role=role, user=user, branch=branch)
        registered = staff_register.register(self._gateway, role=role, user=user, branch=branch, name=body.get("name"))
        return {"token": token, **registered}

    def _start_pumps(self, queues: dict[str, str], *, from_latest: bool) -> None:
        dynamodb = self._clients["dynamodb"]
        for function in topology.FUNCTIONS:
            for source in function.streams:
                table = source.table.local_name
                pump = StreamPump(
                    function,
                    source,
                    streams=self._clients["dynamodbstreams"],
                    sqs=self._clients["sqs"],
                    stream_arn=dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"],
                    failure_queue_url=queues[function.name],
                    invoker=self.invoker,
                    from_latest=from_latest,
                )
                pump.start()
                self.pumps.append(pump)

    def _start_queue_pumps(self) -> None:
        """One pump per queue source (crm.local.queues): the work queues' messages are not kept in
        the state directory, so a restart starts with empty queues."""
        for function in topology.FUNCTIONS:
            for source in function.queues:
                pump = QueuePump(
                    function,
                    source,
                    sqs=self._clients["sqs"],
                    queue=self._work_queues[source.queue.name],
                    invoker=self.invoker,
                    clock_offset_ms=lambda: self._gateway.clock.offset_ms(),  # imports run on `crm clock` too
                )
                pump.start()
                self.queue_pumps.append(pump)

    def _snapshots(self) -> None:
        while not self._stop_snapshots.wait(SNAPSHOT_EVERY_S):
            self.save_state()

    def save_state(self) -> None:
        if self.state_dir is not None:
            state.save(self._clients["dynamodb"], self.state_dir)
            state.save_objects(self._clients["s3"], self.state_dir)

    def set_clock(self, at: str | None) -> dict[str, Any]:
        """Set (or with no time, reset) the request time the local API reports."""
        gateway = self._gateway
        gateway.clock.set(None if not at else int(jobs.parse_at(at).timestamp() * 1000))
        return {"now": datetime.fromtimestamp(gateway.clock.now_ms() / 1000, tz=BEIJING).isoformat()}

    def replay(self, function: str | None) -> dict[str, Any]:
        """Deliver every stream record again to `function`'s handlers (all, without one), as an
        operator replays a stream after a fix: the handlers must change nothing they did before."""
        rewound = [pump.name for pump in self.pumps if function in (None, pump.function.name)]
        if not rewound:
            raise errors.NotFound(f"no stream consumer {function!r}", field="function")
        for pump in self.pumps:
            if pump.name in rewound:
                pump.rewind()
        return {"replayed": rewound}

    def status(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "streams": {pump.name: pump.stats.as_dict() for pump in self.pumps},
            "queues": {pump.name: pump.stats.as_dict() | pump.depth() for pump in self.queue_pumps},
        }

    def _trigger(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run a job as its schedule would, on the state the streams and queues have caught up with:
        what was written just before (a quarter's last records, before its report) has been counted."""
        self._drain(timeout_s=TRIGGER_SETTLE_S)
        return jobs.trigger(self.invoker, str(body.get("job", "")), body.get("at"), dead_letters=self._dead_letter)

    def _dead_letter(self, job: str, failure: dict[str, Any]) -> None:
        """A run that failed every attempt, on its job's dead-letter queue (as Scheduler and Lambda
        put it in AWS), where `crm dead-letters` shows it."""
        logger.error("job run sent to its dead-letter queue", job=job, error=failure["error"])
        self._clients["sqs"].send_message(
            QueueUrl=self._dead_letter_queues[job], MessageBody=json.dumps(failure, ensure_ascii=False, default=str)
        )

    def dead_letters(self, job: str | None = None) -> list[dict[str, Any]]:
        """What waits on the jobs' dead-letter queues and the work queues' (all, or one job's or
        queue's), left there: a job's failed run as it was kept; a work queue's message as
        {queue, message_id, sent_at, body} (its body parsed when it is JSON)."""
        found: list[dict[str, Any]] = []
        for name, url in self._dead_letter_queues.items():
            if job in (None, name):
                found += [json.loads(message["Body"]) for message in self._peek(url)]
        for name, work in self._work_queues.items():
            if job in (None, name):
                found += [self._dead_message(name, message) for message in self._peek(work.dead_letter_url)]
        return found

    def _peek(self, url: str) -> list[dict[str, Any]]:
        """Up to ten messages of a dead-letter queue, left visible there."""
        return list(
            self._clients["sqs"]
            .receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
            )
            .get("Messages", [])
        )

    @staticmethod
    def _dead_message(queue: str, message: dict[str, Any]) -> dict[str, Any]:
        try:
            body: Any = json.loads(message["Body"])
        except ValueError:
            body = message["Body"]
        sent = int(message.get("Attributes", {}).get("SentTimestamp", 0)) / 1000
        return {
            "queue": queue,
            "message_id": message["MessageId"],
            "sent_at": datetime.fromtimestamp(sent, tz=BEIJING).isoformat(),
            "body": body,
        }

    def _drain(self, *, timeout_s: float) -> None:
        """Let the pumps deliver what was written (or sent) before now, and what that writes in turn, so
        that the state kept on disk holds no record its stream handlers have not seen (a restart
        reads the streams from their end)."""
        deadline = time.monotonic() + timeout_s
        pumps: list[StreamPump | QueuePump] = [*self.pumps, *self.queue_pumps]
        while time.monotonic() < deadline:
            mark, invocations = time.monotonic(), self._invocations()
            while any(pump.quiet_from < mark for pump in pumps) and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._invocations() == invocations:
                return

    def _invocations(self) -> int:
        return sum(pump.stats.invocations for pump in self.pumps) + sum(
            pump.stats.invocations for pump in self.queue_pumps
        )

    def stop(self) -> None:
        self._stop_snapshots.set()
        if self._front is not None:
            self._front.shutdown()
            self._front.server_close()
        if self.state_dir is not None:
            self._drain(timeout_s=10)
        pumps: list[StreamPump | QueuePump] = [*self.pumps, *self.queue_pumps]
        for pump in pumps:  # all at once: each finishes the batch in hand
            pump.request_stop()
        deadline = time.monotonic() + 15
        for pump in pumps:
            pump.join(timeout=max(0.1, deadline - time.monotonic()))
        self.save_state()
        if self._moto is not None:
            self._moto.stop()
        self._speedups.close()
        if self._moto_in_process is not None:
            self._moto_in_process.stop()
