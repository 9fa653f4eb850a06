"""Turn files into indexed articles: load, clean, extract metadata, chunk, embed, store, update the lexical index.

Idempotent: unchanged files are skipped by hash, changed ones replaced, duplicates (exact or near) not indexed
twice, and --prune drops articles whose files are gone. One bad file never stops the rest.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from qa import lexical
from qa.chunk import contextual_text, split_into_chunks
from qa.clean import clean_article_text
from qa.config import Settings, get_settings
from qa.embed import Embedder, get_embedder
from qa.errors import IngestError, QAError
from qa.load import RawDocument, find_article_files, read_article_file
from qa.metadata import extract_title, find_dateline, find_outlet, publication_date
from qa.store import Store, open_store
from qa.types import Article, FileResult, FileStatus, IngestReport

_MIN_ARTICLE_WORDS = 20
_NEAR_DUPLICATE_CANDIDATES = 3
_NEAR_DUPLICATE_MIN_SIMILARITY = 0.8  # cosine of article leads before the exact shingle test is worth running
_SHINGLE = 5


def ingest(
    paths: Iterable[str | Path],
    *,
    prune: bool = False,
    settings: Settings | None = None,
    progress: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Index the article files and folders at paths into the store under QA_HOME (or QA_CHROMA_URL).

    Returns what happened to each file; a file that cannot be read is reported, never raised.
    Raises StoreError when the store cannot be opened.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    store = store_for(settings)
    embedder = get_embedder(settings.embed_model, settings.embed_batch)
    remove_unfinished_articles(store)
    files = list(find_article_files([Path(p).expanduser() for p in paths]))
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    from tqdm import tqdm

    chunks_before = store.count_chunks()
    for path in tqdm(files, desc="Ingesting", unit="file", disable=not progress, leave=False):
        report(_ingest_file(path, store, embedder, settings))
    if prune:
        for result in prune_missing(store):
            report(result)
    changed = any(r.status in ("added", "updated", "removed") for r in results)
    if changed or store.count_chunks() != chunks_before:
        lexical.rebuild(store, settings.resolved_home(), settings.collection)
    return IngestReport(
        results=results,
        documents=store.count_articles(),
        chunks=store.count_chunks(),
        seconds=time.perf_counter() - started,
    )


def store_for(settings: Settings) -> Store:
    return open_store(settings.resolved_home(), settings.chroma_url, settings.collection, settings.embed_model)


def build_article(raw: RawDocument) -> Article:
    """Clean the text and read its metadata; the id hashes the cleaned text, so it ignores page junk."""
    text = clean_article_text(raw.text)
    if len(text.split()) < _MIN_ARTICLE_WORDS:
        raise IngestError(f"no article text (fewer than {_MIN_ARTICLE_WORDS} words after cleaning)")
    dateline = find_dateline(text)
    published = publication_date(raw.date, raw.url, dateline, raw.retrieved_at)
    date_text = published.strftime("%B %-d, %Y") if published else (dateline.date_text if dateline else None)
    return Article(
        id=hashlib.sha256(text.encode()).hexdigest()[:16],
        source=raw.path.name,
        path=str(raw.path.resolve()),
        title=raw.title or extract_title(text),
        text=text,
        file_hash=raw.file_hash,
        outlet=raw.outlet or find_outlet(raw.text, dateline),
        place=dateline.place if dateline else None,
        date=published,
        date_text=date_text,
        url=raw.url,
    )


def _ingest_file(path: Path, store: Store, embedder: Embedder, settings: Settings) -> FileResult:
    shown = str(path)
    try:
        raw = read_article_file(path, int(settings.max_file_mb * 1_000_000))
        resolved = str(path.resolve())
        with store.lock:
            existing = store.article_by_path(resolved)
            if existing is not None and existing.get("file_hash") == raw.file_hash:
                return FileResult(path=shown, status="unchanged", article_id=existing["id"], chunks=existing["chunks"])
            article = build_article(raw)
            same = store.article_by_id(article.id)
            if same is not None and same.get("path") == resolved:
                return FileResult(path=shown, status="unchanged", article_id=article.id, chunks=same["chunks"])
            lead_vector: np.ndarray | None = None
            if same is not None:  # an exact copy needs no embedding to be recognised
                duplicate_of: str | None = f"same text as {same['source']}"
            else:
                lead_vector = embedder.embed([contextual_text(article.title, None, article.text)])[0]
                near = _near_duplicate_of(article, lead_vector, store, settings.near_duplicate,
                                          ignore=existing["id"] if existing else None)
                duplicate_of = f"near-duplicate of {near}" if near is not None else None
            if duplicate_of is not None:
                if existing is not None:  # the file used to hold another story, which is no longer on disk
                    store.delete_article(existing["id"])
                    duplicate_of += "; its previous version was removed from the index"
                return FileResult(path=shown, status="duplicate", detail=duplicate_of)
            chunks = split_into_chunks(article, settings.chunk_tokens, settings.chunk_overlap)
            vectors = embedder.embed([contextual_text(article.title, None, c.text) for c in chunks])
            if existing is not None:
                store.delete_article(existing["id"])
            assert lead_vector is not None  # only exact copies skip it, and they returned above
            store.add_article(article, chunks, vectors, lead_vector)
        status: FileStatus = "updated" if existing is not None else "added"
        detail = "" if raw.encoding == "utf-8" else f"decoded as {raw.encoding}"
        return FileResult(path=shown, status=status, detail=detail, article_id=article.id, chunks=len(chunks))
    except IngestError as exc:
        return FileResult(path=shown, status="skipped", detail=str(exc))


def _near_duplicate_of(
    article: Article, lead_vector: np.ndarray, store: Store, threshold: float, ignore: str | None
) -> str | None:
    """Name of an indexed article telling the same story: close leads, then most word 5-grams shared."""
    mine = _shingles(article.text)
    for other_id, similarity, text, meta in store.nearest_articles(lead_vector, _NEAR_DUPLICATE_CANDIDATES):
        if other_id == ignore or similarity < _NEAR_DUPLICATE_MIN_SIMILARITY:
            continue
        theirs = _shingles(text)
        if mine and theirs and len(mine & theirs) / min(len(mine), len(theirs)) >= threshold:
            return str(meta.get("source", other_id))
    return None


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", text.casefold())
    return {hash(tuple(words[i : i + _SHINGLE])) for i in range(max(len(words) - _SHINGLE + 1, 0))}


def prune_missing(store: Store) -> list[FileResult]:
    """Drop articles whose file no longer exists."""
    results = []
    for article_id, meta in list(store.iter_articles()):
        path = meta.get("path")
        if path and not Path(path).exists():
            store.delete_article(article_id)
            results.append(FileResult(path=path, status="removed", detail="file is gone", article_id=article_id))
    return results


def remove_article(article_id: str, *, settings: Settings | None = None) -> FileResult:
    """Take one article out of the index: its record, its chunks and their BM25 entries, as --prune does.

    Returns a 'removed' result naming the article's file (the file itself is left alone); raises QAError when no
    indexed article has that id.
    """
    settings = settings or get_settings()
    store = store_for(settings)
    with store.lock:
        record = store.article_by_id(article_id)
        if record is None:
            raise QAError(f"no indexed article has the id {article_id}; it may have been removed already")
        store.delete_article(article_id)
        lexical.rebuild(store, settings.resolved_home(), settings.collection)
    shown = str(record.get("path") or record.get("source") or article_id)
    return FileResult(path=shown, status="removed", detail="removed from the index", article_id=article_id)


def remove_unfinished_articles(store: Store) -> int:
    """Chunks without an article record come from an ingest that was killed midway; drop them so it reruns."""
    expected = sum(int(meta.get("chunks", 0)) for _, meta in store.iter_articles())
    if expected == store.count_chunks():
        return 0
    known = {article_id for article_id, _ in store.iter_articles()}
    orphans = {meta.get("article_id") for _, _, meta in store.iter_chunks()} - known
    for article_id in orphans:
        if article_id is not None:
            store.chunks.delete(where={"article_id": str(article_id)})
    return len(orphans)
