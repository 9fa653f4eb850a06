"""RealTime QA (Kasai et al., NeurIPS 2023) as a benchmark: index a split's news archive once, ask its dated quiz
questions as of their quiz dates, and score answer recall@k and multiple-choice accuracy as the benchmark defines.

The adapter only converts: the corpus becomes front-matter Markdown files that `qa.index.ingest.ingest()` reads like any
user's export; dates and "as of" ranking are the product's own (metadata.py, retrieve.py).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from qa.config import Settings
from qa.errors import QAError
from qa.types import Answer, Passage

SPLITS = ("dev", "test")
RECALL_AT = (1, 5, 10)
TOP_K = max(RECALL_AT)
# The published multiple-choice accuracies (the data README's table), to print beside ours.
BASELINES = {
    "test": {"GPT-3 + Google search": 0.730, "RAG + Google search": 0.570, "GPT-3 + DPR": 0.483,
             "RAG + DPR": 0.288, "closed-book GPT-3": 0.467, "closed-book T5": 0.394},
    "dev": {"GPT-3 + Google search": 0.583, "RAG + Google search": 0.325, "GPT-3 + DPR": 0.426,
            "RAG + DPR": 0.279, "closed-book GPT-3": 0.439, "closed-book T5": 0.370},
}


@dataclass(frozen=True)
class QuizQuestion:
    id: str
    date: dt.date
    question: str
    choices: list[str]
    answer_index: int
    answer: str
    search_article_ids: list[str]


def default_data_dir() -> Path:
    """QA_REALTIMEQA_DIR, else shared/benchmarks/realtimeqa beside the checkout (where the project keeps it)."""
    if env := os.environ.get("QA_REALTIMEQA_DIR"):
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "realtimeqa"


def load_questions(data_dir: Path, split: str, limit: int | None = None) -> list[QuizQuestion]:
    path = data_dir / f"{split}_questions.jsonl"
    if split not in SPLITS:
        raise QAError(f"unknown RealTime QA split {split!r}: use one of {', '.join(SPLITS)}")
    if not path.exists():
        raise QAError(f"RealTime QA data not found at {data_dir} (set QA_REALTIMEQA_DIR or pass --data)")
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        questions.append(
            QuizQuestion(
                id=raw["id"],
                date=dt.datetime.strptime(raw["date"], "%Y/%m/%d").date(),
                question=raw["question"],
                choices=list(raw["choices"]),
                answer_index=int(raw["answer_index"]),
                answer=raw["answer"],
                search_article_ids=list(raw["search_article_ids"]),
            )
        )
    return questions[:limit] if limit else questions


def iter_corpus(data_dir: Path, split: str) -> Iterator[dict[str, Any]]:
    with gzip.open(data_dir / f"{split}_corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def split_home(base: Path, split: str, limit: int | None, settings: Settings) -> Path:
    """Where a split's index lives: its own QA_HOME under the user's, one per subset and chunking."""
    name = f"realtimeqa-{split}" + (f"-first{limit}" if limit else "")
    defaults = Settings.model_fields
    if (settings.chunk_tokens, settings.chunk_overlap) != (defaults["chunk_tokens"].default,
                                                            defaults["chunk_overlap"].default):
        name += f"-c{settings.chunk_tokens}o{settings.chunk_overlap}"
    return base / name


def write_corpus(articles: list[dict[str, Any]], folder: Path) -> int:
    """One front-matter Markdown file per article (title, url, outlet, retrieved_at), the way a site export is."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        host = urlparse(article["url"]).hostname or ""
        head = {
            "title": article["title"],
            "url": article["url"],
            "outlet": host.removeprefix("www."),
            "retrieved_at": article["retrieved_at"],
        }
        text = "---\n" + yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=10_000) + "---\n\n"
        (folder / f"{article['id']}.md").write_text(text + article["text"].strip() + "\n", encoding="utf-8")
    return len(articles)


def prepare_index(
    data_dir: Path,
    split: str,
    questions: list[QuizQuestion],
    limit: int | None,
    settings: Settings,
    progress: bool = False,
    announce: Callable[[str], None] = lambda _: None,
) -> tuple[Settings, dict[str, str], dict[str, Any]]:
    """Settings for the split's own index, built on first use and reused after; the corpus texts by id (for
    the recall denominator); and the ingest record ({articles, chunks, seconds}).

    The whole split's corpus is indexed, or with a limit only the articles its first questions need.
    """
    from qa.index.ingest import ingest

    home = split_home(settings.resolved_home(), split, limit, settings)
    split_settings = settings.model_copy(update={"home": home, "auto_seed": False})
    wanted = {i for q in questions for i in q.search_article_ids} if limit else None
    texts = {a["id"]: a["text"] for a in _corpus(data_dir, split, wanted)}
    record_file = home / "ingested.json"
    if record_file.exists():
        return split_settings, texts, json.loads(record_file.read_text())
    announce(f"indexing the RealTime QA {split} corpus ({len(texts):,} articles) into {home}; later runs reuse it")
    corpus_dir = home / "corpus"
    if not (corpus_dir / ".complete").exists():
        write_corpus(list(_corpus(data_dir, split, wanted)), corpus_dir)
        (corpus_dir / ".complete").touch()
    started = time.perf_counter()
    report = ingest([corpus_dir], settings=split_settings, progress=progress)
    record = {
        "articles": report.documents,
        "chunks": report.chunks,
        "files": len(report.results),
        "duplicates": report.count("duplicate"),
        "skipped": report.count("skipped"),
        "seconds": round(time.perf_counter() - started, 1),
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "embed_model": settings.embed_model,
    }
    record_file.write_text(json.dumps(record, indent=2))
    return split_settings, texts, record


