"""VIP admission and the cultivation list (Part 4 «VIP客户服务»; DOMAIN.md §7).

DEFAULT: VIPs are the classes whose band starts at 1,000,000 CNY or more; target VIPs are
class C/D clients whose manager rates them 明日之星 (第10条). Both are data in `rules/vip.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.domain.classification import ClassificationRules
from crm.errors import RuleTableError


@dataclass(frozen=True)
class VipRules:
    version: str
    vip_classes: frozenset[str]
    target_classes: frozenset[str]
    target_value_segment: str

    @classmethod
    def from_table(cls, table: Mapping[str, Any], classification: ClassificationRules) -> VipRules:
        try:
            rules = cls(
                version=str(table["version"]),
                vip_classes=frozenset(str(c) for c in table["vip_classes"]),
                target_classes=frozenset(str(c) for c in table["target_classes"]),
                target_value_segment=str(table["target_value_segment"]),
            )
        except (KeyError, TypeError) as exc:
            raise RuleTableError(f"vip table: {exc!r}") from exc
        unknown = (rules.vip_classes | rules.target_classes) - set(classification.class_order)
        if unknown:
            raise RuleTableError(f"vip table: unknown classes {sorted(unknown)}")
        return rules

    def is_vip(self, client_class: str | None) -> bool:
        return client_class in self.vip_classes

    def is_target(self, client_class: str | None, value_segment: str | None) -> bool:
        """明日之星 in the classes to cultivate: the branch's target-VIP list."""
        return client_class in self.target_classes and value_segment == self.target_value_segment
