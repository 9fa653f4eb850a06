"""What a question asks for: unit tests of qa.answering.question on real question shapes, against the seed index's words."""

from __future__ import annotations

import pytest

from qa.answering.asked import analyse, enumerates, holds_asked_type, number_tokens, reports_outcome
from qa.answering.followup import leans_on_context
from qa.answering.names import names_someone_new, question_entities, rarest_entity
from qa.answering.question import Question
from qa.answering.question_dates import calendar_days, event_years, on_another_date
from qa.config import Settings
from qa.index import lexical
from qa.index.store import store_for


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
        ("What was the death toll of the chemical incident?", "number"),
        ("What is the number of the UN resolution?", "number"),
        ("What was the dollar value of Russia-US trade?", "money"),
        ("How much has Boeing invested in Russia?", "money"),
        ("How much did trade shrink?", "number"),
        ("Who replaced Lavrov?", None),  # a bare "who" may ask for a body or a group
        ("Who was the US ambassador to Russia?", "person"),
        ("Which Russian Foreign Ministry official issued the commentary?", "person"),
        ("What did the ministers agree in Geneva?", None),
        ("Whom did the militants fight?", None),
        ("How many days passed between the strike and the talks?", "date"),
    ],
)
def test_asked_type(index: lexical.LexicalIndex, question: str, asks: str | None) -> None:
    assert analyse(question).asks == asks


def test_how_many_counts_the_head_of_the_thing(index: lexical.LexicalIndex) -> None:
    asked = analyse("How many Russian diplomats did the US expel?")
    assert asked.counted == frozenset({"diplomat"})
    assert holds_asked_type(asked, "It expelled 35 diplomats.", {"diplomat", "expel"})
    assert not holds_asked_type(asked, "Russian citizens in third countries.", {"russian", "citizen"})
    assert analyse("How many Russian children adopted by Americans were hurt?").counted == frozenset({"children"})
    assert analyse("How many years earlier had Kerry visited?").counted == frozenset({"year"})


def test_the_number_must_count_the_thing_asked_about(index: lexical.LexicalIndex) -> None:
    asked = analyse("How many Russian children adopted by American families were mistreated?")
    assert not holds_asked_type(asked, "problems between the two countries, the fate of Russian children", set())
    assert holds_asked_type(asked, "Two Russian children were hurt.", set())
    meetings = analyse("How many Vienna meetings of the support group were there?")
    assert holds_asked_type(meetings, "as a result of two meetings of the support group in Vienna", set())


def test_how_much_of_is_answered_by_a_proportion() -> None:
    asked = analyse("How much of Syria was the ceasefire holding in?")
    assert holds_asked_type(asked, "a ceasefire regime has been observed in most of Syria's provinces", set())
    assert not holds_asked_type(asked, "the ceasefire regime in Syria", set())


def test_money_needs_a_currency_or_a_scale(index: lexical.LexicalIndex) -> None:
    asked = analyse("What was the dollar value of the trade?")
    assert holds_asked_type(asked, "Trade reached $29.2 billion.", set())
    assert holds_asked_type(asked, "Trade reached 29 billion dollars.", set())
    assert not holds_asked_type(asked, "Trade fell by almost a third.", set())


def test_who_needs_a_name_the_question_does_not_use(index: lexical.LexicalIndex) -> None:
    assert names_someone_new("Which official spoke before Tillerson's visit?", "talks with Rex Tillerson") == []
    assert names_someone_new("Which spokesperson said it?", "State Department spokesperson John Kirby said") == [
        "John Kirby"
    ]
    assert names_someone_new("Who?", "the Russian Foreign Ministry said on Monday") == []
    ambassador = analyse("Who was Russia's ambassador in Washington?")
    assert ambassador.role == "ambassador"
    assert not holds_asked_type(ambassador, "It is Lavrov and Kerry, along with Staffan de Mistura.", {"lavrov"})
    assert holds_asked_type(ambassador, "Ambassador Sergey Kislyak said.", {"ambassador", "kislyak"})


def test_a_publication_date_counts_by_its_year_in_any_form() -> None:
    trade = analyse("What was the value of trade in 2015?")
    assert not on_another_date(trade, "Trade fell by a third.", published="11 July 2016")
    assert on_another_date(trade, "Trade fell by a third.", published="11 July 2014")
    assert not on_another_date(trade, "Trade fell by a third.", published="July 11")  # no year: no clash
    assert not on_another_date(analyse("What was the value of trade?"), "In 2014 trade rose.")  # no date asked
    plan = analyse("What share of power is nuclear to make up by 2025?")
    assert not on_another_date(plan, "The strategy sets the share.", published="7 April 2022")  # a target year


