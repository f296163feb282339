"""Logger, metrics and tracer, created once per process and shared by every handler.

Every log line goes through a formatter that masks ID and phone numbers (they are sensitive
personal information: PIPL art. 28–29, JR/T 0171 grade C2).

The X-Ray SDK costs ~350 ms of cold start just to import, so the tracer exists only where
tracing is on (in AWS; `POWERTOOLS_TRACE_DISABLED=true` locally and in tests).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from crm import coldstart, config
from crm.domain.pii import redact

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "brokerage-crm")


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Structured log lines with ID and phone numbers masked wherever they appear — messages,
    extra keys, exception traces — so no log ever holds them in clear (PIPL art. 28).

    Keys appended once the logger is set up (the invocation's function name, request id, user)
    belong to the invocation's context, not to the process: Lambda runs one invocation per
    process, but `crm local` runs API requests and stream batches side by side on threads, and a
    stream handler's lines must not carry the user of a request running beside it."""

    per_invocation = False

    def append_keys(self, **additional_keys: Any) -> None:
        if self.per_invocation:
            self.thread_safe_append_keys(**additional_keys)
        else:
            super().append_keys(**additional_keys)

    def remove_keys(self, keys: Iterable[str]) -> None:
        super().remove_keys(keys)
        self.thread_safe_remove_keys(list(keys))

    def get_current_keys(self) -> dict[str, Any]:
        return {**super().get_current_keys(), **self.thread_safe_get_current_keys()}

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
logger.registered_formatter.per_invocation = True  # type: ignore[attr-defined]  # set up: the service's keys stay
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "BrokerageCrm"), service=SERVICE)

Handler = Callable[[dict[str, Any], Any], Any]


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in ("1", "true")


@cache
def tracer() -> Any:
    from aws_lambda_powertools import Tracer  # deferred: importing it loads the X-Ray SDK

    return Tracer(service=SERVICE)


def observed(correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Wrap a Lambda entry point: structured logs with correlation id, metrics, tracing when on.

    Order as Powertools recommends: logging context outermost, then metrics, then tracing. Applied
    when the handler module loads, it is also where a function's configuration is read (cold start).
    """

    def decorate(handler: Handler) -> Handler:
        config.cold_start()  # in Lambda: read (and check) the function's environment once, now
        coldstart.settled()  # the handler module has loaded: init is over
        wrapped = handler
        if tracing_enabled():
            wrapped = tracer().capture_lambda_handler(wrapped, capture_response=False)
        wrapped = metrics.log_metrics(wrapped)
        return logger.inject_lambda_context(wrapped, correlation_id_path=correlation_id_path, clear_state=True)

    return decorate
