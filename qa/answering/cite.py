"""Citations from a model's answer: read its [n] markers, keep those that name a passage it was given, and check
each cited sentence against that passage, so a citation is never shown to a source that was not retrieved.

Markers are normalised as the text streams ([1, 2] → [1][2], [passage 3] → [3], [9] of five passages → gone);
each citation quotes the sentence of its passage that best supports what cites it, with article offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from qa.index.embed import VectorCache
from qa.index.lexical import analyze
from qa.types import Citation, Passage

_LABEL = r"(?:(?:passages?|sources?|documents?|docs?|refs?|references?|articles?)\s*)?#?\s*"
_NUMBER = _LABEL + r"\d{1,3}"
_SEPARATOR = r"\s*(?:,|;|&|\band\b|-|–|—)\s*"
MARKER = re.compile(rf"\[\s*{_NUMBER}(?:{_SEPARATOR}{_NUMBER})*\s*\]", re.IGNORECASE)
_MAYBE_MARKER = re.compile(r"\[[\s\w#,;&\-–—]{0,40}\Z")  # an unclosed "[" that more text could make a marker
_CANONICAL = re.compile(r"\[(\d+)\]")
_MAX_RANGE = 20

# A sentence ends at . ! ? … (after any closing quotes and the markers that cite it) before a space, or at a
# line break; not after an initial ("U.S.", "J. Kerry") or a common abbreviation.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*(?:\s*\[\d+\])*(?=\s|\Z)|\n")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Sgt|Gov|Sen|Rep|Jr|Sr|No|vs|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
    r"Sep|Sept|Oct|Nov|Dec))\.\Z"
)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")

@dataclass(frozen=True)
class CitationParams:
    """When a passage supports a sentence: it holds every number the sentence states and either most of its words
    (stemmed, stopwords aside) or a sentence close to it in meaning. Set on the seed articles: a paraphrase of a
    seed sentence scores coverage >= 0.7 or cosine >= 0.75; a claim about another event reaches neither."""

    coverage: float = 0.6
    cosine: float = 0.75
    shared_coverage: float = 0.3  # a passage among several cited for one sentence must hold this share of its words


def parse_marker(text: str) -> list[int] | None:
    """The passage numbers of a citation marker ("[2]", "[1, 3]", "[2-4]", "[passage 5]"); None if it is not one."""
    if not MARKER.fullmatch(text.strip()):
        return None
    numbers: list[int] = []
    for piece in re.finditer(r"(\d+)|(-|–|—)", text):
        if piece.group(1) is None:
            continue
        n = int(piece.group(1))
        ranged = numbers and re.search(r"[-–—]\s*" + _LABEL + r"$", text[: piece.start()], re.IGNORECASE)
        if ranged and numbers[-1] < n <= numbers[-1] + _MAX_RANGE:
            numbers.extend(range(numbers[-1] + 1, n + 1))
        else:
            numbers.append(n)
    return list(dict.fromkeys(numbers))


class MarkerFilter:
    """Rewrites citation markers in streamed text: valid passage numbers become [n][m], others are dropped.

    feed() returns what can be shown now; a possible marker (and the space before it) is held back until it
    closes. flush() returns the rest. `dropped` lists the numbers that named no passage.
    """

    def __init__(self, passages: int) -> None:
        self.passages = passages
        self.dropped: list[int] = []
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        return self._drain(final=False)

    def flush(self) -> str:
        return self._drain(final=True)

    def _drain(self, final: bool) -> str:
        out: list[str] = []
        text = self._pending
        while True:
            i = text.find("[")
            if i < 0:
                shown = text if final else text.rstrip()
                out.append(shown)
                text = text[len(shown) :]
                break
            j = text.find("]", i)
            if j < 0 and not final and _MAYBE_MARKER.match(text, i):
                shown = text[:i].rstrip()
                out.append(shown)
                text = text[len(shown) :]
                break
            numbers = parse_marker(text[i : j + 1]) if j >= 0 else None
            if numbers is None:
                out.append(text[: i + 1])
                text = text[i + 1 :]
                continue
            valid = [n for n in numbers if 1 <= n <= self.passages]
            self.dropped.extend(n for n in numbers if n not in valid)
            head = text[:i]
            out.append(head + "".join(f"[{n}]" for n in valid) if valid else head.rstrip())
            text = text[j + 1 :]
        self._pending = text
        return "".join(out)


def clean_markers(text: str, passages: int) -> tuple[str, list[int]]:
    """text with its markers normalised as MarkerFilter does, and the numbers dropped."""
    markers = MarkerFilter(passages)
    return markers.feed(text) + markers.flush(), markers.dropped


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer: its words without markers, and the passage numbers it cites."""

    text: str
    cites: tuple[int, ...]


