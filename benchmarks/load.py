"""Load test: many concurrent answer() callers in threads, checking nobody gets somebody else's answer.

Usage: python benchmarks/load.py [--threads 20] [--seconds 120] [--set evals/questions.jsonl] [--json PATH]

Every thread asks the eval questions in its own shuffled order for --seconds; each answer must be for the question
that thread asked (same question text, citations only to retrieved passages) and must equal the answer the same
question got when asked alone. Prints errors, mix-ups, throughput and latency p50/p95/max. Uses QA_HOME (default
./.qa; seeds are indexed on first use). The UI's concurrent sessions are covered by `benchmarks/load_ui.py`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from qa import answer
from qa.config import get_settings
from qa.eval.metrics import load_questions


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(threads: int, seconds: float, question_set: Path) -> dict[str, Any]:
    questions = load_questions(question_set)
    settings = get_settings()
    # The reference: each question asked alone, before any concurrency (also warms models and indexes).
    reference = {q.id: answer(q.question, history=q.history, settings=settings).text for q in questions}
    latencies: list[float] = []
    errors: list[str] = []
    mixups: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        order = list(questions)
        random.Random(seed).shuffle(order)
        i = 0
        while time.perf_counter() < deadline:
            q = order[i % len(order)]
            i += 1
            started = time.perf_counter()
            try:
                got = answer(q.question, history=q.history, settings=settings)
            except Exception as exc:  # noqa: BLE001 - a load test reports every failure, whatever it is
                with lock:
                    errors.append(f"{q.id}: {type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            passage_ids = {p.article_id for p in got.passages}
            wrong = got.question != " ".join(q.question.split()) or got.text != reference[q.id]
            stray = any(c.article_id not in passage_ids for c in got.citations)
            with lock:
                latencies.append(elapsed)
                if wrong or stray:
                    mixups.append(f"{q.id}: asked {q.question!r}, got an answer to {got.question!r}")

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,), name=f"caller-{n}") for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    return {
        "threads": threads,
        "seconds": round(wall, 1),
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / wall, 2),
        "errors": len(errors),
        "mixups": len(mixups),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "error_samples": errors[:5],
        "mixup_samples": mixups[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--set", type=Path, default=Path(__file__).resolve().parents[1] / "evals/questions.jsonl")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    result = run(args.threads, args.seconds, args.set)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["errors"] or result["mixups"] else 0


if __name__ == "__main__":
    sys.exit(main())
