"""The RealTime QA adapter: the corpus becomes front-matter files the product dates by itself, the metrics follow
the benchmark's README, and one real run on a few dev questions (slow) goes through `qa eval --dataset`."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from qa.eval import realtimeqa
from qa.index.ingest import build_article
from qa.index.load import read_article_file
from qa.types import Passage

REAL_DATA = realtimeqa.default_data_dir()

ARTICLES = [
    {"id": "a1", "url": "https://www.cnn.com/2023/01/04/sport/hamlin-bills/index.html", "title": "Hamlin: Bills safety",
     "text": "Buffalo Bills safety Damar Hamlin collapsed on the field during Monday night's game against the "
             "Cincinnati Bengals and was taken to hospital, where doctors said he was in critical condition.",
     "retrieved_at": "2023/01/07/05:11"},
    {"id": "a2", "url": "https://www.theweek.co.uk/news/world-news/1/pope-benedict-funeral",
     "title": "Pope Benedict XVI laid to rest",
     "text": "Pope Francis presided over the funeral of his predecessor, former Pope Benedict XVI, in St Peter's "
             "Square on Thursday, before tens of thousands of mourners who came to pay their respects.",
     "retrieved_at": "2023/01/07/05:11"},
]
QUESTIONS = [
    {"id": "q1", "date": "2023/01/05", "source": "CNN", "question": "Damar Hamlin plays for which team?",
     "choices": ["Pittsburgh Steelers", "Cincinnati Bengals", "Buffalo Bills", "Cleveland Browns"],
     "answer_index": 2, "answer": "Buffalo Bills", "evidence": "", "evidence_url": "",
     "search_article_ids": ["a1"]},
    {"id": "q2", "date": "2023/01/05", "source": "CNN", "question": "Which former pope was laid to rest this week?",
     "choices": ["Pope John Paul II", "Pope Paul VI", "Pope Pius XII", "Pope Benedict XVI"], "answer_index": 3,
     "answer": "Pope Benedict XVI", "evidence": "", "evidence_url": "", "search_article_ids": []},
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rtqa"
    folder.mkdir()
    with gzip.open(folder / "dev_corpus.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(a) + "\n" for a in ARTICLES)
    (folder / "dev_questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return folder


def test_questions_load_with_their_quiz_dates(data_dir: Path) -> None:
    questions = realtimeqa.load_questions(data_dir, "dev")
    assert [q.date for q in questions] == [dt.date(2023, 1, 5)] * 2
    assert realtimeqa.load_questions(data_dir, "dev", limit=1)[0].answer == "Buffalo Bills"


def test_corpus_files_are_front_matter_the_loader_dates_from_the_url(data_dir: Path, tmp_path: Path) -> None:
    realtimeqa.write_corpus(ARTICLES, tmp_path / "corpus")
    cnn = build_article(read_article_file(tmp_path / "corpus" / "a1.md", 10_000_000))
    assert (cnn.title, cnn.date, cnn.outlet) == ("Hamlin: Bills safety", dt.date(2023, 1, 4), "cnn.com")
    assert cnn.url == ARTICLES[0]["url"]
    assert cnn.text.startswith("Hamlin: Bills safety\n\nBuffalo Bills safety Damar Hamlin collapsed")
    week = build_article(read_article_file(tmp_path / "corpus" / "a2.md", 10_000_000))
    assert week.date is None  # no date in the URL or text: left undated, never guessed


def _passage(text: str) -> Passage:
    return Passage(chunk_id=text[:8], article_id="a", source="a.md", title="", text=text, start=0, end=len(text),
                   score=1.0)


def test_a_choice_named_next_to_the_question_words_beats_one_named_further_off() -> None:
    choices = ["Pittsburgh Steelers", "Cincinnati Bengals", "Buffalo Bills", "Cleveland Browns"]
    passage = _passage(ARTICLES[0]["text"])  # names the Bills beside Hamlin, the Bengals a dozen words later
    assert realtimeqa.pick_choice("Damar Hamlin plays for which team?", choices, [passage]) == 2


def test_the_choice_named_in_the_best_passages_is_picked() -> None:
    choices = ["Pittsburgh Steelers", "Cincinnati Bengals", "Buffalo Bills", "Cleveland Browns"]
    passages = [_passage("Buffalo Bills safety Damar Hamlin collapsed."),
                _passage("The game against the Cincinnati Bengals was suspended."),
                _passage("Hamlin's Bills teammates visited him.")]
    question = "Damar Hamlin plays for which team?"
    assert realtimeqa.pick_choice(question, choices, passages) == 2
    assert realtimeqa.pick_choice(question, choices, []) == 0  # nothing to go on: the first choice, deterministically


def test_recall_counts_only_questions_whose_answer_a_search_article_holds() -> None:
    rows = [
        {"answer_in_corpus": True, "has_search_articles": True, "first_answer_rank": 1, "correct": True,
         "latency_ms": 1.0},
        {"answer_in_corpus": True, "has_search_articles": True, "first_answer_rank": 7, "correct": False,
         "latency_ms": 1.0},
        {"answer_in_corpus": False, "has_search_articles": True, "first_answer_rank": None, "correct": True,
         "latency_ms": 1.0},
        {"answer_in_corpus": False, "has_search_articles": False, "first_answer_rank": None, "correct": False,
         "latency_ms": 1.0},
    ]
    summary = realtimeqa.summarize(rows)
    assert (summary["n_recall_scored"], summary["answer_recall_at_1"], summary["answer_recall_at_5"],
            summary["answer_recall_at_10"]) == (2, 0.5, 0.5, 1.0)
    assert (summary["mc_accuracy"], summary["mc_accuracy_with_articles"]) == (0.5, pytest.approx(2 / 3, abs=1e-4))


def test_a_run_indexes_once_and_reuses_the_index(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", auto_seed=False)
    summary, rows = realtimeqa.run("dev", data_dir=data_dir, settings=settings)
    assert summary["ingest"]["articles"] == 2
    assert summary["n"] == 2 and summary["n_recall_scored"] == 1 and summary["answer_recall_at_1"] == 1.0
    assert [r["picked"] for r in rows] == ["Buffalo Bills", "Pope Benedict XVI"]
    assert (tmp_path / "home" / "realtimeqa-dev" / "ingested.json").exists()
    again, _ = realtimeqa.run("dev", data_dir=data_dir, settings=settings)
    assert again["ingest"] == summary["ingest"]  # the recorded ingest, not a new one


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_DATA / "dev_questions.jsonl").exists(), reason="RealTime QA data not present")
def test_qa_eval_realtimeqa_on_five_dev_questions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(tmp_path / "home"))
    out = tmp_path / "rtqa.json"
    result = CliRunner().invoke(
        app, ["eval", "--dataset", "realtimeqa", "--split", "dev", "--limit", "5", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "answer recall@5" in result.stdout and "GPT-3 + Google search" in result.stdout
    data = json.loads(out.read_text())
    assert data["n"] == 5 and data["ingest"]["articles"] > 20
    assert data["mc_accuracy"] >= 0.6  # the first five are easy news-quiz questions with the answer in the articles
    assert (tmp_path / "home" / "realtimeqa-dev-first5" / "ingested.json").exists()
