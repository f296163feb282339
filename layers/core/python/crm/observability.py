"""Logger, metrics and tracer, created once per process and shared by every handler.

The X-Ray SDK costs ~350 ms of cold start just to import, so the tracer exists only where
tracing is on (in AWS; `POWERTOOLS_TRACE_DISABLED=true` locally and in tests).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "brokerage-crm")

logger = Logger(service=SERVICE)
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

    Order as Powertools recommends: logging context outermost, then metrics, then tracing.
    """

    def decorate(handler: Handler) -> Handler:
        wrapped = handler
        if tracing_enabled():
            wrapped = tracer().capture_lambda_handler(wrapped, capture_response=False)
        wrapped = metrics.log_metrics(wrapped)
        return logger.inject_lambda_context(wrapped, correlation_id_path=correlation_id_path, clear_state=True)

    return decorate
