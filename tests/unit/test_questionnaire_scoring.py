"""Risk tolerance questionnaire (DOMAIN.md §2.1, 第8条 附件1): scores, levels, rejections."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.questionnaire import QuestionnaireRules, assess
from crm.domain.risk_level import RiskLevel
from crm.errors import InvalidInput

RULES = rules.questionnaire()

# DOMAIN.md §2.1's score table, copied as data: question → option → score.
SCORES: dict[str, dict[str, int]] = {
    "1": {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5},
    "2": {"A": 1, "B": 2, "C": 3, "D": 5},
    "3": {"A": 0, "B": 1, "C": 2, "D": 3, "E": 5},
    "4": {"A": 2, "B": 3, "C": 4, "D": 5},
    "5": {"A": 1, "B": 3, "C": 5},
    "6": {"A": 2, "B": 3, "C": 4, "D": 5},
    "7": {"A": 1, "B": 3, "C": 5},
    "8": {"A": 1, "B": 3, "C": 5},
    "9": {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5},  # multiple choice
    "10": {"A": 2, "B": 3, "C": 4, "D": 5},
    "11": {"A": 1, "B": 3, "C": 5},
    "12": {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5},
}
MINIMUM_TOTAL = 14  # all "A": every question's lowest option is A
MAXIMUM_TOTAL = 60
LEVEL_ORDER = [RiskLevel.VERY_LOW, RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]


def sheet(letters: str, q9: list[str] | None = None) -> dict[str, object]:
    """An answer set from twelve letters, one per question; `q9` replaces Q9 by a multi-choice list."""
    assert len(letters) == 12
    answers: dict[str, object] = {str(n): letter for n, letter in enumerate(letters, start=1)}
    if q9 is not None:
        answers["9"] = q9
    return answers


def minimum_with(number: str, answer: object) -> dict[str, object]:
    answers = sheet("A" * 12)
    answers[number] = answer
    return answers


def test_the_shipped_table_spans_14_to_60() -> None:
    assert RULES.score_range == (MINIMUM_TOTAL, MAXIMUM_TOTAL)


@pytest.mark.parametrize(
    ("number", "option", "score"),
    [
        pytest.param(number, option, score, id=f"Q{number}{option}={score}")
        for number, options in SCORES.items()
        for option, score in options.items()
    ],
)
def test_each_option_moves_the_total_by_its_table_score(number: str, option: str, score: int) -> None:
    result = assess(minimum_with(number, option), RULES)
    assert result.score == MINIMUM_TOTAL - SCORES[number]["A"] + score


@pytest.mark.parametrize(
    ("q9", "total"),
    [
        pytest.param(["A", "C"], 16, id="A+C-scores-C"),
        pytest.param(["E", "A"], 18, id="E+A-scores-E"),
        pytest.param(["D", "B", "C"], 17, id="D+B+C-scores-D"),
        pytest.param(["A", "B", "C", "D", "E"], 18, id="all-five-score-E"),
        pytest.param(["B"], 15, id="one-option-in-a-list"),
    ],
)
def test_q9_scores_its_highest_chosen_option(q9: list[str], total: int) -> None:
    assert assess(minimum_with("9", q9), RULES).score == total


def test_answers_are_kept_normalised() -> None:
    result = assess(minimum_with("9", ["C", "A"]), RULES)
    assert result.answers["9"] == ("A", "C")
    assert result.answers["1"] == "A"
    assert result.rules_version == RULES.version


@pytest.mark.parametrize(
    ("answers", "score", "level"),
    [
        pytest.param(sheet("AAAAAAAAAAAA"), 14, RiskLevel.VERY_LOW, id="14-all-minimum"),
        pytest.param(sheet("EAAAAAAAAAAA"), 18, RiskLevel.VERY_LOW, id="18"),
        pytest.param(sheet("EBAAAAAAAAAA"), 19, RiskLevel.LOW, id="19"),
        pytest.param(sheet("EDEDCBAAAAAA"), 35, RiskLevel.LOW, id="35"),
        pytest.param(sheet("EDEDCCAAAAAA"), 36, RiskLevel.MEDIUM, id="36"),
        pytest.param(sheet("EDEDCDCCAAAA"), 45, RiskLevel.MEDIUM, id="45"),
        pytest.param(sheet("EDEDCDCCAAAA", q9=["A", "B"]), 46, RiskLevel.HIGH, id="46-via-q9-list"),
        pytest.param(sheet("EDEDCDCCEDCE"), 60, RiskLevel.HIGH, id="60-all-maximum"),
    ],
)
def test_level_band_edges(answers: dict[str, object], score: int, level: RiskLevel) -> None:
    result = assess(answers, RULES)
    assert (result.score, result.risk_level) == (score, level)


def assert_rejected(answers: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        assess(answers, RULES)
    assert caught.value.field == field


def test_an_unknown_question_is_rejected() -> None:
    assert_rejected({**sheet("A" * 12), "13": "A"}, "answers.13")


@pytest.mark.parametrize("number", list(SCORES))
def test_a_missing_question_is_rejected(number: str) -> None:
    answers = sheet("A" * 12)
    del answers[number]
    assert_rejected(answers, f"answers.{number}")


@pytest.mark.parametrize(
    ("number", "option"),
    [
        pytest.param(number, option, id=f"Q{number}{option}")
        for number, options in SCORES.items()
        for option in "ABCDE"
        if option not in options
    ],
)
def test_an_option_the_question_lacks_is_rejected(number: str, option: str) -> None:
    assert_rejected(minimum_with(number, option), f"answers.{number}")


@pytest.mark.parametrize(
    ("number", "answer"),
    [
        pytest.param("1", ["A", "B"], id="two-options-on-single-choice"),
        pytest.param("12", ("C", "E"), id="tuple-on-single-choice"),
        pytest.param("9", [], id="empty-multi-choice"),
        pytest.param("9", ["B", "B"], id="duplicate-option"),
        pytest.param("3", "a", id="lowercase-letter"),
        pytest.param("3", "AB", id="two-letters-in-one-string"),
        pytest.param("3", "", id="empty-string"),
        pytest.param("3", 1, id="integer"),
        pytest.param("3", True, id="boolean"),
        pytest.param("3", None, id="null"),
        pytest.param("3", {"A": True}, id="object"),
        pytest.param("9", ["A", 2], id="list-with-a-number"),
    ],
)
def test_a_malformed_answer_is_rejected(number: str, answer: object) -> None:
    assert_rejected(minimum_with(number, answer), f"answers.{number}")


# --- properties over every valid answer set ------------------------------------------------

single_choices = {number: st.sampled_from(sorted(SCORES[number])) for number in SCORES if number != "9"}
answer_sets = st.fixed_dictionaries(
    {**single_choices, "9": st.lists(st.sampled_from(sorted(SCORES["9"])), min_size=1, unique=True)}
)


@given(answer_sets)
def test_any_valid_answer_set_scores_within_the_range(answers: dict[str, object]) -> None:
    assert MINIMUM_TOTAL <= assess(answers, RULES).score <= MAXIMUM_TOTAL


@given(answer_sets)
def test_score_is_the_sum_of_the_table_with_q9_at_its_highest(answers: dict[str, object]) -> None:
    q9 = answers["9"]
    assert isinstance(q9, list)
    singles = sum(SCORES[number][str(option)] for number, option in answers.items() if number != "9")
    assert assess(answers, RULES).score == singles + max(SCORES["9"][option] for option in q9)


@given(answer_sets, answer_sets)
def test_level_is_monotone_in_the_score(first: dict[str, object], second: dict[str, object]) -> None:
    low, high = sorted((assess(first, RULES), assess(second, RULES)), key=lambda a: a.score)
    assert LEVEL_ORDER.index(low.risk_level) <= LEVEL_ORDER.index(high.risk_level)


# --- rule-table validation -----------------------------------------------------------------


def drop_very_low(table: dict) -> None:
    table["levels"] = [row for row in table["levels"] if row["level"] != "very_low"]


def set_levels_ascending(table: dict) -> None:
    table["levels"].reverse()


def duplicate_a_minimum(table: dict) -> None:
    table["levels"][1]["min_score"] = table["levels"][0]["min_score"]


def empty_options(table: dict) -> None:
    table["questions"]["5"]["options"] = {}


def no_questions(table: dict) -> None:
    table["questions"] = {}


def unknown_level(table: dict) -> None:
    table["levels"][0]["level"] = "extreme"


def non_numeric_score(table: dict) -> None:
    table["questions"]["1"]["options"]["A"] = "one"


def no_version(table: dict) -> None:
    del table["version"]


def no_levels(table: dict) -> None:
    table["levels"] = []


@pytest.mark.parametrize(
    "breakage",
    [
        set_levels_ascending,
        duplicate_a_minimum,
        drop_very_low,
        empty_options,
        no_questions,
        unknown_level,
        non_numeric_score,
        no_version,
        no_levels,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_table_is_refused(breakage: Callable[[dict], None], assert_refused: Callable[..., None]) -> None:
    assert_refused("questionnaire", QuestionnaireRules.from_table, breakage)
