"""Risk questionnaires through the API (DOMAIN §2.1; 第8条, 附件1): scores and levels on the band
edges, the newest submission decides, history is kept, bad answer sets store nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.integration.harness import Harness
from tests.integration.pages import every_page, whole

# All lowest options: 1+1+0+2+1+2+1+1+1+2+1+1 = 14 (附件1 评分标准).
LOWEST: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}


def answers(**changes: Any) -> dict[str, Any]:
    """The lowest answer set with some questions changed: q1="E" → {"1": "E"}."""
    return LOWEST | {name.removeprefix("q"): value for name, value in changes.items()}


# Each set is worked out by hand from the score table of DOMAIN.md §2.1.
BAND_EDGES = [
    (answers(), 14, "very_low"),
    (answers(q1="E"), 18, "very_low"),  # +4
    (answers(q1="E", q2="B"), 19, "low"),  # +4 +1
    (answers(q1="E", q2="D", q3="E", q4="D", q5="C", q6="B"), 35, "low"),  # +4+4+5+3+4+1
    (answers(q1="E", q2="D", q3="E", q4="D", q5="C", q6="C"), 36, "medium"),  # +4+4+5+3+4+2
    (answers(q1="E", q2="D", q3="E", q4="D", q5="C", q6="D", q7="C", q8="C"), 45, "medium"),  # +31
    (answers(q1="E", q2="D", q3="E", q4="D", q5="C", q6="D", q7="C", q8="C", q9=["A", "B"]), 46, "high"),
    (
        answers(
            q1="E", q2="D", q3="E", q4="D", q5="C", q6="D", q7="C", q8="C", q9=["E", "A"], q10="D", q11="C", q12="E"
        ),
        60,
        "high",
    ),
]


@pytest.mark.parametrize(("answer_set", "score", "level"), BAND_EDGES, ids=[f"{s}" for _, s, _ in BAND_EDGES])
def test_scores_and_levels_on_band_edges(
    harness: Harness, client: dict[str, Any], answer_set: dict[str, Any], score: int, level: str
) -> None:
    response = harness.call("POST", "/clients/C001/questionnaires", {"answers": answer_set, "paper_ref": "ARCH-1"})
    assert response.status == 201, response.body
    assert (response.json()["score"], response.json()["risk_level"]) == (score, level)
    stored = harness.call("GET", "/clients/C001").json()
    assert (stored["risk_score"], stored["risk_level"]) == (score, level)


def test_multi_choice_scores_its_highest_option(harness: Harness, client: dict[str, Any]) -> None:
    low = harness.call("POST", "/clients/C001/questionnaires", {"answers": answers(q9=["A", "B", "C"])}).json()
    high = harness.call("POST", "/clients/C001/questionnaires", {"answers": answers(q9=["A", "D"])}).json()
    assert (low["score"], high["score"]) == (16, 17)


def test_every_submission_is_kept_and_the_newest_decides(harness: Harness, client: dict[str, Any]) -> None:
    first = harness.call("POST", "/clients/C001/questionnaires", {"answers": BAND_EDGES[-1][0], "paper_ref": "P-1"})
    second = harness.call("POST", "/clients/C001/questionnaires", {"answers": answers(), "paper_ref": "P-2"})
    assert (first.status, second.status) == (201, 201)

    history = harness.call("GET", "/clients/C001/questionnaires").json()["items"]
    assert [(h["score"], h["paper_ref"]) for h in history] == [(14, "P-2"), (60, "P-1")]
    assert history[0]["submitted_by"] == "sup-b1"
    assert history[1]["answers"]["9"] == ["A", "E"]
    assert harness.call("GET", "/clients/C001").json()["risk_level"] == "very_low"


def test_the_history_read_in_pages_loses_and_repeats_nothing(harness: Harness, client: dict[str, Any]) -> None:
    for n, answer_set in enumerate((BAND_EDGES[0][0], BAND_EDGES[3][0], BAND_EDGES[-1][0])):
        body = {"answers": answer_set, "paper_ref": f"P-{n}"}
        at = f"2026-06-0{n + 1}T10:00:00+08:00"
        assert harness.call("POST", "/clients/C001/questionnaires", body, at=at).status == 201
    history = whole(harness, "/clients/C001/questionnaires")
    assert [h["paper_ref"] for h in history] == ["P-2", "P-1", "P-0"]
    pages = every_page(harness, "/clients/C001/questionnaires", limit=2)
    assert [[h["paper_ref"] for h in page] for page in pages] == [["P-2", "P-1"], ["P-0"]]
    assert [item for page in pages for item in page] == history


BAD_ANSWERS = [
    (answers() | {"13": "A"}, "answers.13", "no question 13"),
    ({k: v for k, v in answers().items() if k != "7"}, "answers.7", "not answered"),
    (answers(q2="E"), "answers.2", "no option 'E'"),
    (answers(q5="D"), "answers.5", "no option 'D'"),
    (answers(q4=["A", "B"]), "answers.4", "single choice"),
    (answers(q9=[]), "answers.9", "at least one"),
    (answers(q9=["A", "A"]), "answers.9", "twice"),
    (answers(q1=1), "answers.1", ""),
]


@pytest.mark.parametrize(("answer_set", "field", "says"), BAD_ANSWERS, ids=[b[1] + ":" + b[2] for b in BAD_ANSWERS])
def test_bad_answer_sets_are_422_naming_the_question_and_store_nothing(
    harness: Harness, client: dict[str, Any], answer_set: dict[str, Any], field: str, says: str
) -> None:
    response = harness.call("POST", "/clients/C001/questionnaires", {"answers": answer_set})
    assert response.status == 422, response.body
    error = response.json()["error"]
    assert error["field"] == field
    assert says in error["message"]
    assert harness.call("GET", "/clients/C001/questionnaires").json()["items"] == []
    assert harness.call("GET", "/clients/C001").json()["risk_level"] is None


def test_questionnaire_scope(harness: Harness, client: dict[str, Any]) -> None:
    body = {"answers": answers()}
    assert harness.call("POST", "/clients/C001/questionnaires", body, as_=("manager", "mgr-1", "B1")).status == 201
    assert harness.call("POST", "/clients/C001/questionnaires", body, as_=("counter", "c-1", "B1")).status == 201
    for caller in (("manager", "mgr-2", "B1"), ("counter", "c-9", "B2"), ("compliance", "x", None), ("hq", "h", None)):
        assert harness.call("POST", "/clients/C001/questionnaires", body, as_=caller).status == 403, caller
    assert harness.call("POST", "/clients/NOPE/questionnaires", body).status == 404
    assert len(harness.call("GET", "/clients/C001/questionnaires", as_=("compliance", "x", None)).json()["items"]) == 2


def stale_reads(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """The first `count` reads of a client see it as it was before the stream consumers' last change
    (its class, its VIP): what a questionnaire entered during a year-end import meets."""
    from crm.data.clients import records

    fresh_get = records.get
    left = [count]

    def get(client_id: str, **kwargs: Any) -> Any:
        client = fresh_get(client_id, **kwargs)
        if client is not None and left[0] > 0:
            left[0] -= 1
            return replace(client, version=client.version - 1)
        return client

    monkeypatch.setattr(records, "get", get)


def test_a_client_changed_by_the_streams_meanwhile_is_read_again(
    harness: Harness, client: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale_reads(monkeypatch, 2)
    sent = harness.call("POST", "/clients/C001/questionnaires", {"answers": answers(q1="E"), "paper_ref": "P-1"})
    assert sent.status == 201, sent.body
    monkeypatch.undo()
    history = harness.call("GET", "/clients/C001/questionnaires").json()["items"]
    assert [h["paper_ref"] for h in history] == ["P-1"]  # recorded once
    assert harness.call("GET", "/clients/C001").json()["risk_level"] == "very_low"


def test_a_client_that_keeps_changing_is_a_409_and_nothing_is_stored(
    harness: Harness, client: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale_reads(monkeypatch, 3)
    sent = harness.call("POST", "/clients/C001/questionnaires", {"answers": answers(), "paper_ref": "P-1"})
    assert sent.status == 409, sent.body
    monkeypatch.undo()
    assert harness.call("GET", "/clients/C001/questionnaires").json()["items"] == []
