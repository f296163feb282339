"""The quarterly report's words (第55条; DOMAIN §9): each metric's label in Chinese and the section
it is filed under, for the workbook's sheets and headers and the figures' JSON.

The table is data (`rules/labels.toml`), validated at load: every label reads in Chinese, no metric
is named twice, and every metric named has exactly one label and one section. A metric the table
does not name is an error (`UnlabelledMetric`), never a label or a section guessed from its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm.errors import RuleTableError

PLACEHOLDER = "{}"  # where a family's label takes its code's label
SHEET_NAME_MAX_CHARS = 31  # Excel's limit: a section's title is its sheet's name
SHEET_NAME_FORBIDDEN = frozenset("[]:*?/\\")


class UnlabelledMetric(RuleTableError):
    """A metric the labels table does not name: the table lags behind the report's metrics."""


def _reads_in_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@dataclass(frozen=True)
class Family:
    """Metrics named `<prefix><code>`, labelled by `label` with the code's label in place of {}.
    `codes` names the vocabulary of its codes; without one, a code is shown as it is (the client
    classes, A+ … G, are the regulation's own names)."""

    prefix: str
    label: str
    codes: Mapping[str, str] | None

    def code_of(self, metric: str) -> str | None:
        """The code a metric of this family ends with, or None: not one of this family's."""
        if not metric.startswith(self.prefix) or metric == self.prefix:
            return None
        code = metric.removeprefix(self.prefix)
        return code if self.codes is None or code in self.codes else None

    def code_label(self, code: str) -> str:
        return code if self.codes is None else self.codes[code]

    def members(self) -> list[str]:
        """Every metric of the family, when its codes are known."""
        return [self.prefix + code for code in self.codes or ()]


@dataclass(frozen=True)
class Section:
    title: str
    metrics: Mapping[str, str]  # metric → label
    families: tuple[Family, ...]


@dataclass(frozen=True)
class ReportLabels:
    version: str
    codes: Mapping[str, Mapping[str, str]]  # vocabulary → code → label
    sections: tuple[Section, ...]  # in the order of the workbook's sheets

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ReportLabels:
        try:
            codes = {
                str(name): {str(code): str(text) for code, text in vocabulary.items()}
                for name, vocabulary in table["codes"].items()
            }
            sections = tuple(
                Section(
                    title=str(section["title"]),
                    metrics={str(metric): str(text) for metric, text in section.get("metrics", {}).items()},
                    families=tuple(
                        Family(
                            prefix=str(family["prefix"]),
                            label=str(family["label"]),
                            codes=codes[str(family["codes"])] if "codes" in family else None,
                        )
                        for family in section.get("families", ())
                    ),
                )
                for section in table["sections"]
            )
            labels = cls(version=str(table["version"]), codes=codes, sections=sections)
        except (KeyError, TypeError, AttributeError) as exc:
            raise RuleTableError(f"labels table: {exc!r}") from exc
        problems = labels._problems()
        if problems:
            raise RuleTableError("labels table: " + "; ".join(problems))
        return labels

    def _problems(self) -> list[str]:
        problems = []
        if not self.version:
            problems.append("a version is required")
        texts = [text for vocabulary in self.codes.values() for text in vocabulary.values()]
        texts += [text for section in self.sections for text in section.metrics.values()]
        problems += [f"{text!r} does not read in Chinese" for text in texts if not _reads_in_chinese(text)]
        titles = [section.title for section in self.sections]
        if not titles or len(set(titles)) != len(titles):
            problems.append("the sections are one or more, each titled once")
        for title in titles:
            if not 0 < len(title) <= SHEET_NAME_MAX_CHARS or SHEET_NAME_FORBIDDEN & set(title):
                problems.append(f"section {title!r} cannot name a sheet")
        families = [family for section in self.sections for family in section.families]
        for family in families:
            if not family.prefix.endswith("_") or family.label.count(PLACEHOLDER) != 1:
                problems.append(f"family {family.prefix!r}: a prefix ends with _, a label holds {{}} once")
            if family.codes is None and not _reads_in_chinese(family.label):
                problems.append(f"family {family.prefix!r}: its label does not read in Chinese")
        named = [metric for section in self.sections for metric in section.metrics]
        named += [metric for family in families for metric in family.members()]
        problems += [f"{metric!r} is named twice" for metric in sorted({m for m in named if named.count(m) > 1})]
        for family in (f for f in families if f.codes is None):  # its codes are any: no one else's names
            clashes = [m for m in named if m.startswith(family.prefix)]
            clashes += [f.prefix for f in families if f is not family and f.prefix.startswith(family.prefix)]
            problems += [f"{clash!r} lies within family {family.prefix!r}" for clash in clashes]
        shown = [self.label(metric) for metric in named if named.count(metric) == 1]
        problems += [f"label {text!r} is shown twice" for text in sorted({t for t in shown if shown.count(t) > 1})]
        return problems

    def _find(self, metric: str) -> tuple[Section, str]:
        """The section holding a metric and the metric's label."""
        for section in self.sections:
            if metric in section.metrics:
                return section, section.metrics[metric]
            for family in section.families:
                code = family.code_of(metric)
                if code is not None:
                    return section, family.label.replace(PLACEHOLDER, family.code_label(code))
        raise UnlabelledMetric(f"labels table {self.version}: no section names metric {metric!r}")

    def label(self, metric: str) -> str:
        return self._find(metric)[1]

    def section(self, metric: str) -> str:
        """The title of the metric's section: its sheet in the workbook."""
        return self._find(metric)[0].title

    def code_label(self, metric: str) -> str:
        """A family's metric by its code alone (A+ for clients_class_A+, 电话 for contacts_phone),
        where a column already says what the codes are."""
        for section in self.sections:
            for family in section.families:
                code = family.code_of(metric)
                if code is not None:
                    return family.code_label(code)
        raise UnlabelledMetric(f"labels table {self.version}: no family holds metric {metric!r}")

    def labels_of(self, metrics: Iterable[str]) -> dict[str, str]:
        """metric → label for each metric, in the order first given."""
        return {metric: self.label(metric) for metric in dict.fromkeys(metrics)}
