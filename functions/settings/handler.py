"""Settings routes (hq): the turnover threshold T in force and every change of it (第6条)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented
from crm.api.settings import TurnoverThresholdOut
from crm.observability import observed
from crm.services import settings as service

app = create_app()


@app.get(
    "/settings/turnover-threshold",
    summary="The turnover threshold T in force and its history, with the figures each change came from",
    tags=["settings"],
    operation_id="getTurnoverThreshold",
    responses=documented(200, TurnoverThresholdOut, "T and its history"),
)
def turnover_threshold() -> TurnoverThresholdOut:
    return TurnoverThresholdOut.of(*service.turnover_threshold())


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
