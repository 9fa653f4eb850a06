"""What `qa bench` indexes: a folder of article files (or a .jsonl of them), or synthetic articles recombined from
real sentences, with the queries it times.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.bench.synthetic import (
    CachedSentenceEmbedder,
    SyntheticArticle,
    generate_articles,
    read_sentences,
    sentence_vectors,
    split_plain_sentences,
    words_for_chunks,
)
from qa.config import Settings, bundled_dir
from qa.index.embed import get_embedder

FILES_UP_TO = 20_000  # synthetic corpora up to this many chunks go through files and the whole ingest pipeline


@dataclass
class Corpus:
    """What to index: a folder of files, or synthetic articles indexed directly; and the queries to time."""

    name: str
    queries: list[str]
    folder: Path | None = None
    articles: Callable[[], Iterator[SyntheticArticle]] | None = None
    pool: list[str] = field(default_factory=list)
    embedder: CachedSentenceEmbedder | None = None  # None: the real model embeds
    notes: list[str] = field(default_factory=list)


def synthetic_corpus(n_chunks: int, work: Path, news: Path | None, *, seed: int = 0,
                     max_sentences: int = 5000, files_up_to: int = FILES_UP_TO) -> Corpus:
    """A corpus of about n_chunks chunks recombined from real sentences (the seeds, and news when given); written
    as files when n_chunks <= files_up_to, else generated for indexing directly."""
    pool = read_sentences(bundled_dir("seeds"), news, max_articles=2500, max_sentences=max_sentences,
                          per_article=3 if news else 1_000)
    model = get_embedder(Settings().embed_model)
    embedder = CachedSentenceEmbedder(pool, sentence_vectors(pool, model, work / "cache"))
    rng = np.random.default_rng(seed)
    queries = [" ".join(pool[int(i)].split()[:10]) for i in rng.choice(len(pool), size=min(30, len(pool)), replace=False)]
    n_words = words_for_chunks(n_chunks)
    corpus = Corpus(name=f"synthetic-{n_chunks}", queries=queries, pool=pool, embedder=embedder, notes=[
        f"{len(pool)} distinct sentences from the seeds"
        + (f" and {news.name}" if news else "") + " recombined into articles (qa.bench.synthetic, seed 0)",
        ("chunk vectors: normalised mean of the model's vectors of the chunk's sentences (cached); queries are "
         "embedded by the model; embed_tokens_per_s is the model on a sample of the chunks"),
    ])
    if n_chunks <= files_up_to:
        folder = work / f"synthetic-{n_chunks}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for n, article in enumerate(generate_articles(pool, n_words, seed)):
            (folder / f"synthetic_{n:07d}.txt").write_text(article.text(pool), encoding="utf-8")
        corpus.folder = folder
        corpus.notes.append("written as files and ingested by qa ingest's whole pipeline")
    else:
        corpus.articles = lambda: generate_articles(pool, n_words, seed)
        corpus.notes.append("indexed directly (store writes, HNSW, BM25 update); no file reading or "
                            "sentence splitting, which the smaller corpora measure")
    return corpus


def folder_corpus(path: Path, work: Path, limit: int | None) -> Corpus:
    """A folder of article files, or a .jsonl(.gz) of {title, text} written out as files (up to limit)."""
    if path.is_dir():
        folder = path
    else:
        folder = work / f"{path.name.split('.')[0]}-{limit or 'all'}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                if limit is not None and n >= limit:
                    break
                record = json.loads(line)
                (folder / f"{n:06d}.txt").write_text(f"{record.get('title', '')}\n\n{record['text']}", encoding="utf-8")
    sentences = [s for p in sorted(folder.rglob("*.txt"))[:200] for s in split_plain_sentences(p.read_text())
                 if len(s.split()) >= 8]
    step = max(len(sentences) // 30, 1)
    queries = [" ".join(s.split()[:10]) for s in sentences[::step][:30]]
    return Corpus(name=path.name if limit is None else f"{path.name}[:{limit}]", queries=queries, folder=folder)
