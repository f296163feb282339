"""Each function's configuration: read once at cold start, typed, and only what its topology entry declares.

In Lambda, `cold_start()` (run by `observed()` when the handler module loads) reads the variables
of the function named by `CRM_FUNCTION` into `Settings` and fails at once, naming the variable,
if one is missing. The data layer asks `active()` for a table's, bucket's or bus's physical name
and never falls back to a default: a name the function did not declare is a `ConfigurationError`.

Locally and in tests one process runs every function, so the invoker runs each invocation
`with running(Settings.load(spec, spec.local_environment))`: the function sees only its declared
variables there too, and touching an undeclared table fails a test instead of failing in AWS.
Code that is no function (seeding, the CLI, benchmarks) uses `tooling()`, which names them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType

from crm import topology
from crm.topology import FUNCTION_VARIABLE, Bucket, EventBus, Queue, Secret, Table, UserPool


class ConfigurationError(RuntimeError):
    """A function's environment lacks a variable it declares, or code asked for one it does not."""


@dataclass(frozen=True)
class Settings:
    """The physical names one function may use, by topology name."""

    function: str
    tables: Mapping[str, str] = field(default_factory=dict)
    buckets: Mapping[str, str] = field(default_factory=dict)
    buses: Mapping[str, str] = field(default_factory=dict)
    stream_tables: Mapping[str, str] = field(default_factory=dict)  # physical name → topology name
    secrets: Mapping[str, str] = field(default_factory=dict)
    user_pools: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)  # a URL in AWS, the queue's name locally
    allowed_origins: str = ""  # an API function's `CORS_ALLOWED_ORIGINS` (crm.domain.cors)

    @classmethod
    def load(cls, spec: topology.Function, environ: Mapping[str, str]) -> Settings:
        missing = [name for name in spec.variables if not environ.get(name)]
        if missing:
            what = "; ".join(f"{name} ({spec.variables[name]})" for name in missing)
            raise ConfigurationError(f"the {spec.name} function cannot start: {what} not set")
        if environ[FUNCTION_VARIABLE] != spec.name:
            raise ConfigurationError(f"{FUNCTION_VARIABLE} is {environ[FUNCTION_VARIABLE]!r}, not {spec.name!r}")
        return cls(
            function=spec.name,
            tables=MappingProxyType({table.name: environ[table.env_var] for table in spec.tables}),
            buckets=MappingProxyType({bucket.name: environ[bucket.env_var] for bucket in spec.buckets}),
            buses=MappingProxyType({bus.name: environ[bus.env_var] for bus in spec.publishes}),
            stream_tables=MappingProxyType({environ[s.env_var]: s.table.name for s in spec.streams}),
            secrets=MappingProxyType({secret.name: environ[secret.env_var] for secret in spec.secrets}),
            user_pools=MappingProxyType({pool.name: environ[pool.env_var] for pool in spec.manages_users}),
            queues=MappingProxyType({queue.name: environ[queue.env_var] for queue in spec.sends_to}),
            allowed_origins=environ.get(topology.ALLOWED_ORIGINS_VARIABLE, "") if spec.routes else "",
        )

    def table(self, table: Table) -> str:
        return self._named(self.tables, table.name, "table", table.env_var)

    def bucket(self, bucket: Bucket) -> str:
        return self._named(self.buckets, bucket.name, "bucket", bucket.env_var)

    def bus(self, bus: EventBus) -> str:
        return self._named(self.buses, bus.name, "event bus", bus.env_var)

    def secret(self, secret: Secret) -> str:
        return self._named(self.secrets, secret.name, "secret", secret.env_var)

    def user_pool(self, pool: UserPool) -> str:
        return self._named(self.user_pools, pool.name, "user pool", pool.env_var)

    def queue(self, queue: Queue) -> str:
        return self._named(self.queues, queue.name, "queue", queue.env_var)

    def stream_table(self, event_source_arn: str | None) -> str:
        """The topology name of a stream record's table, from its ARN (…:table/<name>/stream/…)."""
        physical = str(event_source_arn or "").split(":table/", 1)[-1].split("/", 1)[0]
        try:
            return self.stream_tables[physical]
        except KeyError:
            raise ConfigurationError(f"the {self.function} function consumes no stream of table {physical!r}") from None

    def _named(self, names: Mapping[str, str], name: str, kind: str, variable: str) -> str:
        try:
            return names[name]
        except KeyError:
            raise ConfigurationError(
                f"the {self.function} function does not declare the {name} {kind} ({variable}) in crm.topology"
            ) from None


def tooling() -> Settings:
    """Every table, bucket and bus under its local name: for code that runs outside any function."""
    return Settings(
        function="tooling",
        tables={table.name: table.local_name for table in topology.TABLES},
        buckets={bucket.name: bucket.local_name for bucket in topology.BUCKETS},
        buses={topology.BUS.name: topology.BUS.local_name},
        stream_tables={table.local_name: table.name for table in topology.TABLES if table.stream},
        secrets={secret.name: secret.local_name for secret in topology.SECRETS},
        user_pools={topology.STAFF_POOL.name: topology.STAFF_POOL.local_name},
        queues={queue.name: queue.local_name for queue in topology.QUEUES},
    )


_running: ContextVar[Settings | None] = ContextVar("crm_settings", default=None)
_process: Settings | None = None


def from_environment(environ: Mapping[str, str]) -> Settings | None:
    """The settings of the function `CRM_FUNCTION` names; None outside Lambda without it."""
    if FUNCTION_VARIABLE in environ:
        try:
            spec = topology.function(environ[FUNCTION_VARIABLE])
        except KeyError:
            name = environ[FUNCTION_VARIABLE]
            raise ConfigurationError(f"{FUNCTION_VARIABLE}={name!r} names no function of the topology") from None
        return Settings.load(spec, environ)
    if "AWS_LAMBDA_FUNCTION_NAME" in environ:
        raise ConfigurationError(f"{FUNCTION_VARIABLE} is not set: which topology function is this?")
    return None


def cold_start() -> Settings | None:
    """In Lambda, this function's settings from its environment, once; outside Lambda, nothing
    (the invoker gives each local invocation its own)."""
    global _process
    if _process is None:
        _process = from_environment(os.environ)
    return _process


def use_for_process(settings: Settings | None) -> None:
    """What code outside any invocation uses (tests and local tools: `tooling()`)."""
    global _process
    _process = settings


@contextmanager
def running(settings: Settings) -> Iterator[Settings]:
    token = _running.set(settings)
    try:
        yield settings
    finally:
        _running.reset(token)


def active() -> Settings:
    settings = _running.get() or _process
    if settings is None:
        raise ConfigurationError(
            f"no function configuration: set {FUNCTION_VARIABLE} and its variables, or run under crm.config.running()"
        )
    return settings
