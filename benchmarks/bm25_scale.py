"""The BM25 side at a million chunks: build time, peak memory, search latency, and the cost of folding one
ingest's new chunks into the persisted index (qa.index.lexical.apply) instead of rebuilding it.

Run: python benchmarks/bm25_scale.py [--chunks 1000000] [--json PATH]. The base index's postings are drawn, not
analysed: each chunk gets ~45 distinct terms from a Zipf-distributed 200k-term vocabulary (news-like counts), so
the run measures the index, not the analyser; the folded-in delta is real text analysed by qa.index.lexical.analyze.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.index import lexical


class _CountingStore:
    """What lexical.apply asks of the store: how many chunks it holds (to check the index agrees)."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    def count_chunks(self) -> int:
        return self.chunks


def drawn_postings(n_chunks: int, vocab_size: int, seed: int = 0) -> tuple[lexical._Postings, dict[str, int]]:
    rng = np.random.default_rng(seed)
    per_chunk = rng.integers(30, 60, size=n_chunks)
    total = int(per_chunk.sum())
    terms = (rng.zipf(1.15, size=total) - 1) % vocab_size
    tfs = rng.choice([1, 1, 1, 2, 2, 3], size=total).astype(np.uint16)
    offsets = np.concatenate([[0], np.cumsum(per_chunk)]).astype(np.int64)
    lengths = (np.add.reduceat(tfs.astype(np.int32), offsets[:-1]) if n_chunks else np.zeros(0)).astype(np.int32)
    postings = lexical._Postings(
        chunk_ids=[f"c{i:07d}" for i in range(n_chunks)],
        terms=terms.astype(np.uint32),
        tfs=tfs,
        offsets=offsets,
        lengths=lengths,
        date_ords=np.zeros(n_chunks, dtype=np.int32),
    )
    return postings, {f"t{i}": i for i in range(vocab_size)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        target = lexical.index_dir(home, "articles")
        postings, vocab = drawn_postings(args.chunks, 200_000)
        t0 = time.perf_counter()
        index = lexical._write(postings, vocab, target)
        build_s = time.perf_counter() - t0
        del postings
        rng = np.random.default_rng(1)
        terms = list(index.doc_freq)
        weights = np.array([index.doc_freq[t] for t in terms], dtype=np.float64)
        queries = [" ".join(rng.choice(terms, size=6, p=weights / weights.sum())) for _ in range(50)]
        for q in queries[:5]:
            index.search(q, 40)
        latencies = []
        for q in queries:
            t1 = time.perf_counter()
            index.search(q, 40)
            latencies.append((time.perf_counter() - t1) * 1000)
        update = lexical.LexicalUpdate(target)
        delta = [f"Delta chunk {i}: the council approved the budget for the new bridge and the river park, "
                 f"officials said on day {i}." for i in range(1000)]
        update.add([f"d{i:07d}" for i in range(1000)], delta, [0] * 1000)
        update.remove([f"c{i:07d}" for i in range(0, 5000, 5)])
        t2 = time.perf_counter()
        applied = lexical.apply(update, _CountingStore(args.chunks + 1000 - 1000), home, "articles")  # type: ignore[arg-type]
        apply_s = time.perf_counter() - t2
        size_mb = sum(p.stat().st_size for p in target.iterdir()) / 2**20
        result = {
            "chunks": args.chunks,
            "postings": int(index.retriever.scores["indptr"][-1]),  # type: ignore[attr-defined]
            "build_s": round(build_s, 1),
            "search_p50_ms": round(statistics.median(latencies), 2),
            "search_p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 2),
            "apply_1000_added_1000_removed_s": round(apply_s, 1),
            "applied_chunks": applied.size,
            "index_mb": round(size_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
