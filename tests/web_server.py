"""A small HTTP server on 127.0.0.1 serving news pages, feeds and misbehaving URLs, for the web-ingest tests.

Routes are registered by path; every request is counted, so a test can see what was (and was not) fetched.
Also builds real-looking article pages and RSS 2.0 / Atom 1.0 feeds.
"""

from __future__ import annotations

import html
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True


@dataclass
class WebServer:
    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **options: Any) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, **options)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(b"", "text/html", status, {"Location": location})
        return self.url(path)


@contextmanager
def serve_web() -> Iterator[WebServer]:
    """A WebServer on a free 127.0.0.1 port, shut down afterwards; unknown paths answer 404."""
    web = WebServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            web.hits[self.path] += 1
            route = web.routes.get(self.path) or Route(b"<html><body>Not found</body></html>", status=404)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.declare_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (a size cap): what the test wanted

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    web.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def article_page(text: str, *, site: str | None = None, published: str | None = None,
                 canonical: str | None = None) -> str:
    """A news page as sites serve them: head metadata, navigation, the article (first line the headline), a footer."""
    headline, *paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    head = [f"<title>{html.escape(headline)}{' - ' + html.escape(site) if site else ''}</title>",
            '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width">']
    if site:
        head.append(f'<meta property="og:site_name" content="{html.escape(site)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}T09:30:00Z">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head>" + "".join(head) + "</head><body>"
        '<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>'
        f"<main><article><h1>{html.escape(headline)}</h1>{body}</article></main>"
        "<footer><p>Contact us · Privacy policy · Terms of use</p></footer></body></html>"
    )


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None
    guid: str | None = None
    published: str | None = None  # ISO date


def rss_feed(title: str, link: str, items: list[Item]) -> str:
    import datetime as dt

    def entry(item: Item) -> str:
        parts = [f"<title>{html.escape(item.title)}</title>"]
        if item.link:
            parts.append(f"<link>{html.escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{html.escape(item.guid)}</guid>')
        if item.published:
            when = dt.datetime.fromisoformat(item.published).replace(hour=8, tzinfo=dt.UTC)
            parts.append(f"<pubDate>{format_datetime(when)}</pubDate>")
        return "<item>" + "".join(parts) + "</item>"

    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>{html.escape(link)}</link><description>News</description>"
        + "".join(entry(i) for i in items) + "</channel></rss>"
    )


def atom_feed(title: str, items: list[Item]) -> str:
    def entry(item: Item) -> str:
        when = f"{item.published}T08:00:00Z" if item.published else "2024-01-01T00:00:00Z"
        link = f'<link rel="alternate" href="{html.escape(item.link)}"/>' if item.link else ""
        return (f"<entry><title>{html.escape(item.title)}</title>{link}<id>{html.escape(item.guid or item.title)}</id>"
                f"<updated>{when}</updated><published>{when}</published></entry>")

    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:test:feed</id><updated>2024-01-01T00:00:00Z</updated>"
        + "".join(entry(i) for i in items) + "</feed>"
    )
