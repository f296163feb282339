"""`crm local --state DIR`: keeping the tables' items, the buckets' objects, and the system's keys,
between runs.

moto keeps everything in memory; on a clean stop (and every few seconds while running) each
table is written to `DIR/<table>.jsonl` in DynamoDB JSON, and loaded back on the next start. Each
bucket's objects (the reports, the audit archive, the imported files) are kept under `DIR/objects/`,
one file each and `objects.jsonl` naming them: only objects new or changed since the last save are
read again, so saving stays cheap as the archive grows. The keys the secrets hold (`DIR/keys.json`)
are made once and kept. The directory and every file in it are the user's alone (0700, 0600): they
hold ID and phone numbers in clear, and the keys.
"""

from __future__ import annotations

import hashlib
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


OBJECTS = "objects"  # DIR/objects/<bucket>/<sha-256 of the key>, and DIR/objects.jsonl naming them


def _saved_objects(state_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    index = state_dir / f"{OBJECTS}.jsonl"
    if not index.exists():
        return {}
    entries = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(entry["bucket"], entry["key"]): entry for entry in entries}


def save_objects(s3: Any, state_dir: Path) -> None:
    """Every bucket's objects (their latest versions), fetching only what changed since the last save."""
    saved = _saved_objects(state_dir)
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    for bucket in topology.BUCKETS:
        folder = state_dir / OBJECTS / bucket.name
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket.local_name):
            for listed in page.get("Contents", []):
                key = listed["Key"]
                entry = saved.get((bucket.name, key))
                if entry is None or entry["etag"] != listed["ETag"]:
                    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
                    answer = s3.get_object(Bucket=bucket.local_name, Key=key)
                    name = hashlib.sha256(key.encode()).hexdigest()
                    with os.fdopen(
                        os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE), "wb"
                    ) as out:
                        out.write(answer["Body"].read())
                    entry = {
                        "bucket": bucket.name,
                        "key": key,
                        "file": f"{bucket.name}/{name}",
                        "etag": listed["ETag"],
                        "content_type": answer.get("ContentType", "binary/octet-stream"),
                        "metadata": answer.get("Metadata", {}),
                    }
                kept[(bucket.name, key)] = entry
    for gone in saved.keys() - kept.keys():
        (state_dir / OBJECTS / saved[gone]["file"]).unlink(missing_ok=True)
    index = state_dir / f"{OBJECTS}.jsonl"
    partial = index.with_suffix(".jsonl.partial")
    with _private_file(partial) as out:
        for entry in kept.values():
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    os.replace(partial, index)


def load_objects(s3: Any, state_dir: Path) -> int:
    """Put back every saved object (with its content type and metadata); returns how many."""
    names = {bucket.name: bucket.local_name for bucket in topology.BUCKETS}
    entries = _saved_objects(state_dir)
    for (bucket, key), entry in entries.items():
        s3.put_object(
            Bucket=names[bucket],
            Key=key,
            Body=(state_dir / OBJECTS / entry["file"]).read_bytes(),
            ContentType=entry["content_type"],
            Metadata=entry["metadata"],
            ChecksumAlgorithm="SHA256",  # the archive's object lock asks every put for one
        )
    return len(entries)
