"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank, near-identical passages dropped.

Returns passages with their scores, article metadata and offsets, plus the question vector for the answerer.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.index.dates import stored_date_ord
from qa.index.embed import Embedder
from qa.index.lexical import LexicalIndex
from qa.index.store import Store
from qa.types import Passage

_TIME_WORDS = re.compile(
    r"\b(?:(?:this|last|past|next|earlier this|later this)\s+(?:week|weekend|month|year)|recently|so far this year)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RetrievalParams:
    """How dense and BM25 rankings are fused and how as_of weighs recent days; tuned on RealTime QA dev
    (evals/tune_realtimeqa.py)."""

    rrf_k: int = 60  # the constant from Cormack et al. (2009); damps the weight of the very first ranks
    near_identical: float = 0.8  # shared share of word trigrams above which a passage repeats one kept
    # With as_of, the days up to it come first: "this week" in a news question means the week before it was asked.
    recent_days: int = 7
    recent_weight: float = 0.5  # weight of the recent-window rankings beside those over everything up to as_of
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # With as_of, "this week" is said by the date; as words they only find articles that happen to say "this week".
    strip_time_words: bool = True


@dataclass(frozen=True)
class Scope:
    """Which articles a question may be answered from: published from since to until (inclusive), by one of
    outlets (the names as stored; see resolve_outlets). Empty means no limit. An undated article is outside any
    since, and inside an until, as it is inside an as_of: it may be old, it cannot be shown to be recent."""

    since: dt.date | None = None
    until: dt.date | None = None
    outlets: tuple[str, ...] = ()

    @property
    def limited(self) -> bool:
        return self.since is not None or self.until is not None or bool(self.outlets)


@dataclass
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    more: list[Passage] = field(default_factory=list)  # the next `extra` passages: where other reports may say otherwise


def fuse_rankings(rankings: Sequence[Sequence[str]], k: int = RetrievalParams.rrf_k, weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) to an id; best first, ties by first seen."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def retrieve(
    question: str,
    *,
    store: Store,
    lexical_index: LexicalIndex,
    embedder: Embedder,
    top_k: int,
    candidates: int,
    as_of: dt.date | None = None,
    scope: Scope = Scope(),
    params: RetrievalParams = RetrievalParams(),
    extra: int = 0,
) -> Retrieval:
    """Hybrid search for question: the top_k passages, best first, near-identical ones dropped.

    as_of (the day the question is asked) leaves out articles published after it and ranks those of the
    params.recent_days before it first; undated articles stay, ranked with the older ones. scope limits both
    searches to a date range and outlets before ranking, so a narrow filter still fills top_k. extra: up to that
    many further passages in Retrieval.more, ranked after the top_k, which stay exactly what they would be without.
    """
    timings: dict[str, float] = {}
    if as_of is not None and params.strip_time_words:
        question = " ".join(_TIME_WORDS.sub(" ", question).split()) or question
    t0 = time.perf_counter()
    vector = embedder.embed([question])[0]
    t1 = time.perf_counter()
    bounds = _Bounds.of(as_of, scope)
    if as_of is None and not scope.limited:
        dense_lists = [store.nearest_chunk_ids(vector, candidates)]
    elif as_of is None:
        dense_lists = [store.nearest_chunk_ids(vector, candidates, where=bounds.where(scope))]
    else:
        dense_lists = _dense_as_of(store, vector, candidates, bounds, scope, params.recent_days)
    t2 = time.perf_counter()
    if as_of is None and not scope.limited:
        lexical_lists = [lexical_index.search(question, candidates)]
    else:
        lexical_lists = _lexical_scoped(lexical_index, store, question, candidates, bounds, scope,
                                        params.recent_days if as_of is not None else None)
    t3 = time.perf_counter()
    rankings = [[c for c, _ in hits] for hits in dense_lists + lexical_lists]
    # Lists come as (recent, all) pairs when as_of is given; the recent ones weigh recent_weight more.
    if as_of is None:
        weights = [params.dense_weight, params.lexical_weight]
    else:
        recent = params.recent_weight
        weights = [params.dense_weight * recent, params.dense_weight, params.lexical_weight * recent, params.lexical_weight]
    fused = fuse_rankings(rankings, k=params.rrf_k, weights=weights)
    dense_by_id = {cid: similarity for hits in dense_lists for cid, similarity in hits}
    lexical_by_id = {cid: score for hits in lexical_lists for cid, score in hits}
    main_shortlist = top_k * 3  # enough to fill top_k after near-duplicates and later-dated ones are dropped
    shortlist = fused[: (top_k + extra) * 3]
    records = store.get_chunks([cid for cid, _ in shortlist])  # one fetch, for the few that can be kept
    passages: list[Passage] = []
    more: list[Passage] = []
    kept_shingles: list[set[str]] = []
    for position, (chunk_id, score) in enumerate(shortlist):
        if chunk_id not in records:
            continue  # deleted between the search and the fetch
        text, meta = records[chunk_id]
        if not bounds.admits(meta, scope):
            continue  # published after the day asked about or outside the scope, whichever search brought it
        shingles = _shingles(text)
        if any(_overlap(shingles, other) >= params.near_identical for other in kept_shingles):
            continue
        kept_shingles.append(shingles)
        found = _passage(chunk_id, text, meta, score, dense_by_id, lexical_by_id)
        if len(passages) < top_k and position < main_shortlist:
            passages.append(found)
        else:
            more.append(found)
        if len(more) >= extra and (len(passages) == top_k or position >= main_shortlist - 1):
            break
    t4 = time.perf_counter()
    timings.update(
        embed_ms=(t1 - t0) * 1000, dense_ms=(t2 - t1) * 1000, lexical_ms=(t3 - t2) * 1000, fuse_ms=(t4 - t3) * 1000
    )
    return Retrieval(passages=passages, query_vector=vector, timings=timings, more=more[:extra])


