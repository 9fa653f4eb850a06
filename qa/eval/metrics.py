"""Measure the bot on a question set: does retrieval find the right article, does the answer hold the facts,
does it cite the right sources, and does it abstain exactly when the articles don't say.

An abstention on an answerable question counts as a miss everywhere, so guessing is never rewarded.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from qa.types import Answer

QuestionType = Literal["fact", "list", "numeric", "date", "multi_doc", "comparison", "follow_up", "unanswerable"]


class EvalQuestion(BaseModel):
    id: str
    question: str
    type: QuestionType
    answer: str = ""
    facts: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    history: list[dict[str, str]] | None = None

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def load_questions(path: Path) -> list[EvalQuestion]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [EvalQuestion.model_validate_json(line) for line in lines]


def score_answer(question: EvalQuestion, got: Answer) -> dict[str, Any]:
    """One row of the results table: what a reviewer would check by hand, as numbers."""
    sources = set(question.sources)
    passage_sources = [p.source for p in got.passages]
    first_rank = next((i for i, s in enumerate(passage_sources, start=1) if s in sources), None)
    cited = [c.source for c in got.citations]
    facts_found = [bool(re.search(f, got.text, re.IGNORECASE)) for f in question.facts]
    return {
        "id": question.id,
        "type": question.type,
        "question": question.question,
        "expected": question.answer,
        "got": got.text,
        "abstained": got.abstained,
        "abstain_rule": got.abstain_rule,
        "answerer": got.answerer,
        "answerable": question.answerable,
        "first_source_rank": first_rank,
        "all_sources_retrieved": bool(sources) and sources <= set(passage_sources),
        "cited_sources": cited,
        "cites_right_article": bool(cited) and cited[0] in sources,
        "facts_ok": question.answerable and not got.abstained and all(facts_found),
        "citation_precision": (sum(s in sources for s in cited) / len(cited)) if cited else None,
        "citation_recall": (len(sources & set(cited)) / len(sources)) if sources and not got.abstained else 0.0,
        "latency_ms": got.timings.get("total_ms", 0.0),
        "stage_ms": got.timings,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The headline metrics, overall and per question type, under stable keys; latency also per stage."""
    summary = _metrics(rows)
    summary["latency_by_stage"] = stage_latencies(rows)
    summary["refusals_by_rule"] = refusals_by_rule(rows)
    summary["answered_by"] = dict(Counter(r.get("answerer", "extractive") for r in rows).most_common())
    by_type: dict[str, Any] = {}
    for qtype in sorted({r["type"] for r in rows}):
        by_type[qtype] = _metrics([r for r in rows if r["type"] == qtype])
    summary["by_type"] = by_type
    return summary


def _metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    multi = [r for r in answerable if r["type"] == "multi_doc"]
    precisions = [r["citation_precision"] for r in answerable if r["citation_precision"] is not None]
    latencies = sorted(r["latency_ms"] for r in rows)

    def share(items: Iterable[bool], n: int) -> float | None:
        return round(sum(items) / n, 4) if n else None

    def hit(k: int) -> float | None:
        return share((r["first_source_rank"] is not None and r["first_source_rank"] <= k for r in answerable), len(answerable))

    return {
        "n": len(rows),
        "hit_at_1": hit(1),
        "hit_at_3": hit(3),
        "hit_at_5": hit(5),
        "mrr": round(sum(1 / r["first_source_rank"] for r in answerable if r["first_source_rank"]) / len(answerable), 4)
        if answerable
        else None,
        "multi_doc_source_recall": share((r["all_sources_retrieved"] for r in multi), len(multi)),
        "cites_right_article": share((r["cites_right_article"] for r in answerable), len(answerable)),
        "fact_recall": share((r["facts_ok"] for r in answerable), len(answerable)),
        "citation_precision": round(statistics.fmean(precisions), 4) if precisions else None,
        "citation_recall": share((r["citation_recall"] for r in answerable), len(answerable)),
        "abstain_precision": share((not r["answerable"] for r in abstained), len(abstained)),
        "abstain_recall": share((r["abstained"] for r in unanswerable), len(unanswerable)),
        "false_abstain_rate": share((r["abstained"] for r in answerable), len(answerable)),
        "latency_p50_ms": round(_percentile(latencies, 50), 1) if latencies else None,
        "latency_p95_ms": round(_percentile(latencies, 95), 1) if latencies else None,
    }


def refusals_by_rule(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """For each rule that refused (qa/answering/rules.py, or "model"): how many questions it declined, how many
    of them rightly (unanswerable) and wrongly (answerable). Most refusals first."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        if row["abstained"]:
            rule = counts.setdefault(row.get("abstain_rule") or "unnamed", {"refused": 0, "right": 0, "wrong": 0})
            rule["refused"] += 1
            rule["wrong" if row["answerable"] else "right"] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1]["refused"], kv[0])))


def stage_latencies(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50 and p95 milliseconds of each stage answer() timed (setup, embed, dense, lexical, fuse, answer, ...)."""
    stages: dict[str, list[float]] = {}
    for row in rows:
        for stage, ms in row["stage_ms"].items():
            stages.setdefault(stage.removesuffix("_ms"), []).append(float(ms))
    return {
        stage: {"p50_ms": round(_percentile(sorted(values), 50), 1), "p95_ms": round(_percentile(sorted(values), 95), 1)}
        for stage, values in stages.items()
    }


def passed(row: dict[str, Any]) -> bool:
    """What a reader would call right: an answerable question answered with every fact and a listed source cited
    first; an unanswerable one declined."""
    if not row["answerable"]:
        return bool(row["abstained"])
    return bool(row["facts_ok"] and row["cites_right_article"])


def _percentile(sorted_values: list[float], pct: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(pct) - 1]


def run_eval(
    questions: list[EvalQuestion],
    ask: Callable[[EvalQuestion], Answer],
    progress: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from tqdm import tqdm

    rows = [score_answer(q, ask(q)) for q in tqdm(questions, desc="Evaluating", unit="q", disable=not progress)]
    return summarize(rows), rows


def write_json(summary: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**summary, "questions": rows}, indent=2, ensure_ascii=False))
