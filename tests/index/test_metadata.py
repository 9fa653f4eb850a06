"""Metadata read off the text: titles, datelines, outlets, dates from URLs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support import SEED_000, SEED_001, SEED_002, SEED_003, SEED_004, SEED_NAMES, SEEDS_DIR

from qa.index.clean import clean_article_text
from qa.index.dates import parse_date, stored_date_ord
from qa.index.ingest import build_article
from qa.index.load import read_article_file
from qa.index.metadata import (
    Dateline,
    date_from_url,
    extract_title,
    find_dateline,
    find_outlet,
    publication_date,
)
from qa.types import Article


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {name: build_article(read_article_file(SEEDS_DIR / name, 10_000_000)) for name in SEED_NAMES}


@pytest.mark.parametrize(
    ("seed", "title"),
    [
        (SEED_000, "Lavrov, Kerry to hold talks in Sochi on May 12 - Russian Foreign Ministry"),
        (SEED_001, "Russia\u2019s Foreign Ministry confirms John Kerry\u2019s visit to Moscow on July 14-15"),
        (SEED_002, "Moscow hopes for constructive talks with US Secretary of State"),
        (SEED_003, "Kerry: Russia and US can cooperate despite differences"),
        (SEED_004, "Lavrov will hold talks with Kerry in Moscow"),
    ],
)
def test_seed_titles(articles: dict[str, Article], seed: str, title: str) -> None:
    assert articles[seed].title == title
    assert articles[seed].source == seed


def test_001_tass_dateline_without_year(articles: dict[str, Article]) -> None:
    article = articles[SEED_001]
    assert article.place == "Moscow"
    assert article.outlet == "TASS"
    assert article.date is None  # the dateline gives no year, so no date is guessed
    assert article.date_text == "July 11"


def test_001_dateline_parsed_directly() -> None:
    dateline = find_dateline(clean_article_text((SEEDS_DIR / SEED_001).read_text()))
    assert dateline == Dateline(place="Moscow", month=7, day=11, year=None, outlet="TASS")
    assert dateline.date is None
    assert dateline.date_text == "July 11"


def test_002_tass_dateline(articles: dict[str, Article]) -> None:
    article = articles[SEED_002]
    assert (article.place, article.outlet, article.date, article.date_text) == ("Moscow", "TASS", None, "April 11")


def test_004_dateline_without_outlet(articles: dict[str, Article]) -> None:
    article = articles[SEED_004]
    assert article.place == "Moscow"
    assert article.date_text == "December 15"
    assert article.date is None
    assert article.outlet is None


def test_000_outlet_from_rights_line(articles: dict[str, Article]) -> None:
    article = articles[SEED_000]
    assert article.outlet == "Rossiyskaya Gazeta"
    assert article.place is None
    assert article.date is None and article.date_text is None
    assert "All rights reserved" not in article.text  # read from the raw page, though cleaned out of the text


def test_003_has_no_dateline(articles: dict[str, Article]) -> None:
    article = articles[SEED_003]
    assert find_dateline(article.text) is None
    assert (article.place, article.date, article.date_text, article.outlet) == (None, None, None, None)


def test_dateline_with_year_gives_full_date() -> None:
    text = "Headline\n\nWASHINGTON, Jan. 5, 2017 (Reuters) - The U.S. Senate voted on Thursday to confirm the nominee."
    dateline = find_dateline(text)
    assert dateline is not None
    assert dateline.place == "Washington"
    assert dateline.outlet == "Reuters"
    assert dateline.year == 2017
    assert dateline.date == dt.date(2017, 1, 5)
    assert dateline.date_text == "January 5, 2017"


def test_article_with_dated_dateline(tmp_path: Path) -> None:
    path = tmp_path / "reuters.txt"
    path.write_text(
        "Senate confirms nominee\n\nWASHINGTON, Jan. 5, 2017 (Reuters) - The U.S. Senate voted on Thursday to "
        "confirm the nominee after a long debate about his record and his plans for the department."
    )
    article = build_article(read_article_file(path, 10_000_000))
    assert article.date == dt.date(2017, 1, 5)
    assert article.date_text == "January 5, 2017"
    assert article.outlet == "Reuters"
    assert article.place == "Washington"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LONDON, Sept. 30. /PA/. Something happened in the city.", Dateline("London", 9, 30, None, "PA")),
        ("NEW YORK, December 18, 2015 - The meeting began.", Dateline("New York", 12, 18, 2015, None)),
        ("ST. PETERSBURG, May 3. The forum opened.", Dateline("St. Petersburg", 5, 3, None, None)),
    ],
)
def test_dateline_forms(text: str, expected: Dateline) -> None:
    assert find_dateline(f"Title\n\n{text}") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Moscow, July 11. Lowercase places are not datelines.",  # place must be upper case
        "On July 11 the minister said something.",
        "MOSCOW said on July 11 that it would respond.",
    ],
)
def test_not_a_dateline(text: str) -> None:
    assert find_dateline(f"Title\n\n{text}") is None


def test_impossible_dateline_date_is_none() -> None:
    dateline = find_dateline("Title\n\nMOSCOW, Feb. 30, 2016. Nothing happened.")
    assert dateline is not None and dateline.date is None


def test_find_outlet_prefers_dateline_agency() -> None:
    dateline = Dateline("Moscow", 7, 11, None, "TASS")
    assert find_outlet("... All rights reserved by Rossiyskaya Gazeta.", dateline) == "TASS"
    assert find_outlet("... All rights reserved by Rossiyskaya Gazeta.", None) == "Rossiyskaya Gazeta"
    assert find_outlet("no rights line here", None) is None


def test_date_from_url() -> None:
    assert date_from_url("https://x.com/2023/01/05/story") == dt.date(2023, 1, 5)
    assert date_from_url("https://x.com/news/2016-07-11-kerry-visit") == dt.date(2016, 7, 11)
    assert date_from_url("https://x.com/2023/13/45/story") is None  # not a real date
    assert date_from_url("https://x.com/story") is None
    assert date_from_url(None) is None


@pytest.mark.parametrize(
    "text",
    ["2017-04-11T10:00:00+03:00", "2017/04/11/05:11", "April 11, 2017", "Apr. 11 2017", "11 April 2017",
     "Tuesday, April 11th, 2017"],
)
def test_parse_date_reads_the_usual_spellings(text: str) -> None:
    assert parse_date(text) == dt.date(2017, 4, 11)


@pytest.mark.parametrize("text", ["April 11", "2017-02-30", "last Tuesday", "", None])
def test_parse_date_needs_a_whole_real_date(text: str | None) -> None:
    assert parse_date(text) is None


def test_date_from_a_url_slug() -> None:
    assert date_from_url("https://x.co.uk/news/957094/ten-things-you-need-to-know-today-17-june-2022") == dt.date(
        2022, 6, 17
    )


def test_publication_date_prefers_the_stated_date_then_url_then_dateline() -> None:
    dateline = Dateline("Moscow", 7, 11, 2016, None)
    url = "https://x.com/2016/07/12/story"
    assert publication_date("2016-07-10", url, dateline) == dt.date(2016, 7, 10)
    assert publication_date(None, url, dateline) == dt.date(2016, 7, 12)
    assert publication_date(None, None, dateline) == dt.date(2016, 7, 11)
    assert publication_date(None, None, Dateline("Moscow", 7, 11, None, None)) is None  # no year, no guess


def test_retrieved_at_bounds_the_publication_date() -> None:
    url = "https://x.com/2023/01/09/story"
    assert publication_date(None, url, None, retrieved_at="2023/01/07/05:11") is None
    dateline = Dateline("Moscow", 1, 5, 2023, None)
    assert publication_date(None, url, dateline, retrieved_at="2023/01/07/05:11") == dt.date(2023, 1, 5)
    assert publication_date(None, url, None, retrieved_at="2023/01/09/05:11") == dt.date(2023, 1, 9)


def test_extract_title() -> None:
    assert extract_title("# A Markdown headline\n\nBody text.") == "A Markdown headline"
    assert extract_title("\n\nFirst line\nsecond") == "First line"
    assert extract_title("") == "(untitled)"
    assert len(extract_title("x" * 1000)) == 300


def test_stored_date_ord_reads_new_and_old_chunk_records() -> None:
    assert stored_date_ord({"date_ord": dt.date(2024, 3, 5).toordinal()}) == dt.date(2024, 3, 5).toordinal()
    assert stored_date_ord({"date": "2024-03-05"}) == dt.date(2024, 3, 5).toordinal()  # written before date_ord
    assert stored_date_ord({}) == 0
