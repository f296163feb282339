"""The SQS queues of work of `crm.topology` (the imports' files and chunks of rows), each with its
dead-letter queue.

Their messages name a client's rows and may carry them (names, ID and phone numbers: C2 under
JR/T 0171), so every queue and its dead-letter queue is encrypted with the stack's data key (the
tables' and buckets' customer-managed key), not with an SQS-managed one or the operations key, and
refuses plain HTTP. A queue keeps a message `retention_s` and hides a message being worked on
`visibility_timeout_s` (the topology covers the consumer's timeout with it; a visibility timeout
below the consumer's timeout is refused at synth, as Lambda would refuse the mapping). A message
received `max_receive_count` times without being deleted goes to the dead-letter queue, which
keeps it 14 days (the most SQS keeps) for an operator to inspect and move back (SQS's redrive);
the monitoring alarms on its first message, and on a queue whose oldest message waits too long.

Who may use a queue is the functions' business (`infra.constructs.function`): its consumers
receive, delete and change the visibility of its messages and decrypt them; its senders send and
encrypt; nobody else touches it, and nobody touches a dead-letter queue but SQS and the operators.

Each queue keeps a fixed logical id derived from its topology name, as the tables and buckets do.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from crm import topology
from infra.constructs.data import pascal_case

DEAD_LETTER_RETENTION = Duration.days(14)


def queue_logical_id(queue: topology.Queue) -> str:
    return f"{pascal_case(queue.name)}Queue"


def dead_letters_logical_id(queue: topology.Queue) -> str:
    return f"{pascal_case(queue.name)}DeadLetters"


def _encrypted_queue(
    scope: Construct,
    construct_id: str,
    *,
    logical_id: str,
    key: kms.IKey,
    retention: Duration,
    visibility_timeout: Duration | None = None,
    dead_letter_queue: sqs.DeadLetterQueue | None = None,
) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=retention,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=dead_letter_queue,
    )
    cfn_queue = queue.node.default_child
    assert isinstance(cfn_queue, sqs.CfnQueue)
    cfn_queue.override_logical_id(logical_id)
    return queue


class WorkQueue(Construct):
    """A topology queue (`queue`) and its dead-letter queue (`dead_letters`)."""

    def __init__(self, scope: Construct, spec: topology.Queue, *, key: kms.IKey) -> None:
        super().__init__(scope, pascal_case(spec.name))
        self.spec = spec
        self.dead_letters = _encrypted_queue(
            self, "DeadLetters", logical_id=dead_letters_logical_id(spec), key=key, retention=DEAD_LETTER_RETENTION
        )
        self.queue = _encrypted_queue(
            self,
            "Queue",
            logical_id=queue_logical_id(spec),
            key=key,
            retention=Duration.seconds(spec.retention_s),
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=spec.max_receive_count),
        )


class Queues(Construct):
    """One `WorkQueue` per topology queue; `queues` maps topology name → it."""

    def __init__(self, scope: Construct, construct_id: str, queues: Iterable[topology.Queue], *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, WorkQueue] = {spec.name: WorkQueue(self, spec, key=key) for spec in queues}