@dataclass(frozen=True)
class _Bounds:
    """The date ordinals a search may return: as_of and scope.until cap it, scope.since floors it."""

    low: int | None
    high: int | None

    @classmethod
    def of(cls, as_of: dt.date | None, scope: Scope) -> _Bounds:
        highs = [d.toordinal() for d in (as_of, scope.until) if d is not None]
        return cls(scope.since.toordinal() if scope.since else None, min(highs) if highs else None)

    def where(self, scope: Scope, recent_from: int | None = None) -> dict[str, Any] | None:
        """The Chroma filter for these bounds and scope's outlets."""
        lows = [x for x in (self.low, recent_from) if x is not None]
        low = max(lows) if lows else None
        terms: list[dict[str, Any]] = []
        if low is not None:
            terms.append({"date_ord": {"$gte": low}})
        if self.high is not None:
            terms.append({"date_ord": {"$lte": self.high}})
        if scope.outlets:
            terms.append({"outlet": {"$in": list(scope.outlets)}})
        return None if not terms else terms[0] if len(terms) == 1 else {"$and": terms}

    def admits(self, meta: dict[str, object], scope: Scope) -> bool:
        day = stored_date_ord(meta)
        if self.high is not None and day > self.high:
            return False
        if self.low is not None and day < self.low:
            return False
        return not scope.outlets or meta.get("outlet") in scope.outlets


def _dense_as_of(
    store: Store, vector: np.ndarray, candidates: int, bounds: _Bounds, scope: Scope, recent_days: int
) -> list[list[tuple[str, float]]]:
    """Dense candidates from the recent window and from everything up to as_of (undated included, date_ord 0)."""
    assert bounds.high is not None
    day = bounds.high
    recent = store.nearest_chunk_ids(vector, candidates, where=bounds.where(scope, recent_from=day - recent_days))
    allowed = store.nearest_chunk_ids(vector, candidates, where=bounds.where(scope))
    if not allowed and store.count_chunks() and not scope.limited:
        # A store written before date_ord existed: filter a wider unfiltered search on its ISO dates instead.
        wider = [h for h in store.query_chunks(vector, candidates * 4) if stored_date_ord(h.metadata) <= day]
        recent = [(h.chunk_id, h.similarity) for h in wider if stored_date_ord(h.metadata) >= day - recent_days]
        allowed = [(h.chunk_id, h.similarity) for h in wider[:candidates]]
    return [recent, allowed]


