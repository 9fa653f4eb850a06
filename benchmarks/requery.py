"""Re-time the query side of a `qa bench` run on the index it built, with the code as it is now.

A million-chunk index takes an hour to build on two cores; a change to the query path should not need another
hour to measure. This reads the JSON a bench run wrote, times retrieval, warm answers and a cold start on the index
still under its --work folder (the same 30 queries: the corpus is regenerated from the same seed), and rewrites the
query keys in place, with a note saying so. Ingest figures are left as they were measured.

Run: python benchmarks/requery.py --work /path/to/work --json benchmarks/results/synthetic-1000000.json
     [--news ../shared/benchmarks/realtimeqa/test_corpus.jsonl.gz]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from qa.bench import corpus as bench_corpus
from qa.bench import run as bench
from qa.config import Settings
from qa.index.embed import get_embedder
from qa.index.store import store_for

QUERY_KEYS = ("retrieve_p50_ms", "retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms", "answer_first_pass_p50_ms",
              "queries", "cold_start_s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="the --work folder of the bench run")
    parser.add_argument("--json", type=Path, required=True, help="the JSON that run wrote; updated in place")
    parser.add_argument("--news", type=Path, help="the --news corpus of a synthetic run")
    args = parser.parse_args()
    result = json.loads(args.json.read_text())
    name = str(result["corpus"])
    if not name.startswith("synthetic-"):
        raise SystemExit("requery: only synthetic runs can be re-timed (their queries are regenerated from a seed)")
    corpus = bench_corpus.synthetic_corpus(int(name.removeprefix("synthetic-")), args.work, args.news)
    settings = Settings(home=args.work / "qa-home", auto_seed=False)
    model = get_embedder(settings.embed_model, settings.embed_batch)
    chunks = store_for(settings).count_chunks()
    if chunks != result["n_chunks"]:
        raise SystemExit(f"requery: the index under {args.work} holds {chunks} chunks, the JSON says {result['n_chunks']}")
    before = {k: result.get(k) for k in QUERY_KEYS}
    result.update(bench.time_queries(corpus.queries, settings, model))
    result["cold_start_s"] = bench.cold_start(settings, corpus.queries[0])
    if result.get("peer_retrieve_p50_ms"):
        result["retrieve_speedup"] = round(result["peer_retrieve_p50_ms"] / result["retrieve_p50_ms"], 2)
    result.setdefault("notes", []).append(
        f"query keys re-timed on the built index by benchmarks/requery.py on {dt.date.today()}; before: "
        + ", ".join(f"{k}={v}" for k, v in before.items())
    )
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in QUERY_KEYS}, indent=2))


if __name__ == "__main__":
    main()