def _corpus(data_dir: Path, split: str, wanted: set[str] | None) -> Iterator[dict[str, Any]]:
    return (a for a in iter_corpus(data_dir, split) if wanted is None or a["id"] in wanted)


def score_question(question: QuizQuestion, got: Answer, texts: dict[str, str], picked: int) -> dict[str, Any]:
    """One row: is the answer in the top-k passages (and could it have been: is it in a search article)?"""
    needle = question.answer.casefold()
    found_in = [needle in p.text.casefold() for p in got.passages[:TOP_K]]
    first = next((rank for rank, hit in enumerate(found_in, start=1) if hit), None)
    return {
        "id": question.id,
        "date": question.date.isoformat(),
        "question": question.question,
        "answer": question.answer,
        "picked": question.choices[picked],
        "correct": picked == question.answer_index,
        "has_search_articles": bool(question.search_article_ids),
        "answer_in_corpus": any(needle in texts.get(i, "").casefold() for i in question.search_article_ids),
        "first_answer_rank": first,
        "got": got.text,
        "sources": [p.source for p in got.passages[:TOP_K]],
        "latency_ms": got.timings.get("total_ms", 0.0),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer recall@k over the questions whose answer is in one of their search articles; multiple-choice
    accuracy over all questions and over those with search articles (the benchmark's README)."""
    scored = [r for r in rows if r["answer_in_corpus"]]
    with_articles = [r for r in rows if r["has_search_articles"]]

    def share(items: list[bool]) -> float | None:
        return round(sum(items) / len(items), 4) if items else None

    summary: dict[str, Any] = {"n": len(rows), "n_recall_scored": len(scored), "n_with_articles": len(with_articles)}
    for k in RECALL_AT:
        summary[f"answer_recall_at_{k}"] = share(
            [r["first_answer_rank"] is not None and r["first_answer_rank"] <= k for r in scored]
        )
    summary["mc_accuracy"] = share([r["correct"] for r in rows])
    summary["mc_accuracy_with_articles"] = share([r["correct"] for r in with_articles])
    latencies = sorted(r["latency_ms"] for r in rows)
    summary["latency_p50_ms"] = round(latencies[len(latencies) // 2], 1) if latencies else None
    return summary


# -- multiple choice -------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ChoiceParams:
    """How the passages' support for each choice is counted; tuned on dev (evals/tune_realtimeqa.py)."""

    proximity_window: int = 12  # words either side of a choice in which question words count as support
    rank_decay: float = 1.0  # a passage at rank r weighs 1 / r ** rank_decay


def pick_choice(
    question: str,
    choices: list[str],
    passages: list[Passage],
    answer_text: str = "",
    params: ChoiceParams = ChoiceParams(),
) -> int:
    """The choice the retrieved passages support best, found without a model.

    Every place a choice is named in a passage scores 1 plus the share of the question's words found within
    params.proximity_window words of it (closer counts more: "Buffalo Bills safety Damar Hamlin" supports the Bills for
    "Hamlin plays for which team?" more than a later mention of the Bengals), weighted by the passage's rank; the
    extractive answer counts as a passage ranked first. Ties go to the earliest choice.
    """
    from qa.index.lexical import analyze

    question_terms = set(analyze(question))
    texts = ([answer_text] if answer_text else []) + [f"{p.title}\n{p.text}" for p in passages]
    tokenised = [_stems(text) for text in texts]
    scores = []
    for choice in choices:
        needle = _stems(choice)
        terms = question_terms - set(needle)
        score = 0.0
        for rank, stems in enumerate(tokenised, start=1):
            weight = 1.0 / rank**params.rank_decay
            for at in _occurrences(stems, needle):
                score += weight * (1.0 + _support(stems, at, len(needle), terms, params.proximity_window))
        scores.append(score)
    return max(range(len(choices)), key=lambda i: (scores[i], -i))


def _stems(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(text.casefold())]


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """The word as BM25 sees it (Snowball stem); a stopword stays itself, so "the" still separates names."""
    from qa.index.lexical import analyze

    stems = analyze(word)
    return stems[0] if stems else word


def _occurrences(stems: list[str], needle: list[str]) -> list[int]:
    if not needle:
        return []
    n = len(needle)
    return [i for i in range(len(stems) - n + 1) if stems[i : i + n] == needle]


def _support(stems: list[str], at: int, length: int, terms: set[str], window: int) -> float:
    """Share of the question's words near the occurrence at stems[at:at+length], each by its nearest distance."""
    if not terms:
        return 0.0
    nearest: dict[str, int] = {}
    lo, hi = max(0, at - window), min(len(stems), at + length + window)
    for i in range(lo, hi):
        if stems[i] in terms:
            distance = at - i if i < at else max(0, i - (at + length - 1))
            nearest[stems[i]] = min(distance, nearest.get(stems[i], distance))
    return sum(1.0 / (1.0 + d / 4) for d in nearest.values()) / len(terms)


def run(
    split: str,
    *,
    limit: int | None = None,
    data_dir: Path | None = None,
    settings: Settings,
    llm: str | None = None,
    progress: bool = False,
    announce: Callable[[str], None] = lambda _: None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Index the split (once), answer every question as of its quiz date, and score it.

    Returns the summary (with the ingest record under "ingest") and one row per question. Raises QAError when
    the data is missing or the split unknown.
    """
    from tqdm import tqdm

    from qa.answer import answer

    data_dir = data_dir or default_data_dir()
    questions = load_questions(data_dir, split, limit)
    split_settings, texts, record = prepare_index(
        data_dir, split, questions, limit, settings, progress=progress, announce=announce
    )
    rows = []
    chooser = _model_chooser(llm, split_settings) if llm and llm != "extractive" else None
    for question in tqdm(questions, desc=f"RealTime QA {split}", unit="q", disable=not progress):
        # With a model, the model reads the evidence and the four choices and picks; the answer text is the
        # extractive one (recall@k is retrieval's either way), so each question costs one model call.
        got = answer(question.question, top_k=TOP_K, llm=None if chooser else llm, as_of=question.date,
                     settings=split_settings)
        if chooser is not None:
            picked = chooser(question.question, question.choices, got.passages)
        else:
            picked = pick_choice(question.question, question.choices, got.passages, "" if got.abstained else got.text)
        rows.append(score_question(question, got, texts, picked))
    summary = {"dataset": "realtimeqa", "split": split, "limit": limit, "answerer": llm or settings.llm,
               **summarize(rows), "ingest": record}
    return summary, rows


def _model_chooser(spec: str, settings: Settings) -> Callable[[str, list[str], list[Passage]], int]:
    """pick(question, choices, passages): the model's choice over the first passages, held to one digit by a
    grammar where the backend takes one; pick_choice's when the reply names no choice or the model fails."""
    from qa.answering.generate import passage_block
    from qa.answering.guard import defuse
    from qa.answering.prompts import load_prompt, render
    from qa.errors import LLMError
    from qa.llm import Prompt, bounded_complete, get_llm, options_from

    options = options_from(settings)
    llm = get_llm(spec, options)

    def pick(question: str, choices: list[str], passages: list[Passage]) -> int:
        shown = passages[:_CHOICE_PASSAGES]
        evidence = "\n\n".join(passage_block(n, p, defuse(p.text)) for n, p in enumerate(shown, start=1))
        listed = "\n".join(f"{i}. {c}" for i, c in enumerate(choices, start=1))
        grammar = f"root ::= [1-{len(choices)}]"
        prompt = Prompt(load_prompt("choose_system"), render("choose", passages=evidence, question=question,
                                                             choices=listed), grammar)
        try:
            reply = bounded_complete(llm, prompt, options.timeout)
        except LLMError:
            reply = ""
        digit = re.search(r"[1-9]", reply)
        if digit and int(digit.group()) <= len(choices):
            return int(digit.group()) - 1
        return pick_choice(question, choices, passages)

    return pick


_CHOICE_PASSAGES = 4  # a model reads these many passages per question: 4 x 128 tokens, with the choices


def render_table(summary: dict[str, Any]) -> str:
    """Our figures, then the published multiple-choice accuracies of the same split to read them against."""
    split = summary["split"]
    ingest = summary.get("ingest", {})
    subset = f"first {summary['limit']} questions" if summary.get("limit") else "all questions"
    lines = [
        (f"RealTime QA {split} ({subset}; index: {ingest.get('articles', '?')} articles, "
        f"{ingest.get('chunks', '?')} chunks, ingested in {ingest.get('seconds', '?')} s)"),
        "",
        f"| metric | qa ({summary.get('answerer', 'extractive')}) | over |",
        "|---|---|---|",
    ]
    for k in RECALL_AT:
        lines.append(f"| answer recall@{k} | {_share(summary[f'answer_recall_at_{k}'])} | "
                     f"{summary['n_recall_scored']} questions whose answer is in a search article |")
    lines.append(f"| multiple-choice accuracy | {_share(summary['mc_accuracy'])} | all {summary['n']} questions |")
    lines.append(f"| multiple-choice accuracy | {_share(summary['mc_accuracy_with_articles'])} | "
                 f"{summary['n_with_articles']} questions with search articles |")
    lines += ["", "| published baseline | multiple-choice accuracy |", "|---|---|"]
    lines += [f"| {name} | {value:.3f} |" for name, value in BASELINES[split].items()]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
