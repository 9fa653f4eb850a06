"""The default answerer, no model needed: pick the retrieved sentences that answer the question and cite each.

Sentences are scored by meaning (embedding similarity), by the rare question words they contain (IDF-weighted
coverage) and by whether they hold what the question asks for (a date, a number). It abstains when a named
thing the question asks about is absent from the passages, or when no sentence is supported well enough.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from qa.chunk import split_sentences
from qa.embed import Embedder
from qa.lexical import LexicalIndex, analyze, stopwords
from qa.prompts import render
from qa.types import Citation, Passage

MAX_SENTENCES = 3
# Calibrated on evals/questions.jsonl (see README "Evaluation"); a sentence below this is not an answer.
SUPPORT_THRESHOLD = 0.40
_FOLLOWER_RATIO = 0.75
_MIN_GAIN = 0.1
_ADJACENT_RATIO = 0.6
# Sentence score = (1 - w) * embedding similarity + w * IDF-weighted word coverage + prior * passage rank score.
_COVERAGE_WEIGHT = 0.5
_CONTEXT_WEIGHT = 0.25  # words of the previous exchange only steer a follow-up towards its subject
_PASSAGE_PRIOR = 0.2
_HEADING_PENALTY = 0.15

_DATE_WORDS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan\.|feb\.|aug\.|sept?\.|oct\.|nov\.|dec\.|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|today|tomorrow|yesterday|(?:19|20)\d\d"
)
_HAS_DATE = re.compile(rf"\b(?:{_DATE_WORDS})\b", re.IGNORECASE)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand"
    r"|million|billion|dozens?|once|twice|half|quarter"
)
_ORDINALS = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)"
_HAS_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_HAS_ORDINAL = re.compile(rf"\b(?:{_ORDINALS})\b", re.IGNORECASE)
_MONTH_NAMES = r"january|february|march|april|may|june|july|august|september|october|november|december"
_COUNT = re.compile(r"\b(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*\b")
_AFTER_MONTH = re.compile(rf"(?:{_MONTH_NAMES})\.?\s*$", re.IGNORECASE)
_ASKS_DATE = re.compile(
    r"^\s*when\b|\b(?:what|which)\s+(?:date|dates|day|days|month|year)\b|\bdates?\s*\??\s*$", re.IGNORECASE
)
_ASKS_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|often|long)\b|\b(?:what|which)\s+(?:number|percentage|share|amount|figure)\b",
    re.IGNORECASE,
)
_ASKS_DURATION = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
_DURATION = re.compile(
    rf"\b(?:\d+|{_NUMBER_WORDS}|several|a few|few)[\s-]+(?:days?|weeks?|months?|years?|hours?|minutes?|decades?)\b",
    re.IGNORECASE,
)
# The counted thing: "how many [Russian troops] were ..." (up to three words before a verb or preposition).
_HOW_MANY = re.compile(
    r"\bhow\s+many\s+((?:(?!(?:did|do|does|were|was|are|is|have|has|had|will|would|could|can|in|of|on|at|for|to|"
    r"that|which|who|made|make)\b)[\w'’-]+\s*){1,3})",
    re.IGNORECASE,
)
_QUESTION_WORDS = frozenset(
    ["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would", "should", "according", "the", "a", "an", "in", "on", "at", "of", "to", "for", "and", "or"]
)
_OUTCOME = re.compile(
    r"\b(?:agree(?:d|ment|ments)?|decided?|decisions?|outcome|results?|reached|signed|concluded|achieved|happened)\b",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:did|was|were|had)\b", re.IGNORECASE)
_PROSPECTIVE = re.compile(
    r"\b(?:will|would|shall|must|should|ought|needs? to|expects?|expected|hopes?|hoped|plans?|planned|forthcoming|"
    r"upcoming|next|to be held)\b",
    re.IGNORECASE,
)
_TWO_SIDED = re.compile(
    r"\b(?:compare[sd]?|comparison|differ(?:ed|ent|ence)?|change[sd]?|both|versus|vs\.?|earlier|later|"
    r"more|fewer|less|than|whereas|while|and how|and what|and which|and when|and who)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^\s*(?:did|does|do|is|was|were|are|has|have|had|can|could|will|would)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'’-]+")
# Below this cosine to every word of the passages, a word the corpus never uses is about something else.
# Set midway between the closest off-topic word (0.34) and the closest paraphrase (0.38) in evals/questions.jsonl.
_UNRELATED = 0.36
# Words about the articles themselves, not about the news: never a sign the question is off the topic.
_TEXT_WORDS = frozenset(
    ["preview", "previews", "article", "articles", "report", "reports", "reported", "story", "stories", "piece", "text", "statement", "statements", "commentary", "describe", "described", "describes", "characterise", "characterize", "characterised", "characterized", "compare", "compared", "comparison", "mention", "mentioned", "mentions", "highlight", "highlighted", "list", "listed", "name", "named", "cite", "cited", "quote", "quoted", "according", "accord", "say", "said", "says", "tell", "told", "note", "noted", "claim", "claimed", "call", "called", "refer", "referred", "dateline", "headline", "write", "wrote", "written", "cover", "covered", "covers", "outline", "outlined", "summary", "summarise", "summarize", "mean", "meant", "earlier", "later", "latter", "former", "respectively", "coverage"]
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_SENTENCE_END = re.compile(r"[.!?…][\"'”»’)]*$")
_ENTITY = re.compile(r"\b(?:[A-Z][\w'’.-]*[\w]|\d[\d,.]*\d|\d)")


@dataclass
class Scored:
    passage: Passage
    start: int
    end: int
    text: str
    score: float
    coverage: float
    similarity: float
    covered: dict[str, float]  # question words the sentence itself holds, with their share of the question
    context_terms: set[str]  # words of the sentence, its neighbours and its headline
    has_type: bool  # holds what the question asks for (a date, a number), if it asks for one


@dataclass
class Draft:
    """What an answerer produces before answer() adds timings and passages."""

    text: str
    citations: list[Citation]
    abstained: bool
    reason: str = ""


class TextVectors:
    """Embeddings of sentences and words, cached by text across questions: related questions bring back the
    same passages, so after the first few answers almost nothing is embedded at question time."""

    def __init__(self, embedder: Embedder, capacity: int = 50_000) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._capacity = capacity

    def get(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for text, vector in zip(todo, self._embedder.embed(todo), strict=True):
                self._cache[text] = vector
        for text in texts:
            self._cache.move_to_end(text)
        vectors = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return vectors


def answer_extractively(
    question: str,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: TextVectors,
    index: LexicalIndex,
    context: str = "",
) -> Draft:
    """Cited sentences from passages that answer question, or an abstention saying the articles don't say.

    context: the previous question and answer, whose words count a little for coverage (follow-ups).
    query_vector: the embedding of the question itself, without the context.
    """
    if not passages:
        return _abstain(question, "nothing was retrieved")
    missing = missing_entities(question, index)
    if missing:
        return _abstain(question, f"they never mention {', '.join(missing)}")
    unrelated = unrelated_words(question, passages, index, text_vectors)
    if unrelated:
        return _abstain(question, f"they say nothing about {', '.join(unrelated)}")
    candidates = score_sentences(question, passages, query_vector, text_vectors, index, context)
    wanted = asked_type(question)
    if wanted is not None:
        candidates = [c for c in candidates if c.has_type] or []
        if not candidates:
            return _abstain(question, f"no retrieved passage gives a {wanted}")
    if asks_what_happened(question):
        # A preview ("will hold talks") can't say what happened, and a sentence that never uses the outcome the
        # question names ("agreements", "decided") doesn't report it.
        outcome = {stem for word in _OUTCOME.findall(question) for stem in analyze(word)}
        candidates = [
            c for c in candidates
            if not _PROSPECTIVE.search(c.text) and any(_same_word(o, t) for o in outcome for t in analyze(c.text))
        ]
        if not candidates:
            return _abstain(question, "they only say what was expected to happen, not what happened")
    if not candidates or candidates[0].score < SUPPORT_THRESHOLD:
        return _abstain(question, "no passage supports an answer")
    if _YES_NO.match(question):
        names = [stem for e in _question_entities(question) for stem in analyze(e)]
        if not all(n in candidates[0].context_terms for n in names):
            return _abstain(question, "no passage mentions " + " and ".join(_question_entities(question)) + " together")
    chosen = _choose(candidates, two_sided=bool(_TWO_SIDED.search(question)))
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
    text = " ".join(f"{s.text} [{i}]" for i, s in enumerate(chosen, start=1))
    return Draft(text=text, citations=citations, abstained=False)


def asked_type(question: str) -> str | None:
    """'date' or 'number' when the question asks for one; an answer sentence must then contain one."""
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NUMBER.search(question):
        return "number"
    return None


def score_sentences(
    question: str,
    passages: list[Passage],
    query_vector: np.ndarray,
    text_vectors: TextVectors,
    index: LexicalIndex,
    context: str = "",
) -> list[Scored]:
    """Every sentence of the passages, best first."""
    q_terms = list(dict.fromkeys(analyze(question)))
    c_terms = [t for t in dict.fromkeys(analyze(context)) if t not in q_terms]
    weights = {t: index.idf(t) for t in q_terms}
    weights.update({t: _CONTEXT_WEIGHT * index.idf(t) for t in c_terms})
    total = sum(weights.values()) or 1.0
    wants_date = bool(_ASKS_DATE.search(question))
    wants_number = bool(_ASKS_NUMBER.search(question)) and not wants_date
    wants_duration = bool(_ASKS_DURATION.search(question)) and not wants_date
    how_many = _HOW_MANY.search(question)
    counted_words = analyze(how_many.group(1)) if how_many else []
    # The head of "Russian diplomats" is its rarest word, not the nationality.
    counted = {max(counted_words, key=index.idf)} if counted_words else set()

    spans: list[tuple[Passage, int, int, str, str]] = []  # passage, start, end, text, neighbouring text
    seen: set[tuple[str, int]] = set()
    for passage in passages:
        sentences = split_sentences(passage.text, offset=passage.start)
        texts = [passage.text[a - passage.start : b - passage.start] for a, b in sentences]
        for i, ((start, end), text) in enumerate(zip(sentences, texts, strict=True)):
            key = (passage.article_id, start)
            if key not in seen:
                seen.add(key)
                neighbours = " ".join(texts[max(i - 1, 0) : i] + texts[i + 1 : i + 2])
                spans.append((passage, start, end, text, neighbours))
    if not spans:
        return []
    vectors = text_vectors.get([t for _, _, _, t, _ in spans])
    similarities = vectors @ query_vector
    question_numbers = set(_count_tokens(question))
    rank = {p.chunk_id: i for i, p in enumerate(passages)}
    scored = []
    for (passage, start, end, text, neighbours), similarity in zip(spans, similarities, strict=True):
        terms = set(analyze(text))
        # Words the sentence leans on without repeating: headline, date and neighbours ("it", "he", "then").
        context_terms = set(analyze(f"{passage.title} {passage.date or ''}")) | set(analyze(neighbours))
        own = sum(w for t, w in weights.items() if t in terms)
        borrowed = sum(w for t, w in weights.items() if t in context_terms and t not in terms)
        coverage = (own + 0.5 * borrowed) / total
        score = (1 - _COVERAGE_WEIGHT) * float(similarity) + _COVERAGE_WEIGHT * coverage
        score += _PASSAGE_PRIOR * (1 - rank[passage.chunk_id] / len(passages))  # fused scores are flat; ranks are not
        if is_heading(text):  # headlines restate the topic; they answer only when nothing else does
            score -= _HEADING_PENALTY
        if wants_date:
            has_type = bool(_HAS_DATE.search(text))
        elif wants_duration:
            has_type = bool(_DURATION.search(text))
        elif wants_number:
            has_number = bool(
                set(_count_tokens(text)) - question_numbers
                or _HAS_NUMBER_WORD.search(text)
                or (not how_many and _HAS_ORDINAL.search(text))  # "which visit was it?" -> "the fourth"
            )
            # "How many troops ...": the number must count something the question names.
            has_type = has_number and (not counted or bool(counted & (terms | context_terms)))
        else:
            has_type = True
        covered = {t: w / total for t, w in weights.items() if t in terms}
        scored.append(
            Scored(passage, start, end, text, score, coverage, float(similarity), covered, terms | context_terms, has_type)
        )
    scored.sort(key=lambda s: -s.score)
    return scored


def is_heading(text: str) -> bool:
    """Headlines, standfirsts and crossheads announce a topic rather than state a fact; they never answer."""
    return len(text.split()) < 25 and not _SENTENCE_END.search(text)


def asks_what_happened(question: str) -> bool:
    """An outcome asked in the past tense ("What did they agree?"): a preview saying what will happen can't answer."""
    return bool(_OUTCOME.search(question) and _PAST.search(question) and not _PROSPECTIVE.search(question))