def split_answer(text: str) -> list[Sentence]:
    """The sentences of an answer whose markers are canonical ([n]), each with the markers that follow it."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start : match.start() + 1]
        following = text[end : end + 2].lstrip()
        if match.group() != "\n" and (_ABBREVIATION.search(before) or following[:1].islower()):
            continue
        _add_sentence(sentences, text[start:end])
        start = end
    _add_sentence(sentences, text[start:])
    return sentences


def _add_sentence(sentences: list[Sentence], piece: str) -> None:
    cites = tuple(dict.fromkeys(int(n) for n in _CANONICAL.findall(piece)))
    words = re.sub(r"\s+([.,;:!?…])", r"\1", " ".join(_CANONICAL.sub(" ", piece).split()))
    if words or cites:
        sentences.append(Sentence(words, cites))


@dataclass
class Checked:
    """The outcome of checking an answer's citations."""

    citations: list[Citation]
    unsupported: list[Sentence] = field(default_factory=list)
    uncited: list[Sentence] = field(default_factory=list)


@dataclass(frozen=True)
class _Span:
    passage: Passage
    start: int
    end: int
    text: str


def check_citations(
    text: str, passages: list[Passage], vectors: VectorCache, params: CitationParams = CitationParams()
) -> Checked:
    """Citations for the canonical markers in text, which number the passages from 1, each quoting the best
    supporting sentence of its passage; sentences no cited passage supports; substantive sentences citing none.

    Citations come in the order their numbers first appear; Citation.n is the passage's number.
    """
    sentences = split_answer(text)
    cited = [s for s in sentences if s.cites]
    order = list(dict.fromkeys(n for s in cited for n in s.cites if 1 <= n <= len(passages)))
    spans = {n: _spans(passages[n - 1]) for n in order}
    everything = [s.text for s in cited] + [sp.text for n in order for sp in spans[n]]
    vector = dict(zip(everything, vectors.get(everything), strict=True)) if everything else {}

    best: dict[int, tuple[float, _Span]] = {}
    backs_all: dict[int, bool] = {n: True for n in order}
    unsupported: list[Sentence] = []
    for sentence in cited:
        numbers = [n for n in sentence.cites if n in spans]
        terms = set(analyze(sentence.text))
        scores = {n: _support(sentence.text, terms, spans[n], vector, params) for n in numbers}
        # A sentence may join facts from several passages: then together they must back it.
        holds_numbers, coverage = _covers(sentence.text, terms, [sp for n in numbers for sp in spans[n]])
        together = holds_numbers and coverage >= params.coverage
        if not together and not any(scores[n][0] for n in numbers):
            unsupported.append(sentence)
        for n in numbers:
            ok, score, span = scores[n]
            shares = _covers(sentence.text, terms, spans[n])[1] >= params.shared_coverage
            backs_all[n] = backs_all[n] and (ok or (together and shares))
            if n not in best or score > best[n][0]:
                best[n] = (score, span)
    citations = [_citation(n, *best[n], supported=backs_all[n]) for n in order if n in best]
    uncited = [s for s in sentences if not s.cites and len(analyze(s.text)) >= 3]
    return Checked(citations, unsupported, uncited)


