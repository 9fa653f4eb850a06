"""Scoring the news sets: every disagreeing value shown, cited and dated, in order; through `qa eval` too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.eval.news import score_news_answer, summarize_news
from qa.types import Answer, Citation

QUESTION = {
    "id": "c1", "type": "conflict", "question": "How many died?",
    "values": [
        {"value": "19", "pattern": r"\b19\b|nineteen", "date": "2024-03-13", "outlet": "B", "doc": "b.md"},
        {"value": "14", "pattern": r"\b14\b|fourteen", "date": "2024-03-10", "outlet": "A", "doc": "a.md"},
    ],
}


def _answer(text: str, sources: dict[int, str]) -> Answer:
    cites = [Citation(n=n, source=s, title="t", quote="q", start=0, end=1, score=1.0, article_id=s)
             for n, s in sources.items()]
    return Answer(question="How many died?", text=text, citations=cites, abstained=False, passages=[], timings={})


def test_every_value_shown_cited_dated_newest_first() -> None:
    row = score_news_answer(QUESTION, _answer(
        "Reports differ. B, March 13, 2024: 19 dead [1] A, March 10, 2024: 14 dead [2]", {1: "b.md", 2: "a.md"}))
    assert row["ok"] and row["all_shown_cited"] and row["all_dated"] and row["in_order"]


@pytest.mark.parametrize(
    ("text", "sources", "failed"),
    [
        ("B, March 13, 2024: 19 dead [1]", {1: "b.md"}, "all_shown_cited"),  # the older value hidden
        ("B, March 13, 2024: 19 dead [1] A, March 10, 2024: 14 dead [2]", {1: "b.md", 2: "b.md"}, "all_shown_cited"),
        ("B: 19 dead [1] A: 14 dead [2]", {1: "b.md", 2: "a.md"}, "all_dated"),
        ("A, March 10, 2024: 14 dead [1] B, March 13, 2024: 19 dead [2]", {1: "a.md", 2: "b.md"}, "in_order"),
    ],
)
def test_a_missing_uncited_undated_or_misordered_value_fails(text: str, sources: dict[int, str], failed: str) -> None:
    row = score_news_answer(QUESTION, _answer(text, sources))
    assert not row[failed] and not row["ok"]


def test_control_fails_when_it_flags_a_conflict() -> None:
    control = {"id": "k1", "type": "control", "question": "Who ran it?", "facts": ["Talreisen"], "docs": ["a.md"]}
    row = score_news_answer(control, _answer("Talreisen ran it [1]", {1: "a.md"}))
    assert row["ok"] and summarize_news([row])["by_type"]["control"]["ok"] == 1.0


def test_qa_eval_runs_a_news_set_on_its_own_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(tmp_path / "home"))
    articles = tmp_path / "news" / "articles"
    articles.mkdir(parents=True)
    reports = (
        ("a.md", "2024-03-10", "Alpine Herald", ("STEINBRUGG, March 10 (Alpine Herald) - Fourteen people were killed "
         "when a coach plunged into a ravine on the Falkenjoch Pass, police said. It was run by the firm Talreisen.")),
        ("b.md", "2024-03-13", "Alpenland Tribune", ("KALTENAU, March 13 (Alpenland Tribune) - The toll of the "
         "Falkenjoch Pass coach crash has risen to 19 after more passengers died in hospital. Talreisen, the firm "
         "that ran the coach, said it was cooperating with prosecutors.")),
    )
    for name, date, outlet, body in reports:
        (articles / name).write_text(f"---\ntitle: Falkenjoch Pass crash\ndate: {date}\noutlet: {outlet}\n---\n{body}\n")
    question_set = tmp_path / "news.jsonl"
    question_set.write_text("\n".join(json.dumps(q) for q in [
        {**QUESTION, "question": "How many people have died in the Falkenjoch Pass coach crash?",
         "values": [{**QUESTION["values"][0], "doc": "b.md"}, {**QUESTION["values"][1], "doc": "a.md"}]},
        {"id": "k1", "type": "control", "question": "Which firm ran the coach that crashed on the Falkenjoch Pass?",
         "facts": ["Talreisen"], "docs": ["a.md", "b.md"]},
    ]) + "\n")
    result = CliRunner().invoke(app, ["eval", "--set", str(question_set), "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads((tmp_path / "out.json").read_text())["questions"]}
    assert rows["c1"]["ok"], rows["c1"]["got"]
    assert rows["k1"]["ok"], rows["k1"]["got"]
    assert (tmp_path / "home" / "evalsets" / "news").is_dir()
