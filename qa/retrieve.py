"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank, near-identical passages dropped.

Returns passages with their scores, article metadata and offsets, plus the question vector for the answerer.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

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


@dataclass
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


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
    params: RetrievalParams = RetrievalParams(),
) -> Retrieval:
    """Hybrid search for question: the top_k passages, best first, near-identical ones dropped.

    as_of (the day the question is asked) leaves out articles published after it and ranks those of the
    params.recent_days before it first; undated articles stay, ranked with the older ones.
    """
    timings: dict[str, float] = {}
    if as_of is not None and params.strip_time_words:
        question = " ".join(_TIME_WORDS.sub(" ", question).split()) or question
    t0 = time.perf_counter()
    vector = embedder.embed([question])[0]
    t1 = time.perf_counter()
    if as_of is None:
        dense_lists = [store.nearest_chunk_ids(vector, candidates)]
    else:
        dense_lists = _dense_as_of(store, vector, candidates, as_of.toordinal(), params.recent_days)
    t2 = time.perf_counter()
    if as_of is None:
        lexical_lists = [lexical_index.search(question, candidates)]
    else:
        lexical_lists = _lexical_as_of(lexical_index, question, candidates, as_of.toordinal(), params.recent_days)
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
    shortlist = fused[: top_k * 3]  # enough to fill top_k after near-duplicates and later-dated ones are dropped
    records = store.get_chunks([cid for cid, _ in shortlist])  # one fetch, for the few that can be kept
    passages: list[Passage] = []
    kept_shingles: list[set[str]] = []
    for chunk_id, score in shortlist:
        if chunk_id not in records:
            continue  # deleted between the search and the fetch
        text, meta = records[chunk_id]
        if as_of is not None and stored_date_ord(meta) > as_of.toordinal():
            continue  # published after the day asked about, whichever search brought it
        shingles = _shingles(text)
        if any(_overlap(shingles, other) >= params.near_identical for other in kept_shingles):
            continue
        kept_shingles.append(shingles)
        passages.append(_passage(chunk_id, text, meta, score, dense_by_id, lexical_by_id))
        if len(passages) == top_k:
            break
    t4 = time.perf_counter()
    timings.update(
        embed_ms=(t1 - t0) * 1000, dense_ms=(t2 - t1) * 1000, lexical_ms=(t3 - t2) * 1000, fuse_ms=(t4 - t3) * 1000
    )
    return Retrieval(passages=passages, query_vector=vector, timings=timings)


def _dense_as_of(
    store: Store, vector: np.ndarray, candidates: int, day: int, recent_days: int
) -> list[list[tuple[str, float]]]:
    """Dense candidates from the recent window and from everything up to day (undated included, date_ord 0)."""
    recent = store.nearest_chunk_ids(
        vector, candidates, where={"$and": [{"date_ord": {"$gte": day - recent_days}}, {"date_ord": {"$lte": day}}]}
    )
    allowed = store.nearest_chunk_ids(vector, candidates, where={"date_ord": {"$lte": day}})
    if not allowed and store.count_chunks():
        # A store written before date_ord existed: filter a wider unfiltered search on its ISO dates instead.
        wider = [h for h in store.query_chunks(vector, candidates * 4) if stored_date_ord(h.metadata) <= day]
        recent = [(h.chunk_id, h.similarity) for h in wider if stored_date_ord(h.metadata) >= day - recent_days]
        allowed = [(h.chunk_id, h.similarity) for h in wider[:candidates]]
    return [recent, allowed]


def _lexical_as_of(
    index: LexicalIndex, question: str, candidates: int, day: int, recent_days: int
) -> list[list[tuple[str, float]]]:
    """BM25 candidates from the recent window and from everything up to day, masked by each chunk's date_ord."""
    dates = getattr(index, "date_ords", None)  # None: an index without dates; later chunks are dropped after fusion
    if dates is None:
        return [[], index.search(question, candidates)]
    recent = index.search(question, candidates, allowed=(dates >= day - recent_days) & (dates <= day))
    return [recent, index.search(question, candidates, allowed=dates <= day)]


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
