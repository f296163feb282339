"""The persistence layer of Powertools Idempotency (the `idempotency` table)."""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from crm.topology import IDEMPOTENCY


@cache
def persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=os.environ.get(IDEMPOTENCY.env_var, IDEMPOTENCY.local_name))
