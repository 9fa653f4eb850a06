"""Scoring the retrieved sentences for the extractive answerer: meaning, rare question words, and whether each
holds what the question asks for; with the weights that set the balance, as ExtractiveParams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.answering.asked import enumerates, holds_asked_type
from qa.answering.guard import addresses_a_model
from qa.answering.question import Question
from qa.answering.question_dates import names_a_day
from qa.index.chunk import split_sentences
from qa.index.embed import VectorCache
from qa.index.lexical import LexicalIndex, analyze
from qa.types import Passage

_SENTENCE_END = re.compile(r"[.!?…][\"'”»’)]*$")


@dataclass(frozen=True)
class ExtractiveParams:
    """The extractive answerer's weights, bonuses and thresholds. Calibrated on evals/questions.jsonl (see
    docs/evaluation.md); the held-out sets measure them unseen."""

    max_sentences: int = 3
    support_threshold: float = 0.40  # a best sentence scoring below this is not an answer
    follower_ratio: float = 0.8  # a runner-up that adds question words must score this share of the best
    min_gain: float = 0.1  # ... and cover this share of the question's weight that the chosen ones left out
    adjacent_ratio: float = 0.6  # no runner-up below this share of the best, even the next sentence
    # Sentence score = (1 - w) * embedding similarity + w * IDF-weighted word coverage + prior * passage rank score.
    coverage_weight: float = 0.5
    context_weight: float = 0.25  # words of the previous exchange only steer a follow-up towards its subject
    passage_prior: float = 0.2
    heading_penalty: float = 0.15  # headlines restate the topic; they answer only when nothing else does
    # "When?" is better answered by "July 14-15" than by "on Tuesday"; as large as the headline penalty, so a dated
    # headline stands level with an undated sentence.
    calendar_bonus: float = 0.15
    # "Which countries…?" is better answered by the sentence that lists them than by one that restates the topic.
    list_bonus: float = 0.1
    # A question that names a month ("the December preview") is most often about the article dated in it.
    month_bonus: float = 0.15
    # Below this cosine to every word of the passages, a word the corpus never uses is about something else.
    # Set midway between the closest off-topic word (0.34) and the closest paraphrase (0.38) in evals/questions.jsonl.
    unrelated: float = 0.36
    # A name rarer than this (BM25 idf) marks what a typed question is about; commoner ones ("Russia") set the scene.
    rare: float = 2.0


@dataclass
class Scored:
    passage: Passage
    start: int
    end: int
    text: str
    score: float
    covered: dict[str, float]  # question words the sentence itself holds, with their share of the question
    context_terms: set[str]  # words of the sentence, its neighbours and its headline
    has_type: bool  # holds what the question asks for (a date, a number), if it asks for one


def score_sentences(
    asked: Question,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: VectorCache,
    index: LexicalIndex,
    context: str = "",
    params: ExtractiveParams = ExtractiveParams(),
) -> list[Scored]:
    """Every sentence of the passages, best first."""
    q_terms = list(dict.fromkeys(analyze(asked.text)))
    c_terms = [t for t in dict.fromkeys(analyze(context)) if t not in q_terms]
    weights = {t: index.idf(t) for t in q_terms}
    weights.update({t: params.context_weight * index.idf(t) for t in c_terms})
    total = sum(weights.values()) or 1.0

    # passage, start, end, text, its words, the words it leans on without repeating: headline, date and
    # neighbouring sentences ("it", "he", "then"). Each sentence and header is analysed once.
    spans: list[tuple[Passage, int, int, str, set[str], set[str]]] = []
    seen: set[tuple[str, int]] = set()
    for passage in passages:
        sentences = list(passage.sentences) or split_sentences(passage.text, offset=passage.start)
        texts = [passage.text[a - passage.start : b - passage.start] for a, b in sentences]
        words = [set(analyze(t)) for t in texts]
        header = set(analyze(f"{passage.title} {passage.date or ''} {passage.outlet or ''}"))
        for i, ((start, end), text) in enumerate(zip(sentences, texts, strict=True)):
            key = (passage.article_id, start)
            if key not in seen and not addresses_a_model(text):  # an injected instruction is never an answer
                seen.add(key)
                neighbours = set().union(*words[max(i - 1, 0) : i], *words[i + 1 : i + 2])
                spans.append((passage, start, end, text, words[i], header | neighbours))
    if not spans:
        return []
    vectors = text_vectors.get([span[3] for span in spans])
    similarities = vectors @ query_vector
    rank = {p.chunk_id: i for i, p in enumerate(passages)}
    scored = []
    for (passage, start, end, text, terms, context_terms), similarity in zip(spans, similarities, strict=True):
        own = sum(w for t, w in weights.items() if t in terms)
        borrowed = sum(w for t, w in weights.items() if t in context_terms and t not in terms)
        coverage = (own + 0.5 * borrowed) / total
        score = (1 - params.coverage_weight) * float(similarity) + params.coverage_weight * coverage
        score += params.passage_prior * (1 - rank[passage.chunk_id] / len(passages))  # fused scores are flat; ranks are not
        if is_heading(text):  # headlines restate the topic; they answer only when nothing else does
            score -= params.heading_penalty
        has_type = holds_asked_type(asked, text, terms | context_terms)
        if asked.asks == "date" and names_a_day(text):
            score += params.calendar_bonus
        if asked.wants_list and enumerates(text):
            score += params.list_bonus
        if asked.months and passage.date and any(m in passage.date.lower() for m in asked.months):
            score += params.month_bonus  # "his December visit": the article dated December
        covered = {t: w / total for t, w in weights.items() if t in terms}
        scored.append(
            Scored(passage, start, end, text, score, covered, terms | context_terms, has_type)
        )
    scored.sort(key=lambda s: -s.score)
    return scored


def is_heading(text: str) -> bool:
    """Headlines, standfirsts and crossheads announce a topic rather than state a fact."""
    return len(text.split()) < 25 and not _SENTENCE_END.search(text)
