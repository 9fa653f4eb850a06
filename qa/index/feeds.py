"""RSS and Atom feeds: their items (through feedparser), and which items of each feed were taken already.

The record of seen items lives in QA_HOME/web/feeds.json, so a rerun fetches only what is new.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.index.fetch import FetchError


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: key is its guid (Atom id), else its link, else its title; link is the page to fetch."""

    key: str
    link: str | None
    title: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD), when the feed gives one


@dataclass(frozen=True)
class Feed:
    title: str | None
    items: list[FeedItem]


def parse_feed(body: bytes, url: str) -> Feed:
    """The feed's title and items, relative links resolved against url. Raises FetchError for a body feedparser
    cannot read as a feed at all; an item without a link is kept, to be reported."""
    import feedparser

    # A stream, never a string: given a string that looks like a URL, feedparser would fetch it itself.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = str(parsed.get("bozo_exception") or "") or "no items"
        raise FetchError(f"not a readable RSS or Atom feed ({reason})")
    feed_title = _text(parsed.feed.get("title"))
    items = []
    for entry in parsed.entries:
        link = _text(entry.get("link"))
        items.append(FeedItem(
            key=_text(entry.get("id")) or link or _text(entry.get("title")) or "",
            link=link,
            title=_text(entry.get("title")),
            published=_iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        ))
    return Feed(title=feed_title, items=items)


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _iso_date(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    try:
        return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
    except ValueError:
        return None


class FeedState:
    """Items seen per feed URL, with what became of each: loaded once per ingest, saved at its end.

    An item is recorded once it was indexed or failed for good (a 404, not a page); a failure that may pass
    (a timeout, HTTP 503) is not recorded, so the next run tries it again.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.feeds: dict[str, dict[str, Any]] = {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            self.feeds = dict(loaded.get("feeds", {}))
        except (OSError, ValueError, AttributeError):
            pass  # no state yet, or a damaged one: every item is new, and unchanged pages are skipped anyway

    def seen(self, feed_url: str) -> set[str]:
        return set(self.feeds.get(feed_url, {}).get("items", {}))

    def mark(self, feed_url: str, key: str, *, url: str | None, status: str) -> None:
        items = self.feeds.setdefault(feed_url, {}).setdefault("items", {})
        items[key] = {"url": url, "status": status, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    def save(self) -> None:
        """Write atomically: a run killed while saving leaves the previous state, never half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".json.tmp")
        partial.write_text(json.dumps({"version": 1, "feeds": self.feeds}, indent=1, ensure_ascii=False),
                           encoding="utf-8")
        os.replace(partial, self.path)
