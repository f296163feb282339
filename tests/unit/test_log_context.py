"""Each invocation logs with its own keys: two handlers running side by side on threads (as
`crm local` runs an API request beside a stream batch) never carry each other's function name or
user, and the service's own keys stay on every line."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from typing import Any

from crm.observability import logger


@dataclass
class Context:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "request"


def test_concurrent_invocations_keep_their_own_function_name_and_user() -> None:
    sink = io.StringIO()
    handler, level = logger.registered_handler, logger.log_level
    stream = handler.stream  # type: ignore[attr-defined]
    handler.stream = sink  # type: ignore[attr-defined]
    logger.setLevel("INFO")
    api_has_appended, stream_has_logged = threading.Event(), threading.Event()

    @logger.inject_lambda_context(clear_state=True)
    def api(event: dict[str, Any], context: Any) -> None:
        logger.append_keys(user="sup-1")
        api_has_appended.set()
        stream_has_logged.wait(5)
        logger.info("api line")

    @logger.inject_lambda_context(clear_state=True)
    def stream_batch(event: dict[str, Any], context: Any) -> None:
        api_has_appended.wait(5)
        logger.info("stream line")
        stream_has_logged.set()

    try:
        threads = [
            threading.Thread(target=api, args=({}, Context("clients"))),
            threading.Thread(target=stream_batch, args=({}, Context("sms"))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        handler.stream = stream  # type: ignore[attr-defined]
        logger.setLevel(level)
    lines = {line["message"]: line for line in map(json.loads, sink.getvalue().splitlines())}
    assert (lines["api line"]["function_name"], lines["api line"]["user"]) == ("clients", "sup-1")
    assert lines["stream line"]["function_name"] == "sms"
    assert "user" not in lines["stream line"]
    assert {line["service"] for line in lines.values()} == {"brokerage-crm"}
