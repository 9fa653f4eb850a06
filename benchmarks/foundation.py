"""Figures for the foundation: cold `qa ask` on a fresh QA_HOME, seed ingest time, warm answer() median.

Run: python benchmarks/foundation.py [--runs N]. Prints JSON; timings are wall-clock on this machine,
so compare runs made together and read medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "On which dates was John Kerry's working visit to Moscow in July?",
    "Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
    "How many times did Lavrov and Kerry talk on the phone that year?",
    "What did the ministry say about bilateral trade in 2014?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the cold and ingest measurements")
    args = parser.parse_args()
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    cold, ingest = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "QA_HOME": home}
            t0 = time.perf_counter()
            subprocess.run(["qa", "ask", QUESTIONS[0]], env=env, check=True, capture_output=True)
            cold.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "QA_HOME": home}
            out = subprocess.run(["qa", "ingest", str(seeds), "--json"], env=env, check=True, capture_output=True)
            ingest.append(json.loads(out.stdout)["seconds"])
    with tempfile.TemporaryDirectory() as home:
        os.environ["QA_HOME"] = home
        from qa import answer
        from qa import ingest as run_ingest

        run_ingest([seeds])
        for q in QUESTIONS:  # warm-up: models, index and sentence cache
            answer(q)
        warm = []
        for _ in range(5):
            for q in QUESTIONS:
                t0 = time.perf_counter()
                answer(q)
                warm.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "cold_qa_ask_s_median": round(statistics.median(cold), 2),
        "cold_qa_ask_s": [round(x, 2) for x in cold],
        "seed_ingest_s_median": round(statistics.median(ingest), 2),
        "warm_answer_ms_median": round(statistics.median(warm), 1),
        "warm_answer_ms_p95": round(sorted(warm)[int(0.95 * (len(warm) - 1))], 1),
        "python": sys.version.split()[0],
    }, indent=2))


if __name__ == "__main__":
    main()