def _spans(passage: Passage) -> list[_Span]:
    bounds = [(max(a, passage.start), min(b, passage.end)) for a, b in passage.sentences] or [
        (passage.start, passage.end)
    ]
    spans = []
    for a, b in bounds:
        text = passage.text[a - passage.start : b - passage.start]
        if text.strip():
            spans.append(_Span(passage, a, b, text))
    return spans or [_Span(passage, passage.start, passage.end, passage.text)]


def _support(
    sentence: str, terms: set[str], spans: list[_Span], vector: dict[str, np.ndarray], params: CitationParams
) -> tuple[bool, float, _Span]:
    """Whether these passage sentences back the answer sentence, how well, and the one that backs it best."""
    holds_numbers, coverage = _covers(sentence, terms, spans)
    own = vector[sentence]
    scored = []
    for span in spans:
        cosine = float(own @ vector[span.text])
        words = set(analyze(span.text))
        share = len(terms & words) / len(terms) if terms else 0.0
        scored.append((0.5 * cosine + 0.5 * share, cosine, span))
    score, _, span = max(scored, key=lambda item: item[0])
    best_cosine = max(item[1] for item in scored)
    supported = holds_numbers and (not terms or coverage >= params.coverage or best_cosine >= params.cosine)
    return supported, score, span


def _covers(sentence: str, terms: set[str], spans: Iterable[_Span]) -> tuple[bool, float]:
    """Whether spans (with their passages' headlines and dates) hold every number of sentence, and the share of
    its words they hold."""
    spans = list(spans)
    passages = {id(sp.passage): sp.passage for sp in spans}.values()
    header = " ".join(f"{p.title} {p.date or ''}" for p in passages)
    body = " ".join(sp.text for sp in spans) + " " + header
    numbers = {_digits(n) for n in _NUMBER_TOKEN.findall(sentence)}
    known = {_digits(n) for n in _NUMBER_TOKEN.findall(body)}
    words = set(analyze(body))
    coverage = len(terms & words) / len(terms) if terms else 1.0
    return numbers <= known, coverage


def _digits(number: str) -> str:
    return number.replace(",", "")


def _citation(n: int, score: float, span: _Span, supported: bool) -> Citation:
    p = span.passage
    return Citation(
        n=n,
        source=p.source,
        title=p.title,
        quote=span.text,
        start=span.start,
        end=span.end,
        score=round(score, 4),
        article_id=p.article_id,
        date=p.date,
        outlet=p.outlet,
        supported=supported,
    )


def cite_uncited(
    text: str, passages: list[Passage], vectors: VectorCache, params: CitationParams = CitationParams()
) -> tuple[str, list[str]]:
    """text with a marker added to each substantive sentence that cites nothing but that a passage supports (by
    the same check as cited ones), and without the uncited sentences no passage supports; and those dropped.

    Small models often write the right sentence and forget its marker, or add a sentence of their own: the
    first is cited for them, the second never reaches the reader as if it came from the articles.
    """
    sentences = split_answer(text)
    terms = [set(analyze(s.text)) for s in sentences]
    pending = [i for i, s in enumerate(sentences) if not s.cites and len(terms[i]) >= 3]
    if not pending:
        return text, []
    spans = [_spans(p) for p in passages]
    texts = [sentences[i].text for i in pending] + [sp.text for group in spans for sp in group]
    vector = dict(zip(texts, vectors.get(texts), strict=True))
    kept: list[str] = []
    dropped: list[str] = []
    for i, sentence in enumerate(sentences):
        if i not in pending:
            markers = "".join(f"[{n}]" for n in sentence.cites)
            kept.append(f"{sentence.text} {markers}".strip())
            continue
        backed = [(score, n) for n, group in enumerate(spans, start=1)
                  for ok, score, _ in [_support(sentence.text, terms[i], group, vector, params)] if ok]
        if backed:
            kept.append(f"{sentence.text} [{max(backed)[1]}]")
        else:
            dropped.append(sentence.text)
    return " ".join(k for k in kept if k.strip()), dropped
