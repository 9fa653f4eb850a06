"""Turn files into indexed articles: load, clean, extract metadata, chunk, embed, store, update the lexical index.

Idempotent: unchanged files are skipped by hash, changed ones replaced, duplicates (exact or near) not indexed
twice, and --prune drops articles whose files are gone. One bad file never stops the rest.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import Settings, get_settings
from qa.errors import IngestError, QAError
from qa.index import lexical
from qa.index.chunk import contextual_text, split_into_chunks
from qa.index.clean import clean_article_text
from qa.index.embed import Embedder, get_embedder
from qa.index.load import RawDocument, find_article_files, read_article_file
from qa.index.metadata import extract_title, find_dateline, find_outlet, publication_date
from qa.index.store import Store, store_for
from qa.types import Article, Chunk, FileResult, FileStatus, IngestReport

_MIN_ARTICLE_WORDS = 20
_NEAR_DUPLICATE_CANDIDATES = 3
_NEAR_DUPLICATE_MIN_SIMILARITY = 0.8  # cosine of article leads before the exact shingle test is worth running
_SHINGLE = 5
_MAX_BATCH_FILES = 64  # about a thousand chunks of news per embedding call and store write
_LEAD_CHUNKS = 2  # about the first 250 tokens, what a lead embedding would read


def ingest(
    paths: Iterable[str | Path],
    *,
    prune: bool = False,
    settings: Settings | None = None,
    progress: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Index the article files and folders at paths into the store under QA_HOME (or QA_CHROMA_URL).

    Returns what happened to each file; a file that cannot be read is reported, never raised.
    Raises StoreError when the store cannot be opened. embedder replaces the configured model (benchmarks).

    Files go through in batches (one embedding call, one near-duplicate query and a few writes per batch), so a
    folder of any size is held in memory a batch at a time; the BM25 index is updated once, at the end.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    store = store_for(settings)
    embedder = embedder or get_embedder(settings.embed_model, settings.embed_batch)
    home = settings.resolved_home()
    remove_unfinished_articles(store)
    lexical.load(store, home, settings.collection)  # in step with the store before this ingest's changes
    update = lexical.LexicalUpdate(lexical.index_dir(home, settings.collection))
    files = list(find_article_files([Path(p).expanduser() for p in paths]))
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    from tqdm import tqdm

    bar = tqdm(total=len(files), desc="Ingesting", unit="file", disable=not progress, leave=False)
    chunks_added = 0
    try:
        for batch in _batches(files):
            for result in _ingest_batch(batch, store, embedder, settings, update):
                report(result)
                chunks_added += result.chunks if result.status in ("added", "updated") else 0
            bar.update(len(batch))
            bar.set_postfix(chunks=chunks_added, chunks_per_s=round(chunks_added / bar.format_dict["elapsed"], 1)
                            if bar.format_dict["elapsed"] else 0)
    finally:
        bar.close()
    if prune:
        for result in prune_missing(store, update):
            report(result)
    if update.changed:
        lexical.apply(update, store, home, settings.collection)
    return IngestReport(
        results=results,
        documents=store.count_articles(),
        chunks=store.count_chunks(),
        seconds=time.perf_counter() - started,
    )


def _batches(files: list[Path]) -> Iterator[list[Path]]:
    """Batches that start small and double up to _MAX_BATCH_FILES: the first results show within a second, and
    later batches are large enough for the embedding model and the store to work at full speed."""
    size, i = 1, 0
    while i < len(files):
        yield files[i : i + size]
        i += size
        size = min(size * 2, _MAX_BATCH_FILES)


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


@dataclass
class _Pending:
    """An article read and cleaned, not yet known to be new: what the batch steps pass along."""

    slot: int
    article: Article
    previous: dict[str, Any] | None  # the record of this file's earlier version, if it was indexed
    detail: str
    chunks: list[Chunk] = field(default_factory=list)
    lead: np.ndarray | None = None
    vectors: np.ndarray | None = None


def _ingest_batch(
    paths: list[Path], store: Store, embedder: Embedder, settings: Settings, update: lexical.LexicalUpdate
) -> list[FileResult]:
    """Read, check, chunk, embed and store a batch of files; one result per path, in order."""
    results: list[FileResult | None] = [None] * len(paths)
    raws: dict[int, RawDocument] = {}
    for slot, path in enumerate(paths):
        try:
            raws[slot] = read_article_file(path, int(settings.max_file_mb * 1_000_000))
        except IngestError as exc:
            results[slot] = FileResult(path=str(path), status="skipped", detail=str(exc))
    with store.lock:
        pending = _new_articles(paths, raws, store, results)
        _embed(pending, embedder, settings)
        fresh = _drop_near_duplicates(pending, paths, store, settings.near_duplicate, results, update)
        for item in fresh:
            if item.previous is not None:
                update.remove(store.delete_article(item.previous["id"]))
        store.add_articles([(p.article, p.chunks, p.vectors, p.lead) for p in fresh])  # type: ignore[misc]
        for item in fresh:
            article = item.article
            update.add(
                [c.id for c in item.chunks],
                [contextual_text(article.title, article.date_text, c.text) for c in item.chunks],
                [article.date.toordinal() if article.date else 0] * len(item.chunks),
            )
            status: FileStatus = "updated" if item.previous is not None else "added"
            results[item.slot] = FileResult(
                path=str(paths[item.slot]), status=status, detail=item.detail, article_id=article.id,
                chunks=len(item.chunks),
            )
    return [r for r in results if r is not None]


def _new_articles(
    paths: list[Path], raws: dict[int, RawDocument], store: Store, results: list[FileResult | None]
) -> list[_Pending]:
    """Skip unchanged files (by file hash, then by cleaned text) and exact copies; clean the rest."""
    resolved = {slot: str(paths[slot].resolve()) for slot in raws}
    known = store.articles_by_paths(list(resolved.values()))
    cleaned: list[_Pending] = []
    for slot, raw in raws.items():
        previous = known.get(resolved[slot])
        shown = str(paths[slot])
        if previous is not None and previous.get("file_hash") == raw.file_hash:
            results[slot] = FileResult(path=shown, status="unchanged", article_id=previous["id"],
                                       chunks=previous["chunks"])
            continue
        try:
            article = build_article(raw)
        except IngestError as exc:
            results[slot] = FileResult(path=shown, status="skipped", detail=str(exc))
            continue
        detail = "" if raw.encoding == "utf-8" else f"decoded as {raw.encoding}"
        cleaned.append(_Pending(slot=slot, article=article, previous=previous, detail=detail))
    same = store.articles_by_ids([p.article.id for p in cleaned])
    in_batch: dict[str, str] = {}
    pending: list[_Pending] = []
    for item in cleaned:
        shown, record = str(paths[item.slot]), same.get(item.article.id)
        if record is not None and record.get("path") == resolved[item.slot]:
            results[item.slot] = FileResult(path=shown, status="unchanged", article_id=item.article.id,
                                            chunks=record["chunks"])
        elif record is not None or item.article.id in in_batch:  # an exact copy needs no embedding to be recognised
            source = record["source"] if record is not None else in_batch[item.article.id]
            results[item.slot] = _duplicate(shown, f"same text as {source}", item, store)
        else:
            in_batch[item.article.id] = item.article.source
            pending.append(item)
    return pending


def _embed(pending: list[_Pending], embedder: Embedder, settings: Settings) -> None:
    """Chunk every article and embed all chunks of the batch in one call (the model sorts by length); a text that
    occurs twice (boilerplate paragraphs) is embedded once. An article's lead vector, which only the near-duplicate
    check reads, is the mean of its first chunks' vectors: the model reads each text once (8% of an ingest's model
    time went to re-reading leads)."""
    if not pending:
        return
    texts: list[str] = []
    for item in pending:
        item.chunks = split_into_chunks(item.article, settings.chunk_tokens, settings.chunk_overlap)
        texts.extend(contextual_text(item.article.title, None, c.text) for c in item.chunks)
    unique = list(dict.fromkeys(texts))
    vectors = embedder.embed(unique)
    row = {text: i for i, text in enumerate(unique)}
    position = 0
    for item in pending:
        item.vectors = vectors[[row[t] for t in texts[position : position + len(item.chunks)]]]
        item.lead = lead_vector(item.vectors)
        position += len(item.chunks)


def lead_vector(chunk_vectors: np.ndarray) -> np.ndarray:
    """The direction of an article's opening (its first _LEAD_CHUNKS chunks), unit length."""
    mean: np.ndarray = chunk_vectors[:_LEAD_CHUNKS].mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def _drop_near_duplicates(
    pending: list[_Pending],
    paths: list[Path],
    store: Store,
    threshold: float,
    results: list[FileResult | None],
    update: lexical.LexicalUpdate,
) -> list[_Pending]:
    """Articles telling a story already indexed (or earlier in this batch): close leads, then most word 5-grams
    shared. The store is asked once for the whole batch."""
    if not pending:
        return []
    leads = np.stack([p.lead for p in pending])  # type: ignore[misc]
    neighbours = store.nearest_articles_many(leads, _NEAR_DUPLICATE_CANDIDATES)
    close = {i for hits in neighbours for i, sim in hits if sim >= _NEAR_DUPLICATE_MIN_SIMILARITY}
    indexed = store.articles_by_ids(sorted(close), with_text=True)
    shingles: dict[str, set[int]] = {}
    kept: list[_Pending] = []
    for item, hits in zip(pending, neighbours, strict=True):
        ignore = item.previous["id"] if item.previous else None
        candidates = [(indexed[i]["text"], indexed[i].get("source", i)) for i, sim in hits
                      if i in indexed and i != ignore and sim >= _NEAR_DUPLICATE_MIN_SIMILARITY]
        candidates += [(k.article.text, k.article.source) for k in kept
                       if float(k.lead @ item.lead) >= _NEAR_DUPLICATE_MIN_SIMILARITY]  # type: ignore[operator]
        mine = _shingles(item.article.text)
        for text, source in candidates:
            theirs = shingles.setdefault(text, _shingles(text))
            if mine and theirs and len(mine & theirs) / min(len(mine), len(theirs)) >= threshold:
                results[item.slot] = _duplicate(str(paths[item.slot]), f"near-duplicate of {source}", item, store,
                                                update)
                break
        else:
            kept.append(item)
    return kept


