"""The extractive answerer's abstention rules, one at a time: for each, a question it refuses and a near one it lets
through, over the seed index with the real embedding model.

Each rule runs after the rules before it (as in answer_extractively), since those narrow the candidates it sees.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qa.answering import rules
from qa.answering.asked import analyse
from qa.answering.extractive import answer_extractively
from qa.config import Settings
from qa.index import lexical
from qa.index.embed import VectorCache, get_embedder
from qa.index.store import store_for
from qa.retrieve import retrieve
from qa.types import Passage

Judge = Callable[..., tuple[str, str] | None]


@pytest.fixture(scope="module")
def judge(seed_settings: Settings) -> Judge:
    """judge(rule, question, passages=None): the (rule, reason) refusal of the rules up to and including `rule`,
    over what retrieval finds for question in the seeds (or over the passages given), or None."""
    store = store_for(seed_settings)
    index = lexical.load(store, seed_settings.resolved_home(), seed_settings.collection)
    embedder = get_embedder(seed_settings.embed_model)
    vectors = VectorCache(embedder)

    def run(rule: rules.Rule, question: str, passages: list[Passage] | None = None) -> tuple[str, str] | None:
        found = retrieve(question, store=store, lexical_index=index, embedder=embedder, top_k=5, candidates=50)
        evidence = rules.Evidence(
            question, analyse(question), found.passages if passages is None else passages, found.query_vector,
            vectors, index,
        )
        upto = rules.RULES[: rules.RULES.index(rule) + 1]
        return rules.first_refusal(evidence, upto)

    return run


def _passage(text: str, date: str | None = None) -> Passage:
    return Passage(chunk_id="c1", article_id="a1", source="made-up.txt", title="Kerry in Moscow", text=text,
                   start=0, end=len(text), score=1.0, date=date)


CASES = [
    # rule, refused, let through (near: same shape, same topic)
    (rules.missing_entity, "What did Edward Snowden say to Kerry?", "What did Lavrov say to Kerry?"),
    (rules.unrelated_words, "What was the rouble-dollar exchange rate at the time of Kerry's Sochi visit?",
     "What did the chief diplomats discuss in Sochi?"),
    (rules.missing_type, "How many cruise missiles did the US fire at the Shayrat airbase?",
     "How many times did Lavrov and Kerry talk on the phone?"),
    (rules.focus, "On what dates was the Riyadh conference of the Syrian opposition held?",
     "On what dates did Kerry visit Moscow in July?"),
    (rules.outcome, "What was decided at the December 18-19 meeting of the Syria support group in New York?",
     "What did Russia and the US agree about Syria?"),
    (rules.threshold, "Crimea annexation referendum date", "Kerry Moscow visit July dates"),
    (rules.yes_no, "Did Tillerson meet President Putin during his April visit to Moscow?",
     "Did Kerry meet Lavrov in Sochi?"),
]


@pytest.mark.parametrize(("rule", "refused", "near"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_rule_refuses_its_case_and_lets_the_near_one_through(
    judge: Judge, rule: rules.Rule, refused: str, near: str
) -> None:
    refusal = judge(rule, refused)
    assert refusal is not None and refusal[0] == rule.__name__, refusal
    assert judge(rule, near) is None


def test_nothing_retrieved_refuses_only_an_empty_retrieval(judge: Judge) -> None:
    assert judge(rules.nothing_retrieved, "When did Kerry visit Moscow?", []) == (
        "nothing_retrieved", "nothing was retrieved")
    assert judge(rules.nothing_retrieved, "When did Kerry visit Moscow?") is None


def test_other_date_refuses_a_day_no_passage_is_about(judge: Judge) -> None:
    moscow = [_passage("Kerry will pay a working visit to Moscow on July 14-15, the ministry said.", "July 11, 2016")]
    refusal = judge(rules.other_date, "What did Kerry do in Moscow on July 20?", moscow)
    assert refusal == ("other_date", "the passages that come closest are about other dates")
    assert judge(rules.other_date, "What did Kerry do in Moscow on July 14?", moscow) is None
    # A comparing question frames two dates: it is let through.
    assert judge(rules.other_date, "How did Kerry's July 20 plans compare with his visit?", moscow) is None


def test_the_refusing_rule_travels_with_the_draft(seed_settings: Settings) -> None:
    store = store_for(seed_settings)
    index = lexical.load(store, seed_settings.resolved_home(), seed_settings.collection)
    embedder = get_embedder(seed_settings.embed_model)
    question = "How many cruise missiles did the US fire at the Shayrat airbase?"
    found = retrieve(question, store=store, lexical_index=index, embedder=embedder, top_k=5, candidates=50)
    draft = answer_extractively(question, found.passages, found.query_vector, VectorCache(embedder), index)
    assert draft.abstained and draft.abstain_rule == "missing_type"
    assert "number" in draft.text
