"""Risk tolerance questionnaire scoring (第8条, 附件1《客户投资风险承受力评估调查表》).

Twelve questions, single choice except those marked `multiple` (Q9). A multi-choice question
scores its highest chosen option (DOMAIN.md §2.1 DEFAULT). The total maps to one of four
levels: 极低 very_low, 低 low, 中 medium, 高 high. An answer set that skips a question, names
an option the question lacks, or gives several options to a single-choice question is
rejected naming the question (第8条 1–2: the evaluation must be complete to be relied on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.domain.risk_level import RiskLevel
from crm.errors import InvalidInput, RuleTableError


@dataclass(frozen=True)
class Question:
    number: str
    option_scores: Mapping[str, int]
    multiple: bool


@dataclass(frozen=True)
class QuestionnaireRules:
    version: str
    questions: Mapping[str, Question]
    # (minimum total, level), highest minimum first
    levels: tuple[tuple[int, RiskLevel], ...]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> QuestionnaireRules:
        try:
            questions = {
                str(number): Question(
                    number=str(number),
                    option_scores={str(k): int(v) for k, v in spec["options"].items()},
                    multiple=bool(spec.get("multiple", False)),
                )
                for number, spec in table["questions"].items()
            }
            levels = tuple((int(row["min_score"]), RiskLevel(row["level"])) for row in table["levels"])
            version = str(table["version"])
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"questionnaire table: {exc!r}") from exc
        if not questions or any(not q.option_scores for q in questions.values()):
            raise RuleTableError("questionnaire table: every question needs options")
        minima = [m for m, _ in levels]
        if not minima:
            raise RuleTableError("questionnaire table: no levels")
        if minima != sorted(minima, reverse=True) or len(set(minima)) != len(minima):
            raise RuleTableError("questionnaire table: levels must have strictly descending min_score")
        rules = cls(version=version, questions=questions, levels=levels)
        if minima[-1] > rules.score_range[0]:
            raise RuleTableError("questionnaire table: the lowest possible score has no level")
        return rules

    @property
    def score_range(self) -> tuple[int, int]:
        low = sum(min(q.option_scores.values()) for q in self.questions.values())
        high = sum(max(q.option_scores.values()) for q in self.questions.values())
        return low, high

    def level_for(self, score: int) -> RiskLevel:
        for minimum, level in self.levels:
            if score >= minimum:
                return level
        raise InvalidInput(f"score {score} is below every level", field="answers")


@dataclass(frozen=True)
class Assessment:
    score: int
    risk_level: RiskLevel
    answers: Mapping[str, str | tuple[str, ...]]
    rules_version: str


def _chosen_options(question: Question, raw: object) -> tuple[str, ...]:
    field = f"answers.{question.number}"
    if isinstance(raw, str):
        chosen: tuple[str, ...] = (raw,)
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        chosen = tuple(raw)
    else:
        raise InvalidInput(f"question {question.number}: the answer must be an option letter", field=field)
    if not chosen:
        raise InvalidInput(f"question {question.number}: choose at least one option", field=field)
    if len(set(chosen)) != len(chosen):
        raise InvalidInput(f"question {question.number}: an option is given twice", field=field)
    if len(chosen) > 1 and not question.multiple:
        raise InvalidInput(
            f"question {question.number} is single choice but {len(chosen)} options were given", field=field
        )
    for option in chosen:
        if option not in question.option_scores:
            offered = ", ".join(question.option_scores)
            raise InvalidInput(f"question {question.number} has no option {option!r} (options: {offered})", field=field)
    return chosen


def assess(answers: Mapping[str, object], rules: QuestionnaireRules) -> Assessment:
    """Score a complete answer set; raise InvalidInput naming the first faulty question."""
    unknown = sorted(set(answers) - set(rules.questions), key=_question_order)
    if unknown:
        raise InvalidInput(f"there is no question {unknown[0]}", field=f"answers.{unknown[0]}")
    normalised: dict[str, str | tuple[str, ...]] = {}
    score = 0
    for number in sorted(rules.questions, key=_question_order):
        question = rules.questions[number]
        if number not in answers:
            raise InvalidInput(f"question {number} is not answered", field=f"answers.{number}")
        chosen = _chosen_options(question, answers[number])
        score += max(question.option_scores[option] for option in chosen)
        normalised[number] = tuple(sorted(chosen)) if question.multiple else chosen[0]
    return Assessment(score=score, risk_level=rules.level_for(score), answers=normalised, rules_version=rules.version)


def _question_order(number: str) -> tuple[int, str]:
    return (int(number), number) if number.isdigit() else (10**6, number)
