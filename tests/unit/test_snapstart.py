"""crm.snapstart: every API app registers SnapStart's hooks with the runtime, the before-snapshot
hook builds what a request needs without any network, and the after-restore hook reseeds `random`.

`snapshot_restore_py` exists only in Lambda's runtime: here a fake one records what is registered,
as the real one does, as `(function, args, kwargs)`."""

from __future__ import annotations

import ast
import importlib
import random
import socket
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import SchemaValidator
from pynamodb.models import Model

from crm import config, rules, services, snapstart, topology
from crm.api.app import create_app
from crm.data.audit import _AuditItem
from crm.data.clients.items import ProfileItem
from crm.data.settings_table import SettingsItem
from functions.clients import handler  # imported without the fake runtime: its app registered nothing

Hook = tuple[Any, tuple[Any, ...], dict[str, Any]]


class FakeRuntime(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("snapshot_restore_py")
        self.before: list[Hook] = []
        self.after: list[Hook] = []

    def register_before_snapshot(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.before.append((func, args, kwargs))
        return func

    def register_after_restore(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.after.append((func, args, kwargs))
        return func

    @staticmethod
    def run(hooks: list[Hook]) -> list[Any]:
        return [func(*args, **kwargs) for func, args, kwargs in hooks]


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    return fake


def _refuse(_socket: socket.socket, address: Any) -> None:
    raise AssertionError(f"a connection to {address} before the snapshot")


@dataclass(frozen=True)
class Snapshot:
    """What one run of the before-snapshot hooks did, in the clients function, offline."""

    warmed: snapstart.Warmed
    settings: config.Settings
    routes: list[Any]  # the clients app's Powertools routes
    loaders: set[str]  # crm.rules' loaders: one per rule table shipped, and the validity read alone


@pytest.fixture(scope="module")
def snapshot() -> Iterator[Snapshot]:
    """The clients function's app registered with a fake runtime whose before-snapshot hooks then run
    once (creating botocore clients takes seconds here), from nothing built: no route model, no rule
    table, no DynamoDB client on any model. Any connection attempt fails it."""
    spec = topology.function("clients")
    routes = [*handler.app._static_routes, *handler.app._dynamic_routes]
    loaders = {
        entry.name.removesuffix(".toml") for entry in resources.files(rules).iterdir() if entry.name.endswith(".toml")
    } | {"assessment_valid_years"}
    with pytest.MonkeyPatch.context() as patch:
        fake = FakeRuntime()
        patch.setitem(sys.modules, "snapshot_restore_py", fake)
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        for model in snapstart._subclasses(Model):
            patch.setattr(model, "_connection", None)
        for route in routes:
            patch.setattr(route, "_dependant", None)
        for name in loaders:
            getattr(rules, name).cache_clear()
        with config.running(config.Settings.load(spec, spec.local_environment)) as settings:
            assert snapstart.prepare(handler.app)
            (warmed,) = fake.run(fake.before)
            yield Snapshot(warmed=warmed, settings=settings, routes=routes, loaders=loaders)


def test_outside_lambda_nothing_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # `import` raises ImportError
    assert snapstart.prepare(create_app()) is False


def test_every_api_app_registers_its_warming_before_the_snapshot_and_reseeding_after(runtime):
    app = create_app()
    assert runtime.before == [(snapstart.warm, (app,), {})]
    assert runtime.after == [(snapstart.reseed, (), {})]


def test_before_the_snapshot_every_route_gets_its_validation_models(snapshot):
    assert set(snapshot.warmed.routes) == {route.key for route in topology.function("clients").routes}
    for route in snapshot.routes:
        assert route._dependant is not None, route.path
    (register,) = [route for route in snapshot.routes if (route.method, route.path) == ("POST", "/clients")]
    (body,) = register._dependant.body_params
    assert body.type_.__name__ == "NewClient"
    assert isinstance(body._type_adapter.validator, SchemaValidator)  # compiled, not a deferred mock
    (reassign,) = [r for r in snapshot.routes if (r.method, r.path) == ("PUT", "/clients/<client_id>/manager")]
    assert [param.name for param in reassign._dependant.path_params] == ["client_id"]
    assert [param.type_.__name__ for param in reassign._dependant.body_params] == ["Reassignment"]


def test_before_the_snapshot_every_rule_table_is_loaded(snapshot):
    assert set(snapshot.warmed.rules) == snapshot.loaders
    for name in snapshot.loaders:
        assert getattr(rules, name).cache_info().currsize == 1, name


def test_before_the_snapshot_the_data_layer_has_its_dynamodb_clients(snapshot):
    declared = set(snapshot.settings.tables.values())
    bound = [model for model in snapstart._subclasses(Model) if model._connection is not None]
    assert ProfileItem in bound
    for model in bound:
        assert model._connection is not None
        assert model._connection.table_name in declared, model.__name__
        assert model._connection.connection._client is not None, model.__name__  # created, not yet used
    # The clients function has no grant on the audit or the settings table.
    assert (_AuditItem in bound, SettingsItem in bound) == (False, False)
    # One per bound model, the transactions' connection and the idempotency store's.
    assert snapshot.warmed.clients == len(bound) + 2


def test_after_a_restore_random_is_reseeded(runtime):
    create_app()  # registers its hooks
    random.seed(20240101)
    state = random.getstate()  # what every environment resumed from one snapshot starts with

    draws = []
    for _ in range(2):  # two environments restored from the same snapshot
        random.setstate(state)
        runtime.run(runtime.after)
        assert random.getstate() != state
        draws.append([random.random() for _ in range(4)])

    assert draws[0] != draws[1]


def test_an_app_with_deferred_modules_has_them_imported_before_the_snapshot(runtime, monkeypatch):
    app = create_app(deferred=("crm.services.complaint_callbacks",))
    ((hook, args, _),) = runtime.before
    assert (hook, args) == (snapstart.warm, (app,))
    monkeypatch.delitem(sys.modules, "crm.services.complaint_callbacks", raising=False)
    for stage in ("_build_route_models", "_load_rules"):  # the clients fixture covers those
        monkeypatch.setattr(snapstart, stage, lambda *_: ())
    monkeypatch.setattr(snapstart, "_create_clients", lambda: 0)
    assert hook(*args).modules == ("crm.services.complaint_callbacks",)
    assert "crm.services.complaint_callbacks" in sys.modules


def _deferred_imports() -> set[str]:
    """The crm modules the services import inside a function: left to the request that needs them."""
    found = set()
    for path in Path(services.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found |= {
                    inner.module
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.ImportFrom) and inner.module and inner.module.startswith("crm.")
                }
    return found


def test_every_module_a_service_defers_is_in_the_snapshot_of_the_functions_that_use_it():
    """A function-level import in a service keeps a module out of the cold start; the handlers of
    the functions whose requests reach it name it in `create_app(deferred=...)`, so SnapStart's
    hook imports it (here: the callbacks function's post-complaint attempts)."""
    declared = {
        spec.name: set(importlib.import_module(spec.module).app.deferred) for spec in topology.FUNCTIONS if spec.routes
    }
    assert set().union(*declared.values()) == _deferred_imports() == {"crm.services.complaint_callbacks"}
    assert declared["callbacks"] == {"crm.services.complaint_callbacks"}
