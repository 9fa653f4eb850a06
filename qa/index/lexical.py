"""The BM25 side of hybrid retrieval (bm25s), persisted under QA_HOME and rebuilt when ingestion changes the store.

Also owns the one text analyser (lowercase, stopwords, Snowball stems) and the corpus term statistics
that the extractive answerer weighs question words with.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from qa.index.chunk import contextual_text
from qa.index.dates import stored_date_ord
from qa.index.store import Store

_T = TypeVar("_T")
_WORD = re.compile(r"(?u)\b\w\w+\b|\b\d\b")
_FORMAT = 4  # bump when the files change shape; a change of analyser is caught by analyzer_version()


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def stopwords() -> frozenset[str]:
    """bm25s's 33-word English list. Adding question words ("what", "did") measured worse on both question
    sets, though it fixes "What did Josh Ernest say?"; revisit with a reranker."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@cache
def analyzer_version() -> str:
    """Changes whenever analyze() would split text differently, so an index built the old way is rebuilt."""
    recipe = json.dumps([sorted(stopwords()), _WORD.pattern, "snowball-english"])
    return hashlib.sha1(recipe.encode()).hexdigest()[:12]


def analyze(text: str) -> list[str]:
    """Stems of the non-stopword words of text; both BM25 and answer scoring see words through this."""
    words = [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in stopwords()]
    return list(_stemmer().stemWords(words))


@dataclass
class LexicalIndex:
    """A loaded BM25 index: chunk ids in index order, and document frequencies for term weighting."""

    retriever: object
    chunk_ids: list[str]
    doc_freq: dict[str, int]
    version: float
    date_ords: np.ndarray | None = None  # publication day of each chunk's article (date.toordinal(), 0 = undated)
    _vocabulary: list[str] | None = None

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; a word the corpus never uses weighs most."""
        n = max(self.size, 1)
        return math.log(1 + (n + 1) / (self.doc_freq.get(term, 0) + 0.5))

    def knows(self, stem: str) -> bool:
        """Whether the corpus uses this word stem or one of its family (Russia/Russian, Syria/Syrian)."""
        if stem in self.doc_freq:
            return True
        for cut in range(1, 4):  # a shorter stem of the same family: "russian" -> "russia"
            if len(stem) - cut >= 4 and stem[:-cut] in self.doc_freq:
                return True
        vocabulary = self._sorted_vocabulary()
        i = bisect.bisect_left(vocabulary, stem)
        return i < len(vocabulary) and vocabulary[i].startswith(stem) and len(vocabulary[i]) - len(stem) <= 3

    def _sorted_vocabulary(self) -> list[str]:
        if self._vocabulary is None:
            self._vocabulary = sorted(self.doc_freq)
        return self._vocabulary

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The k best chunks for query; allowed (one bool per chunk, in index order) leaves the others out."""
        terms = [t for t in analyze(query) if t in self.doc_freq]
        if not terms or not self.chunk_ids:
            return []
        k = min(k, self.size)
        mask = allowed.astype(np.float32) if allowed is not None else None
        docs, scores = self.retriever.retrieve(  # type: ignore[attr-defined]
            [terms], k=k, show_progress=False, n_threads=1, weight_mask=mask
        )
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def index_dir(home: Path, prefix: str) -> Path:
    return home / "lexical" / prefix


class LexicalUpdate:
    """The chunks an ingest adds and removes, analysed as they arrive and kept as compact arrays (term ids and
    counts), so applying them to a million-chunk index neither re-reads the store nor re-analyses old chunks."""

    def __init__(self, base: Path | None = None) -> None:
        meta = _read_meta(base) if base is not None else {}
        self.base_build = meta.get("build")
        self.vocab: dict[str, int] = {}
        if self.base_build is not None and base is not None and (base / "vocab.index.json").exists():
            self.vocab = json.loads((base / "vocab.index.json").read_text())
        self.chunk_ids: list[str] = []
        self._terms: list[np.ndarray] = []
        self._tfs: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._lengths: list[int] = []
        self._date_ords: list[int] = []
        self.removed: set[str] = set()

    def add(self, chunk_ids: list[str], texts: list[str], date_ords: list[int]) -> None:
        """texts as the retrievers see them (contextual_text: headline, date, chunk)."""
        terms: list[int] = []
        tfs: list[int] = []
        counts: list[int] = []
        for text in texts:
            words = Counter(analyze(text))
            terms.extend(self.vocab.setdefault(term, len(self.vocab)) for term in words)
            tfs.extend(words.values())
            counts.append(len(words))
            self._lengths.append(sum(words.values()))
        self.chunk_ids.extend(chunk_ids)
        self._date_ords.extend(date_ords)
        self._terms.append(np.asarray(terms, dtype=np.uint32))
        self._tfs.append(np.asarray(tfs, dtype=np.uint16))
        self._counts.append(np.asarray(counts, dtype=np.int64))

    def remove(self, chunk_ids: list[str]) -> None:
        self.removed.update(chunk_ids)

    @property
    def changed(self) -> bool:
        return bool(self.chunk_ids or self.removed)

    def postings(self) -> _Postings:
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.int64)
        return _Postings(
            chunk_ids=list(self.chunk_ids),
            terms=np.concatenate(self._terms) if self._terms else np.zeros(0, np.uint32),
            tfs=np.concatenate(self._tfs) if self._tfs else np.zeros(0, np.uint16),
            offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            lengths=np.asarray(self._lengths, dtype=np.int32),
            date_ords=np.asarray(self._date_ords, dtype=np.int32),
        )


