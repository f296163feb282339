"""Reclassifying one client from its stored state (第4–6条; VIP per Part 4).

Called by the stream handler when metrics change. Reads the profile, the latest metrics and
`T`, decides, and writes under the profile's version; a concurrent writer makes the write
fail, and the decision is simply taken again from fresh state.
"""

from __future__ import annotations

from datetime import datetime

from crm import rules
from crm.data import clients as client_data
from crm.data import settings as settings_data
from crm.domain.classification import ClassCause, Threshold
from crm.domain.reclassification import reclassify

MAX_ATTEMPTS = 5


class ConcurrentChange(Exception):
    """The client kept changing under us; the record is retried by the stream."""


def initial_threshold() -> Threshold:
    return Threshold(value=rules.classification().initial_turnover_threshold, version="initial")


def reclassify_client(client_id: str, *, cause: ClassCause, at: datetime, change_id: str) -> bool:
    """Bring the client's class and VIP flag up to date; True when something was written."""
    classification, vip_rules = rules.classification(), rules.vip()
    threshold = settings_data.turnover_threshold(initial_threshold())
    for _ in range(MAX_ATTEMPTS):
        client = client_data.get(client_id, consistent=True)
        if client is None:
            return False  # metrics without a client record: nothing to classify
        result = reclassify(
            client,
            client_data.latest_metrics(client_id),
            threshold,
            classification,
            vip_rules,
            cause=cause,
            at=at,
            change_id=change_id,
        )
        if result is None:
            return False
        if client_data.apply_reclassification(client, result):
            return True
    raise ConcurrentChange(f"client {client_id} changed {MAX_ATTEMPTS} times while being reclassified")
