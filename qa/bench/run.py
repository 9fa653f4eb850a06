"""`qa bench`: ingest and answer a corpus with our pipeline and with the stock llama-index pipeline beside it,
and report speed, memory and index size under stable JSON keys.

Corpora: a folder of article files or a .jsonl(.gz) news corpus (embedded by the model), or a synthetic corpus of
N chunks made of real sentences recombined (qa.bench.synthetic), whose vectors come from cached sentence embeddings.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa.bench.corpus import Corpus
from qa.bench.peer import PeerEmbedding
from qa.bench.server import chroma_server
from qa.bench.synthetic import synthetic_article
from qa.config import Settings
from qa.index import lexical
from qa.index.embed import Embedder, get_embedder
from qa.index.ingest import ingest
from qa.index.store import store_for
from qa.types import Article, Chunk

STABLE_KEYS = (
    "n_docs", "n_chunks", "ingest_s", "ingest_chunks_per_s", "embed_tokens_per_s", "retrieve_p50_ms",
    "retrieve_p95_ms", "answer_p50_ms", "cold_start_s", "peak_rss_mb", "index_mb",
    "peer_ingest_s", "peer_retrieve_p50_ms", "ingest_speedup", "retrieve_speedup",
)
_TOP_K = 5




def run(
    corpus: Corpus,
    work: Path,
    *,
    peer: bool = True,
    server: bool = False,
    peer_embedding: PeerEmbedding = "stock",
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Index corpus under work/ with qa and (if peer) llama-index, time retrieval and answers; the result dict."""
    settings = Settings(home=work / "qa-home", auto_seed=False)
    shutil.rmtree(settings.home, ignore_errors=True)
    model = get_embedder(settings.embed_model, settings.embed_batch)
    result: dict[str, Any] = {"corpus": corpus.name, "vectors": "model" if corpus.embedder is None else
                              "cached sentence embeddings (normalised mean of the model's vectors of its sentences)"}
    warm_up(settings, model)  # imports and model loading are cold_start_s's business, not ingest's
    progress(f"[{corpus.name}] ingesting with qa")
    started = time.perf_counter()
    if corpus.folder is not None:
        report = ingest([corpus.folder], settings=settings, embedder=corpus.embedder, progress=True)
        result["n_docs"], result["n_chunks"] = report.documents, report.chunks
    else:
        result["n_docs"], result["n_chunks"] = index_directly(corpus, settings)
    result["ingest_s"] = round(time.perf_counter() - started, 2)
    result["ingest_chunks_per_s"] = round(result["n_chunks"] / result["ingest_s"], 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["index_mb"] = round(_du(settings.resolved_home()) / 2**20, 1)
    result["embed_tokens_per_s"] = embed_rate(settings, model)
    progress(f"[{corpus.name}] {result['n_chunks']} chunks in {result['ingest_s']} s; timing queries")
    result.update(time_queries(corpus.queries, settings, model))
    result["cold_start_s"] = cold_start(settings, corpus.queries[0])
    if peer:
        progress(f"[{corpus.name}] ingesting with llama-index")
        from qa.bench.peer import run_peer

        result.update(run_peer(corpus, work / "peer", model, _TOP_K, peer_embedding))
        result["ingest_speedup"] = round(result["peer_ingest_s"] / result["ingest_s"], 2)
        result["retrieve_speedup"] = round(result["peer_retrieve_p50_ms"] / result["retrieve_p50_ms"], 2)
    else:
        result.update(peer_ingest_s=None, peer_retrieve_p50_ms=None, ingest_speedup=None, retrieve_speedup=None)
    if server:
        progress(f"[{corpus.name}] the same against a chroma run server")
        result.update(against_server(corpus, work / "server", settings))
    result["notes"] = corpus.notes
    result["python"] = sys.version.split()[0]
    result["cpus"] = os.cpu_count()
    return result


def index_directly(corpus: Corpus, settings: Settings) -> tuple[int, int]:
    """Synthetic articles straight into the store and the BM25 index, a batch at a time: the index side of the
    pipeline (store writes, HNSW, BM25 update) without reading files or sentence-splitting."""
    assert corpus.articles is not None and corpus.embedder is not None
    store = store_for(settings)
    home = settings.resolved_home()
    lexical.load(store, home, settings.collection)
    update = lexical.LexicalUpdate(lexical.index_dir(home, settings.collection))
    batch: list[tuple[Article, list[Chunk], np.ndarray, np.ndarray]] = []
    docs = chunks = 0
    for n, synthetic in enumerate(corpus.articles()):
        article, pieces = synthetic_article(synthetic, corpus.pool, n)
        vectors = np.stack([corpus.embedder.vector_of(ids) for _, ids in pieces])
        lead = corpus.embedder.vector_of(synthetic.sentence_ids[:8])
        batch.append((article, [c for c, _ in pieces], vectors, lead))
        if len(batch) == 256:
            chunks += _write(batch, store, update)
            docs += len(batch)
            batch = []
    chunks += _write(batch, store, update)
    docs += len(batch)
    lexical.apply(update, store, home, settings.collection)
    return docs, chunks


def _write(batch: list[tuple[Article, list[Chunk], np.ndarray, np.ndarray]], store: Any,
           update: lexical.LexicalUpdate) -> int:
    from qa.index.chunk import contextual_text

    if not batch:
        return 0
    store.add_articles(batch)
    for article, chunks, _, _ in batch:
        update.add([c.id for c in chunks], [contextual_text(article.title, None, c.text) for c in chunks],
                   [0] * len(chunks))
    return sum(len(chunks) for _, chunks, _, _ in batch)






def warm_up(settings: Settings, model: Embedder) -> None:
    from qa.index.chunk import split_into_chunks

    article = Article(id="warm", source="warm.txt", path="/warm.txt", title="Warm up", file_hash="warm",
                      text="The model and the splitter load once. " * 40)
    split_into_chunks(article, settings.chunk_tokens, settings.chunk_overlap)
    model.embed(["The model and the splitter load once."])
    store_for(settings).count_chunks()


def embed_rate(settings: Settings, model: Embedder, sample: int = 128) -> float:
    """WordPiece tokens per second of the model alone, on a sample of the indexed chunks."""
    store = store_for(settings)
    texts = [t for t in store.chunks.get(limit=sample, include=["documents"])["documents"] or [] if t]
    if not texts:
        return 0.0
    before = getattr(model, "tokens_embedded", 0)
    started = time.perf_counter()
    model.embed(texts)
    tokens = getattr(model, "tokens_embedded", 0) - before
    return round(tokens / (time.perf_counter() - started), 1)


def time_queries(queries: list[str], settings: Settings, model: Embedder) -> dict[str, Any]:
    """Warm retrieval (hybrid: query embedding, HNSW, BM25, fusion) and answer() latencies, in milliseconds."""
    from qa.answer import answer
    from qa.retrieve import retrieve

    store = store_for(settings)
    index = lexical.load(store, settings.resolved_home(), settings.collection)
    # Warm-up, one pass over every query: at a million chunks the first touch of each part of the HNSW graph, the
    # memory-mapped BM25 columns and Chroma's pages reads them from disk, which is cold-start cost, not a warm query.
    for q in queries:
        retrieve(q, store=store, lexical_index=index, embedder=model, top_k=_TOP_K, candidates=settings.candidates)
    retrieval = []
    for q in queries:
        t0 = time.perf_counter()
        retrieve(q, store=store, lexical_index=index, embedder=model, top_k=_TOP_K, candidates=settings.candidates)
        retrieval.append((time.perf_counter() - t0) * 1000)
    first: list[float] = []
    warm: list[float] = []
    for timings in (first, warm):  # the second pass finds the passages' sentence vectors cached
        for q in queries:
            t0 = time.perf_counter()
            answer(q, top_k=_TOP_K, settings=settings)
            timings.append((time.perf_counter() - t0) * 1000)
    return {
        "retrieve_p50_ms": _percentile(retrieval, 50),
        "retrieve_p95_ms": _percentile(retrieval, 95),
        "answer_p50_ms": _percentile(warm, 50),
        "answer_p95_ms": _percentile(warm, 95),
        "answer_first_pass_p50_ms": _percentile(first, 50),
        "queries": len(queries),
    }


def cold_start(settings: Settings, question: str) -> float:
    """Seconds from starting a Python process to its first answer on the built index."""
    env = {**os.environ, "QA_HOME": str(settings.resolved_home()), "QA_AUTO_SEED": "false"}
    env.pop("QA_CHROMA_URL", None)
    code = "import sys; from qa import answer; answer(sys.argv[1])"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, question], env=env, check=True, capture_output=True)
    return round(time.perf_counter() - t0, 2)


