"""qa eval: the metrics mean what the issue says, and --report writes a report, a chart and a comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import SEED_001, SEED_002
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from qa.eval.metrics import EvalQuestion, score_answer, summarize
from qa.eval.report import CHART, PREVIOUS, REPORT, RESULTS, write_report
from qa.types import Answer, Citation, Passage


def _passage(source: str) -> Passage:
    return Passage(chunk_id=source, article_id=source, source=source, title="t", text="x", start=0, end=1, score=1.0)


def _citation(n: int, source: str) -> Citation:
    return Citation(n=n, source=source, title="t", quote="x", start=0, end=1, score=1.0, article_id=source)


def _answer(text: str, passages: list[str], cited: list[str], abstained: bool = False, ms: float = 10.0,
            rule: str | None = None) -> Answer:
    return Answer(
        question="q",
        text=text,
        citations=[_citation(i, s) for i, s in enumerate(cited, start=1)],
        abstained=abstained,
        abstain_rule=rule,
        passages=[_passage(s) for s in passages],
        timings={"embed_ms": ms / 2, "answer_ms": ms / 2, "total_ms": ms},
    )


FACT = EvalQuestion(id="f1", question="When?", type="fact", answer="July 14-15", facts=["July 14-15"], sources=["a"])
MULTI = EvalQuestion(id="m1", question="Both?", type="multi_doc", answer="x and y", facts=["x", "y"],
                     sources=["a", "b"])
NONE = EvalQuestion(id="u1", question="Who?", type="unanswerable")


def test_a_right_answer_scores_everywhere() -> None:
    row = score_answer(FACT, _answer("On July 14-15. [1]", ["c", "a"], ["a"]))
    assert (row["first_source_rank"], row["facts_ok"], row["citation_precision"], row["citation_recall"]) == (
        2, True, 1.0, 1.0)
    summary = summarize([row])
    assert (summary["hit_at_1"], summary["hit_at_3"], summary["mrr"]) == (0.0, 1.0, 0.5)


def test_abstaining_on_an_answerable_question_is_a_miss_not_a_pass() -> None:
    row = score_answer(FACT, _answer("The articles don't say July 14-15.", ["a"], [], abstained=True))
    summary = summarize([row])
    assert summary["fact_recall"] == 0.0  # even though the refusal echoes the fact
    assert summary["citation_recall"] == 0.0
    assert summary["false_abstain_rate"] == 1.0
    assert summary["abstain_precision"] == 0.0
    assert summary["citation_precision"] is None  # nothing was cited, so there is no precision to speak of


def test_abstention_precision_and_recall() -> None:
    rows = [
        score_answer(NONE, _answer("The articles don't say.", ["a"], [], abstained=True)),
        score_answer(NONE, _answer("A guess. [1]", ["a"], ["a"])),
        score_answer(FACT, _answer("nothing", ["a"], [], abstained=True)),
        score_answer(FACT, _answer("July 14-15 [1]", ["a"], ["a"])),
    ]
    summary = summarize(rows)
    assert summary["abstain_recall"] == 0.5  # one of two unanswerable questions declined
    assert summary["abstain_precision"] == 0.5  # one of two refusals was right
    assert summary["false_abstain_rate"] == 0.5
    assert summary["fact_recall"] == 0.5
    assert summary["hit_at_1"] == 1.0  # retrieval is scored on answerable questions only


def test_refusals_are_counted_per_rule_rightly_and_wrongly(tmp_path: Path) -> None:
    rows = [
        score_answer(NONE, _answer("The articles don't say.", ["a"], [], abstained=True, rule="missing_entity")),
        score_answer(NONE, _answer("The articles don't say.", ["a"], [], abstained=True, rule="focus")),
        score_answer(FACT, _answer("The articles don't say.", ["a"], [], abstained=True, rule="focus")),
        score_answer(FACT, _answer("July 14-15 [1]", ["a"], ["a"])),
    ]
    summary = summarize(rows)
    assert summary["refusals_by_rule"] == {
        "focus": {"refused": 2, "right": 1, "wrong": 1},
        "missing_entity": {"refused": 1, "right": 1, "wrong": 0},
    }
    text = write_report(summary, rows, tmp_path, {"set": "mine.jsonl"}).read_text()
    assert "| focus | 2 | 1 | 1 |" in text
    assert "declined an answerable question (rule: focus)" in text


def test_citation_precision_recall_and_all_sources_recall() -> None:
    row = score_answer(MULTI, _answer("x [1] y [2] z [3]", ["a", "c", "b"], ["a", "c", "a"]))
    assert row["citation_precision"] == pytest.approx(2 / 3)
    assert row["citation_recall"] == 0.5
    assert row["all_sources_retrieved"] is True
    assert row["facts_ok"] is True
    missing_b = score_answer(MULTI, _answer("x [1] y [2]", ["a", "c"], ["a", "a"]))
    summary = summarize([row, missing_b])
    assert summary["multi_doc_source_recall"] == 0.5
    assert summary["citation_precision"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)


def test_latency_percentiles_overall_and_per_stage() -> None:
    rows = [score_answer(FACT, _answer("July 14-15 [1]", ["a"], ["a"], ms=float(ms))) for ms in range(10, 210, 10)]
    summary = summarize(rows)
    assert summary["latency_p50_ms"] == pytest.approx(105.0)
    assert summary["latency_p95_ms"] == pytest.approx(190.5)
    assert set(summary["latency_by_stage"]) == {"embed", "answer", "total"}
    assert summary["latency_by_stage"]["embed"]["p50_ms"] == pytest.approx(52.5)
    assert summary["by_type"]["fact"]["n"] == 20


def test_report_lists_failures_draws_a_chart_and_compares_with_the_last_run(tmp_path: Path) -> None:
    good = score_answer(FACT, _answer("On July 14-15. [1]", ["a"], ["a"]))
    bad = score_answer(NONE, _answer("A guess about the ambassador. [1]", ["a"], ["a"]))
    folder = tmp_path / "report"
    first = write_report(summarize([good, bad]), [good, bad], folder, {"set": "mine.jsonl"})
    text = first.read_text()
    assert "## Failures" in text and "`u1` (unanswerable) — answered instead of declining" in text
    assert "A guess about the ambassador." in text and "**Cited:** a" in text
    assert "No earlier run" in text
    assert (folder / CHART).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    worse = score_answer(FACT, _answer("I can't say.", ["b"], [], abstained=True))
    fixed = score_answer(NONE, _answer("The articles don't say.", [], [], abstained=True))
    text = write_report(summarize([worse, fixed]), [worse, fixed], folder, {"set": "mine.jsonl"}).read_text()
    better_part, worse_part = text.split("**Worse:**")
    assert "abstain_recall (all) 0.000 → 1.000" in better_part
    assert "fact_recall (all) 1.000 → 0.000" in worse_part.split("**Now passing**")[0]
    assert "- `u1` (unanswerable) Who?" in text.split("**Now passing**")[1].split("**Now failing**")[0]
    assert "- `f1` (fact) When?" in text.split("**Now failing**")[1]
    assert "### `f1` (fact) — declined an answerable question" in text
    assert json.loads((folder / PREVIOUS).read_text())["fact_recall"] == 1.0
    assert json.loads((folder / RESULTS).read_text())["fact_recall"] == 0.0


def test_qa_eval_prints_the_table_and_writes_json_and_report(
    seed_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_HOME", str(seed_settings.home))
    questions = tmp_path / "set.jsonl"
    questions.write_text(
        json.dumps({"id": "k", "question": "On which dates was John Kerry's working visit to Moscow in July?",
                    "type": "date", "answer": "July 14-15", "facts": ["July 14-15"], "sources": [SEED_001]}) + "\n"
        + json.dumps({"id": "s", "question": "Which Syrian airbase did the US strike with missiles?", "type": "fact",
                      "answer": "Shayrat", "facts": ["Shayrat"], "sources": [SEED_002]}) + "\n"
        + json.dumps({"id": "u", "question": "What did Mike Pompeo say about Venezuela?", "type": "unanswerable"})
        + "\n"
    )
    result = CliRunner().invoke(app, ["eval", "--set", str(questions), "--json", str(tmp_path / "out.json"),
                                      "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert "hit_at_1" in result.stdout and "stage (ms)" in result.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    for key in ("n", "hit_at_1", "hit_at_3", "hit_at_5", "mrr", "fact_recall", "citation_precision",
                "citation_recall", "abstain_precision", "abstain_recall", "false_abstain_rate", "latency_p50_ms",
                "latency_p95_ms", "by_type"):
        assert key in data, key
    assert (data["n"], data["hit_at_1"], data["fact_recall"], data["abstain_recall"]) == (3, 1.0, 1.0, 1.0)
    assert (tmp_path / "rep" / REPORT).exists() and (tmp_path / "rep" / CHART).exists()


def test_qa_eval_rejects_an_unknown_benchmark() -> None:
    result = CliRunner().invoke(app, ["eval", "--dataset", "squad"])
    assert result.exit_code == 2
    assert "realtimeqa" in result.output
