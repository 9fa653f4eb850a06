"""evals/questions.jsonl: the question set is well formed, and retrieval finds a listed source for every
answerable question (the issue: "test that retrieval cites the right article for all of them").

evals/heldout.jsonl is deliberately never read here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import get_args

import pytest
from support import EVALS_DIR, SEEDS_DIR

from qa.answer import answer
from qa.config import Settings
from qa.eval.metrics import EvalQuestion, QuestionType, load_questions

QUESTIONS_FILE = EVALS_DIR / "questions.jsonl"
QUESTIONS = load_questions(QUESTIONS_FILE)
ANSWERABLE = [q for q in QUESTIONS if q.answerable]

# Answerable questions whose listed source retrieval does not currently put in the top 5 passages.
# These are real retrieval misses, reported to the maintainers; remove an entry once it passes.
def test_every_line_validates() -> None:
    lines = [line for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == len(QUESTIONS) > 0
    for line in lines:
        raw = json.loads(line)
        question = EvalQuestion.model_validate(raw)
        assert set(raw) <= set(EvalQuestion.model_fields), raw["id"]  # no misspelled keys silently ignored
        assert question.question.strip()


def test_ids_are_unique() -> None:
    counts = Counter(q.id for q in QUESTIONS)
    assert [i for i, n in counts.items() if n > 1] == []


def test_questions_are_unique() -> None:
    counts = Counter(" ".join(q.question.lower().split()) for q in QUESTIONS)
    assert [text for text, n in counts.items() if n > 1] == []


def test_every_type_is_present() -> None:
    assert {q.type for q in QUESTIONS} == set(get_args(QuestionType))


def test_enough_unanswerable_questions() -> None:
    assert sum(not q.answerable for q in QUESTIONS) >= 15


def test_every_listed_source_is_a_seed() -> None:
    seeds = {p.name for p in SEEDS_DIR.iterdir()}
    for q in QUESTIONS:
        assert set(q.sources) <= seeds, q.id


def test_answerable_questions_have_sources_and_facts() -> None:
    for q in ANSWERABLE:
        assert q.sources, q.id
        assert q.facts, q.id
        assert q.answer.strip(), q.id
        for fact in q.facts:
            re.compile(fact)  # every fact is a valid pattern
            assert re.search(fact, q.answer, re.IGNORECASE), (q.id, fact, q.answer)


def test_unanswerable_questions_list_no_sources_or_facts() -> None:
    for q in QUESTIONS:
        if not q.answerable:
            assert q.sources == [] and q.facts == [], q.id


def test_multi_doc_questions_list_several_sources() -> None:
    for q in QUESTIONS:
        if q.type == "multi_doc":
            assert len(set(q.sources)) >= 2, q.id


def test_follow_ups_have_a_history() -> None:
    for q in QUESTIONS:
        if q.type == "follow_up":
            assert q.history, q.id
            assert q.history[0]["role"] == "user"
            assert all(turn["role"] in ("user", "assistant") and turn["content"].strip() for turn in q.history)
        else:
            assert not q.history, q.id


@pytest.mark.parametrize("question", [pytest.param(q, id=q.id) for q in ANSWERABLE])
def test_retrieval_finds_a_listed_source(seed_settings: Settings, question: EvalQuestion) -> None:
    result = answer(question.question, history=question.history, settings=seed_settings)
    top = [p.source for p in result.passages[:5]]
    assert set(top) & set(question.sources), f"{question.question!r}: wanted {question.sources}, got {top}"