def against_server(corpus: Corpus, work: Path, embedded: Settings) -> dict[str, Any]:
    """Index the corpus into a `chroma run` server on 127.0.0.1 and compare answers and latency with embedded mode."""
    from qa.answer import answer

    with chroma_server(work) as url:
        settings = Settings(home=work / "qa-home", chroma_url=url, auto_seed=False)
        started = time.perf_counter()
        if corpus.folder is not None:
            ingest([corpus.folder], settings=settings, embedder=corpus.embedder)
        else:
            index_directly(corpus, settings)
        ingest_s = time.perf_counter() - started
        same, latencies = 0, []
        for q in corpus.queries:
            answer(q, top_k=_TOP_K, settings=settings)  # first pass: sentence vectors
        for q in corpus.queries:
            t0 = time.perf_counter()
            remote = answer(q, top_k=_TOP_K, settings=settings)
            latencies.append((time.perf_counter() - t0) * 1000)
            local = answer(q, top_k=_TOP_K, settings=embedded)
            same += remote.text == local.text and [c.quote for c in remote.citations] == [
                c.quote for c in local.citations
            ]
    return {
        "server_ingest_s": round(ingest_s, 2),
        "server_answer_p50_ms": _percentile(latencies, 50),
        "server_same_answers": f"{same}/{len(corpus.queries)}",
    }








def _percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if q == 50:
        return round(statistics.median(values), 2)
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def default_work_dir() -> Path:
    return Path(tempfile.gettempdir()) / "qa-bench"
