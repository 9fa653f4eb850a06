"""Ingest from the web: article URLs and RSS/Atom feeds become saved pages under QA_HOME/web/, indexed by ingest().

Each page is saved with its URL, retrieval time and any feed metadata as <meta name="qa:..."> tags, which the HTML
loader reads where the page states none; chunking, embedding, duplicates and reporting are ingest()'s own.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from qa.config import Settings, get_settings
from qa.errors import IngestError
from qa.index.embed import Embedder
from qa.index.feeds import Feed, FeedState, parse_feed
from qa.index.fetch import Fetched, FetchError, FetchParams, Resolver, body_kind, fetch, is_url, make_client
from qa.index.ingest import ingest
from qa.index.load import decode_bytes
from qa.index.store import store_for
from qa.types import FileResult, IngestReport

WEB_DIR = "web"
_SLUG_CHARS = 60


def fetch_params(settings: Settings) -> FetchParams:
    return FetchParams(
        timeout_s=settings.fetch_timeout, max_bytes=int(settings.max_file_mb * 1_000_000),
        max_redirects=settings.fetch_max_redirects, allow_private=settings.fetch_allow_private,
    )


@dataclass(frozen=True)
class _Origin:
    """Where a saved page came from: the URL shown for it, and the feed item it was (if any)."""

    url: str
    feed: str | None = None
    key: str | None = None


def ingest_sources(
    sources: Iterable[str | Path],
    *,
    prune: bool = False,
    settings: Settings | None = None,
    progress: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
    embedder: Embedder | None = None,
    fetch_with: FetchParams | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> IngestReport:
    """ingest() for local paths and http(s) URLs alike: a URL is fetched and read as an article page or a feed,
    decided by its content type and first bytes. A feed's items already taken on an earlier run are not fetched.

    One result per page or feed item, its path the URL; a URL that cannot be fetched or is not an article is
    'skipped' with the reason, and the rest goes on. Raises StoreError when the store cannot be opened.
    fetch_with replaces the fetch limits read from settings; resolve replaces DNS (tests).
    """
    settings = settings or get_settings()
    sources = list(sources)
    urls = [str(s) for s in sources if isinstance(s, str) and is_url(s)]
    paths = [s for s in sources if not (isinstance(s, str) and is_url(s))]
    if not urls:
        return ingest(paths, prune=prune, settings=settings, progress=progress, on_result=on_result, embedder=embedder)
    started = time.perf_counter()
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    home = settings.resolved_home()
    state = FeedState(home / WEB_DIR / "feeds.json")
    saved: dict[str, list[_Origin]] = {}
    params = fetch_with or fetch_params(settings)
    try:
        with make_client(params, resolve) as client:
            collector = _Collector(client, params, home, state, saved, report, progress)
            for url in dict.fromkeys(urls):
                collector.take(url)

        def relabel(result: FileResult) -> None:
            origins = saved.get(result.path)
            if not origins:
                report(result)
                return
            for origin in origins:
                if origin.feed and origin.key is not None:
                    state.mark(origin.feed, origin.key, url=origin.url, status=result.status)
            report(result.model_copy(update={"path": origins[0].url}))

        if paths or saved:
            done = ingest([*paths, *saved], prune=prune, settings=settings, progress=progress, on_result=relabel,
                          embedder=embedder)
            documents, chunks = done.documents, done.chunks
        else:
            store = store_for(settings)
            documents, chunks = store.count_articles(), store.count_chunks()
    finally:
        state.save()
    return IngestReport(results=results, documents=documents, chunks=chunks, seconds=time.perf_counter() - started)


class _Collector:
    """Fetches URLs and feed items into saved pages, reporting each one that fails as it goes."""

    def __init__(
        self, client: httpx.Client, params: FetchParams, home: Path, state: FeedState,
        saved: dict[str, list[_Origin]], report: Callable[[FileResult], None], progress: bool,
    ) -> None:
        self.client, self.params, self.home, self.state = client, params, home, state
        self.saved, self.report, self.progress = saved, report, progress

    def skip(self, shown: str, detail: str) -> None:
        self.report(FileResult(path=shown, status="skipped", detail=detail))

    def take(self, url: str) -> None:
        try:
            fetched = fetch(url, self.params, self.client)
        except FetchError as exc:
            self.skip(url, str(exc))
            return
        kind = body_kind(fetched)
        if kind == "feed":
            self.take_feed(url, fetched)
        elif kind == "html":
            self.keep(fetched, _Origin(url=url))
        else:
            self.skip(url, _not_a_page(fetched, kind))

    def keep(self, fetched: Fetched, origin: _Origin, feed: Feed | None = None, title: str | None = None,
             published: str | None = None) -> bool:
        try:
            path = save_page(fetched, self.home, title=title, date=published, outlet=feed.title if feed else None)
        except (IngestError, OSError) as exc:
            self.skip(origin.url, f"cannot be saved: {exc}")
            return False
        self.saved.setdefault(str(path), []).append(origin)
        return True

    def take_feed(self, url: str, fetched: Fetched) -> None:
        try:
            feed = parse_feed(fetched.body, fetched.final_url)
        except FetchError as exc:
            self.skip(url, str(exc))
            return
        seen = self.state.seen(url)
        new = [item for item in feed.items if item.key not in seen]
        if not feed.items:
            self.skip(url, "the feed has no items")
        elif len(new) < len(feed.items):
            count = len(feed.items) - len(new)
            self.report(FileResult(path=url, status="unchanged", detail=f"feed: {count} item(s) taken on an earlier "
                                   f"run, {len(new)} new"))
        from tqdm import tqdm

        for item in tqdm(new, desc="Fetching", unit="page", disable=not self.progress, leave=False):
            if not item.link:
                self.skip(f"{url} · {item.title or 'an item'}", "feed item has no link")
                if item.key:
                    self.state.mark(url, item.key, url=None, status="skipped")
                continue
            try:
                page = fetch(item.link, self.params, self.client)
            except FetchError as exc:
                self.skip(item.link, str(exc))
                if not exc.transient:
                    self.state.mark(url, item.key, url=item.link, status="skipped")
                continue
            if (kind := body_kind(page)) != "html":
                self.skip(item.link, _not_a_page(page, kind))
                self.state.mark(url, item.key, url=item.link, status="skipped")
                continue
            if not self.keep(page, _Origin(url=item.link, feed=url, key=item.key), feed, item.title, item.published):
                self.state.mark(url, item.key, url=item.link, status="skipped")


def _not_a_page(fetched: Fetched, kind: str | None) -> str:
    if kind == "feed":
        return "a feed, not an article page"
    return f"not an HTML page or a feed ({fetched.content_type or 'no content type'})"


def page_path(home: Path, url: str) -> Path:
    """QA_HOME/web/<host>/<slug>-<hash>.html: readable, one file per URL, safe whatever the URL holds."""
    parts = urllib.parse.urlsplit(url)
    host = re.sub(r"[^a-z0-9.\-]+", "_", (parts.hostname or "unknown").lower()).strip("._") or "unknown"
    if parts.port:
        host = f"{host}_{parts.port}"
    segment = next((s for s in reversed(parts.path.split("/")) if s), "")
    segment = re.sub(r"\.(?:s?html?|php|aspx?|jsp)$", "", urllib.parse.unquote(segment), flags=re.IGNORECASE)
    slug = re.sub(r"[^\w\-]+", "-", segment.lower()).strip("-_")[:_SLUG_CHARS] or "index"
    digest = hashlib.sha256(urllib.parse.urldefrag(url).url.encode()).hexdigest()[:10]
    return home / WEB_DIR / host / f"{slug}-{digest}.html"


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def save_page(
    fetched: Fetched, home: Path, *, title: str | None = None, date: str | None = None, outlet: str | None = None
) -> Path:
    """Write the page as UTF-8 HTML with qa:* meta tags (URL, retrieval time, feed title/date/outlet as fallbacks)
    and return its path. A page whose body has not changed since it was saved is left as it is, so ingest
    sees an unchanged file."""
    path = page_path(home, fetched.final_url)
    digest = hashlib.sha256(fetched.body).hexdigest()
    marker = f'<meta name="qa:body_sha256" content="{digest}">'
    if path.exists() and marker in path.read_text(encoding="utf-8", errors="replace")[:8192]:
        return path
    text = _decode(fetched)
    fields = {"url": fetched.final_url, "retrieved_at": fetched.fetched_at.isoformat(timespec="seconds"),
              "title": title, "date": date, "outlet": outlet}
    tags = marker + "".join(
        f'<meta name="qa:{name}" content="{html.escape(value, quote=True)}">' for name, value in fields.items() if value
    )
    match = _HEAD.search(text, 0, 65536)
    text = text[: match.end()] + tags + text[match.end() :] if match else f"<head>{tags}</head>{text}"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def _decode(fetched: Fetched) -> str:
    """The body as text: in the charset the server named, else as a file on disk would be decoded."""
    if fetched.charset:
        try:
            return fetched.body.decode(fetched.charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(fetched.body)[0]