def _duplicate(
    shown: str, detail: str, item: _Pending, store: Store, update: lexical.LexicalUpdate | None = None
) -> FileResult:
    if item.previous is not None:  # the file used to hold another story, which is no longer on disk
        removed = store.delete_article(item.previous["id"])
        if update is not None:
            update.remove(removed)
        detail += "; its previous version was removed from the index"
    return FileResult(path=shown, status="duplicate", detail=detail)


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", text.casefold())
    return {hash(tuple(words[i : i + _SHINGLE])) for i in range(max(len(words) - _SHINGLE + 1, 0))}


def prune_missing(store: Store, update: lexical.LexicalUpdate | None = None) -> list[FileResult]:
    """Drop articles whose file no longer exists."""
    results = []
    for article_id, meta in list(store.iter_articles()):
        path = meta.get("path")
        if path and not Path(path).exists():
            removed = store.delete_article(article_id)
            if update is not None:
                update.remove(removed)
            results.append(FileResult(path=path, status="removed", detail="file is gone", article_id=article_id))
    return results


def remove_article(article_id: str, *, settings: Settings | None = None) -> FileResult:
    """Take one article out of the index: its record, its chunks and their BM25 entries, as --prune does.

    Returns a 'removed' result naming the article's file (the file itself is left alone); raises QAError when no
    indexed article has that id.
    """
    settings = settings or get_settings()
    store = store_for(settings)
    home = settings.resolved_home()
    with store.lock:
        record = store.article_by_id(article_id)
        if record is None:
            raise QAError(f"no indexed article has the id {article_id}; it may have been removed already")
        lexical.load(store, home, settings.collection)
        update = lexical.LexicalUpdate(lexical.index_dir(home, settings.collection))
        update.remove(store.delete_article(article_id))
        lexical.apply(update, store, home, settings.collection)
    shown = str(record.get("path") or record.get("source") or article_id)
    return FileResult(path=shown, status="removed", detail="removed from the index", article_id=article_id)


def remove_unfinished_articles(store: Store) -> int:
    """Chunks without an article record come from an ingest that was killed midway; drop them so it reruns."""
    expected = sum(int(meta.get("chunks", 0)) for _, meta in store.iter_articles())
    if expected == store.count_chunks():
        return 0
    known = {article_id for article_id, _ in store.iter_articles()}
    orphans = {meta.get("article_id") for _, _, meta in store.iter_chunks()} - known
    store.delete_chunks_of([str(a) for a in orphans if a is not None])
    return len(orphans)
