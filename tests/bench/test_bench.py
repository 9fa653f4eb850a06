"""qa bench on a tiny synthetic corpus, and the synthetic-corpus generator it builds large corpora with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import SEEDS_DIR
from typer.testing import CliRunner

from qa.bench import corpus as bench_corpus
from qa.bench import run as bench
from qa.bench.synthetic import (
    CachedSentenceEmbedder,
    generate_articles,
    read_sentences,
    split_plain_sentences,
    words_for_chunks,
)
from qa.cli import app


@pytest.fixture(scope="module")
def pool() -> list[str]:
    return read_sentences(SEEDS_DIR, None, max_articles=0, max_sentences=10_000)


def test_sentences_are_real_distinct_and_found_again_in_their_concatenation(pool: list[str]) -> None:
    assert len(pool) > 50 and len(set(pool)) == len(pool)
    seeds = " ".join(" ".join(p.read_text().split()) for p in SEEDS_DIR.glob("*.txt"))
    assert all(sentence in seeds for sentence in pool)
    assert all(6 <= len(s.split()) <= 60 for s in pool)
    assert split_plain_sentences(" ".join(pool[:20])) == pool[:20]


def test_generated_articles_recombine_pool_sentences_deterministically(pool: list[str]) -> None:
    first = list(generate_articles(pool, 5_000, seed=3))
    again = list(generate_articles(pool, 5_000, seed=3))
    other = list(generate_articles(pool, 5_000, seed=4))
    assert first == again and first != other
    words = sum(len(pool[i].split()) for a in first for i in a.sentence_ids)
    assert 5_000 <= words < 5_000 + 30 * 60
    text = first[0].text(pool)
    assert text.startswith(first[0].title + "\n\n")
    assert [s for s in split_plain_sentences(text)[1:]] == [pool[i] for i in first[0].sentence_ids]
    assert len({a.text(pool) for a in first}) == len(first)  # no two articles alike
    assert words_for_chunks(1000) == 80_000


def test_cached_embedder_averages_the_model_vectors_of_a_texts_sentences(pool: list[str]) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(pool), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    embedder = CachedSentenceEmbedder(pool, vectors)
    out = embedder.embed([f"{pool[0]} {pool[5]}", pool[7], "A headline that is no sentence of the pool"])
    expected = (vectors[0] + vectors[5]) / np.linalg.norm(vectors[0] + vectors[5])
    assert np.allclose(out[0], expected, atol=1e-6)
    assert np.allclose(out[1], vectors[7], atol=1e-6)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed(["A headline that is no sentence of the pool"])[0], out[2])


def test_large_synthetic_corpora_are_indexed_directly_and_searchable(tmp_path: Path) -> None:
    from qa.config import Settings
    from qa.index import lexical
    from qa.index.store import store_for

    corpus = bench_corpus.synthetic_corpus(40, tmp_path, None, files_up_to=0)
    assert corpus.folder is None and corpus.articles is not None
    settings = Settings(home=tmp_path / "home", auto_seed=False)
    docs, chunks = bench.index_directly(corpus, settings)
    store = store_for(settings)
    assert (store.count_articles(), store.count_chunks()) == (docs, chunks) and chunks >= 20
    for chunk_id, text, meta in list(store.iter_chunks())[:20]:
        article = store.article_by_id(str(meta["article_id"]), with_text=True)
        assert article is not None and article["text"][int(meta["start"]) : int(meta["end"])] == text
    index = lexical.load(store, settings.resolved_home(), settings.collection)
    assert index.size == chunks
    assert index.search(corpus.queries[0], 5)


def test_bench_on_a_tiny_synthetic_corpus_reports_every_stable_key(tmp_path: Path) -> None:
    pytest.importorskip("llama_index.vector_stores.chroma", reason="the bench extra: pip install -e '.[bench]'")
    out = tmp_path / "result.json"
    result = CliRunner().invoke(app, ["bench", "--synthetic", "60", "--work", str(tmp_path / "work"),
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert set(bench.STABLE_KEYS) <= written.keys()
    assert written["n_chunks"] >= 30 and written["n_docs"] >= 1
    assert written["peer_n_chunks"] > 0
    for key in bench.STABLE_KEYS:
        assert isinstance(written[key], (int, float)) and written[key] >= 0, key
    assert written["ingest_speedup"] == pytest.approx(written["peer_ingest_s"] / written["ingest_s"], rel=0.02)
    assert "cached sentence embeddings" in written["vectors"]


def test_bench_needs_exactly_one_corpus() -> None:
    assert CliRunner().invoke(app, ["bench"]).exit_code == 2


@pytest.mark.slow
def test_the_stock_peer_embeds_with_llama_index_s_own_float32_minilm(tmp_path: Path) -> None:
    """The peer a llama-index user would write: HuggingFaceEmbedding over all-MiniLM-L6-v2 in float32, the same
    model as qa's int8 one (their vectors agree), indexing the seeds through VectorStoreIndex."""
    pytest.importorskip("llama_index.embeddings.huggingface", reason="the bench extra: pip install -e '.[bench]'")
    from qa.bench.peer import run_peer, stock_embedding
    from qa.index.embed import get_embedder

    ours = get_embedder("minilm-int8")
    stock = stock_embedding()
    text = "U.S. Secretary of State John Kerry will pay a working visit to Moscow on July 14-15."
    theirs = np.asarray(stock.get_text_embedding(text))
    assert float(ours.embed([text])[0] @ (theirs / np.linalg.norm(theirs))) > 0.95
    corpus = bench_corpus.folder_corpus(SEEDS_DIR, tmp_path, None)
    result = run_peer(corpus, tmp_path / "peer", ours, 5, "stock")
    assert result["peer_embedding"] == "stock"
    assert result["peer_n_chunks"] >= 50 and result["peer_ingest_s"] > 0 and result["peer_retrieve_p50_ms"] > 0


def test_bench_rejects_an_unknown_peer_embedding(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--synthetic", "60", "--peer-embedding", "onnx",
                                      "--work", str(tmp_path)])
    assert result.exit_code == 2 and "stock or qa" in result.output
