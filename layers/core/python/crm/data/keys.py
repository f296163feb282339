"""Keys kept in Secrets Manager (crm.topology `Secret`s): read once per execution environment.

A key is fetched at its first use (a function that never pages pays nothing at cold start) and
kept for the environment's life; SnapStart's hook fetches it before the snapshot. The key never
appears in code, in a table or in a log.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from crm import config
from crm.topology import Secret


@cache
def _client() -> Any:
    import boto3

    return boto3.client("secretsmanager")


@cache
def _secret(secret_id: str) -> bytes:
    return _client().get_secret_value(SecretId=secret_id)["SecretString"].encode("utf-8")


def key(secret: Secret) -> bytes:
    """The running function's key `secret` (it must declare it in the topology)."""
    return _secret(config.active().secret(secret))
