"""Rule tables as versioned data.

Every DEFAULT of DOMAIN.md lives in a TOML file beside this module, so a brokerage changes a
threshold or a score by editing data, not code. Each table carries a `version` that is stored
with every decision made from it. Tables are validated when loaded; a broken table stops the
function at its first use instead of producing wrong decisions. Each loader imports its own rule
model, so a function pays at cold start only for the rules it uses.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.domain.access import AccessPolicy
    from crm.domain.activity import ActivityRules
    from crm.domain.callbacks import CallbackRules
    from crm.domain.classification import ClassificationRules
    from crm.domain.complaints import ComplaintRules
    from crm.domain.imports import ImportRules
    from crm.domain.labels import ReportLabels
    from crm.domain.messages import SmsRules
    from crm.domain.person import PersonRules
    from crm.domain.profile import ProfileRules
    from crm.domain.questionnaire import QuestionnaireRules
    from crm.domain.records import RecordRules
    from crm.domain.request_limits import RequestRules
    from crm.domain.sla import SlaRules
    from crm.domain.suitability import SuitabilityRules
    from crm.domain.vip import VipRules


def load_table(name: str) -> dict[str, Any]:
    """Read `<name>.toml`; non-integral numbers become Decimal, never float."""
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text, parse_float=Decimal)


@cache
def classification() -> ClassificationRules:
    from crm.domain.classification import ClassificationRules

    return ClassificationRules.from_table(load_table("classification"))


@cache
def questionnaire() -> QuestionnaireRules:
    from crm.domain.questionnaire import QuestionnaireRules

    return QuestionnaireRules.from_table(load_table("questionnaire"))


@cache
def vip() -> VipRules:
    from crm.domain.vip import VipRules

    return VipRules.from_table(load_table("vip"), classification())


@cache
def access() -> AccessPolicy:
    from crm.domain.access import AccessPolicy

    return AccessPolicy.from_table(load_table("access"))


@cache
def sla() -> SlaRules:
    from crm.domain.sla import SlaRules

    return SlaRules.from_table(load_table("sla"))


@cache
def complaints() -> ComplaintRules:
    from crm.domain.complaints import ComplaintRules

    return ComplaintRules.from_table(load_table("complaints"), callbacks().unreachable_after)


@cache
def assessment_valid_years() -> int:
    from crm.domain.assessment import valid_years

    return valid_years(load_table("suitability"))


@cache
def suitability() -> SuitabilityRules:
    from crm.domain.suitability import SuitabilityRules

    return SuitabilityRules.from_table(load_table("suitability"))


@cache
def profile() -> ProfileRules:
    from crm.domain.profile import ProfileRules

    return ProfileRules.from_table(load_table("profile"))


@cache
def callbacks() -> CallbackRules:
    from crm.domain.callbacks import CallbackRules

    return CallbackRules.from_table(load_table("callbacks"), classification().class_order)


@cache
def activity() -> ActivityRules:
    from crm.domain.activity import ActivityRules

    return ActivityRules.from_table(load_table("activity"))


@cache
def sms() -> SmsRules:
    from crm.domain.messages import SmsRules

    return SmsRules.from_table(load_table("sms"))


@cache
def requests() -> RequestRules:
    """What one request may carry (limits at the API edge) and how long idempotent answers are kept."""
    from crm.domain.request_limits import RequestRules

    return RequestRules.from_table(load_table("requests"))


@cache
def labels() -> ReportLabels:
    """The quarterly report's metrics in Chinese, and the section each is filed under (第55条)."""
    from crm.domain.labels import ReportLabels

    return ReportLabels.from_table(load_table("labels"))


@cache
def imports() -> ImportRules:
    """Bulk imports of the trading system's files: columns, encodings and limits (DOMAIN §13)."""
    from crm.domain.imports import ImportRules

    return ImportRules.from_table(load_table("imports"))


@cache
def person() -> PersonRules:
    """The person behind the fund accounts: how many may be open, name lookups, account formats."""
    from crm.domain.person import PersonRules

    return PersonRules.from_table(load_table("person"))


@cache
def records() -> RecordRules:
    """Keeping records (证券法 第137条): how long the audit archive is locked. The topology reads it
    when it is loaded, so every function does at its cold start: one small table, no other rules,
    read from beside this module rather than by `load_table` (the same text, parsed the same way):
    importlib.resources' first `files()` costs some 10 M instructions, the file and its parsing
    half a million, and the layer is a folder on disk."""
    import os

    from crm.domain.records import RecordRules

    with open(os.path.join(os.path.dirname(__file__), "records.toml"), encoding="utf-8") as table:
        return RecordRules.from_table(tomllib.loads(table.read(), parse_float=Decimal))
