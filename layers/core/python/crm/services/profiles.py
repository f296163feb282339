"""The manager's profile of a client (第9–11条) and the branch's target-VIP list (Part 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm import rules
from crm.data.clients import metrics as metrics_data
from crm.data.clients import profiles as profile_data
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.profile import ProfileChange, TradingHabit, suggest_habit
from crm.errors import InvalidInput
from crm.services.client_lookup import decided_on_fresh
from crm.services.client_lookup import find as find_client


def read(grant: Grant, client_id: str) -> tuple[Client, TradingHabit | None]:
    """The client's profile and the habit its latest average holding period suggests."""
    client = find_client(grant, client_id)
    latest = next(iter(metrics_data.metrics(client_id)), None)
    suggested = suggest_habit(latest.avg_holding_days if latest else None, rules.profile())
    return client, suggested


def update(
    grant: Grant,
    client_id: str,
    changes: dict[str, object],
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> Client:
    """The manager's entry: each field given replaces the current one; the change is kept. The
    profile is on the client's record: `expected_version` is the client's."""

    def change(client: Client) -> Client:
        require_version(expected_version, client.version, what=f"client {client_id}")
        after = replace(client.profile, **changes)  # type: ignore[arg-type]
        if after == client.profile:
            raise InvalidInput("nothing in the profile changes", field="body")
        vip_target = rules.vip().is_target(client.client_class, after.value_segment)
        entry = ProfileChange(
            client_id=client_id, before=client.profile, after=after, by=grant.identity.user_id, at=now
        )
        profile_data.change(client, entry, vip_target=vip_target)
        return replace(client, profile=after, version=(client.version or 0) + 1)

    return decided_on_fresh(grant, client_id, change)


def history(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[ProfileChange], str | None]:
    find_client(grant, client_id)
    return profile_data.history_page(client_id, limit=limit, cursor=cursor)


def vip_targets(
    grant: Grant, *, branch_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """Class C/D clients rated 明日之星 in a branch (a manager sees its own)."""
    return profile_data.vip_target_page(
        grant.listing_branch(branch_id), manager_id=grant.manager_filter(), limit=limit, cursor=cursor
    )
