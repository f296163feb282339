"""The local bus log: every event published on the application's bus, in order of arrival."""

from __future__ import annotations

import json
import threading
from typing import Any


class BusLog:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs, self._queue_url = sqs, queue_url
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def events(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Everything published so far (optionally of one detail-type), oldest first."""
        with self._lock:
            while True:
                batch = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get("Messages", [])
                if not batch:
                    break
                for message in batch:
                    self._events.append(json.loads(message["Body"]))
                    self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
            return [e for e in self._events if detail_type in (None, e.get("detail-type"))]
