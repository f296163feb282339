"""The thread of every local event source mapping (crm.local.pump for streams, crm.local.queues
for queues): poll, hand what came to the function, and back off while nothing comes."""

from __future__ import annotations

import threading
import time

from crm.observability import logger
from crm.topology import Function

POLL_INTERVAL_S = 0.1  # right after activity; an idle poller backs off to IDLE_POLL_S
IDLE_POLL_S = 1.0  # quiet sources cost moto little


class Poller:
    """Runs `poll_once` (True when it found work) on a thread of its own until asked to stop."""

    def __init__(self, function: Function, name: str, *, kind: str) -> None:
        self.function = function
        self.name = name
        self._kind = kind
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{kind}-{name}", daemon=True)
        self.idle = threading.Event()
        # When the last poll that found nothing began: all work sent before it was handled (or is
        # waiting out a failure's backoff).
        self.quiet_from = float("-inf")

    def poll_once(self) -> bool:
        raise NotImplementedError

    def _poll_failed(self, exc: Exception) -> None:
        """Keep what went wrong in the poller's stats."""
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Stop after the batch in hand."""
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        pause = POLL_INTERVAL_S
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                busy = self.poll_once()
            except Exception as exc:  # a broken poll must not kill the poller; log and go on
                logger.exception(f"{self._kind} poll failed", function=self.function.name)
                self._poll_failed(exc)
                busy = False
            if busy:
                self.idle.clear()
                pause = POLL_INTERVAL_S
            else:
                self.quiet_from = began
                self.idle.set()
                self._stop.wait(pause)
                pause = min(pause * 2, IDLE_POLL_S)
