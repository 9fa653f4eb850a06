"""Reports that disagree or were updated: every version shown with outlet, date and citation, newest first;
reports that agree keep the plain answer. Through answer() over a real index."""

from __future__ import annotations

import pytest

from qa.answer import answer
from qa.answering.conflicts import asks_for_timeline, display_text
from qa.config import Settings
from qa.index.ingest import ingest

REPORTS = {
    "crash-1.md": ("2024-03-10", "Alpine Herald", "Fourteen dead as coach plunges off Falkenjoch Pass",
                   ("STEINBRUGG, March 10 (Alpine Herald) - Fourteen people were killed when a coach carrying skiers "
                   "crashed through a barrier on the Falkenjoch Pass on Sunday, police said. The coach was operated "
                   "by the firm Talreisen. Rescue teams worked through the night in the ravine below the bend.")),
    "crash-2.md": ("2024-03-12", "Meridian Wire", "Falkenjoch coach crash toll rises to 19",
                   ("KALTENAU, March 12 (Meridian Wire) - The number of people killed in Sunday's coach crash on the "
                   "Falkenjoch Pass has risen to 19 after more passengers died in hospital, health officials said. "
                   "The coach was operated by the firm Talreisen. Prosecutors have opened an investigation.")),
}


@pytest.fixture(scope="module")
def crash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("crash")
    for name, (date, outlet, title, body) in REPORTS.items():
        (folder / name).write_text(f"---\ntitle: \"{title}\"\ndate: {date}\noutlet: {outlet}\n---\n{body}\n")
    settings = Settings(home=tmp_path_factory.mktemp("crash-home") / "home", auto_seed=False)
    ingest([folder], settings=settings)
    return settings


def test_updated_toll_shows_both_reports_newest_first(crash_settings: Settings) -> None:
    got = answer("How many people died in the Falkenjoch Pass coach crash?", settings=crash_settings)
    assert got.conflict is not None and got.conflict.updated
    assert [v.date for v in got.conflict.values] == ["2024-03-12", "2024-03-10"]
    assert [v.outlet for v in got.conflict.values] == ["Meridian Wire", "Alpine Herald"]
    assert got.text.index("19") < got.text.index("Fourteen")
    assert "March 12, 2024" in got.text and "March 10, 2024" in got.text
    by_n = {c.n: c.source for c in got.citations}
    assert [by_n[v.n] for v in got.conflict.values] == ["crash-2.md", "crash-1.md"]


def test_agreeing_reports_keep_the_plain_answer(crash_settings: Settings) -> None:
    got = answer("Which firm operated the coach that crashed on the Falkenjoch Pass?", settings=crash_settings)
    assert got.conflict is None and "Talreisen" in got.text


def test_as_of_leaves_the_later_report_out(crash_settings: Settings) -> None:
    got = answer("How many people died in the Falkenjoch Pass coach crash?", as_of="2024-03-11",
                 settings=crash_settings)
    assert got.conflict is None and "Fourteen" in got.text and "19" not in got.text


def test_timeline_lists_each_report_by_date(crash_settings: Settings) -> None:
    got = answer("How did the Falkenjoch Pass coach crash story develop?", settings=crash_settings)
    assert [e.date for e in got.timeline] == ["2024-03-10", "2024-03-12"]
    assert got.text.index("March 10, 2024") < got.text.index("March 12, 2024")


def test_seed_questions_flag_no_conflict(seed_settings: Settings) -> None:
    got = answer("What did Tillerson say about Syria?", settings=seed_settings)
    assert got.conflict is None and not got.timeline


def test_timeline_questions_and_datelines() -> None:
    assert asks_for_timeline("How did the investigation unfold?")
    assert asks_for_timeline("What happened to the timing of the summit?")
    assert not asks_for_timeline("What did the minister say?")
    assert display_text("KALTENAU, March 13 (Alpenland Tribune) - Nineteen people died. [2]") == "Nineteen people died."




def test_relative_day_in_the_question_ranks_that_period_first(crash_settings: Settings) -> None:
    got = answer("What was the death toll of the Falkenjoch Pass coach crash reported yesterday?", as_of="2024-03-13",
                 settings=crash_settings)
    assert not got.abstained and got.citations[0].source == "crash-2.md" and "19" in got.text


def test_a_period_no_article_falls_in_still_answers(crash_settings: Settings) -> None:
    got = answer("How many people died in the Falkenjoch Pass coach crash last month?", settings=crash_settings)
    assert not got.abstained and got.citations


def test_as_of_written_in_the_question(crash_settings: Settings) -> None:
    got = answer("As of March 11, 2024, how many people had died in the Falkenjoch Pass coach crash?",
                 settings=crash_settings)
    assert got.question.startswith("As of March 11, 2024")
    assert "Fourteen" in got.text and "19" not in got.text
