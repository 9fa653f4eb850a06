"""cProfile of warm `answer()` calls on an existing index: where a query's time goes.

Run: python benchmarks/profile_query.py --home /work/bw-100k/qa-home > benchmarks/profiles/query.txt
(the qa-home of a `qa bench --work /work/bw-100k ...` run, or any QA_HOME). Questions are asked twice to warm the
model, the index pages and the sentence-vector cache, then five times each under the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
from pathlib import Path

from qa.answer import answer
from qa.config import Settings

QUESTIONS = [
    "Which Syrian airbase did the US strike with missiles?",
    "When did Kerry visit Moscow in July?",
    "What did Lavrov say about the talks?",
    "Who met the foreign minister in Sochi?",
    "What did the president announce about the election?",
    "How many people were killed in the attack?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="the QA_HOME holding the index")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(home=args.home, auto_seed=False)
    for question in QUESTIONS * 2:
        answer(question, settings=settings)
    profile, timings = cProfile.Profile(), []
    profile.enable()
    for question in QUESTIONS * args.rounds:
        timings.append(answer(question, settings=settings).timings)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
    medians = {key: round(statistics.median(t[key] for t in timings), 2) for key in timings[0]}
    print(f"# cProfile, {len(timings)} warm answer() calls on {args.home}; cumulative")
    print("# median timings ms", medians)
    print(out.getvalue())


if __name__ == "__main__":
    main()
