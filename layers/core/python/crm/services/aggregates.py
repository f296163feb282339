"""Keeping the counters from the records that change (the `aggregates` stream consumer): each
record's contribution (crm.domain.aggregates) folded into the counters, once, whatever the
redeliveries (crm.data.counters)."""

from __future__ import annotations

from typing import Any

from crm.data import activity as activity_data
from crm.data import counters
from crm.domain.aggregates import Contribution, log_counts, spot_check_counts, summary_counts, visit_counts
from crm.topology import ACTIVITY


def _activity(pk: str, image: dict[str, Any]) -> tuple[Contribution, dict[str, str]]:
    """A record of the activity table: what it counts for, and the branch its counters are in."""
    if pk.startswith("LOG#"):
        log = activity_data.log_from_image(image)
        return log_counts(log), {"branch_id": log.branch_id}
    if pk.startswith("WEEK#"):
        summary = activity_data.summary_from_image(image)
        return summary_counts(summary), {"branch_id": summary.branch_id}
    if pk.startswith("VISIT#"):
        visit = activity_data.visit_from_image(image)
        return visit_counts(visit), {"branch_id": visit.branch_id}
    if pk.startswith("SPOT#"):
        check = activity_data.spot_check_from_image(image)
        return spot_check_counts(check), {"branch_id": check.branch_id}
    return {}, {}


def on_record(table: str, keys: dict[str, str], image: dict[str, Any] | None) -> bool:
    """Fold one changed record (None: removed) into its counters; True when they moved."""
    if table != ACTIVITY.name:
        return False
    wanted, labels = _activity(keys["pk"], image) if image is not None else ({}, {})
    version = (image or {}).get("version", {}).get("N")
    return counters.fold(
        f"{table}#{keys['pk']}#{keys['sk']}",
        "activity",
        wanted,
        source_version=int(version) if version is not None else None,
        labels=dict.fromkeys(wanted, labels),
    )
