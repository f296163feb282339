"""`crm local --state DIR`: keeping the tables' items, and the system's keys, between runs.

moto keeps everything in memory; on a clean stop (and every few seconds while running) each
table is written to `DIR/<table>.jsonl` in DynamoDB JSON, and loaded back on the next start. The
keys the secrets hold (`DIR/keys.json`) are made once and kept. The directory and every file in it
are the user's alone (0700, 0600): they hold ID and phone numbers in clear, and the keys.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from crm import topology

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_directory(state_dir: Path) -> None:
    """Make the state directory, or take it back, as the user's alone (and every file in it)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(PRIVATE_DIR)
    for path in state_dir.iterdir():
        if path.is_file():
            path.chmod(PRIVATE_FILE)


def _private_file(path: Path) -> Any:
    """`path` opened for writing, created readable by the user alone."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE), "w", encoding="utf-8")


def keys(state_dir: Path | None) -> dict[str, str]:
    """The value of each secret of the topology: made afresh, or kept in the state directory."""
    made = {secret.name: secrets.token_hex(32) for secret in topology.SECRETS}
    if state_dir is None:
        return made
    path = state_dir / "keys.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values = {**made, **kept}
    if values != kept:
        with _private_file(path) as out:
            json.dump(values, out)
    return values


def save(dynamodb: Any, state_dir: Path) -> None:
    state_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for table in topology.TABLES:
        target = state_dir / f"{table.name}.jsonl"
        partial = target.with_suffix(".jsonl.partial")
        with _private_file(partial) as out:
            for page in dynamodb.get_paginator("scan").paginate(TableName=table.local_name):
                for item in page["Items"]:
                    out.write(json.dumps(item, ensure_ascii=False) + "\n")
        os.replace(partial, target)  # never leave a half-written table behind


def load(dynamodb: Any, state_dir: Path) -> int:
    """Put back every saved item; returns how many."""
    count = 0
    for table in topology.TABLES:
        source = state_dir / f"{table.name}.jsonl"
        if not source.exists():
            continue
        items = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={table.local_name: batch})
        count += len(items)
    return count
