"""`qa bench`: ingest and answer a corpus with our pipeline and with the stock llama-index pipeline beside it,
and report speed, memory and index size under stable JSON keys.

Corpora: a folder of article files or a .jsonl(.gz) news corpus (embedded by the model), or a synthetic corpus of
N chunks made of real sentences recombined (qa.bench.synthetic), whose vectors come from cached sentence embeddings.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.bench.peer import PeerEmbedding
from qa.bench.synthetic import (
    CachedSentenceEmbedder,
    SyntheticArticle,
    generate_articles,
    read_sentences,
    sentence_vectors,
    words_for_chunks,
)
from qa.config import Settings, bundled_dir
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
FILES_UP_TO = 20_000  # synthetic corpora up to this many chunks go through files and the whole ingest pipeline
_TOP_K = 5


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


def synthetic_article(
    synthetic: SyntheticArticle, pool: list[str], n: int
) -> tuple[Article, list[tuple[Chunk, list[int]]]]:
    """The Article and its chunks (runs of whole sentences up to ~100 words) with each chunk's sentence ids."""
    import hashlib

    from qa.index.chunk import chunk_id

    text = synthetic.text(pool)
    article_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    article = Article(id=article_id, source=f"synthetic_{n:07d}.txt", path=f"/synthetic/{n:07d}.txt",
                      title=synthetic.title, text=text, file_hash=article_id)
    pieces: list[tuple[Chunk, list[int]]] = []
    position = len(synthetic.title) + 2
    run: list[int] = []
    start = position
    spans: list[tuple[int, int]] = []
    for p, para in enumerate(synthetic.paragraphs):
        if p:
            position += 2
        for s, sid in enumerate(para):
            if s:
                position += 1
            if run and sum(len(pool[i].split()) for i in run) + len(pool[sid].split()) > 100:
                pieces.append(_chunk(article, text, start, spans, run, len(pieces), chunk_id))
                run, spans = [], []
            if not run:
                start = position
            run.append(sid)
            spans.append((position, position + len(pool[sid])))
            position += len(pool[sid])
    if run:
        pieces.append(_chunk(article, text, start, spans, run, len(pieces), chunk_id))
    return article, pieces


def _chunk(article: Article, text: str, start: int, spans: list[tuple[int, int]], run: list[int], index: int,
           chunk_id: Callable[[str, int, int], str]) -> tuple[Chunk, list[int]]:
    end = spans[-1][1]
    chunk = Chunk(id=chunk_id(article.id, start, end), article_id=article.id, index=index, text=text[start:end],
                  start=start, end=end, sentences=tuple(spans))
    return chunk, list(run)


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


class chroma_server:
    """`chroma run` on a free 127.0.0.1 port with its data under work/; stopped (its process group) on exit."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def __enter__(self) -> str:
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
        self.log = (self.work / "server.log").open("wb")
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(self.work / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    return url
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"chroma run did not start: see {self.work / 'server.log'}")

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def synthetic_corpus(n_chunks: int, work: Path, news: Path | None, *, seed: int = 0,
                     max_sentences: int = 5000) -> Corpus:
    """A corpus of about n_chunks chunks recombined from real sentences (the seeds, and news when given)."""
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
    if n_chunks <= FILES_UP_TO:
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
    from qa.bench.synthetic import split_plain_sentences

    sentences = [s for p in sorted(folder.rglob("*.txt"))[:200] for s in split_plain_sentences(p.read_text())
                 if len(s.split()) >= 8]
    step = max(len(sentences) // 30, 1)
    queries = [" ".join(s.split()[:10]) for s in sentences[::step][:30]]
    return Corpus(name=path.name if limit is None else f"{path.name}[:{limit}]", queries=queries, folder=folder)


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
