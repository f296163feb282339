"""`crm local --state DIR`: keeping the tables' items between runs.

moto keeps everything in memory; on a clean stop (and every few seconds while running) each
table is written to `DIR/<table>.jsonl` in DynamoDB JSON, and loaded back on the next start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from crm import topology


def save(dynamodb: Any, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    for table in topology.TABLES:
        target = state_dir / f"{table.name}.jsonl"
        partial = target.with_suffix(".jsonl.partial")
        with partial.open("w", encoding="utf-8") as out:
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
