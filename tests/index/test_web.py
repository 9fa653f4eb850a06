"""Ingest from the web: pages and RSS/Atom feeds served on 127.0.0.1, indexed once, each failure one line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ARTICLE_COMET, ARTICLE_PARKS, ARTICLE_TRAINS
from typer.testing import CliRunner
from web_server import PNG, Item, WebServer, article_page, atom_feed, rss_feed, serve_web

from qa.answer import answer
from qa.cli import app
from qa.config import Settings
from qa.index.fetch import FetchParams
from qa.index.ingest import ingest
from qa.index.store import store_for
from qa.index.web import ingest_sources, page_path
from qa.types import IngestReport

ARTICLE_HARBOUR = (
    "Harbour ferry fleet switches to electric boats\n\n"
    "The port authority of Halden said on Wednesday that all six of its harbour ferries will run on batteries by "
    "October, after the last two diesel boats were sold to a museum in Bergen.\n\n"
    "Each electric ferry carries ninety passengers and charges for eight minutes at the quay between crossings. "
    "Harbour master Ingrid Solberg said fuel costs had fallen by two thirds on the routes converted so far."
)
ARTICLE_CHESS = (
    "Teenager wins national chess championship in Pune\n\n"
    "Sixteen-year-old Arjun Mehta won the national chess championship in Pune on Sunday, drawing his final game "
    "against the defending champion to finish half a point ahead of the field.\n\n"
    "Mehta, who learned the game from his grandmother, earns a place at the Asian championship in December and a "
    "prize of three lakh rupees. Organisers said a record 240 players had entered this year's tournament."
)
STORIES = [ARTICLE_PARKS, ARTICLE_COMET, ARTICLE_TRAINS, ARTICLE_HARBOUR, ARTICLE_CHESS]


@pytest.fixture
def web() -> Iterator[WebServer]:
    with serve_web() as server:
        yield server


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", auto_seed=False, fetch_allow_private=True, max_file_mb=0.05)


def by_path(report: IngestReport) -> dict[str, tuple[str, str]]:
    return {r.path: (r.status, r.detail) for r in report.results}


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_page_keeps_its_url_outlet_and_date_and_answers_with_a_citation(
    web: WebServer, web_settings: Settings
) -> None:
    url = web.add("/2023/03/07/springfield-parks.html",
                  article_page(ARTICLE_PARKS, site="Springfield Times", published="2023-03-07"))
    report = ingest_sources([url], settings=web_settings)
    assert by_path(report) == {url: ("added", "")}
    saved = page_path(web_settings.resolved_home(), url)
    assert saved.name.startswith("springfield-parks-") and saved.parent.name == f"127.0.0.1_{web.port}"
    record = store_for(web_settings).article_by_path(str(saved))
    assert record is not None
    assert (record["url"], record["outlet"], record["date"]) == (url, "Springfield Times", "2023-03-07")

    result = answer("How much did the Springfield council approve for parks and libraries?", settings=web_settings)
    assert not result.abstained and "4.2 million" in result.text
    cited = result.citations[0]
    assert (cited.source, cited.outlet, cited.date) == (saved.name, "Springfield Times", "March 7, 2023")

    again = ingest_sources([url], settings=web_settings)  # the page has not changed: nothing is rewritten
    assert by_path(again) == {url: ("unchanged", "")}
    assert web.hits["/2023/03/07/springfield-parks.html"] == 2


def test_feed_items_are_indexed_once_and_a_rerun_fetches_no_item_page(web: WebServer, web_settings: Settings) -> None:
    items = [Item(story.split("\n")[0], web.add(f"/news/{i}", article_page(story)), guid=f"story-{i}",
                  published=f"2024-02-0{i + 1}") for i, story in enumerate(STORIES)]
    feed = web.add("/rss.xml", rss_feed("Daily Planet", web.url("/"), items), "application/rss+xml")
    first = ingest_sources([feed], settings=web_settings)
    assert by_path(first) == {item.link: ("added", "") for item in items}
    assert first.documents == len(STORIES)
    records = {m["url"]: m for _, m in store_for(web_settings).iter_articles()}
    assert records[items[3].link]["outlet"] == "Daily Planet"  # the page names no outlet: the feed's title
    assert records[items[3].link]["date"] == "2024-02-04"  # nor a date: the item's pubDate
    assert {path: n for path, n in web.hits.items() if path.startswith("/news/")} == {
        f"/news/{i}": 1 for i in range(len(STORIES))}

    second = ingest_sources([feed], settings=web_settings)
    assert second.count("added") == 0 and second.documents == len(STORIES)
    assert by_path(second) == {feed: ("unchanged", "feed: 5 item(s) taken on an earlier run, 0 new")}
    assert web.hits["/rss.xml"] == 2 and all(web.hits[f"/news/{i}"] == 1 for i in range(len(STORIES)))
    state = json.loads((web_settings.resolved_home() / "web" / "feeds.json").read_text())
    assert set(state["feeds"][feed]["items"]) == {f"story-{i}" for i in range(len(STORIES))}

    # A new item later: only it is fetched.
    items.append(Item("Chess", web.add("/news/late", article_page(ARTICLE_CHESS + "\n\nA late update.")),
                      guid="story-late"))
    web.add("/rss.xml", rss_feed("Daily Planet", web.url("/"), items), "application/rss+xml")
    third = ingest_sources([feed], settings=web_settings)
    assert third.count("added") + third.count("duplicate") == 1 and web.hits["/news/late"] == 1
    assert all(web.hits[f"/news/{i}"] == 1 for i in range(len(STORIES)))


def test_an_atom_feed_served_as_text_html_with_relative_links(web: WebServer, web_settings: Settings) -> None:
    web.add("/a/comet", article_page(ARTICLE_COMET, site="Sky News Weekly"))
    web.add("/a/trains", article_page(ARTICLE_TRAINS))
    items = [Item("Comet", "/a/comet", guid="urn:1", published="2024-05-02"),
             Item("Trains", "trains", guid="urn:2", published="2024-05-03")]
    feed = web.add("/a/atom", atom_feed("Rail and Sky", items), "text/html; charset=utf-8")
    report = ingest_sources([feed], settings=web_settings)
    assert by_path(report) == {web.url("/a/comet"): ("added", ""), web.url("/a/trains"): ("added", "")}
    outlets = {m["url"]: (m["outlet"], m["date"]) for _, m in store_for(web_settings).iter_articles()}
    assert outlets == {web.url("/a/comet"): ("Sky News Weekly", "2024-05-02"),
                       web.url("/a/trains"): ("Rail and Sky", "2024-05-03")}


def test_every_bad_url_and_feed_item_gets_one_line_and_the_rest_goes_on(
    web: WebServer, web_settings: Settings
) -> None:
    good = web.add("/good", article_page(ARTICLE_HARBOUR, site="Halden Post"))
    dead = f"http://127.0.0.1:{dead_port()}/story"
    items = [
        Item("Good", good),
        Item("Gone", web.url("/gone")),
        Item("Dead", dead),
        Item("Picture", web.add("/photo.png", PNG, "image/png")),
        Item("Slides", web.add("/slides.pdf", b"%PDF-1.7\n" + b"x" * 300, "application/pdf")),
        Item("No link", None, guid="no-link"),
        Item("Huge", web.add("/huge", "<html><body>" + "word " * 20_000, declare_length=False)),
        Item("Loop", web.redirect("/loop", "/loop")),
        Item("Elsewhere", web.redirect("/jump", "ftp://127.0.0.1/story")),
        Item("Empty", web.add("/empty", "<html><head><title>Nothing</title></head><body></body></html>")),
    ]
    feed = web.add("/rss", rss_feed("Halden Post", web.url("/"), items), "application/rss+xml")
    web.add("/broken-feed", '<?xml version="1.0"?><rss version="2.0"><channel><title>x', "application/rss+xml")
    logo = web.add("/logo.png", PNG, "image/png")
    sources = [feed, "ftp://example.com/feed.xml", "file:///etc/passwd", web.url("/broken-feed"), logo]
    report = ingest_sources(sources, settings=web_settings)
    lines = by_path(report)
    assert len(report.results) == len(lines) == 14  # one line each: ten items, four other arguments
    assert lines[good] == ("added", "")
    expected = {
        logo: "not an HTML page or a feed (image/png)", web.url("/gone"): "HTTP 404", dead: "Connection refused", web.url("/photo.png"): "(image/png)",
        web.url("/slides.pdf"): "(application/pdf)", f"{feed} · No link": "no link",
        web.url("/huge"): "larger than 50,000 bytes", web.url("/loop"): "too many redirects",
        web.url("/jump"): "only http and https", web.url("/empty"): "no article text",
        "ftp://example.com/feed.xml": "not ftp:", "file:///etc/passwd": "not file:",
        web.url("/broken-feed"): "not a readable RSS or Atom feed",
    }
    for shown, words in expected.items():
        status, detail = lines[shown]
        assert status == "skipped" and words in detail, (shown, status, detail)
    assert report.documents == 1 and report.indexed_anything

    # Failures for good are not fetched again; a dead host may come back, so it is retried.
    hits = dict(web.hits)
    rerun = ingest_sources([feed], settings=web_settings)
    assert set(by_path(rerun)) == {feed, dead}
    assert {p: n for p, n in web.hits.items() if p != "/rss"} == {p: n for p, n in hits.items() if p != "/rss"}


def test_loopback_is_refused_without_the_flag(web: WebServer, tmp_path: Path) -> None:
    url = web.add("/good", article_page(ARTICLE_PARKS))
    report = ingest_sources([url], settings=Settings(home=tmp_path / "home", auto_seed=False))
    assert by_path(report) == {url: ("skipped", ("refused: 127.0.0.1 is a loopback address "
                                                "(set QA_FETCH_ALLOW_PRIVATE=true to allow it)"))}
    assert web.hits["/good"] == 0 and report.documents == 0


def test_a_feed_item_redirecting_to_a_private_address_is_refused(web: WebServer, web_settings: Settings) -> None:
    good = web.add("/good", article_page(ARTICLE_COMET))
    sneaky = web.redirect("/sneaky", f"http://127.0.0.2:{web.port}/good")
    feed = web.add("/rss", rss_feed("Sky", web.url("/"), [Item("Sneaky", sneaky), Item("Good", good)]), "text/xml")
    only_this_server = FetchParams(allowed_networks=("127.0.0.1/32",), max_bytes=50_000, timeout_s=5)
    report = ingest_sources([feed], settings=web_settings, fetch_with=only_this_server)
    assert by_path(report)[good] == ("added", "")
    status, detail = by_path(report)[sneaky]
    assert status == "skipped" and detail.startswith("refused: 127.0.0.2 is a loopback address")


def test_prune_keeps_web_articles_and_local_paths_still_work(
    web: WebServer, web_settings: Settings, docs: Path
) -> None:
    url = web.add("/story", article_page(ARTICLE_TRAINS, site="Rail Today"))
    (docs / "parks.txt").write_text(ARTICLE_PARKS)
    both = ingest_sources([url, docs], settings=web_settings)
    assert sorted(r.status for r in both.results) == ["added", "added"]
    pruned = ingest([docs], prune=True, settings=web_settings)
    assert pruned.count("removed") == 0 and pruned.documents == 2


def test_the_cli_ingests_urls_with_one_line_each(web: WebServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(tmp_path / "cli-home"))
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "true")
    good = web.add("/story", article_page(ARTICLE_CHESS, site="Pune Daily"))
    feed = web.add("/rss", rss_feed("Pune Daily", web.url("/"), [Item("Chess", good), Item("Gone", web.url("/x"))]))
    result = CliRunner().invoke(app, ["ingest", feed, "ftp://example.com/a"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 3, lines
    assert any(line.split() == ["added", good] for line in lines)
    assert any(line.split()[:2] == ["skipped", web.url("/x")] and "HTTP 404" in line for line in lines)
    assert any("ftp://example.com/a — only http and https" in line for line in lines)
    assert "1 added, 2 skipped" in result.stdout

    again = CliRunner().invoke(app, ["ingest", feed, "--json"])
    assert again.exit_code == 0
    assert [r["status"] for r in json.loads(again.stdout)["results"]] == ["unchanged"]

    nothing = CliRunner().invoke(app, ["ingest", web.url("/x")])
    assert nothing.exit_code == 1 and "HTTP 404" in nothing.stderr
