"""The default answerer, no model needed: pick the retrieved sentences that answer the question and cite each.

Sentences are scored by meaning (embedding similarity), by the rare question words they contain (IDF-weighted
coverage) and by whether they hold what the question asks for (qa.answering.question). It abstains when the question is
about something the articles never mention, when no sentence holds the kind of answer asked, or when no sentence
is supported well enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from qa.answering.asked import analyse, enumerates, holds_asked_type, reports_outcome
from qa.answering.guard import addresses_a_model, strip_citation_markers
from qa.answering.names import missing_entities, rarest_entity, words_unknown_to
from qa.answering.prompts import render
from qa.answering.question import Question
from qa.answering.question_dates import names_a_day, on_another_date
from qa.answering.words import content_words
from qa.index.chunk import split_sentences
from qa.index.embed import VectorCache
from qa.index.lexical import LexicalIndex, analyze
from qa.types import Citation, Passage

MAX_SENTENCES = 3
# Calibrated on evals/questions.jsonl (see README "Evaluation"); a sentence below this is not an answer.
SUPPORT_THRESHOLD = 0.40
_FOLLOWER_RATIO = 0.8
_MIN_GAIN = 0.1
_ADJACENT_RATIO = 0.6
# Sentence score = (1 - w) * embedding similarity + w * IDF-weighted word coverage + prior * passage rank score.
_COVERAGE_WEIGHT = 0.5
_CONTEXT_WEIGHT = 0.25  # words of the previous exchange only steer a follow-up towards its subject
_PASSAGE_PRIOR = 0.2
_HEADING_PENALTY = 0.15
# "When?" is better answered by "July 14-15" than by "on Tuesday"; as large as the headline penalty, so a dated
# headline stands level with an undated sentence.
_CALENDAR_BONUS = 0.15
# "Which countries…?" is better answered by the sentence that lists them than by one that restates the topic.
_LIST_BONUS = 0.1
# A question that names a month ("the December preview") is most often about the article dated in it.
_MONTH_BONUS = 0.15
# Below this cosine to every word of the passages, a word the corpus never uses is about something else.
# Set midway between the closest off-topic word (0.34) and the closest paraphrase (0.38) in evals/questions.jsonl.
_UNRELATED = 0.36
# A name rarer than this (BM25 idf) marks what a typed question is about; commoner ones ("Russia") set the scene.
_RARE = 2.0
_SECOND_ASK = re.compile(r"\band\s+(?:\w+\s+)?(?:what|which|when|who|whom|where|how)\b", re.IGNORECASE)
_QUOTE_OPENS = re.compile(r"^\s*[\"“«„]")
_SENTENCE_END = re.compile(r"[.!?…][\"'”»’)]*$")


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


@dataclass
class Draft:
    """What an answerer produces before answer() adds timings and passages."""

    text: str
    citations: list[Citation]
    abstained: bool


def answer_extractively(
    question: str,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: VectorCache,
    index: LexicalIndex,
    context: str = "",
) -> Draft:
    """Cited sentences from passages that answer question, or an abstention saying the articles don't say.

    context: the previous question and answer, whose words count a little for coverage (follow-ups).
    query_vector: the embedding of the question itself, without the context.
    """
    if not passages:
        return _abstain(question, "nothing was retrieved")
    asked = analyse(question)
    missing = missing_entities(asked, index)
    if missing:
        return _abstain(question, f"they never mention {', '.join(missing)}")
    unrelated = unrelated_words(question, passages, index, text_vectors)
    if unrelated:
        return _abstain(question, f"they say nothing about {', '.join(unrelated)}")
    candidates = score_sentences(asked, passages, query_vector, text_vectors, index, context)
    if (asked.years or asked.days) and not asked.compares:  # "in May 2015 … in July 2016" frames two statements
        candidates = [c for c in candidates if not on_another_date(asked, c.text, c.passage.date)]
        if not candidates:
            return _abstain(question, "the passages that come closest are about other dates")
    if asked.asks is not None:
        candidates = [c for c in candidates if c.has_type]
        if not candidates:
            return _abstain(question, f"no retrieved passage gives a {asked.asks}")
        # The date of the Libya conference is no answer to "when was the Riyadh conference?"
        # A question in two parts ("in which city, and on what dates") may name its subject in one part only.
        focus = [] if _SECOND_ASK.search(question) else rarest_entity(asked, index, _RARE)
        paragraphs = cache(lambda article_id: _paragraph_terms(article_id, passages))  # once per article
        best = next((c for c in candidates if _about(c, set(focus), paragraphs(c.passage.article_id))), None)
        if best is None:
            return _abstain(question, f"no passage that gives a {asked.asks} is about {_name(focus, asked)}")
        candidates = [best] + [c for c in candidates if c is not best]  # runners-up may lean on the best one
    if asked.asks_what_happened:
        # A preview ("will hold talks") can't say what happened, and a sentence that never uses the outcome the
        # question names ("agreements", "decided") doesn't report it.
        candidates = [c for c in candidates if reports_outcome(asked, c.text)]
        if not candidates:
            return _abstain(question, "they only say what was expected to happen, not what happened")
    if not candidates or candidates[0].score < SUPPORT_THRESHOLD:
        return _abstain(question, "no passage supports an answer")
    if asked.yes_no and not asked.compares:  # "was X on the agenda for both visits?" spans two articles
        names = [stem for e in asked.entities for stem in analyze(e)]
        if not all(n in candidates[0].context_terms for n in names):
            return _abstain(question, "no passage mentions " + " and ".join(asked.entities) + " together")
    chosen = _choose(candidates, two_sided=asked.compares, interval=asked.interval)
    citations = [
        Citation(
            n=i,
            source=s.passage.source,
            title=s.passage.title,
            quote=s.text,
            start=s.start,
            end=s.end,
            score=round(s.score, 4),
            article_id=s.passage.article_id,
            date=s.passage.date,
            outlet=s.passage.outlet,
        )
        for i, s in enumerate(chosen, start=1)
    ]
    # Markers inside a quoted sentence are the article's, not ours: shown, they would cite passages nobody chose.
    text = " ".join(f"{strip_citation_markers(s.text)} [{i}]" for i, s in enumerate(chosen, start=1))
    return Draft(text=text, citations=citations, abstained=False)


def score_sentences(
    asked: Question,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: VectorCache,
    index: LexicalIndex,
    context: str = "",
) -> list[Scored]:
    """Every sentence of the passages, best first."""
    q_terms = list(dict.fromkeys(analyze(asked.text)))
    c_terms = [t for t in dict.fromkeys(analyze(context)) if t not in q_terms]
    weights = {t: index.idf(t) for t in q_terms}
    weights.update({t: _CONTEXT_WEIGHT * index.idf(t) for t in c_terms})
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
        score = (1 - _COVERAGE_WEIGHT) * float(similarity) + _COVERAGE_WEIGHT * coverage
        score += _PASSAGE_PRIOR * (1 - rank[passage.chunk_id] / len(passages))  # fused scores are flat; ranks are not
        if is_heading(text):  # headlines restate the topic; they answer only when nothing else does
            score -= _HEADING_PENALTY
        has_type = holds_asked_type(asked, text, terms | context_terms)
        if asked.asks == "date" and names_a_day(text):
            score += _CALENDAR_BONUS
        if asked.wants_list and enumerates(text):
            score += _LIST_BONUS
        if asked.months and passage.date and any(m in passage.date.lower() for m in asked.months):
            score += _MONTH_BONUS  # "his December visit": the article dated December
        covered = {t: w / total for t, w in weights.items() if t in terms}
        scored.append(
            Scored(passage, start, end, text, score, covered, terms | context_terms, has_type)
        )
    scored.sort(key=lambda s: -s.score)
    return scored


def is_heading(text: str) -> bool:
    """Headlines, standfirsts and crossheads announce a topic rather than state a fact."""
    return len(text.split()) < 25 and not _SENTENCE_END.search(text)


def unrelated_words(question: str, passages: list[Passage], index: LexicalIndex, text_vectors: VectorCache) -> list[str]:
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
    return [w for w, similarity in zip(unknown, nearest, strict=True) if similarity < _UNRELATED]


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


def _choose(candidates: list[Scored], two_sided: bool = False, interval: bool = False) -> list[Scored]:
    """The best sentence, then close runners-up: the sentence right after it (answers often finish in the next
    sentence), one that covers question words the chosen ones left out (lists, two-part questions), for a
    question that compares, the best sentence from another article, and for "how long between X and Y", the
    best dated sentence about the other end."""
    best = candidates[0]
    chosen = [best]
    covered = set(best.covered)
    articles = {best.passage.article_id}
    for s in candidates[1:]:
        if len(chosen) == MAX_SENTENCES or s.score < best.score * _ADJACENT_RATIO:
            break
        adjacent = _follows(s, best)
        gain = sum(w for t, w in s.covered.items() if t not in covered)
        other_side = two_sided and s.passage.article_id not in articles
        other_end = interval and len(chosen) == 1 and gain > 0
        if adjacent or other_side or other_end or (gain >= _MIN_GAIN and s.score >= best.score * _FOLLOWER_RATIO):
            chosen.append(s)
            covered |= set(s.covered)
            articles.add(s.passage.article_id)
    return chosen


def _follows(a: Scored, b: Scored) -> bool:
    """a is the sentence right after b in the same article."""
    return a.passage.article_id == b.passage.article_id and 0 <= a.start - b.end <= 3


def _abstain(question: str, reason: str) -> Draft:
    text = render("abstain", reason=reason, question=question.strip())
    return Draft(text=text, citations=[], abstained=True)
