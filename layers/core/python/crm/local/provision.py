"""Create, from the topology, every resource the handlers need, in moto."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from crm import topology
from crm.topology import Key, Queue, Table


def _attribute_definitions(table: Table) -> list[dict[str, str]]:
    keys: dict[str, Key] = {table.partition_key.name: table.partition_key}
    if table.sort_key:
        keys[table.sort_key.name] = table.sort_key
    for index in table.indexes:
        keys[index.partition_key.name] = index.partition_key
        if index.sort_key:
            keys[index.sort_key.name] = index.sort_key
    return [{"AttributeName": key.name, "AttributeType": key.type} for key in keys.values()]


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def table_definition(table: Table) -> dict[str, Any]:
    """CreateTable arguments for one topology table (also what the stack declares)."""
    definition: dict[str, Any] = {
        "TableName": table.local_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": _attribute_definitions(table),
        "KeySchema": _key_schema(table.partition_key, table.sort_key),
    }
    if table.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    if table.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return definition


def create_tables(dynamodb: Any) -> None:
    existing = set(dynamodb.list_tables()["TableNames"])
    for table in topology.TABLES:
        if table.local_name in existing:
            continue
        dynamodb.create_table(**table_definition(table))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.local_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )


def failure_queue_name(function: topology.Function) -> str:
    return f"crm-{function.name}-failures"


def create_queues(sqs: Any) -> dict[str, str]:
    """One on-failure queue per stream-fed function, as in AWS; returns name → URL."""
    return {
        fn.name: sqs.create_queue(QueueName=failure_queue_name(fn))["QueueUrl"]
        for fn in topology.FUNCTIONS
        if fn.streams
    }


def dead_letter_queue_name(schedule: topology.Schedule) -> str:
    return f"crm-{schedule.job}-dead-letters"


def create_dead_letter_queues(sqs: Any) -> dict[str, str]:
    """One dead-letter queue per job, as in AWS; returns job → URL."""
    return {
        schedule.job: sqs.create_queue(QueueName=dead_letter_queue_name(schedule))["QueueUrl"]
        for schedule, _ in topology.schedules()
    }


# What waits on a work queue's dead-letter queue is kept the longest SQS keeps anything, as the
# stack's failure queues are (infra/constructs/failures.py): for an operator to look at and redrive.
DEAD_LETTER_RETENTION_S = 14 * 86400


class WorkQueue(NamedTuple):
    """A topology queue as made in moto: its URL and ARN, and its dead-letter queue's URL."""

    queue: Queue
    url: str
    arn: str
    dead_letter_url: str


def _queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    """The URL of queue `name`, made with `attributes`, or the one there, given them."""
    try:
        url = str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_work_queues(sqs: Any, queues: Iterable[Queue] = topology.QUEUES) -> dict[str, WorkQueue]:
    """Every work queue of the topology with its dead-letter queue, as the stack makes them: the
    queue's visibility timeout and retention, and a redrive policy sending a message to the
    dead-letter queue once it has been received `max_receive_count` times without being deleted
    (moto applies it as SQS does: the receive after the last allowed one moves the message);
    returns queue name → WorkQueue. Made once; a queue already there is reused (with the
    topology's attributes)."""
    made = {}
    for queue in queues:
        dead_letter_url = _queue(sqs, queue.dead_letter_name, {"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_S)})
        redrive = {"deadLetterTargetArn": _arn(sqs, dead_letter_url), "maxReceiveCount": queue.max_receive_count}
        url = _queue(
            sqs,
            queue.local_name,
            {
                "VisibilityTimeout": str(queue.visibility_timeout_s),
                "MessageRetentionPeriod": str(queue.retention_s),
                "RedrivePolicy": json.dumps(redrive),
            },
        )
        made[queue.name] = WorkQueue(queue=queue, url=url, arn=_arn(sqs, url), dead_letter_url=dead_letter_url)
    return made


BUS_LOG_QUEUE = "crm-bus-log"


def create_bus(events: Any, sqs: Any) -> str:
    """The application's bus, with a catch-all rule copying every event to a queue: the local
    bus log (`crm events`), standing in for whatever consumes the events in AWS."""
    bus = topology.BUS.local_name
    if bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=BUS_LOG_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="crm-bus-log", EventBusName=bus, EventPattern='{"source": [{"prefix": ""}]}')
    events.put_targets(Rule="crm-bus-log", EventBusName=bus, Targets=[{"Id": "bus-log", "Arn": queue_arn}])
    return queue_url


def create_buckets(s3: Any) -> None:
    """Every bucket of the topology; object lock with its default retention where it asks for it."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in topology.BUCKETS:
        if bucket.local_name in existing:
            continue
        s3.create_bucket(Bucket=bucket.local_name, ObjectLockEnabledForBucket=bucket.object_lock)
        if bucket.object_lock:
            s3.put_object_lock_configuration(
                Bucket=bucket.local_name,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": bucket.retention_days}},
                },
            )


def create_user_pool(cognito: Any) -> str:
    """The staff user pool, with the custom attributes the stack declares (role, branch); its id."""
    name = topology.STAFF_POOL.local_name
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] == name:
            return str(pool["Id"])
    created = cognito.create_user_pool(
        PoolName=name,
        Schema=[
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
            {"Name": "branch", "AttributeDataType": "String", "Mutable": True},
        ],
    )
    return str(created["UserPool"]["Id"])


def create_secrets(secretsmanager: Any, values: dict[str, str]) -> None:
    """Every secret of the topology, holding `values[name]` (each run's own, or the state's)."""
    existing = {s["Name"] for s in secretsmanager.list_secrets().get("SecretList", [])}
    for secret in topology.SECRETS:
        if secret.local_name not in existing:
            secretsmanager.create_secret(Name=secret.local_name, SecretString=values[secret.name])