def _lexical_scoped(
    index: LexicalIndex,
    store: Store,
    question: str,
    candidates: int,
    bounds: _Bounds,
    scope: Scope,
    recent_days: int | None,
) -> list[list[tuple[str, float]]]:
    """BM25 candidates within the bounds and outlets, masked per chunk; with recent_days (as_of given) a recent
    window's list first, as for dense search."""
    dates = getattr(index, "date_ords", None)  # None: an index without dates; later chunks are dropped after fusion
    mask = np.ones(index.size, dtype=bool) if index.size else None
    if mask is not None and dates is not None:
        if bounds.high is not None:
            mask &= dates <= bounds.high
        if bounds.low is not None:
            mask &= dates >= bounds.low
    if mask is not None and scope.outlets:
        wanted = set(store.chunk_ids_where({"outlet": {"$in": list(scope.outlets)}}))
        mask &= np.fromiter((cid in wanted for cid in index.chunk_ids), dtype=bool, count=index.size)
    everything = index.search(question, candidates, allowed=mask)
    if recent_days is None:
        return [everything]
    if dates is None or bounds.high is None:
        return [[], everything]
    recent_mask = (dates >= bounds.high - recent_days) if mask is None else mask & (dates >= bounds.high - recent_days)
    return [index.search(question, candidates, allowed=recent_mask), everything]


def resolve_outlets(asked: Sequence[str], stored: Sequence[str]) -> tuple[str, ...]:
    """The stored outlet names a user's names refer to: case and punctuation aside, exact first, else every
    stored name that contains the asked one ("reuters" → "Reuters", "Thomson Reuters"). Raises ValueError naming
    the known outlets when one matches nothing, so a typo is not read as "no articles"."""
    def key(name: str) -> str:
        return " ".join(re.findall(r"\w+", name.casefold()))

    chosen: list[str] = []
    for name in asked:
        want = key(name)
        exact = [s for s in stored if key(s) == want]
        matches = exact or [s for s in stored if want and want in key(s)]
        if not matches:
            known = ", ".join(sorted(stored)[:12]) or "none: no indexed article names its outlet"
            raise ValueError(f"no indexed article is from outlet {name!r} (known: {known})")
        chosen.extend(m for m in matches if m not in chosen)
    return tuple(chosen)


def _passage(
    chunk_id: str,
    text: str,
    meta: dict[str, object],
    score: float,
    dense_by_id: dict[str, float],
    lexical_by_id: dict[str, float],
) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta.get("start", 0)),  # type: ignore[call-overload]
        end=int(meta.get("end", len(text))),  # type: ignore[call-overload]
        score=score,
        dense_score=dense_by_id.get(chunk_id),
        lexical_score=lexical_by_id.get(chunk_id),
        date=meta.get("date_text") or meta.get("date"),  # type: ignore[arg-type]
        published=meta.get("date"),  # type: ignore[arg-type]
        outlet=meta.get("outlet"),  # type: ignore[arg-type]
        sentences=_spans(meta.get("sentences")),
    )


def _spans(encoded: object) -> tuple[tuple[int, int], ...]:
    """"0-45,46-120" back to ((0, 45), (46, 120)); an index built before spans were stored gives ()."""
    if not isinstance(encoded, str) or not encoded:
        return ()
    return tuple((int(a), int(b)) for a, b in (span.split("-") for span in encoded.split(",")))


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.casefold())
    return {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)
