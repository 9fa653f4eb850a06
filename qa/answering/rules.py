"""Why the extractive answerer refuses: an ordered list of small named rules, each returning a reason or nothing.

Each rule reads the Evidence (the question, what was retrieved, the sentences still in the running) and may narrow
the candidates for the rules after it. The first reason given becomes the abstention, and the rule's name travels
with the answer (Answer.abstain_rule), so `qa eval --report` can count refusals per rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

from qa.answering.asked import reports_outcome
from qa.answering.names import missing_entities, rarest_entity, words_unknown_to
from qa.answering.question import Question
from qa.answering.question_dates import on_another_date
from qa.answering.scoring import ExtractiveParams, Scored, score_sentences
from qa.answering.words import content_words
from qa.index.embed import VectorCache
from qa.index.lexical import LexicalIndex, analyze
from qa.types import Passage

_SECOND_ASK = re.compile(r"\band\s+(?:\w+\s+)?(?:what|which|when|who|whom|where|how)\b", re.IGNORECASE)
_QUOTE_OPENS = re.compile(r"^\s*[\"“«„]")


@dataclass
class Evidence:
    """What was retrieved for one question, scored once for everything that reads it: the rules, the extractive
    answer and the evidence a model is shown (answering/evidence.py).

    scored: every retrieved sentence, best first, scored on first use (the rules that read only the question never
    pay for it). candidates: those still in the running; a rule that narrows them assigns the survivors.
    """

    question: str
    asked: Question
    passages: list[Passage]
    query_vector: np.ndarray
    text_vectors: VectorCache
    index: LexicalIndex
    context: str = ""
    params: ExtractiveParams = ExtractiveParams()

    @cached_property
    def scored(self) -> list[Scored]:
        return score_sentences(
            self.asked, self.passages, self.query_vector, self.text_vectors, self.index, self.context, self.params
        )

    @cached_property
    def candidates(self) -> list[Scored]:
        return list(self.scored)


Rule = Callable[[Evidence], str | None]


def nothing_retrieved(ev: Evidence) -> str | None:
    return "nothing was retrieved" if not ev.passages else None


def missing_entity(ev: Evidence) -> str | None:
    """A name or number of the question that no article uses, in any form: the articles can't be about it."""
    missing = missing_entities(ev.asked, ev.index)
    return f"they never mention {', '.join(missing)}" if missing else None


def unrelated_words(ev: Evidence) -> str | None:
    """A word no article uses and nothing retrieved comes near in meaning ("breakfast"): another topic."""
    unrelated = words_unrelated_to(ev.question, ev.passages, ev.index, ev.text_vectors, ev.params.unrelated)
    return f"they say nothing about {', '.join(unrelated)}" if unrelated else None


def other_date(ev: Evidence) -> str | None:
    """Keep only sentences about the year or day the question names; "in May 2015 … in July 2016" frames two
    statements, so a comparing question keeps them all."""
    if not (ev.asked.years or ev.asked.days) or ev.asked.compares:
        return None
    ev.candidates = [c for c in ev.candidates if not on_another_date(ev.asked, c.text, c.passage.date)]
    return None if ev.candidates else "the passages that come closest are about other dates"


def missing_type(ev: Evidence) -> str | None:
    """Keep only sentences that hold the kind of thing asked (a date for "when", a count for "how many")."""
    if ev.asked.asks is None:
        return None
    ev.candidates = [c for c in ev.candidates if c.has_type]
    return None if ev.candidates else f"no retrieved passage gives a {ev.asked.asks}"


def focus(ev: Evidence) -> str | None:
    """The date of the Libya conference is no answer to "when was the Riyadh conference?": the best typed sentence
    must be about the question's rarest name, and goes first (runners-up may lean on it). A question in two parts
    ("in which city, and on what dates") may name its subject in one part only, so it has no focus."""
    if ev.asked.asks is None:
        return None
    stems = [] if _SECOND_ASK.search(ev.question) else rarest_entity(ev.asked, ev.index, ev.params.rare)
    paragraphs = cache(lambda article_id: _paragraph_terms(article_id, ev.passages))  # once per article
    best = next((c for c in ev.candidates if _about(c, set(stems), paragraphs(c.passage.article_id))), None)
    if best is None:
        return f"no passage that gives a {ev.asked.asks} is about {_name(stems, ev.asked)}"
    ev.candidates = [best] + [c for c in ev.candidates if c is not best]
    return None


