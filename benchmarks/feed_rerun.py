"""Ingest a 200-item feed served on 127.0.0.1 twice into a fresh QA_HOME: every item indexed once, and the rerun
(which fetches the feed but no item page) timed against the first run.

    python benchmarks/feed_rerun.py [--items 200] [--corpus ../shared/benchmarks/realtimeqa/test_corpus.jsonl.gz]

Articles come from the RealTime QA corpus when it is there (read at run time, never copied), else are generated.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "benchmarks" / "realtimeqa" / "test_corpus.jsonl.gz"


def corpus_articles(path: Path, count: int) -> list[tuple[str, str]]:
    """(title, text) of the first `count` long, distinct articles of a RealTime QA corpus file."""
    found: list[tuple[str, str]] = []
    titles: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            title, text = row.get("title", "").strip(), row.get("text", "")
            if len(text) < 2500 or not title or title in titles:
                continue
            titles.add(title)
            found.append((title, text[:8000]))
            if len(found) == count:
                break
    return found


def generated_articles(count: int) -> list[tuple[str, str]]:
    """Distinct news-like articles from names, places and numbers, for when no corpus is at hand."""
    rng = random.Random(7)
    people = "Ana Ruiz,Tom Okafor,Li Wei,Maria Rossi,Omar Haddad,Eva Novak,Raj Patel,Ingrid Berg,Kenji Sato".split(",")
    places = "Lisbon,Lagos,Osaka,Quito,Tallinn,Perth,Accra,Bergen,Tucson,Gdansk,Porto,Nairobi".split(",")
    topics = "water prices,a new bridge,school meals,bus lanes,a port strike,solar farms,rent caps,a flood wall".split(",")
    found = []
    for i in range(count):
        who, where, what = rng.choice(people), rng.choice(places), rng.choice(topics)
        n, m = rng.randint(2, 900), rng.randint(10, 99)
        paragraphs = [
            (f"{where.upper()}, May {i % 28 + 1} - Officials in {where} approved a plan on {what} worth {n} million "
            f"on day {i}, the city's {m}th decision of the year, said council member {who}."),
            (f"{who} told reporters that {rng.randint(3, 40)} districts would be affected and that work on {what} "
            f"would start within {rng.randint(2, 11)} months, pending a vote by {rng.randint(5, 60)} delegates."),
            (f"Critics in {rng.choice(places)} said the cost of {n * m} thousand per district was too high; "
            f"a survey of {rng.randint(300, 5000)} residents found {rng.randint(20, 80)} percent in favour."),
            (f"The measure number {i}-{n}-{m} follows a similar one in {rng.choice(places)} that took "
            f"{rng.randint(1, 9)} years and cost {rng.randint(5, 500)} million."),
        ]
        found.append((f"{where} approves plan on {what} ({i})", "\n\n".join(paragraphs)))
    return found


def page(title: str, text: str) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    return (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body><nav>Home · World</nav>"
            f"<article><h1>{html.escape(title)}</h1>{body}</article><footer>Privacy</footer></body></html>").encode()


def feed(base: str, articles: list[tuple[str, str]]) -> bytes:
    import datetime as dt

    start = dt.datetime(2022, 6, 1, 8, tzinfo=dt.UTC)
    items = "".join(
        f"<item><title>{html.escape(t)}</title><link>{base}/news/{i}</link><guid>item-{i}</guid>"
        f"<pubDate>{format_datetime(start + dt.timedelta(hours=i))}</pubDate></item>"
        for i, (t, _) in enumerate(articles)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench Wire</title>'
            f"<link>{base}/</link><description>b</description>{items}</channel></rss>").encode()


class Site:
    def __init__(self, articles: list[tuple[str, str]]) -> None:
        self.articles = articles
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.hits["feed" if self.path == "/rss" else "page"] += 1
                if self.path == "/rss":
                    body, kind = feed(site.base, site.articles), "application/rss+xml"
                else:
                    title, text = site.articles[int(self.path.rsplit("/", 1)[1])]
                    body, kind = page(title, text), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def runs(feed_url: str, home: Path) -> Iterator[tuple[float, Any]]:
    from qa.config import Settings
    from qa.index.web import ingest_sources

    settings = Settings(home=home, auto_seed=False, fetch_allow_private=True)
    for _ in range(2):
        started = time.perf_counter()
        report = ingest_sources([feed_url], settings=settings)
        yield time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    articles = corpus_articles(args.corpus, args.items) if args.corpus.exists() else []
    source = f"RealTime QA ({args.corpus.name})" if len(articles) == args.items else "generated"
    if len(articles) < args.items:
        articles = generated_articles(args.items)
    from qa.index.embed import get_embedder

    get_embedder("minilm-int8", 32)  # loaded before the clock starts: both runs then time ingest alone
    with Site(articles) as site, tempfile.TemporaryDirectory() as tmp:
        (first_s, first), (second_s, second) = runs(f"{site.base}/rss", Path(tmp) / "home")
        pages_after_first = site.hits["page"]
        statuses = Counter(r.status for r in first.results)
        print(f"articles: {source}, {args.items} feed items")
        print(f"first run:  {first_s:.2f} s, item pages fetched {pages_after_first}, results {dict(statuses)}, "
              f"index {first.documents} articles / {first.chunks} chunks")
        print(f"second run: {second_s:.3f} s, item pages fetched {site.hits['page'] - pages_after_first}, "
              f"added {second.count('added')}, results {[(r.status, r.detail) for r in second.results]}")
        print(f"ratio second/first: {second_s / first_s:.2%} (target under 10%)")


if __name__ == "__main__":
    main()
