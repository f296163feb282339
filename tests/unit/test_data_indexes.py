"""The data layer's PynamoDB index declarations are the topology's: same names, key attributes
and key types on the same tables, and every index the topology declares is one a model queries.

The stack and `crm local` build the tables from `crm.topology`; the repositories query them
through their own model classes. A key renamed on one side only would pass every moto test that
happens not to use it, and fail in AWS.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

import crm.data
from crm import topology

TABLES = {table.local_name: table for table in topology.TABLES}


def _models() -> list[type[Model]]:
    for module in pkgutil.walk_packages(crm.data.__path__, "crm.data."):
        importlib.import_module(module.name)
    found: list[type[Model]] = []
    pending: list[type[Any]] = [Model]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("crm.data.") and getattr(sub.Meta, "table_name", None) in TABLES:
                found.append(sub)
    return found


def _declared() -> dict[tuple[str, str], topology.Index]:
    """(table, index name) → the index as a model declares it, in topology terms."""
    declared: dict[tuple[str, str], topology.Index] = {}
    for model in _models():
        table = TABLES[model.Meta.table_name]
        for name in dir(model):
            index = getattr(model, name, None)
            if not isinstance(index, GlobalSecondaryIndex):
                continue
            assert isinstance(index.Meta.projection, AllProjection), f"{model.__name__}.{name}"
            keys: dict[str, topology.Key] = {}
            for attribute in index.Meta.attributes.values():
                key = topology.Key(attribute.attr_name, attribute.attr_type)  # type: ignore[arg-type]
                keys["hash" if attribute.is_hash_key else "range"] = key
            as_declared = topology.Index(index.Meta.index_name, keys["hash"], keys.get("range"))
            previous = declared.setdefault((table.name, as_declared.name), as_declared)
            assert previous == as_declared, f"{model.__name__} declares {as_declared.name} otherwise than another model"
    return declared


DECLARED = _declared()


@pytest.mark.parametrize(
    ("table", "index"),
    [(table, index) for table in topology.TABLES for index in table.indexes],
    ids=lambda value: value.name,
)
def test_every_topology_index_is_declared_by_a_model_exactly(table: topology.Table, index: topology.Index) -> None:
    assert DECLARED.get((table.name, index.name)) == index


def test_no_model_declares_an_index_the_topology_lacks() -> None:
    known = {(table.name, index.name) for table in topology.TABLES for index in table.indexes}
    assert set(DECLARED) <= known
