"""Compare retrieval settings on a RealTime QA split already indexed by `qa eval --dataset realtimeqa`.

    python evals/tune_realtimeqa.py [--split dev] [--limit N] [--only NAME ...]

Prints answer recall@1/5/10 and multiple-choice accuracy (passages only, no answerer) for each setting below.
Tune on dev only: the test split is for the final figure.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from qa.config import get_settings
from qa.eval import realtimeqa
from qa.index import lexical
from qa.index.embed import get_embedder
from qa.index.store import store_for
from qa.retrieve import RetrievalParams, retrieve


@dataclass(frozen=True)
class Setting:
    """One row of the comparison: the parameters passed in, and whether questions are asked as of their date."""

    retrieval: RetrievalParams = RetrievalParams()
    choice: realtimeqa.ChoiceParams = realtimeqa.ChoiceParams()
    use_as_of: bool = True


R, C = RetrievalParams, realtimeqa.ChoiceParams
# name -> setting; the first is the current default.
SETTINGS: dict[str, Setting] = {
    "default": Setting(),
    "no-as-of": Setting(use_as_of=False),
    "recent-weight-0": Setting(R(recent_weight=0.0)),
    "recent-weight-0.5": Setting(R(recent_weight=0.5)),
    "recent-weight-2": Setting(R(recent_weight=2.0)),
    "recent-weight-4": Setting(R(recent_weight=4.0)),
    "recent-days-3": Setting(R(recent_days=3)),
    "recent-days-5": Setting(R(recent_days=5)),
    "recent-days-10": Setting(R(recent_days=10)),
    "recent-days-14": Setting(R(recent_days=14)),
    "dense-only": Setting(R(lexical_weight=0.0)),
    "lexical-only": Setting(R(dense_weight=0.0)),
    "lexical-x1.5": Setting(R(lexical_weight=1.5)),
    "lexical-x0.67": Setting(R(lexical_weight=0.67)),
    "rrf-k-20": Setting(R(rrf_k=20)),
    "keep-time-words": Setting(R(strip_time_words=False)),
    "mc-no-proximity": Setting(choice=C(proximity_window=0)),
    "mc-window-6": Setting(choice=C(proximity_window=6)),
    "mc-window-24": Setting(choice=C(proximity_window=24)),
    "mc-rank-flat": Setting(choice=C(rank_decay=0.0)),
    "mc-rank-0.5": Setting(choice=C(rank_decay=0.5)),
    "mc-rank-2": Setting(choice=C(rank_decay=2.0)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--indexed-only", action="store_true", help="only questions an unfinished index can answer")
    args = parser.parse_args()
    if args.split != "dev":
        print("note: tuning on a split other than dev")
    data = realtimeqa.default_data_dir()
    questions = realtimeqa.load_questions(data, args.split, args.limit)
    base = get_settings()
    home = realtimeqa.split_home(base.resolved_home(), args.split, args.limit, base)
    settings = base.model_copy(update={"home": home, "auto_seed": False})
    wanted = {i for q in questions for i in q.search_article_ids}
    texts = {a["id"]: a["text"] for a in realtimeqa.iter_corpus(data, args.split) if a["id"] in wanted}
    store = store_for(settings)
    if args.indexed_only:  # an index still being built: keep questions whose answer is in an indexed article
        indexed = {str(meta.get("source", "")).removesuffix(".md") for _, meta in store.iter_articles()}
        questions = [q for q in questions if any(
            i in indexed and q.answer.casefold() in texts.get(i, "").casefold() for i in q.search_article_ids)]
    print(f"{args.split} first {args.limit or 'all'}: {len(questions)} questions, {store.count_articles()} articles, "
          f"{store.count_chunks()} chunks in {home}")
    index = lexical.load(store, settings.resolved_home(), settings.collection)
    embedder = get_embedder(settings.embed_model, settings.embed_batch)
    print(f"{'setting':<20} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MC':>6} {'MC art':>6} {'ms/q':>6}")
    for name, setting in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        rows = []
        for q in questions:
            found = retrieve(
                q.question, store=store, lexical_index=index, embedder=embedder, top_k=realtimeqa.TOP_K,
                candidates=max(settings.candidates, realtimeqa.TOP_K),
                as_of=q.date if setting.use_as_of else None, params=setting.retrieval,
            )
            picked = realtimeqa.pick_choice(q.question, q.choices, found.passages, params=setting.choice)
            got = _as_answer(q.question, found.passages)
            rows.append(realtimeqa.score_question(q, got, texts, picked))
        s = realtimeqa.summarize(rows)
        ms = (time.perf_counter() - started) * 1000 / max(len(questions), 1)
        print(f"{name:<20} {s['answer_recall_at_1']:>6.3f} {s['answer_recall_at_5']:>6.3f} "
              f"{s['answer_recall_at_10']:>6.3f} {s['mc_accuracy']:>6.3f} {s['mc_accuracy_with_articles']:>6.3f} "
              f"{ms:>6.0f}", flush=True)


def _as_answer(question: str, passages: list[Any]) -> Any:
    from qa.types import Answer

    return Answer(question=question, text="", citations=[], abstained=False, passages=passages, timings={})


if __name__ == "__main__":
    main()
