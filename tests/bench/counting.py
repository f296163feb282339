"""Items read and written, counted where moto answers each DynamoDB request.

What DynamoDB charges for is items (and their size), not moto's seconds, so every data-plane
request that reaches moto's DynamoDB handler is counted from the request and the answer it got:

- read: GetItem and TransactGetItems count the items returned; BatchGetItem the items in its
  Responses; Query and Scan their ScannedCount, i.e. every item the operation evaluated, also
  those a filter then dropped. A ConditionCheck inside a transaction counts as one item read.
- written: PutItem, UpdateItem and DeleteItem one item each; BatchWriteItem each request that was
  processed; TransactWriteItems each Put, Update and Delete action.

A request that fails counts as a request and as a failure, and its items not at all: neither run
should see one, and the report says how many there were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.dynamodb.responses import DynamoHandler


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)  # by operation
    read: Counter[str] = field(default_factory=Counter)  # items, by table
    written: Counter[str] = field(default_factory=Counter)  # items, by table
    failed: int = 0

    @property
    def items_read(self) -> int:
        return sum(self.read.values())

    @property
    def items_written(self) -> int:
        return sum(self.written.values())

    @property
    def items(self) -> int:
        return self.items_read + self.items_written


Body = dict[str, Any]
Answer = dict[str, Any]


def _get_item(tally: Tally, body: Body, answer: Answer) -> None:
    tally.read[body["TableName"]] += "Item" in answer


def _batch_get_item(tally: Tally, body: Body, answer: Answer) -> None:
    for table, items in answer.get("Responses", {}).items():
        tally.read[table] += len(items)


def _query_or_scan(tally: Tally, body: Body, answer: Answer) -> None:
    tally.read[body["TableName"]] += answer["ScannedCount"]


def _transact_get_items(tally: Tally, body: Body, answer: Answer) -> None:
    for request, response in zip(body["TransactItems"], answer.get("Responses", []), strict=False):
        tally.read[request["Get"]["TableName"]] += "Item" in response


def _one_write(tally: Tally, body: Body, answer: Answer) -> None:
    tally.written[body["TableName"]] += 1


def _batch_write_item(tally: Tally, body: Body, answer: Answer) -> None:
    unprocessed = answer.get("UnprocessedItems") or {}
    for table, requests in body["RequestItems"].items():
        tally.written[table] += len(requests) - len(unprocessed.get(table, []))


def _transact_write_items(tally: Tally, body: Body, answer: Answer) -> None:
    for entry in body["TransactItems"]:
        ((operation, spec),) = entry.items()
        if operation == "ConditionCheck":
            tally.read[spec["TableName"]] += 1
        else:
            tally.written[spec["TableName"]] += 1


_COUNTERS: dict[str, Callable[[Tally, Body, Answer], None]] = {
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
# PartiQL would escape the count: refuse it rather than under-count.
_REFUSED = ("execute_statement", "execute_transaction", "batch_execute_statement")


class ItemCounter:
    """Counts while `measuring()`; installed around a whole run with `installed()`."""

    def __init__(self) -> None:
        self.tally: Tally | None = None

    @contextmanager
    def measuring(self) -> Iterator[Tally]:
        self.tally = Tally()
        try:
            yield self.tally
        finally:
            self.tally = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        with ExitStack() as stack:
            for name, count in _COUNTERS.items():
                stack.enter_context(mock.patch.object(DynamoHandler, name, self._counted(name, count)))
            for name in _REFUSED:
                stack.enter_context(mock.patch.object(DynamoHandler, name, self._refused(name)))
            yield

    def _counted(self, name: str, count: Callable[[Tally, Body, Answer], None]) -> Callable[[DynamoHandler], Any]:
        original = getattr(DynamoHandler, name)
        counter = self

        def handle(handler: DynamoHandler) -> Any:
            tally = counter.tally
            if tally is None:
                return original(handler)
            tally.requests[name] += 1
            try:
                result = original(handler)
            except Exception:
                tally.failed += 1
                raise
            count(tally, handler.body, result.result)
            return result

        handle.__name__ = name
        return handle

    def _refused(self, name: str) -> Callable[[DynamoHandler], Any]:
        def handle(handler: DynamoHandler) -> Any:
            raise NotImplementedError(f"{name} is not counted by the benchmark")

        handle.__name__ = name
        return handle
