"""The settings table: company-wide values that change by decision, each with its history.

Keys: pk = SETTING#<name>; sk = CURRENT for the value in force, HISTORY#<at> for each change.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from crm.data.base import DecimalAttribute, meta_for
from crm.domain.classification import Threshold
from crm.topology import SETTINGS

TURNOVER_THRESHOLD = "SETTING#turnover_threshold"
CURRENT = "CURRENT"


class SettingsItem(Model):
    Meta = meta_for(SETTINGS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _ThresholdItem(SettingsItem):
    value = DecimalAttribute()
    threshold_version = UnicodeAttribute()


def turnover_threshold(initial: Threshold) -> Threshold:
    """`T` in force: the last recalibration's, or the rule table's initial value (第6条)."""
    try:
        item = _ThresholdItem.get(TURNOVER_THRESHOLD, CURRENT, consistent_read=True)
    except _ThresholdItem.DoesNotExist:
        return initial
    return Threshold(value=item.value, version=item.threshold_version)
