"""SnapStart (the API functions in AWS): what the snapshot holds ready, and what a restore refreshes.

With SnapStart on, Lambda runs a version's init once, when the version is published, snapshots the
initialised execution environment, and resumes each new environment from that snapshot instead of
initialising it. What a request would otherwise do once, at its first use, is best done before the
snapshot: `prepare(app)`, called by `crm.api.app.create_app`, registers with the runtime
- before the snapshot, `warm(app)`: the modules a handler leaves to the first request that
  needs them (`create_app(deferred=...)`, `app.deferred`) imported, every rule table loaded and checked
  (`crm.rules`), every route's validation models built (Powertools builds a route's pydantic
  adapters at its first request), and the DynamoDB clients of the data layer created, one per model on a table the
  function declares, the transactions' one and the idempotency store's (botocore reads its
  service model; no AWS service is called). A broken rule table fails the version's publication,
  so the deploy, rather than a request;
- after each restore, `reseed()`: every environment resumed from one snapshot starts with the
  same memory, so `random` (retry jitter, sampling) is reseeded from the kernel. `uuid.uuid4` and
  `secrets` read `os.urandom`, which is unique per restored environment, and need nothing.

The hooks come from `snapshot_restore_py`, which only Lambda's Python runtime (3.12 and later) has;
elsewhere (locally, in tests) `prepare` registers nothing. The runtime runs them only when SnapStart
is on (`-c snapstart=false` turns it off: infra/constructs/function.py).
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from crm.observability import logger

if TYPE_CHECKING:
    from crm.api.app import CrmResolver

Register = Callable[..., Any]


@dataclass(frozen=True)
class Warmed:
    """What `warm` made ready: deferred modules imported, route keys, rule tables by loader name,
    DynamoDB clients created."""

    modules: tuple[str, ...]
    routes: tuple[str, ...]
    rules: tuple[str, ...]
    clients: int


def _runtime_hooks() -> tuple[Register, Register] | None:
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not in Lambda's runtime
        return None
    return register_before_snapshot, register_after_restore


def prepare(app: CrmResolver) -> bool:
    """Have the runtime warm `app` before the snapshot and reseed after each restore; False where
    there is no SnapStart runtime (nothing is registered). The routes are read when the hook runs,
    after the handler module has declared them all."""
    hooks = _runtime_hooks()
    if hooks is None:
        return False
    register_before_snapshot, register_after_restore = hooks
    register_before_snapshot(warm, app)
    register_after_restore(reseed)
    return True


def warm(app: CrmResolver) -> Warmed:
    for module in app.deferred:  # first, so that the rule tables and models they bring are warmed too
        importlib.import_module(module)
    warmed = Warmed(
        modules=app.deferred, routes=_build_route_models(app), rules=_load_rules(), clients=_create_clients()
    )
    logger.info(
        "warmed for the snapshot",
        extra={
            "modules": list(warmed.modules),
            "routes": len(warmed.routes),
            "rules": list(warmed.rules),
            "clients": warmed.clients,
        },
    )
    return warmed


def reseed() -> None:
    random.seed()  # from os.urandom: each restored environment draws its own sequence


def _build_route_models(app: APIGatewayRestResolver) -> tuple[str, ...]:
    """Each route's `dependant`: its path, query, header and body parameters and its return value,
    each a pydantic TypeAdapter, which Powertools otherwise builds at the route's first request;
    and each adapter's validator and serialiser, which our models defer to their first use
    (`crm.api.models.Model`)."""
    routes = [*app._static_routes, *app._dynamic_routes]
    for route in routes:
        _ = route.has_dependencies  # each property builds once and caches
        dependant = route.dependant
        fields = [
            *dependant.path_params,
            *dependant.query_params,
            *dependant.header_params,
            *dependant.cookie_params,
            *dependant.body_params,
        ]
        fields += [field for field in (dependant.return_param, route.body_field) if field is not None]
        for field in fields:
            field._type_adapter.rebuild(force=True, _types_namespace={})
    return tuple(f"{route.method} {route.openapi_path}" for route in routes)


def _load_rules() -> tuple[str, ...]:
    """Every rule table `crm.rules` loads (each loader is cached: the request finds it built)."""
    from crm import rules

    loaders = {
        name: loader
        for name, loader in vars(rules).items()
        if not name.startswith("_") and callable(loader) and hasattr(loader, "cache_clear")
    }
    for loader in loaders.values():
        loader()
    return tuple(sorted(loaders))


def _create_clients() -> int:
    """The botocore DynamoDB clients the data layer would create at its first use of each model."""
    from pynamodb.models import Model

    from crm import config
    from crm.data.base import connection
    from crm.topology import IDEMPOTENCY

    clients = [connection().client]
    for model in dict.fromkeys(_subclasses(Model)):
        try:
            clients.append(model._get_connection().connection.client)
        except config.ConfigurationError:  # a table this function does not declare
            continue
    if IDEMPOTENCY.name in config.active().tables:
        from crm.api import idempotency
        from crm.data.idempotency import persistence

        idempotency.config()
        clients.append(persistence().client)
    return len(clients)


def _subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)
