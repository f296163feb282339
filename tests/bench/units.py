"""DynamoDB request units (on-demand), counted where moto answers each request, for the capacity model.

`counting.py` counts items; DynamoDB bills on-demand throughput in request units, which depend on
each item's size, on the read's consistency, on transactions and on the global secondary indexes
a write touches. This counts them by DynamoDB's published rules, from the items moto holds before
and after each request (the same patch points as `counting.ItemCounter`, installed beside it):

- read request units (RRU): GetItem, and each key of a BatchGetItem, one unit per 4 KB of the item
  (a key without an item: one unit), halved for an eventually consistent read; Query and Scan one
  unit per 4 KB of all the items they evaluated together (at least one), halved when eventually
  consistent (every index query is); TransactGetItems two units per 4 KB of each item; a
  ConditionCheck in a transaction two units (a transactional read).
- write request units (WRU): PutItem, UpdateItem and DeleteItem one unit per 1 KB of the larger
  of the item before and after the write, each BatchWriteItem request alike; doubled inside
  TransactWriteItems. A write whose condition fails: one unit.
- index write units, apart: a write to the table writes each global secondary index whose entry
  it adds, removes or changes (every index here projects ALL, so any change of an item in the
  index rewrites its entry): one unit per 1 KB of the entry, two writes (delete and put) when the
  item's index key changes.

Item size is DynamoDB's: each attribute's name (UTF-8 bytes) and value — a string's UTF-8 bytes,
a number's significant digits (one byte per two, plus one), one byte for a Boolean or null,
3 bytes plus one per element for a list or map (and their contents), a set's elements.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

READ_UNIT = 4096
WRITE_UNIT = 1024

Json = dict[str, Any]


@dataclass
class Units:
    read: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # RRU, by table
    written: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # WRU of its items
    index_written: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # of its indexes
    # how many transactions wrote each item ("table pk sk"): two transactions on one item at once
    # conflict, so an item every row's transaction writes admits one such row at a time
    transacted: Counter[str] = field(default_factory=Counter)

    @property
    def rru(self) -> float:
        return float(sum(self.read.values()))

    @property
    def wru(self) -> float:
        """Every write unit billed: the tables' items and their indexes' entries."""
        return float(sum(self.written.values()) + sum(self.index_written.values()))

    def add(self, other: Units) -> None:
        for mine, theirs in ((self.read, other.read), (self.written, other.written)):
            for table, units in theirs.items():
                mine[table] += units
        for table, units in other.index_written.items():
            self.index_written[table] += units
        self.transacted.update(other.transacted)

    def summary(self) -> dict[str, Any]:
        return {
            "rru": round(self.rru, 1),
            "wru": round(self.wru, 1),
            "wru_of_indexes": round(float(sum(self.index_written.values())), 1),
            "rru_by_table": {name: round(value, 1) for name, value in sorted(self.read.items())},
            "wru_by_table": {name: round(value, 1) for name, value in sorted(self.written.items())},
            "index_wru_by_table": {name: round(value, 1) for name, value in sorted(self.index_written.items())},
            "transactions_on_the_busiest_items": dict(self.transacted.most_common(3)),
        }


# --- sizes -------------------------------------------------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: Json) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(content) if isinstance(content, bytes) else math.ceil(len(content) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode("utf-8")) for member in content)
    if kind == "NS":
        return sum(_number_size(member) for member in content)
    if kind == "BS":
        return sum(len(member) for member in content)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(member) for name, member in content.items())
    raise ValueError(f"an attribute value of type {kind}")


def item_size(attributes: Json) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in attributes.items())


# --- the items a request names, before and after --------------------------------------------------


def _table(backend: DynamoDBBackend, name: str) -> Table:
    return backend.get_table(name)


def _stored(table: Table, key: Json) -> Json | None:
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item: Item | None = table.get_item(hash_key, range_key)
    return None if item is None else dict(item.to_json()["Attributes"])


def _key_of(table: Table, attributes: Json) -> Json:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attributes[name] for name in names}


def _write_units(before: Json | None, after: Json | None) -> int:
    larger = max(item_size(before) if before else 0, item_size(after) if after else 0)
    return max(1, math.ceil(larger / WRITE_UNIT))


def _index_units(table: Table, before: Json | None, after: Json | None) -> int:
    """The write units of the table's global secondary indexes for one item's change (ALL projection)."""
    units = 0
    for index in table.global_indexes:
        keys = index.schema_key_attrs
        old = before if before is not None and all(name in before for name in keys) else None
        new = after if after is not None and all(name in after for name in keys) else None
        if old is None and new is None:
            continue
        if old is not None and new is not None:
            if all(old[name] == new[name] for name in keys):
                if old != new:
                    units += _write_units(old, new)
                continue
            units += _write_units(old, None) + _write_units(None, new)
        elif new is not None:
            units += _write_units(None, new)
        elif old is not None:
            units += _write_units(old, None)
    return units


# --- the counter ---------------------------------------------------------------------------------


class UnitCounter:
    """Counts request units while `measuring()`; installed around a whole run with `installed()`."""

    def __init__(self) -> None:
        self.units: Units | None = None

    @contextmanager
    def measuring(self) -> Iterator[Units]:
        self.units = Units()
        try:
            yield self.units
        finally:
            self.units = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        with ExitStack() as stack:
            for name, count in _COUNTERS.items():
                stack.enter_context(mock.patch.object(DynamoHandler, name, self._counted(name, count)))
            yield

    def _counted(self, name: str, count: Counter_) -> Callable[[DynamoHandler], Any]:
        original = getattr(DynamoHandler, name)
        counter = self

        def handle(handler: DynamoHandler) -> Any:
            units = counter.units
            if units is None:
                return original(handler)
            return count(units, handler, lambda: original(handler))

        handle.__name__ = name
        return handle


Counter_ = Callable[[Units, DynamoHandler, Callable[[], Any]], Any]


def _answer(result: Any) -> Json:
    answer = result.result if hasattr(result, "result") else result
    return answer if isinstance(answer, dict) else {}


def _reads(units: Units, table: str, size: int, *, consistent: bool, transactional: bool = False) -> None:
    unit = max(1, math.ceil(size / READ_UNIT))
    units.read[table] += unit * (2 if transactional else 1 if consistent else 0.5)


def _get_item(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    result = call()
    body = handler.body
    item = _answer(result).get("Item")
    stored = _stored(_table(handler.dynamodb_backend, body["TableName"]), body["Key"]) if item else None
    _reads(units, body["TableName"], item_size(stored or {}), consistent=bool(body.get("ConsistentRead")))
    return result


def _batch_get_item(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    result = call()
    unprocessed = _answer(result).get("UnprocessedKeys") or {}
    for name, request in handler.body["RequestItems"].items():
        table = _table(handler.dynamodb_backend, name)
        left = unprocessed.get(name, {}).get("Keys", [])
        for key in request["Keys"]:
            if key in left:
                continue
            stored = _stored(table, key)
            _reads(units, name, item_size(stored or {}), consistent=bool(request.get("ConsistentRead")))
    return result


def _query_or_scan(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    result = call()
    body, answer = handler.body, _answer(result)
    items = answer.get("Items", [])
    returned = sum(item_size(item) for item in items)
    scanned = int(answer.get("ScannedCount", len(items)))
    if scanned > len(items):  # a filter dropped some: as large as those returned, or the table's mean
        table = _table(handler.dynamodb_backend, body["TableName"])
        mean = returned / len(items) if items else _mean_size(table)
        returned += round(mean * (scanned - len(items)))
    consistent = bool(body.get("ConsistentRead")) and not body.get("IndexName")
    _reads(units, body["TableName"], returned, consistent=consistent)
    return result


def _mean_size(table: Table) -> float:
    sizes = [item_size(dict(item.to_json()["Attributes"])) for item in table.all_items()[:100]]
    return sum(sizes) / len(sizes) if sizes else 0.0


def _transact_get_items(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    result = call()
    for entry in handler.body["TransactItems"]:
        spec = entry["Get"]
        stored = _stored(_table(handler.dynamodb_backend, spec["TableName"]), spec["Key"])
        _reads(units, spec["TableName"], item_size(stored or {}), consistent=True, transactional=True)
    return result


def _changes(backend: DynamoDBBackend, named: list[tuple[str, Json]], call: Callable[[], Any]) -> tuple[Any, list]:
    """Run the request; each named (table, key) with its item before and after."""
    before = [(name, key, _stored(_table(backend, name), key)) for name, key in named]
    result = call()
    return result, [(name, old, _stored(_table(backend, name), key)) for name, key, old in before]


def _charge(units: Units, backend: DynamoDBBackend, changes: list, *, factor: int = 1) -> None:
    for name, before, after in changes:
        units.written[name] += factor * _write_units(before, after)
        units.index_written[name] += _index_units(_table(backend, name), before, after)


def _failed_write(units: Units, table: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:
        units.written[table] += 1  # a write whose condition failed still costs a unit
        raise


def _one_write(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    body, backend = handler.body, handler.dynamodb_backend
    name = body["TableName"]
    table = _table(backend, name)
    key = body["Key"] if "Key" in body else _key_of(table, body["Item"])
    result, changes = _changes(backend, [(name, key)], lambda: _failed_write(units, name, call))
    _charge(units, backend, changes)
    return result


def _batch_write_item(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    backend = handler.dynamodb_backend
    named = []
    for name, requests in handler.body["RequestItems"].items():
        table = _table(backend, name)
        for request in requests:
            if "PutRequest" in request:
                named.append((name, _key_of(table, request["PutRequest"]["Item"])))
            else:
                named.append((name, request["DeleteRequest"]["Key"]))
    result, changes = _changes(backend, named, call)
    unprocessed = _answer(result).get("UnprocessedItems") or {}
    if unprocessed:  # moto processes everything; were it not so, the unprocessed would not be charged
        raise NotImplementedError("UnprocessedItems are not counted in request units")
    _charge(units, backend, changes)
    return result


def _transact_write_items(units: Units, handler: DynamoHandler, call: Callable[[], Any]) -> Any:
    backend = handler.dynamodb_backend
    named = []
    for entry in handler.body["TransactItems"]:
        ((operation, spec),) = entry.items()
        name = spec["TableName"]
        if operation == "ConditionCheck":
            units.read[name] += 2
            continue
        key = spec["Key"] if "Key" in spec else _key_of(_table(backend, name), spec["Item"])
        named.append((name, key))
        units.transacted[" ".join([name, *(str(next(iter(value.values()))) for value in key.values())])] += 1
    try:
        result, changes = _changes(backend, named, call)
    except Exception:
        for name, _ in named:  # a cancelled transaction is charged for its writes all the same
            units.written[name] += 2
        raise
    _charge(units, backend, changes, factor=2)
    return result


_COUNTERS: dict[str, Counter_] = {
    "get_item": _get_item,
    "batch_get_item": _batch_get_item,
    "query": _query_or_scan,
    "scan": _query_or_scan,
    "transact_get_items": _transact_get_items,
    "put_item": _one_write,
    "update_item": _one_write,
    "delete_item": _one_write,
    "batch_write_item": _batch_write_item,
    "transact_write_items": _transact_write_items,
}
