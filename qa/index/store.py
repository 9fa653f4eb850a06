"""The Chroma store: one collection of chunks (what retrieval searches) and one of articles (the cleaned texts).

Embedded on disk under QA_HOME by default, or a `chroma run` server when QA_CHROMA_URL is set; same code either way.
An article record is written after its chunks, so a chunk whose article record is missing is an unfinished ingest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from qa.config import Settings, configure_offline
from qa.errors import StoreError
from qa.index.dates import date_ordinal
from qa.index.embed import ChromaEmbeddingFunction
from qa.types import Article, Chunk

_PAGE = 2000
# HNSW tuned for recall over build speed: news archives are written once and searched often. sync_threshold: the
# index file is rewritten after this many additions (Chroma's default, 1000, rewrites a 1M-chunk index a thousand
# times during one ingest); the write-ahead log keeps what is not yet synced. batch_size: additions held for a
# brute-force search before they go into the graph. Only a new collection takes these; an existing one keeps its own.
_HNSW = {
    "space": "cosine", "ef_construction": 200, "ef_search": 100, "max_neighbors": 16,
    "sync_threshold": 20_000, "batch_size": 1_000,
}


COUNT_REUSE_SECONDS = 2.0


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    similarity: float
    text: str
    metadata: dict[str, Any]


class Store:
    """Thin, typed access to the two collections; no retrieval logic lives here."""

    def __init__(self, home: Path, chroma_url: str | None, prefix: str, embed_model: str) -> None:
        configure_offline()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.home = home
        self.chroma_url = chroma_url
        self.lock = threading.RLock()
        settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if chroma_url:
                url = urlparse(chroma_url)
                self.client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=settings,
                )
                self.client.heartbeat()
            else:
                home.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(home / "chroma"), settings=settings)
        except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds; the user needs one line
            where = chroma_url or str(home / "chroma")
            raise StoreError(f"cannot open the Chroma store at {where}: {exc}") from None
        embedding_function = ChromaEmbeddingFunction(embed_model)
        configuration: Any = {"hnsw": _HNSW, "embedding_function": embedding_function}
        self.chunks = self.client.get_or_create_collection(
            f"{prefix}_chunks", configuration=configuration, metadata={"embed_model": embed_model}
        )
        self.articles = self.client.get_or_create_collection(
            f"{prefix}_articles", configuration=configuration, metadata={"embed_model": embed_model}
        )
        built_with = (self.chunks.metadata or {}).get("embed_model", embed_model)
        if built_with != embed_model:
            raise StoreError(
                f"the store at {self.location} was built with the {built_with} embedding model; "
                f"set QA_EMBED_MODEL={built_with} or use another QA_HOME for {embed_model}"
            )
        self.embed_model = embed_model
        self._max_batch = self.client.get_max_batch_size()
        self._count: tuple[int, float] | None = None  # (chunks, when counted) for recent_chunk_count
        self._outlets: tuple[int, dict[str, int]] | None = None  # (chunks when listed, outlets) for outlets()

    @property
    def location(self) -> str:
        return self.chroma_url or str(self.home / "chroma")

    def count_articles(self) -> int:
        return self.articles.count()

    def count_chunks(self) -> int:
        count = self.chunks.count()
        self._count = (count, time.monotonic()) if count else None
        return count

    def recent_chunk_count(self) -> int:
        """count_chunks, reused for COUNT_REUSE_SECONDS after this process last counted or wrote.

        Chroma counts by scanning (3 ms at 40k chunks, ~60 ms at a million), and every answer asks: to know the store
        is not empty and that the BM25 index is in step. Another process's ingest shows within the window, and
        lexical.load recounts before it would rebuild on a count that disagrees.
        """
        if self._count is not None and time.monotonic() - self._count[1] < COUNT_REUSE_SECONDS:
            return self._count[0]
        return self.count_chunks()

    def forget_count(self) -> None:
        """After a write: the next recent_chunk_count counts again."""
        self._count = None

    def article_by_path(self, path: str) -> dict[str, Any] | None:
        found = self.articles.get(where={"path": path}, include=["metadatas"], limit=1)
        return _first_record(found)

    def article_by_id(self, article_id: str, with_text: bool = False) -> dict[str, Any] | None:
        include: Any = ["metadatas", "documents"] if with_text else ["metadatas"]
        return _first_record(self.articles.get(ids=[article_id], include=include))

    def articles_by_paths(self, paths: list[str]) -> dict[str, dict[str, Any]]:
        """Article records (metadata plus "id") for the files at paths, by path; one request for the lot."""
        where: Any = {"path": {"$in": paths}}
        found = self.articles.get(where=where, include=["metadatas"]) if paths else None
        return {record["path"]: record for record in _records(found)}

    def articles_by_ids(self, ids: list[str], with_text: bool = False) -> dict[str, dict[str, Any]]:
        include: Any = ["metadatas", "documents"] if with_text else ["metadatas"]
        found = self.articles.get(ids=ids, include=include) if ids else None
        return {record["id"]: record for record in _records(found)}

    def nearest_articles_many(self, vectors: np.ndarray, n: int) -> list[list[tuple[str, float]]]:
        """For each vector, (id, cosine similarity) of the n articles whose lead is closest; one request."""
        if len(vectors) == 0:
            return []
        found = self.articles.query(query_embeddings=vectors, n_results=n, include=["distances"])
        return [
            [(id_, 1.0 - float(dist)) for id_, dist in zip(ids, dists, strict=True)]
            for ids, dists in zip(found["ids"], found["distances"] or [], strict=True)
        ]

    def add_articles(self, items: list[tuple[Article, list[Chunk], np.ndarray, np.ndarray]]) -> None:
        """Many articles (article, chunks, chunk vectors, lead vector) in a few large writes: every chunk first, the
        article records last, so an article is marked complete only once all its chunks are in."""
        self.forget_count()
        rows = [(article, chunk, vectors[i]) for article, chunks, vectors, _ in items for i, chunk in enumerate(chunks)]
        for i in range(0, len(rows), self._max_batch):
            batch = rows[i : i + self._max_batch]
            self.chunks.upsert(
                ids=[c.id for _, c, _ in batch],
                documents=[c.text for _, c, _ in batch],
                embeddings=np.stack([v for _, _, v in batch]),
                metadatas=[_chunk_metadata(a, c) for a, c, _ in batch],
            )
        for i in range(0, len(items), self._max_batch):
            done = items[i : i + self._max_batch]
            self.articles.upsert(
                ids=[a.id for a, _, _, _ in done],
                documents=[a.text for a, _, _, _ in done],
                embeddings=np.stack([lead for _, _, _, lead in done]),
                metadatas=[_article_metadata(a, len(chunks)) for a, chunks, _, _ in done],
            )

    def delete_article(self, article_id: str) -> list[str]:
        """Remove an article and its chunks; returns the removed chunks' ids (for the lexical index)."""
        self.forget_count()
        chunk_ids = self.chunks.get(where={"article_id": article_id}, include=[])["ids"]
        self.articles.delete(ids=[article_id])
        if chunk_ids:
            self.chunks.delete(ids=chunk_ids)
        return list(chunk_ids)

    def delete_chunks_of(self, article_ids: list[str]) -> None:
        """Remove the chunks of articles that have no record (left by a killed ingest)."""
        self.forget_count()
        for article_id in article_ids:
            self.chunks.delete(where={"article_id": article_id})

    def iter_articles(self) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            page = self.articles.get(include=["metadatas"], limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield from zip(page["ids"], [dict(m or {}) for m in page["metadatas"] or []], strict=True)
            offset += len(page["ids"])

    def iter_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk, a page at a time, for rebuilding the lexical index."""
        offset = 0
        while True:
            page = self.chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            docs = page["documents"] or []
            metas = page["metadatas"] or []
            yield from zip(page["ids"], docs, [dict(m or {}) for m in metas], strict=True)
            offset += len(page["ids"])

    def query_chunks(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[DenseHit]:
        """The n chunks nearest to vector, optionally only those whose metadata matches a Chroma where filter.

        Fewer when fewer are indexed; Chroma handles that, so no count is asked first (a round trip to a server).
        """
        found = self.chunks.query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            include=["documents", "metadatas", "distances"],
            where=where,
        )
        return [
            DenseHit(id_, 1.0 - float(dist), doc or "", dict(meta or {}))
            for id_, dist, doc, meta in zip(found["ids"][0], *_columns(found), strict=True)
        ]

    def nearest_chunk_ids(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the n chunks nearest to vector: what fusion needs, without the texts and
        metadata of candidates it will drop (fetching those costs more than the HNSW search)."""
        found = self.chunks.query(query_embeddings=[vector.tolist()], n_results=n, include=["distances"], where=where)
        distances = found["distances"] or [[]]
        return [(id_, 1.0 - float(dist)) for id_, dist in zip(found["ids"][0], distances[0], strict=True)]

    def chunk_ids_where(self, where: dict[str, Any]) -> list[str]:
        """Ids of the chunks whose metadata match where (e.g. an outlet filter for the BM25 mask)."""
        return list(self.chunks.get(where=where, include=[])["ids"])

    def outlets(self) -> dict[str, int]:
        """Each outlet named by an indexed article, with its number of articles, most first. Listing reads every
        article's metadata, so the list is kept while the store's chunk count (recent_chunk_count) stays the same:
        each answer filtered by outlet asks for it."""
        chunks = self.recent_chunk_count()
        if self._outlets is None or self._outlets[0] != chunks:
            counts: dict[str, int] = {}
            for _, meta in self.iter_articles():
                if outlet := meta.get("outlet"):
                    counts[str(outlet)] = counts.get(str(outlet), 0) + 1
            self._outlets = (chunks, dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
        return dict(self._outlets[1])

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        found = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        docs = found["documents"] or []
        metas = found["metadatas"] or []
        return {id_: (doc, dict(meta or {})) for id_, doc, meta in zip(found["ids"], docs, metas, strict=True)}


@cache
def open_store(home: Path, chroma_url: str | None, prefix: str, embed_model: str) -> Store:
    """One client per process and location: Chroma clients are heavy and safe to share between threads."""
    return Store(home, chroma_url, prefix, embed_model)


def _columns(found: Any) -> tuple[list[float], list[str | None], list[Any]]:
    """Distances, documents and metadatas of the first query in a Chroma query result."""
    return found["distances"][0], found["documents"][0], found["metadatas"][0]


def _records(found: Any) -> list[dict[str, Any]]:
    if not found or not found["ids"]:
        return []
    docs = found.get("documents") or [None] * len(found["ids"])
    records = []
    for id_, meta, doc in zip(found["ids"], found["metadatas"], docs, strict=True):
        record = dict(meta or {})
        record["id"] = id_
        if doc is not None:
            record["text"] = doc
        records.append(record)
    return records


def _first_record(found: Any) -> dict[str, Any] | None:
    if not found["ids"]:
        return None
    record = dict(found["metadatas"][0] or {})
    record["id"] = found["ids"][0]
    if found.get("documents"):
        record["text"] = found["documents"][0]
    return record


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    return _without_none(
        {
            "article_id": article.id,
            "source": article.source,
            "title": article.title,
            "index": chunk.index,
            "start": chunk.start,
            "end": chunk.end,
            "date": article.date.isoformat() if article.date else None,
            "date_ord": date_ordinal(article.date),  # sortable for as_of filters; 0 = undated
            "date_text": article.date_text,
            "outlet": article.outlet,
            "sentences": ",".join(f"{a}-{b}" for a, b in chunk.sentences) or None,
        }
    )


def _article_metadata(article: Article, n_chunks: int) -> dict[str, Any]:
    return _without_none(
        {
            "source": article.source,
            "path": article.path,
            "title": article.title,
            "file_hash": article.file_hash,
            "outlet": article.outlet,
            "place": article.place,
            "date": article.date.isoformat() if article.date else None,
            "date_text": article.date_text,
            "url": article.url,
            "chunks": n_chunks,
        }
    )


def store_for(settings: Settings) -> Store:
    """The store the settings name (QA_HOME or QA_CHROMA_URL, the collection and the embedder), opened once per
    process."""
    return open_store(settings.resolved_home(), settings.chroma_url, settings.collection, settings.embed_model)
