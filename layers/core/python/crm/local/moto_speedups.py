"""Make in-process moto usable at half a million items without changing what it stores or answers.

moto's DynamoDB is written for tests of a few items. Measured on a 100k-client table (≈ 800k
items, 2 cores), four of its habits make a benchmark of that size impractical; each is replaced
here only for the duration of `installed()`. `crm local` installs them too: without 3., a local
import of a thousand accounts deep-copied the clients table (and its stream) on every transaction,
to tens of gigabytes.

1. Responses are serialised by walking the botocore output shape attribute by attribute: ≈ 8 ms
   per returned item, so one 1 MB Scan page costs ~10 s. GetItem, BatchGetItem, Query and Scan
   results are plain DynamoDB JSON already; they are sent as `json.dumps` of the same dict.
   `check_fast_responses` compares both encodings on a sample before any measurement. So are a
   stream's records (GetRecords), whose one timestamp goes as the epoch seconds the protocol sends.
2. Every Query and Scan page sorts the whole table again (`Table.all_items`), and a Scan page
   reaches its start key by comparing item after item. The sorted order is kept until a key is
   added or removed, and a Scan page starts by bisection.
3. TransactWriteItems deep-copies every table it touches so that it can roll back: seconds per
   transaction at this size. Only the items the transaction names are copied, and put back (with
   the stream) when it fails.
4. `Item(...)` re-measures the whole item for every attribute it sets, and `DynamoType(...)`
   unpacks its argument generically. `put_raw` builds the same `Item` directly, for seeding.
5. A Query of a table (not of an index) sorts every item of the table to keep those of its one
   partition: `crm local`'s reclassification of an imported book spent three quarters of its time
   there. It reads its own partition alone (moto filters and sorts it as before), through a
   stand-in for `all_items` that only the querying thread sees.

None of this changes a stored item, a returned item, a ScannedCount or a page boundary: the counts
of `tests.bench.counting` are the same with or without it, only faster to obtain.
"""

from __future__ import annotations

import copy
import json
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_ORDER = "_bench_sorted_order"  # per-table cache: (native keys, items), both in key order
_ITEM_RESULTS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})

_original_all_items = Table.all_items
_original_query = Table.query
_original_scan = Table.scan
_original_put_item = Table.put_item
_original_delete_item = Table.delete_item
_original_transact = DynamoDBBackend.transact_write_items
_original_execute_result = DynamoResult.execute_result


# --- 2. sorted order, kept until a key is added or removed ------------------------------------


def _string_keyed(table: Table) -> bool:
    return table.hash_key_type == "S" and table.range_key_type in (None, "S")


def _native_key(item: Item) -> tuple[str, str]:
    # moto orders by DynamoType, which for strings compares the plain values
    return item.hash_key.value, item.range_key.value if item.range_key is not None else ""


def invalidate(table: Table) -> None:
    table.__dict__.pop(_ORDER, None)


def _sorted_order(table: Table) -> tuple[list[tuple[str, str]], list[Item]]:
    order: tuple[list[tuple[str, str]], list[Item]] | None = table.__dict__.get(_ORDER)
    if order is None:
        if table.range_key_attr:
            items = [item for by_range in table.items.values() for item in by_range.values()]
        else:
            items = list(table.items.values())
        items.sort(key=_native_key)
        order = ([_native_key(item) for item in items], items)
        table.__dict__[_ORDER] = order
    return order


def _all_items(self: Table) -> list[Item]:
    if not _string_keyed(self):
        return _original_all_items(self)
    return list(_sorted_order(self)[1])


def _scan(
    self: Table,
    filters: dict[str, Any],
    limit: int,
    exclusive_start_key: dict[str, Any] | None,
    filter_expression: Any = None,
    index_name: str | None = None,
    consistent_read: bool = False,
    projection_expression: list[list[str]] | None = None,
    segments: tuple[None, None] | tuple[int, int] = (None, None),
) -> tuple[list[Item], int, dict[str, Any] | None]:
    if exclusive_start_key and not index_name and segments == (None, None) and _string_keyed(self):
        keys, items = _sorted_order(self)
        start = (
            exclusive_start_key[self.hash_key_attr]["S"],
            exclusive_start_key[self.range_key_attr]["S"] if self.range_key_attr else "",
        )
        rest = items[bisect_right(keys, start) :]
        self.all_items = lambda: rest  # type: ignore[method-assign]  # this one call only
        try:
            return _original_scan(
                self,
                filters,
                limit,
                None,  # type: ignore[arg-type]  # moto's own annotation is too narrow: it accepts None
                filter_expression,
                None,
                consistent_read,
                projection_expression,
            )
        finally:
            del self.all_items
    return _original_scan(
        self,
        filters,
        limit,
        exclusive_start_key,  # type: ignore[arg-type]
        filter_expression,
        index_name,
        consistent_read,
        projection_expression,
        segments,
    )


def _put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
    invalidate(self)
    return _original_put_item(self, *args, **kwargs)


def _delete_item(self: Table, *args: Any, **kwargs: Any) -> Item | None:
    invalidate(self)
    return _original_delete_item(self, *args, **kwargs)


# --- 5. a Query of a table reads its own partition ------------------------------------------------

_QUERYING = threading.local()  # (table, its partition's items) while this thread's Query runs


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    found: Any = table.items.get(hash_key)  # .get: the table is a defaultdict
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")  # moto passes it 8th
    if index_name is not None or hash_key is None:
        return _original_query(self, hash_key, *args, **kwargs)
    _QUERYING.partition = (self, _partition(self, hash_key))
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _QUERYING.partition = None


