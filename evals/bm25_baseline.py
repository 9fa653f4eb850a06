"""The yardstick the foundation issue names: a plain BM25 sentence picker over the seed articles.

It indexes every sentence of the cleaned seeds with bm25s and answers with the top sentence(s), never
abstaining. Run: python evals/bm25_baseline.py [evals/questions.jsonl] — prints right-article and fact recall
on the answerable questions, to compare with `qa eval` on the same set.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import bm25s

from qa.eval.metrics import load_questions
from qa.index.chunk import split_sentences
from qa.index.clean import clean_article_text
from qa.index.lexical import analyze

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    question_set = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "evals" / "questions.jsonl"
    sentences: list[tuple[str, str]] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = clean_article_text(path.read_text(encoding="utf-8"))
        sentences += [(path.name, text[start:end]) for start, end in split_sentences(text)]
    retriever = bm25s.BM25()
    retriever.index([analyze(s) for _, s in sentences], show_progress=False)
    vocabulary = {term for _, s in sentences for term in analyze(s)}
    answerable = [q for q in load_questions(question_set) if q.type != "unanswerable"]
    for n_sentences in (1, 2):
        right = facts = 0
        for q in answerable:
            terms = [t for t in analyze(q.question) if t in vocabulary] or ["_"]
            docs, _ = retriever.retrieve([terms], k=2, show_progress=False)
            top = [sentences[int(i)] for i in docs[0]]
            text = " ".join(s for _, s in top[:n_sentences])
            right += top[0][0] in q.sources
            facts += all(re.search(f, text, re.IGNORECASE) for f in q.facts)
        print(f"{question_set.name}: top {n_sentences} sentence(s): right article {right / len(answerable):.3f}, "
              f"facts {facts / len(answerable):.3f} (n={len(answerable)}, never abstains)")


if __name__ == "__main__":
    main()