def _question_entities(question: str) -> list[str]:
    """Names and numbers in the question; years are how people place an event ("the July 2016 visit") and the
    first word is capitalised anyway."""
    words = question.split()
    body = " ".join(words[1:]) if words else ""
    entities = [m.group().strip(".,") for m in _ENTITY.finditer(body)]
    return [e for e in entities if e.lower() not in _QUESTION_WORDS and not _YEAR.fullmatch(e)]


def missing_entities(question: str, index: LexicalIndex) -> list[str]:
    """Names and numbers in the question that the corpus never uses, even as another form of the word."""
    entities = _question_entities(question)
    return [e for e in entities if (stems := analyze(e)) and not all(index.knows(stem) for stem in stems)]


def unrelated_words(question: str, passages: list[Passage], index: LexicalIndex, text_vectors: TextVectors) -> list[str]:
    """Question words the corpus never uses and nothing in the retrieved passages comes near in meaning
    ("breakfast", "weather"): the question is about something the articles don't cover.

    Only words unknown to the whole corpus are checked, so paraphrases of words it uses never count; words
    about the text itself ("preview", "article") are left out; the bar is low, for clear cases only.
    """
    unknown = [
        w for w in dict.fromkeys(_WORD.findall(question.lower()))
        if w not in stopwords() and w not in _QUESTION_WORDS and w not in _TEXT_WORDS and len(w) > 2
        and (stems := analyze(w)) and not any(index.knows(stem) for stem in stems)
    ]
    if not unknown:
        return []
    vocabulary = sorted({
        w for p in passages for w in _WORD.findall(f"{p.title} {p.text}".lower())
        if w not in stopwords() and len(w) > 2
    })
    if not vocabulary:
        return unknown
    nearest = (text_vectors.get(unknown) @ text_vectors.get(vocabulary).T).max(axis=1)
    return [w for w, similarity in zip(unknown, nearest, strict=True) if similarity < _UNRELATED]