def test_the_focus_of_a_name_in_several_words_is_its_last(index: lexical.LexicalIndex) -> None:
    asked = analyse("How many times has Andrey Baklanov visited Riyadh?")
    assert rarest_entity(asked, index) == ["riyadh"]
    assert rarest_entity(analyse("How many factors did Andrey Baklanov name?"), index) == ["baklanov"]
    assert rarest_entity(analyse("How many factors did Russia name?"), index, at_least=2.0) == []


def test_a_sentence_dated_elsewhere_is_about_another_event(index: lexical.LexicalIndex) -> None:
    assert event_years("What did the December 2015 article say about trade in 2014?") == ["2014"]
    assert calendar_days("held on 13 December, and July 14-15") == {("december", 13), ("july", 14), ("july", 15)}
    trade = analyse("What was the value of trade in 2015?")
    assert on_another_date(trade, "In 2014 trade rose 5.6% on 2013.")
    assert not on_another_date(trade, "Trade in 2015 fell.")
    assert not on_another_date(trade, "Trade fell by a third.")  # no date, no conflict
    assert on_another_date(trade, "Trade fell by a third.", published="2014-06-01")  # written before 2015
    meeting = analyse("What was decided at the December 18-19 meeting?")
    assert on_another_date(meeting, "the conference on Libya on 13 December")
    assert not on_another_date(meeting, "the meeting on December 18 in New York")
    assert not on_another_date(meeting, "the talks on July 14")  # another month: not a clash of days


def test_a_date_or_year_is_not_a_count(index: lexical.LexicalIndex) -> None:
    assert number_tokens("on April 4, in 2014, 21 groups rose 5.6%") == ["21", "5.6"]
    asked = analyse("How many people were killed in Khan Shaykhun?")
    assert not holds_asked_type(asked, "the April 4 incident in Khan Shaykhun in 2017", {"incid", "khan"})


def test_duration_needs_a_length_of_time(index: lexical.LexicalIndex) -> None:
    asked = analyse("How long were the prison sentences?")
    assert holds_asked_type(asked, "Tillerson arrives on a two-day visit.", set())
    assert not holds_asked_type(asked, "sentenced to long prison terms", set())
    assert not holds_asked_type(asked, "before that, two years ago, he visited Moscow", set())


def test_outcome_questions_need_a_report_not_a_preview(index: lexical.LexicalIndex) -> None:
    asked = analyse("What agreements did Lavrov and Kerry reach in Sochi?")
    assert asked.asks_what_happened
    assert not reports_outcome(asked, "The ministers will sign an agreement on Tuesday.")
    assert reports_outcome(asked, "In 2014 we successfully implemented a bilateral agreement on chemical weapons.")
    assert not analyse("What must Kerry agree with Lavrov?").asks_what_happened
    assert not analyse("What did Russia hope the talks would achieve?").asks_what_happened


def test_names_skip_the_first_word_and_years() -> None:
    assert question_entities("Did Tillerson meet Putin in April 2017?") == ["Tillerson", "Putin", "April"]


def test_compares_and_yes_no(index: lexical.LexicalIndex) -> None:
    assert analyse("Compare the two visits.").compares
    assert analyse("Did Kerry meet Putin?").yes_no
    plain = analyse("Who is Igor Morozov?")
    assert isinstance(plain, Question) and not plain.compares and not plain.yes_no


def test_word_families(index: lexical.LexicalIndex) -> None:
    """The corpus "knows" a word through another form of it (Russia/Russian), never through a much longer word."""
    assert index.knows("russia") and index.knows("russian") and index.knows("syrian")
    assert not index.knows("breakfast") and not index.knows("agreementxyzw")  # more than 3 letters longer


def test_an_outcome_reported_in_another_word_form_counts(index: lexical.LexicalIndex) -> None:
    agreed = analyse("What did the ministers agree in Geneva?")
    assert reports_outcome(agreed, "The talks ended with an agreement to hold a second round.")
    decided = analyse("What was decided at the meeting?")
    assert reports_outcome(decided, "The meeting ended with a decision to meet again.")
    assert not reports_outcome(decided, "The meeting ended without result.")


def test_a_calendar_day_is_told_from_a_weekday() -> None:
    from qa.answering.question_dates import names_a_day

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


def test_a_list_question_prefers_a_sentence_that_enumerates() -> None:
    assert analyse("Which countries designated the Islamic State a terrorist organization?").wants_list
    assert analyse("What punitive measures did Washington introduce?").wants_list
    assert not analyse("What was the purpose of the consultations?").wants_list
    assert not analyse("Which company did Tillerson run?").wants_list
    assert enumerates("It was banned in the USA, Canada, UK, Australia and Russia.")
    assert not enumerates("Lavrov, who met Kerry on Tuesday, said so.")


def test_the_months_a_question_names() -> None:
    assert analyse("What did Moscow expect from Kerry's December visit?").months == frozenset({"december"})
    assert analyse("What may Lavrov say?").months == frozenset()  # the verb, not the month
    assert analyse("What tally of contacts did the report give?").asks == "number"