@dataclass
class _Postings:
    """Per chunk: its distinct term ids and their counts (concatenated, split by offsets), token count, date."""

    chunk_ids: list[str]
    terms: np.ndarray
    tfs: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    date_ords: np.ndarray

    def keep(self, rows: np.ndarray) -> _Postings:
        counts = np.diff(self.offsets)
        entries = np.repeat(rows, counts)
        return _Postings(
            chunk_ids=[cid for cid, kept in zip(self.chunk_ids, rows, strict=True) if kept],
            terms=self.terms[entries],
            tfs=self.tfs[entries],
            offsets=np.concatenate([[0], np.cumsum(counts[rows])]).astype(np.int64),
            lengths=self.lengths[rows],
            date_ords=self.date_ords[rows],
        )

    @staticmethod
    def join(a: _Postings, b: _Postings) -> _Postings:
        return _Postings(
            chunk_ids=a.chunk_ids + b.chunk_ids,
            terms=np.concatenate([a.terms, b.terms]),
            tfs=np.concatenate([a.tfs, b.tfs]),
            offsets=np.concatenate([a.offsets, a.offsets[-1] + b.offsets[1:]]),
            lengths=np.concatenate([a.lengths, b.lengths]),
            date_ords=np.concatenate([a.date_ords, b.date_ords]),
        )


_POSTING_FILES = ("terms", "tfs", "offsets", "lengths", "date_ords")
_K1, _B = 1.5, 0.75  # bm25s's defaults (Lucene variant)


def apply(update: LexicalUpdate, store: Store, home: Path, prefix: str) -> LexicalIndex:
    """Fold an ingest's additions and removals into the persisted index: the old chunks' postings are reused, so
    the cost is a few vectorised passes over the arrays, not re-analysing every chunk. Falls back to a rebuild when
    the index on disk is not the one the update started from, or the result disagrees with the store."""
    target = index_dir(home, prefix)
    meta = _read_meta(target)
    if update.base_build is None or meta.get("build") != update.base_build or not _current(meta):
        return rebuild(store, home, prefix)
    base = _read_postings(target)
    drop = update.removed | set(update.chunk_ids)
    if drop:
        base = base.keep(np.fromiter((cid not in drop for cid in base.chunk_ids), dtype=bool, count=len(base.chunk_ids)))
    index = _write(_Postings.join(base, update.postings()), update.vocab, target)
    if index.size != store.count_chunks():
        return rebuild(store, home, prefix)
    return index


def rebuild(store: Store, home: Path, prefix: str) -> LexicalIndex:
    """Re-index every chunk in the store, a page at a time, and swap the new files in atomically."""
    update = LexicalUpdate()
    for page in _pages(store.iter_chunks(), 2000):
        update.add(
            [chunk_id for chunk_id, _, _ in page],
            [contextual_text(str(meta.get("title", "")), meta.get("date_text"), text) for _, text, meta in page],
            [stored_date_ord(meta) for _, _, meta in page],
        )
    return _write(update.postings(), update.vocab, index_dir(home, prefix))