def _reading_partitions(all_items: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    def all_items_or_partition(self: Table) -> list[Item]:
        querying = getattr(_QUERYING, "partition", None)
        if querying is not None and querying[0] is self:
            return list(querying[1])
        return all_items(self)

    return all_items_or_partition


# --- 3. transactions roll back the items they name, not whole tables ----------------------------


# One transaction at a time: a failed one puts back the items it named and cuts the stream records
# it appended, which must be its own (`crm local` writes from many threads).
_TRANSACTIONS = threading.Lock()


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _TRANSACTIONS:
        try:
            saved = [_snapshot(self, entry) for entry in transact_items]
        except Exception:  # malformed request: moto's own code reports it exactly
            _original_transact(self, transact_items)
            return
        streams = {id(table): (table, table.stream_shard) for table, *_ in saved if table.stream_shard is not None}
        lengths = {key: len(shard.items) for key, (_, shard) in streams.items()}
        try:
            _original_transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                _restore(table, hash_key, range_key, item)
            for key, (_, shard) in streams.items():
                del shard.items[lengths[key] :]
            raise


def _snapshot(
    backend: DynamoDBBackend, entry: dict[str, Any]
) -> tuple[Table, DynamoType, DynamoType | None, Item | None]:
    ((operation, spec),) = entry.items()
    table = backend.get_table(spec["TableName"])
    if operation == "Put":
        key = {name: spec["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name}
    else:
        key = spec["Key"]
    hash_key, range_key = backend.get_keys_value(table, key)
    return table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))


def _restore(table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None) -> None:
    invalidate(table)
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item  # type: ignore[assignment]
    elif item is None:
        table.items[hash_key].pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


# --- 1. item-returning responses as plain JSON --------------------------------------------------


def _execute_result(self: DynamoResult, context: Any) -> Any:
    if context.operation_model.name in _ITEM_RESULTS:
        try:
            body = json.dumps(self.result, separators=(",", ":"))
        except TypeError:  # binary attributes: moto's serialiser base64-encodes them
            return _original_execute_result(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
    return _original_execute_result(self, context)


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _get_records(self: DynamoDBStreamsHandler) -> str:
    limit = self._get_param("Limit")
    result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    return json.dumps(result, default=_epoch_seconds, separators=(",", ":"))


def check_fast_responses(call: Callable[[], Any]) -> None:
    """Run `call` (a request that returns items) with each encoding; they must parse alike."""
    fast = call()
    with mock.patch.object(DynamoResult, "execute_result", _original_execute_result):
        slow = call()
    for response in (fast, slow):
        response.pop("ResponseMetadata", None)
    if fast != slow:
        raise AssertionError(f"fast and moto encodings differ:\n{fast}\n{slow}")


# --- 4. seeding ---------------------------------------------------------------------------------


def put_raw(table: Table, attributes: dict[str, Any]) -> None:
    """Store one item (DynamoDB JSON) as `Table.put_item` would, minus what seeding does not
    need: conditions, stream records and the size check (the seeded items are ~1 KB)."""
    hash_key = _dynamo(attributes[table.hash_key_attr])
    range_key = _dynamo(attributes[table.range_key_attr]) if table.range_key_attr else None
    item = Item(hash_key, range_key, {})
    item.attrs = LimitedSizeDict({name: _dynamo(value) for name, value in attributes.items()})  # no per-key check
    if range_key is None:
        table.items[hash_key] = item  # type: ignore[assignment]
    else:
        table.items[hash_key][range_key] = item
    invalidate(table)


def _dynamo(value: dict[str, Any]) -> DynamoType:
    """`DynamoType(value)`, built without its generic unpacking (the bulk of seeding time)."""
    ((kind, raw),) = value.items()
    typed = DynamoType.__new__(DynamoType)
    typed.type = kind
    if kind == "M":
        typed.value = {name: _dynamo(member) for name, member in raw.items()}
    elif kind == "L":
        typed.value = [_dynamo(member) for member in raw]
    else:
        typed.value = raw
    return typed


@contextmanager
def installed(*, keep_order: bool = True) -> Iterator[None]:
    """The replacements, for the duration. `keep_order=False` leaves out the kept sort order (2.),
    whose cache is not safe for writers and readers in several threads at once: what `crm local`
    (a pump thread per stream and queue, a thread per request) installs."""
    replacements: list[tuple[Any, str, Any]] = [
        (DynamoDBBackend, "transact_write_items", _transact_write_items),
        (DynamoResult, "execute_result", _execute_result),
        (DynamoDBStreamsHandler, "get_records", _get_records),
        (Table, "query", _query),
        (Table, "all_items", _reading_partitions(_all_items if keep_order else _original_all_items)),
    ]
    if keep_order:
        replacements += [
            (Table, "scan", _scan),
            (Table, "put_item", _put_item),
            (Table, "delete_item", _delete_item),
        ]
    with ExitStack() as stack:
        for target, name, replacement in replacements:
            stack.enter_context(mock.patch.object(target, name, replacement))
        # moto's transaction deep-copies the tables to roll back; 3. rolls back what it names instead
        stack.enter_context(mock.patch.object(Table, "__deepcopy__", lambda table, memo: table, create=True))
        yield
