"""Reading article files: front matter (Hugo/Jekyll exports) gives the title, date, URL, outlet and crawl time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ARTICLE_PARKS

from qa.index.ingest import build_article
from qa.index.load import read_article_file, split_front_matter

MakeArticle = Callable[..., Path]
BODY = ARTICLE_PARKS.split("\n\n", 1)[1]  # the parks story without its headline line

YAML_HEADER = """---
title: "Springfield approves a parks budget"
date: 2024-03-05
url: https://news.example.com/2024/03/05/springfield-parks/
outlet: Springfield Herald
tags: [parks, budget]
---
"""


def test_yaml_front_matter_gives_metadata_and_is_not_article_text(make_article: MakeArticle) -> None:
    raw = read_article_file(make_article("parks.md", YAML_HEADER + "\n" + BODY), 10_000_000)
    assert (raw.title, raw.date, raw.outlet) == ("Springfield approves a parks budget", "2024-03-05", "Springfield Herald")
    assert raw.url == "https://news.example.com/2024/03/05/springfield-parks/"
    assert "---" not in raw.text and "tags" not in raw.text
    assert raw.text.startswith("Springfield approves a parks budget\n\n")  # the headline opens the text, as for HTML
    article = build_article(raw)
    assert article.title == "Springfield approves a parks budget"
    assert article.date == dt.date(2024, 3, 5)
    assert (article.outlet, article.url) == ("Springfield Herald", raw.url)


def test_toml_front_matter_in_a_txt_file(make_article: MakeArticle) -> None:
    header = '+++\ntitle = "Parks budget"\npublished = "March 4, 2024"\nsource = "Herald"\n+++\n'
    article = build_article(read_article_file(make_article("parks.txt", header + BODY), 10_000_000))
    assert (article.title, article.date, article.outlet) == ("Parks budget", dt.date(2024, 3, 4), "Herald")


def test_date_comes_from_the_url_when_the_header_has_none(make_article: MakeArticle) -> None:
    header = "---\ntitle: Parks\nurl: https://x.com/news/2024/03/05/parks/index.html\nretrieved_at: 2024/03/07/05:11\n---\n"
    article = build_article(read_article_file(make_article("parks.md", header + BODY), 10_000_000))
    assert article.date == dt.date(2024, 3, 5)
    assert article.date_text == "March 5, 2024"


def test_a_date_after_the_crawl_is_not_believed(make_article: MakeArticle) -> None:
    header = "---\ntitle: Parks\nurl: https://x.com/2024/03/09/parks/\nretrieved_at: 2024/03/07/05:11\n---\n"
    assert build_article(read_article_file(make_article("parks.md", header + BODY), 10_000_000)).date is None


@pytest.mark.parametrize(
    "text",
    [
        "---\n\nA story that opens with a horizontal rule.\n\n---\n\nAnd has another one later.",
        "---\n: not: valid: yaml: [\n---\nBody text of the story.",
        "---\njust a sentence, not a mapping\n---\nBody text of the story.",
        "No header at all.\n---\ntitle: x\n---\n",
    ],
)
def test_text_that_is_not_front_matter_is_kept_whole(text: str) -> None:
    assert split_front_matter(text) == ({}, text)


def test_front_matter_without_a_body_is_skipped(fresh_settings: object, make_article: MakeArticle) -> None:
    from qa.errors import IngestError

    with pytest.raises(IngestError, match="no article text"):
        read_article_file(make_article("empty.md", "---\ntitle: Only a header\n---\n\n"), 10_000_000)


SAVED_TAGS = (
    '<meta name="qa:body_sha256" content="ab12"><meta name="qa:url" content="https://news.example/a?x=1&amp;y=2">'
    '<meta name="qa:retrieved_at" content="2024-03-06T10:00:00+00:00"><meta name="qa:title" content="Feed headline">'
    '<meta name="qa:date" content="2024-03-01"><meta name="qa:outlet" content="Feed Title">'
)


def _page(head: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{paragraphs}</article></body></html>"


def test_a_saved_web_page_gets_what_its_head_lacks_from_qa_tags(make_article: MakeArticle) -> None:
    raw = read_article_file(make_article("saved.html", _page(SAVED_TAGS)), 10_000_000)
    assert (raw.title, raw.date, raw.outlet) == ("Feed headline", "2024-03-01", "Feed Title")
    assert (raw.url, raw.retrieved_at) == ("https://news.example/a?x=1&y=2", "2024-03-06T10:00:00+00:00")
    assert "2024-03-06" not in raw.text and raw.text.startswith("Feed headline\n\n")


def test_a_pages_own_metadata_wins_over_qa_tags(make_article: MakeArticle) -> None:
    own = ('<title>Springfield approves parks budget</title><meta property="og:site_name" content="Springfield Herald">'
           '<meta property="article:published_time" content="2024-03-05T08:00:00Z">'
           '<link rel="canonical" href="https://herald.example/2024/03/05/parks">')
    raw = read_article_file(make_article("saved.html", _page(SAVED_TAGS + own)), 10_000_000)
    assert (raw.title, raw.date, raw.outlet) == ("Springfield approves parks budget", "2024-03-05", "Springfield Herald")
    assert raw.url == "https://herald.example/2024/03/05/parks"
    assert raw.retrieved_at == "2024-03-06T10:00:00+00:00"