def _pages(items: Iterator[_T], size: int) -> Iterator[list[_T]]:
    page: list[_T] = []
    for item in items:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def _write(postings: _Postings, vocab: dict[str, int], target: Path) -> LexicalIndex:
    import bm25s

    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    df = np.bincount(postings.terms, minlength=len(vocab)) if len(vocab) else np.zeros(0, np.int64)
    if postings.chunk_ids:
        retriever = bm25s.BM25(k1=_K1, b=_B)
        retriever.scores = _bm25_matrix(postings, df)
        retriever.vocab_dict = vocab
        retriever.unique_token_ids_set = set(vocab.values())
        retriever.nonoccurrence_array = None  # only BM25L and BM25+ have one
        retriever.save(str(staging), show_progress=False)
    for name in _POSTING_FILES:
        np.save(staging / f"{name}.npy", getattr(postings, name))
    if not postings.chunk_ids:
        (staging / "vocab.index.json").write_text("{}")
    (staging / "chunk_ids.json").write_text(json.dumps(postings.chunk_ids))
    terms = [""] * len(vocab)
    for term, i in vocab.items():
        terms[i] = term
    (staging / "doc_freq.json").write_text(json.dumps({terms[i]: int(df[i]) for i in np.flatnonzero(df)}))
    (staging / "meta.json").write_text(json.dumps({
        "format": _FORMAT, "analyzer": analyzer_version(), "chunks": len(postings.chunk_ids), "build": uuid.uuid4().hex
    }))
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    with _lock:
        _cache[target] = _read(target)
        return _cache[target]


def _bm25_matrix(p: _Postings, df: np.ndarray) -> dict[str, object]:
    """bm25s's score matrix (CSC: one column of per-chunk scores per term), built with numpy in a few passes
    rather than bm25s.index's loop over Python lists, which would hold every token of a million chunks.

    Sorted by term first and computed in place, so at most about four arrays of the postings' length are alive at
    once (a million chunks hold ~50M postings: 200 MB per float32 array)."""
    n_docs = len(p.chunk_ids)
    order = np.argsort(p.terms, kind="stable").astype(np.int32 if len(p.terms) < 2**31 else np.int64)
    doc = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(p.offsets))[order]  # chunks ascending within a term
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (_K1 * (1 - _B + _B * p.lengths / max(float(p.lengths.mean()), 1e-9))).astype(np.float32)
    tf = p.tfs[order].astype(np.float32)
    del order
    scores = norm[doc]
    scores += tf  # norm + tf
    np.divide(tf, scores, out=scores)  # tf / (norm + tf)
    del tf
    indptr = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    scores *= np.repeat(idf, df)  # the postings are sorted by term, so the term of each is known from df
    return {"data": scores, "indices": doc, "indptr": indptr, "num_docs": n_docs}


_cache: dict[Path, LexicalIndex] = {}
_lock = threading.RLock()


def load(store: Store, home: Path, prefix: str, chunks_in_store: int | None = None) -> LexicalIndex:
    """The index for this store, loaded once per process and reloaded only when another process rebuilt it.

    An index that disagrees with the store (a crash between the two, a shared Chroma server) is rebuilt.
    chunks_in_store saves a count when the caller has just made one.
    """
    target = index_dir(home, prefix)
    meta_file = target / "meta.json"
    with _lock:
        version = meta_file.stat().st_mtime if meta_file.exists() else -1.0
        cached = _cache.get(target)
        handed_in = chunks_in_store is not None
        if chunks_in_store is None:
            chunks_in_store = store.count_chunks()
        if cached is not None and cached.version == version and cached.size == chunks_in_store:
            return cached
        meta = _read_meta(target)
        if handed_in and _current(meta) and meta.get("chunks") != chunks_in_store:
            chunks_in_store = store.count_chunks()  # the count handed in may be a few seconds old
        if not _current(meta) or meta.get("chunks") != chunks_in_store:
            return rebuild(store, home, prefix)
        _cache[target] = _read(target)
        return _cache[target]


def _read_meta(target: Path) -> dict[str, object]:
    try:
        meta: dict[str, object] = json.loads((target / "meta.json").read_text())
        return meta
    except (OSError, ValueError):
        return {}


def _current(meta: dict[str, object]) -> bool:
    return meta.get("format") == _FORMAT and meta.get("analyzer") == analyzer_version()


def _read_postings(target: Path) -> _Postings:
    arrays = {name: np.load(target / f"{name}.npy") for name in _POSTING_FILES}
    return _Postings(chunk_ids=json.loads((target / "chunk_ids.json").read_text()), **arrays)


def _read(target: Path) -> LexicalIndex:
    import bm25s

    version = (target / "meta.json").stat().st_mtime
    chunk_ids = json.loads((target / "chunk_ids.json").read_text())
    doc_freq = json.loads((target / "doc_freq.json").read_text())
    # Memory-mapped: a new process answers without reading a million chunks' scores first.
    retriever: object = bm25s.BM25.load(str(target), mmap=True, show_progress=False) if chunk_ids else None
    date_ords = np.load(target / "date_ords.npy")
    return LexicalIndex(
        retriever=retriever, chunk_ids=chunk_ids, doc_freq=doc_freq, version=version, date_ords=date_ords
    )
