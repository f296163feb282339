"""The persistence layer of Powertools Idempotency (the `idempotency` table)."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from crm import config
from crm.topology import IDEMPOTENCY


def persistence() -> DynamoDBPersistenceLayer:
    return _persistence(config.active().table(IDEMPOTENCY))


@cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name)
