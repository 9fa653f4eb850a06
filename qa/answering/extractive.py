"""The default answerer, no model needed: pick the retrieved sentences that answer the question and cite each.

Sentences are scored by meaning, by the rare question words they contain and by whether they hold what the question
asks for (scoring.py). It abstains by the first of the named rules in rules.py that refuses: the question is about
something the articles never mention, no sentence holds the kind of answer asked, or none is supported well enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answering.asked import analyse
from qa.answering.guard import strip_citation_markers
from qa.answering.prompts import render
from qa.answering.rules import BEFORE_READING, RULES, Evidence, Rule, first_refusal
from qa.answering.scoring import ExtractiveParams, Scored
from qa.index.embed import VectorCache
from qa.index.lexical import LexicalIndex
from qa.types import Citation, Passage


@dataclass
class Draft:
    """What an answerer produces before answer() adds timings and passages."""

    text: str
    citations: list[Citation]
    abstained: bool
    abstain_rule: str | None = None  # which rule of qa/answering/rules.py refused, if one did


def answer_extractively(
    question: str,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: VectorCache,
    index: LexicalIndex,
    context: str = "",
    params: ExtractiveParams = ExtractiveParams(),
    rules: tuple[Rule, ...] = RULES,
) -> Draft:
    """Cited sentences from passages that answer question, or an abstention saying the articles don't say and
    naming the rule that refused.

    context: the previous question and answer, whose words count a little for coverage (follow-ups).
    query_vector: the embedding of the question itself, without the context.
    """
    return answer_from(Evidence(question, analyse(question), passages, query_vector, text_vectors, index, context,
                                params), rules)


def answer_from(evidence: Evidence, rules: tuple[Rule, ...] = RULES) -> Draft:
    """answer_extractively() over evidence already gathered (and maybe scored) for the question."""
    if (refused := _refusal(evidence, rules)) is not None:
        return refused
    asked = evidence.asked
    chosen = _choose(evidence.candidates, evidence.params, two_sided=asked.compares, interval=asked.interval)
    citations = [cite_sentence(i, s) for i, s in enumerate(chosen, start=1)]
    # Markers inside a quoted sentence are the article's, not ours: shown, they would cite passages nobody chose.
    text = " ".join(f"{strip_citation_markers(s.text)} [{i}]" for i, s in enumerate(chosen, start=1))
    return Draft(text=text, citations=citations, abstained=False)


def cite_sentence(n: int, s: Scored) -> Citation:
    """Citation [n] for a scored sentence: the exact span it quotes, with its article's date and outlet."""
    return Citation(n=n, source=s.passage.source, title=s.passage.title, quote=s.text, start=s.start, end=s.end,
                    score=round(s.score, 4), article_id=s.passage.article_id, date=s.passage.date,
                    outlet=s.passage.outlet)


def refuse_before_reading(evidence: Evidence) -> Draft | None:
    """The abstention of the rules that need no sentence read (rules.BEFORE_READING), or None: what answers
    before a model is asked."""
    return _refusal(evidence, BEFORE_READING)


def _refusal(evidence: Evidence, rules: tuple[Rule, ...]) -> Draft | None:
    if (refusal := first_refusal(evidence, rules)) is None:
        return None
    rule, reason = refusal
    text = render("abstain", reason=reason, question=evidence.question.strip())
    return Draft(text=text, citations=[], abstained=True, abstain_rule=rule)


def _choose(
    candidates: list[Scored], params: ExtractiveParams, two_sided: bool = False, interval: bool = False
) -> list[Scored]:
    """The best sentence, then close runners-up: the sentence right after it (answers often finish in the next
    sentence), one that covers question words the chosen ones left out (lists, two-part questions), for a
    question that compares, the best sentence from another article, and for "how long between X and Y", the
    best dated sentence about the other end."""
    best = candidates[0]
    chosen = [best]
    covered = set(best.covered)
    articles = {best.passage.article_id}
    for s in candidates[1:]:
        if len(chosen) == params.max_sentences or s.score < best.score * params.adjacent_ratio:
            break
        adjacent = _follows(s, best)
        gain = sum(w for t, w in s.covered.items() if t not in covered)
        other_side = two_sided and s.passage.article_id not in articles
        other_end = interval and len(chosen) == 1 and gain > 0
        if adjacent or other_side or other_end or (gain >= params.min_gain and s.score >= best.score * params.follower_ratio):
            chosen.append(s)
            covered |= set(s.covered)
            articles.add(s.passage.article_id)
    return chosen


def _follows(a: Scored, b: Scored) -> bool:
    """a is the sentence right after b in the same article."""
    return a.passage.article_id == b.passage.article_id and 0 <= a.start - b.end <= 3
