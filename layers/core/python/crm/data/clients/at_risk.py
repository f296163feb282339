"""The sparse `at_risk` index of the clients table kept in step with a client's record: a client is
in its branch's at-risk list (第50条 10) exactly while it has a reason to be. Written with the
changes that can give or take a reason (year-end assets, a retention case), so reading a client
does not load the retention rules."""

from __future__ import annotations

from pynamodb.expressions.update import Action

from crm.data.base import set_or_remove
from crm.data.clients.items import ProfileItem
from crm.domain.client import Client
from crm.domain.retention import at_risk_reasons


def at_risk_actions(client: Client) -> list[Action]:
    """Keep the client in its branch's at-risk index exactly while it has a reason to be there."""
    return [set_or_remove(ProfileItem.at_risk_branch, client.branch_id if at_risk_reasons(client) else None)]