def _count_tokens(text: str) -> list[str]:
    """Numbers that can answer "how many": not years, not the day in "April 4"."""
    return [m.group() for m in _COUNT.finditer(text) if not _AFTER_MONTH.search(text[max(0, m.start() - 12) : m.start()])]


def _same_word(a: str, b: str) -> bool:
    """Stems of one word family: Russia/Russian, Syria/Syrian, America/American."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3


def _choose(candidates: list[Scored], two_sided: bool = False) -> list[Scored]:
    """The best sentence, then close runners-up: the sentence right after it (answers often finish in the next
    sentence), one that covers question words the chosen ones left out (lists, two-part questions), and for a
    question that compares, the best sentence from another article."""
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
        if adjacent or other_side or (gain >= _MIN_GAIN and s.score >= best.score * _FOLLOWER_RATIO):
            chosen.append(s)
            covered |= set(s.covered)
            articles.add(s.passage.article_id)
    return chosen


def _follows(a: Scored, b: Scored) -> bool:
    """a is the sentence right after b in the same article."""
    return a.passage.article_id == b.passage.article_id and 0 <= a.start - b.end <= 3


def _abstain(question: str, reason: str) -> Draft:
    text = render("abstain", reason=reason, question=question.strip())
    return Draft(text=text, citations=[], abstained=True, reason=reason)
