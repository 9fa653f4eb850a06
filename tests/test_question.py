"""What a question asks for: unit tests of qa.question on real question shapes, against the seed index's words."""

from __future__ import annotations

import pytest

from qa import lexical
from qa.config import Settings
from qa.ingest import store_for
from qa.question import (
    Question,
    analyse,
    count_tokens,
    holds_asked_type,
    leans_on_context,
    question_entities,
    reports_outcome,
)


@pytest.fixture(scope="module")
def index(seed_settings: Settings) -> lexical.LexicalIndex:
    return lexical.load(store_for(seed_settings), seed_settings.resolved_home(), seed_settings.collection)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("When was John Kerry scheduled to visit Moscow?", "date"),
        ("On which dates was Kerry's visit?", "date"),
        ("Sochi Lavrov Kerry talks date", "date"),
        ("How many working groups made up the commission?", "number"),
        ("How long was Tillerson's visit?", "duration"),
        ("Which Syrian airbase did the US strike?", None),
    ],
)
def test_asked_type(index: lexical.LexicalIndex, question: str, asks: str | None) -> None:
    assert analyse(question, index).asks == asks


def test_how_many_counts_the_rarest_word_of_the_thing(index: lexical.LexicalIndex) -> None:
    asked = analyse("How many Russian diplomats did the US expel?", index)
    assert asked.counted == frozenset({"diplomat"})
    assert holds_asked_type(asked, "It expelled 35 diplomats.", {"diplomat", "expel"})
    assert not holds_asked_type(asked, "Russian citizens in third countries.", {"russian", "citizen"})


def test_a_date_or_year_is_not_a_count(index: lexical.LexicalIndex) -> None:
    assert count_tokens("on April 4, in 2014, 21 groups rose 5.6%") == ["21", "5.6"]
    asked = analyse("How many people were killed in Khan Shaykhun?", index)
    assert not holds_asked_type(asked, "the April 4 incident in Khan Shaykhun in 2017", {"incid", "khan"})


def test_duration_needs_a_length_of_time(index: lexical.LexicalIndex) -> None:
    asked = analyse("How long were the prison sentences?", index)
    assert holds_asked_type(asked, "Tillerson arrives on a two-day visit.", set())
    assert not holds_asked_type(asked, "sentenced to long prison terms", set())


def test_outcome_questions_need_a_report_not_a_preview(index: lexical.LexicalIndex) -> None:
    asked = analyse("What agreements did Lavrov and Kerry reach in Sochi?", index)
    assert asked.asks_what_happened
    assert not reports_outcome(asked, "The ministers will sign an agreement on Tuesday.")
    assert reports_outcome(asked, "In 2014 we successfully implemented a bilateral agreement on chemical weapons.")
    assert not analyse("What must Kerry agree with Lavrov?", index).asks_what_happened
    assert not analyse("What did Russia hope the talks would achieve?", index).asks_what_happened


def test_names_skip_the_first_word_and_years() -> None:
    assert question_entities("Did Tillerson meet Putin in April 2017?") == ["Tillerson", "Putin", "April"]


def test_compares_and_yes_no(index: lexical.LexicalIndex) -> None:
    assert analyse("Compare the two visits.", index).compares
    assert analyse("Did Kerry meet Putin?", index).yes_no
    plain = analyse("Who is Igor Morozov?", index)
    assert isinstance(plain, Question) and not plain.compares and not plain.yes_no


def test_word_families(index: lexical.LexicalIndex) -> None:
    """The corpus "knows" a word through another form of it (Russia/Russian), never through a much longer word."""
    assert index.knows("russia") and index.knows("russian") and index.knows("syrian")
    assert not index.knows("breakfast") and not index.knows("agreementxyzw")  # more than 3 letters longer


def test_an_outcome_reported_in_another_word_form_counts(index: lexical.LexicalIndex) -> None:
    agreed = analyse("What did the ministers agree in Geneva?", index)
    assert reports_outcome(agreed, "The talks ended with an agreement to hold a second round.")
    decided = analyse("What was decided at the meeting?", index)
    assert reports_outcome(decided, "The meeting ended with a decision to meet again.")
    assert not reports_outcome(decided, "The meeting ended without result.")


def test_a_calendar_day_is_told_from_a_weekday() -> None:
    from qa.question import names_a_day

    assert names_a_day("will pay a working visit to Moscow on July 14-15")
    assert names_a_day("Established on 15 October 2006")
    assert not names_a_day("will hold talks in Sochi on Tuesday")
    assert not names_a_day("in may 2015 he arrived in Sochi")


@pytest.mark.parametrize(
    "question",
    [
        "And on which day was he due to sit down with Lavrov?",
        "What did he think Kerry actually came to Moscow for?",  # the pronoun comes before any name
        "What did Moscow think that strike would lead to?",
        "When was the most recent of those calls?",
        "Who else did the ministry want freed along with him?",
        "What about Tillerson?",
        "Why?",
    ],
)
def test_a_follow_up_leans_on_the_conversation(question: str) -> None:
    assert leans_on_context(question)


@pytest.mark.parametrize(
    "question",
    [
        "Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
        "When was John Kerry scheduled to make his working visit to Moscow in July?",  # "his" is Kerry's
        "How many working groups made up the joint presidential commission that Washington froze?",
        "Were there more Lavrov–Kerry phone calls or in-person ministerial meetings that year?",
        "Which two US Secretaries of State do these articles cover visiting Russia?",
    ],
)
def test_a_question_that_names_its_topic_stands_alone(question: str) -> None:
    assert not leans_on_context(question)
