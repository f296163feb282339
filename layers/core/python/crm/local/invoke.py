"""Invoking a real handler the way Lambda does: its module, a context, one event at a time."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from crm import config
from crm.topology import Function

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class LambdaContext:
    """What a handler may read from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Invoker:
    """Loads each function's handler once and runs it like one warm Lambda container.

    A Lambda container handles one event at a time and Powertools' resolvers keep per-request
    state on module-level objects, so invocations of the same function are serialised. Each runs
    with the settings of its function's declared (local) environment and nothing else, as in AWS.
    """

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self.environment = environment or {}  # what the local system sets beyond the topology (origins)
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._settings: dict[str, config.Settings] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def handler(self, function: Function) -> Callable[[dict[str, Any], Any], Any]:
        with self._guard:
            if function.name not in self._handlers:
                self._handlers[function.name] = self.load(function).lambda_handler
                environ = function.local_environment | {
                    name: value for name, value in self.environment.items() if name in function.variables
                }
                self._settings[function.name] = config.Settings.load(function, environ)
                self._locks[function.name] = threading.Lock()
            return self._handlers[function.name]

    def load(self, function: Function) -> ModuleType:
        """The function's handler module, as a container imports it once. A module that fails to
        load never reaches its `observed()`: this process, unlike a Lambda container, carries on,
        so it resumes the collector the import paused (crm.coldstart)."""
        try:
            return importlib.import_module(function.module)
        finally:
            from crm import coldstart  # here, not at the top: importing it pauses the collector

            coldstart.settled()

    def invoke(self, function: Function, event: dict[str, Any]) -> Any:
        handler = self.handler(function)
        context = LambdaContext(
            function_name=function.name, memory_limit_in_mb=function.memory_mb, timeout_s=function.timeout_s
        )
        with self._locks[function.name], config.running(self._settings[function.name]):
            return handler(event, context)
