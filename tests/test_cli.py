"""The `qa` command through typer's CliRunner: output, --json and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ARTICLE_PARKS, SEED_001, write_article
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seeded_env(seed_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the CLI (which reads QA_* variables) at the shared seed index."""
    monkeypatch.setenv("QA_HOME", str(seed_settings.home))
    monkeypatch.setenv("QA_AUTO_SEED", "false")
    return seed_settings


@pytest.fixture
def empty_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("QA_HOME", str(home))
    monkeypatch.setenv("QA_AUTO_SEED", "false")
    return home


def test_ask_json(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == KERRY_JULY
    assert data["abstained"] is False
    assert "July 14-15" in data["text"]
    assert data["citations"] and data["citations"][0]["source"] == SEED_001
    assert {"quote", "start", "end", "n", "title"} <= set(data["citations"][0])
    assert len(data["passages"]) == 5


def test_ask_json_top_k(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY, "--json", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["passages"]) == 2


def test_ask_prints_answer_and_sources(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "July 14-15" in out
    assert "Sources:" in out
    assert "[1]" in out
    sources = out.split("Sources:", 1)[1]
    assert SEED_001 in sources
    assert "TASS" in sources and "July 11" in sources


def test_ask_abstention_prints_no_sources(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", "What did Mike Pompeo say about Venezuela?"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("The articles don't say")
    assert "Sources:" not in result.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_empty_question_is_a_usage_error(runner: CliRunner, seeded_env: Settings, question: str) -> None:
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 2
    assert "question is empty" in result.stderr
    assert result.stdout == ""


def test_ask_top_k_zero_is_a_usage_error(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY, "--top-k", "0"])
    assert result.exit_code == 2
    assert "top_k" in result.stderr


def test_ask_on_empty_index_exits_1(runner: CliRunner, empty_env: Path) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY])
    assert result.exit_code == 1
    assert "qa ingest" in result.stderr


def test_ingest_folder_with_only_an_empty_file_exits_1(runner: CliRunner, empty_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "only-empty"
    write_article(folder, "empty.txt", "")
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "1 skipped" in result.stdout
    assert "index: 0 articles, 0 chunks" in result.stdout


def test_ingest_empty_folder_exits_1(runner: CliRunner, empty_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "no files found" in result.stdout


def test_ingest_then_status(runner: CliRunner, empty_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "one"
    write_article(folder, "parks.txt", ARTICLE_PARKS)
    result = runner.invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["status"] for r in report["results"]] == ["added"]
    assert report["documents"] == 1

    again = runner.invoke(app, ["ingest", str(folder)])
    assert again.exit_code == 0  # nothing new, but the files are indexed
    assert "1 unchanged" in again.stdout

    status = runner.invoke(app, ["status", "--json"])
    assert status.exit_code == 0
    info = json.loads(status.stdout)
    assert (info["documents"], info["chunks"]) == (1, report["chunks"])
    assert info["store"] == str(empty_env.resolve() / "chroma")


def test_ingest_prune_of_a_deleted_file_exits_0(runner: CliRunner, empty_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "prune"
    path = write_article(folder, "parks.txt", ARTICLE_PARKS)
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    path.unlink()
    result = runner.invoke(app, ["ingest", str(folder), "--prune"])
    assert result.exit_code == 0, result.output
    assert "1 removed" in result.stdout


@pytest.mark.parametrize(
    ("command", "purpose"),
    [
        ([], "Ask questions about a folder of news articles"),
        (["ingest"], "Index articles"),
        (["ask"], "Answer a question from the indexed articles"),
        (["status"], "How many articles and chunks are indexed"),
        (["eval"], "Run a question set through answer()"),
    ],
)
def test_help(runner: CliRunner, command: list[str], purpose: str) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0
    assert purpose in " ".join(result.stdout.split())


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert result.exit_code in (0, 2)  # click's no_args_is_help exits 2 in click >= 8.2
    assert "ingest" in result.output and "ask" in result.output and "status" in result.output


def test_ask_outlet_filter_answers_from_that_outlet_only(runner: CliRunner, seeded_env: Settings) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY, "--outlet", "tass", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["passages"] and {p["outlet"] for p in got["passages"]} == {"TASS"}


def test_ask_since_leaves_out_undated_articles(runner: CliRunner, seeded_env: Settings) -> None:
    """The seeds carry no year: no article can be shown to be published since a day, so nothing answers."""
    result = runner.invoke(app, ["ask", KERRY_JULY, "--since", "2016-01-01", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["abstained"] and got["passages"] == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--outlet", "Nowhere Gazette"], "known: "),
        (["--since", "last tuesday"], "since must be a date"),
        (["--since", "2024-05-01", "--until", "2024-04-01"], "is after until"),
    ],
)
def test_ask_bad_filter_is_one_line(runner: CliRunner, seeded_env: Settings, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["ask", KERRY_JULY, *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0]