def outcome(ev: Evidence) -> str | None:
    """A preview ("will hold talks") can't say what happened, and a sentence that never uses the outcome the
    question names ("agreements", "decided") doesn't report it."""
    if not ev.asked.asks_what_happened:
        return None
    ev.candidates = [c for c in ev.candidates if reports_outcome(ev.asked, c.text)]
    return None if ev.candidates else "they only say what was expected to happen, not what happened"


def threshold(ev: Evidence) -> str | None:
    """The best sentence left must score ExtractiveParams.support_threshold."""
    if not ev.candidates or ev.candidates[0].score < ev.params.support_threshold:
        return "no passage supports an answer"
    return None


def yes_no(ev: Evidence) -> str | None:
    """"Did X meet Y?" needs a sentence that (with its neighbours and headline) names them all; "was X on the
    agenda for both visits?" spans two articles, so a comparing question is let through."""
    if not ev.asked.yes_no or ev.asked.compares:
        return None
    names = [stem for e in ev.asked.entities for stem in analyze(e)]
    if all(n in ev.candidates[0].context_terms for n in names):
        return None
    return "no passage mentions " + " and ".join(ev.asked.entities) + " together"


RULES: tuple[Rule, ...] = (
    nothing_retrieved, missing_entity, unrelated_words, other_date, missing_type, focus, outcome, threshold, yes_no
)

# The rules that read only the question, the corpus and what was retrieved, never a sentence's content: what may
# refuse before a model is asked (QA_LLM_GATE), since a model asked anyway answers such questions from its own
# knowledge as often as it declines.
BEFORE_READING: tuple[Rule, ...] = (nothing_retrieved, missing_entity, unrelated_words)


def first_refusal(ev: Evidence, rules: tuple[Rule, ...] = RULES) -> tuple[str, str] | None:
    """(rule name, reason) of the first rule that refuses, or None when every rule lets the question through."""
    for rule in rules:
        if (reason := rule(ev)) is not None:
            return rule.__name__, reason
    return None


def words_unrelated_to(
    question: str, passages: list[Passage], index: LexicalIndex, text_vectors: VectorCache, bar: float
) -> list[str]:
    """Question words the corpus never uses and nothing in the retrieved passages comes near in meaning
    ("breakfast", "weather"): the question is about something the articles don't cover.

    Only words unknown to the whole corpus are checked, so paraphrases of words it uses never count; words
    about the text itself ("preview", "article") are left out; the bar is low, for clear cases only.
    """
    unknown = words_unknown_to(question, index)
    if not unknown:
        return []
    vocabulary = sorted({w for p in passages for w in content_words(f"{p.title} {p.text}")})
    if not vocabulary:
        return unknown
    nearest = (text_vectors.get(unknown) @ text_vectors.get(vocabulary).T).max(axis=1)
    return [w for w, similarity in zip(unknown, nearest, strict=True) if similarity < bar]


def _about(candidate: Scored, stems: set[str], paragraphs: list[tuple[int, set[str]]]) -> bool:
    """The sentence, its neighbours or headline, its paragraph and the one before it (a quote often runs on from
    the paragraph that names the speaker), or for a quote, any retrieved paragraph of its article, use every one
    of stems. paragraphs: _paragraph_terms of the candidate's article."""
    if stems <= candidate.context_terms:
        return True
    if _QUOTE_OPENS.match(candidate.text):  # a speaker is named before or after the quote, often paragraphs away
        return stems <= set().union(*(terms for _, terms in paragraphs))
    at = next((i for i, (end, _) in enumerate(paragraphs) if end > candidate.start), len(paragraphs) - 1)
    return stems <= set().union(*(terms for _, terms in paragraphs[max(at - 1, 0) : at + 1]))


def _paragraph_terms(article_id: str, passages: list[Passage]) -> list[tuple[int, set[str]]]:
    """The paragraphs the retrieved passages hold of one article, in order: (end offset, stems). Passages
    overlap, and a gap between them ends a paragraph."""
    segments: list[tuple[int, str]] = []
    for p in sorted((p for p in passages if p.article_id == article_id), key=lambda p: p.start):
        if segments and p.start <= (end := segments[-1][0] + len(segments[-1][1])):
            segments[-1] = (segments[-1][0], segments[-1][1] + p.text[end - p.start :])
        else:
            segments.append((p.start, p.text))
    return [
        (start + m.end(), set(analyze(m.group()))) for start, text in segments
        for m in re.finditer(r"[^\n]+", text) if m.group().strip()
    ]


def _name(stems: list[str], asked: Question) -> str:
    return next((e for e in asked.entities if analyze(e) == stems), " ".join(stems))
