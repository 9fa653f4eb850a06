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
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qa.chunk import contextual_text
from qa.store import Store

_WORD = re.compile(r"(?u)\b\w\w+\b|\b\d\b")
_FORMAT = 2  # bump when the files change shape; a change of analyser is caught by analyzer_version()


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

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        terms = [t for t in analyze(query) if t in self.doc_freq]
        if not terms or not self.chunk_ids:
            return []
        k = min(k, self.size)
        docs, scores = self.retriever.retrieve(  # type: ignore[attr-defined]
            [terms], k=k, show_progress=False, n_threads=1
        )
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def index_dir(home: Path, prefix: str) -> Path:
    return home / "lexical" / prefix


def rebuild(store: Store, home: Path, prefix: str) -> LexicalIndex:
    """Re-index every chunk in the store and swap the new files in atomically."""
    import bm25s

    ids: list[str] = []
    tokens: list[list[str]] = []
    for chunk_id, text, meta in store.iter_chunks():
        ids.append(chunk_id)
        tokens.append(analyze(contextual_text(str(meta.get("title", "")), meta.get("date_text"), text)))
    target = index_dir(home, prefix)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    doc_freq = Counter(term for doc in tokens for term in set(doc))
    if ids:
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        retriever.save(str(staging), show_progress=False)
    (staging / "chunk_ids.json").write_text(json.dumps(ids))
    (staging / "doc_freq.json").write_text(json.dumps(doc_freq))
    (staging / "meta.json").write_text(json.dumps({"format": _FORMAT, "analyzer": analyzer_version(), "chunks": len(ids)}))
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    with _lock:
        _cache[target] = _read(target)
        return _cache[target]


_cache: dict[Path, LexicalIndex] = {}
_lock = threading.RLock()


def load(store: Store, home: Path, prefix: str) -> LexicalIndex:
    """The index for this store, loaded once per process and reloaded only when another process rebuilt it.

    An index that disagrees with the store (a crash between the two, a shared Chroma server) is rebuilt.
    """
    target = index_dir(home, prefix)
    meta_file = target / "meta.json"
    with _lock:
        version = meta_file.stat().st_mtime if meta_file.exists() else -1.0
        cached = _cache.get(target)
        chunks_in_store = store.count_chunks()
        if cached is not None and cached.version == version and cached.size == chunks_in_store:
            return cached
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        stale = meta.get("format") != _FORMAT or meta.get("analyzer") != analyzer_version()
        if stale or meta.get("chunks") != chunks_in_store:
            return rebuild(store, home, prefix)
        _cache[target] = _read(target)
        return _cache[target]


def _read(target: Path) -> LexicalIndex:
    import bm25s

    version = (target / "meta.json").stat().st_mtime
    chunk_ids = json.loads((target / "chunk_ids.json").read_text())
    doc_freq = json.loads((target / "doc_freq.json").read_text())
    retriever: object = bm25s.BM25.load(str(target), mmap=False, show_progress=False) if chunk_ids else None
    return LexicalIndex(retriever=retriever, chunk_ids=chunk_ids, doc_freq=doc_freq, version=version)
