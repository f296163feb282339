"""The settings table's item type: every item in it is a `SettingsItem` (pk = <what>#…, sk =
`CURRENT` for the value in force), whatever it holds: the turnover threshold, its recalibrations
and the rule tables (crm.data.settings), the working-day calendars (crm.data.calendars), the
turnover sums (crm.data.clients.yearly_sums). Its own module, so reading a calendar does not import
what the threshold and the rule tables are made of."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from crm.data.base import Stamped, meta_for
from crm.topology import SETTINGS

CURRENT = "CURRENT"


class SettingsItem(Stamped, Model):
    Meta = meta_for(SETTINGS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
