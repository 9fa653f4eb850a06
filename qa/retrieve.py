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

from qa.embed import Embedder
from qa.lexical import LexicalIndex
from qa.store import DenseHit, Store
from qa.types import Passage

RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of the very first ranks
_NEAR_IDENTICAL = 0.8


@dataclass
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


def fuse_rankings(rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
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
) -> Retrieval:
    """Hybrid search for question. as_of (the day the question is asked) is accepted for date-aware ranking."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    vector = embedder.embed([question])[0]
    t1 = time.perf_counter()
    dense = store.query_chunks(vector, candidates)
    t2 = time.perf_counter()
    lexical = lexical_index.search(question, candidates)
    t3 = time.perf_counter()
    fused = fuse_rankings([[h.chunk_id for h in dense], [cid for cid, _ in lexical]])
    dense_by_id = {h.chunk_id: h for h in dense}
    lexical_by_id = dict(lexical)
    wanted = [cid for cid, _ in fused[: top_k * 3]]
    missing = store.get_chunks([cid for cid in wanted if cid not in dense_by_id])
    passages: list[Passage] = []
    kept_shingles: list[set[str]] = []
    for chunk_id, score in fused[: top_k * 3]:
        if chunk_id in dense_by_id:
            text, meta = dense_by_id[chunk_id].text, dense_by_id[chunk_id].metadata
        elif chunk_id in missing:
            text, meta = missing[chunk_id]
        else:
            continue  # deleted between the two searches
        shingles = _shingles(text)
        if any(_overlap(shingles, other) >= _NEAR_IDENTICAL for other in kept_shingles):
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


def _passage(
    chunk_id: str,
    text: str,
    meta: dict[str, object],
    score: float,
    dense_by_id: dict[str, DenseHit],
    lexical_by_id: dict[str, float],
) -> Passage:
    hit = dense_by_id.get(chunk_id)
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta.get("start", 0)),  # type: ignore[call-overload]
        end=int(meta.get("end", len(text))),  # type: ignore[call-overload]
        score=score,
        dense_score=hit.similarity if hit is not None else None,
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
